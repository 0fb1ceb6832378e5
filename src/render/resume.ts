/**
 * Resuming a bus render from its lineage (issue 13). A bus whose key is new but whose
 * lineage holds an earlier render with the same settings compares the earlier inputs with
 * the new ones, byte by byte from the start, and finds the first frame where any differs.
 * Everything the strip did before that frame is the same as before, so its state at the
 * last checkpoint at or before it is the state the new render would reach: restore it,
 * copy the earlier outputs' bytes up to it, and stream on from there.
 *
 * Every object comes through its digest (an untrusted file is hashed whole before use); a
 * missing or corrupt one, a state that does not decode or fit, inputs added or removed:
 * the plan says why and the render starts from frame 0. Never a wrong output.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import type { ObjectWriter } from '../cache/object-writer.ts';
import type { LineageCheckpoint, LineageEntry } from '../cache/lineage.ts';
import { decodeState, encodeState } from '../ir/effect-state.ts';
import { FLOAT32_WAV_HEADER_BYTES, stereoFloat32Frames } from '../io/wav.ts';
import type { StripCheckpoint } from './stream-strip.ts';

/**
 * Source frames between checkpoints: 2^18 (5.5 s at 48 kHz). A checkpoint of the demo's hall
 * reverb is ~0.5 MB, so a 3-minute bus stores ~16 MB beside its 70 MB output; an edit
 * re-renders on average half this span more than it must.
 */
export const CHECKPOINT_FRAMES = 1 << 18;

/** Bytes compared or copied per read. */
const CHUNK_BYTES = 1 << 20;

/** Why a render could not resume: shown with --explain, tested. */
export class ResumeError extends Error {
  constructor(readonly reason: string) {
    super(`cannot resume: ${reason}`);
    this.name = 'ResumeError';
  }
}

export type ResumePlan =
  | { readonly resume: true; readonly checkpoint: StripCheckpoint; readonly differsAt: number; readonly earlier: LineageEntry }
  | { readonly resume: false; readonly reason: string };

/** An object's bytes, from memory or from its file (known intact). */
interface ObjectBytes {
  readonly size: number;
  /** Bytes [offset, offset + length) (fewer at the end); valid until the next read. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/**
 * The bytes of an object, checked: from memory when this thread holds it, else its file
 * once trusted (an untrusted one is hashed whole first, and dropped when it fails).
 */
function openObject(cache: CacheStore, digest: string, inline?: ReadonlyMap<string, Uint8Array>): ObjectBytes | undefined {
  const held = inline?.get(digest) ?? cache.peekObject(digest);
  if (held) return { size: held.byteLength, read: (offset, length) => held.subarray(offset, offset + length), close() {} };
  let file = cache.trustedObjectFile(digest);
  if (!file && cache.readObjectInPieces(digest, CHUNK_BYTES, () => {})) file = cache.trustedObjectFile(digest);
  if (!file) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  const buffer = new Uint8Array(CHUNK_BYTES);
  return {
    size: fstatSync(fd).size,
    read(offset, length) {
      const want = Math.min(length, CHUNK_BYTES);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buffer, got, want - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buffer.subarray(0, got);
    },
    close: () => closeSync(fd),
  };
}

/** Frames of a stereo float object (mixdown's layout), or undefined for any other. */
function framesOf(object: ObjectBytes): number | undefined {
  const header = object.read(0, FLOAT32_WAV_HEADER_BYTES);
  if (header.byteLength !== FLOAT32_WAV_HEADER_BYTES) return undefined;
  const frames = stereoFloat32Frames(header.slice());
  return frames !== undefined && object.size === FLOAT32_WAV_HEADER_BYTES + 8 * frames ? frames : undefined;
}

/**
 * The first frame where two stereo float objects differ (a frame one has and the other not
 * counts), Infinity when they are the same, undefined when one cannot be read or compared.
 */
export function firstDifference(cache: CacheStore, earlier: string, now: string, inline?: ReadonlyMap<string, Uint8Array>): number | undefined {
  if (earlier === now) return Infinity;
  const a = openObject(cache, earlier);
  const b = a && openObject(cache, now, inline);
  try {
    if (!a || !b) return undefined;
    const framesA = framesOf(a);
    const framesB = framesOf(b);
    if (framesA === undefined || framesB === undefined) return undefined;
    const common = Math.min(framesA, framesB);
    const end = FLOAT32_WAV_HEADER_BYTES + 8 * common;
    for (let offset = FLOAT32_WAV_HEADER_BYTES; offset < end; offset += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, end - offset);
      // Copied: both reads may share no buffer, but a file read reuses its own.
      const left = Buffer.from(a.read(offset, length));
      const right = b.read(offset, length);
      if (left.byteLength !== length || right.byteLength !== length) return undefined;
      if (left.equals(right)) continue;
      let i = 0;
      while (left[i] === right[i]) i++;
      return Math.floor((offset - FLOAT32_WAV_HEADER_BYTES + i) / 8);
    }
    return framesA === framesB ? Infinity : common;
  } finally {
    a?.close();
    b?.close();
  }
}

/**
 * Whether and from where a render with inputs `inputs` can resume from `earlier`, the
 * lineage's last render of the same channel: the last checkpoint at or before the first
 * frame where an input differs whose state object is intact.
 */
export function planResume(cache: CacheStore, earlier: LineageEntry | undefined, inputs: readonly OutputRecord[], inline?: ReadonlyMap<string, Uint8Array>): ResumePlan {
  if (!earlier) return { resume: false, reason: 'no earlier render of this channel with these settings' };
  if (earlier.inputs.length !== inputs.length) return { resume: false, reason: 'an input was added or removed' };
  let differsAt = Infinity;
  for (let i = 0; i < inputs.length; i++) {
    const frame = firstDifference(cache, earlier.inputs[i].digest, inputs[i].digest, inline);
    if (frame === undefined) return { resume: false, reason: `input ${i + 1} cannot be compared with the earlier one (missing, corrupt or not stereo float)` };
    differsAt = Math.min(differsAt, frame);
  }
  const usable = earlier.checkpoints.filter((point) => point.frame <= differsAt).reverse();
  for (const point of usable) {
    const checkpoint = loadCheckpoint(cache, point);
    if (checkpoint) return { resume: true, checkpoint, differsAt, earlier };
  }
  return { resume: false, reason: usable.length ? 'the checkpoints before the first change are missing or corrupt' : `the inputs differ from frame ${differsAt}, before the first checkpoint` };
}

function loadCheckpoint(cache: CacheStore, point: LineageCheckpoint): StripCheckpoint | undefined {
  const bytes = cache.getObject(point.digest);
  if (!bytes) return undefined;
  try {
    return { frame: point.frame, written: point.written, state: decodeState(bytes) };
  } catch {
    return undefined;
  }
}

/** Store a checkpoint's state as an object: its lineage record. */
export function storeCheckpoint(cache: CacheStore, checkpoint: StripCheckpoint): LineageCheckpoint {
  const record = cache.putObject(encodeState(checkpoint.state));
  return { frame: checkpoint.frame, written: checkpoint.written, digest: record.digest };
}

/**
 * Write the first `bytes` bytes after the header of the earlier render's output `record`
 * into `writer`, as the resumed strip's own first frames; a ResumeError when the object
 * is missing, corrupt or too short.
 */
export async function copyPrefix(cache: CacheStore, record: OutputRecord | undefined, bytes: number, writer: ObjectWriter): Promise<void> {
  if (!record) throw new ResumeError('the earlier render lacks this output');
  const object = openObject(cache, record.digest);
  if (!object) throw new ResumeError(`the earlier output ${record.digest} is missing or corrupt`);
  try {
    if (object.size < FLOAT32_WAV_HEADER_BYTES + bytes) throw new ResumeError('the earlier output is shorter than the checkpoint');
    for (let done = 0; done < bytes; ) {
      const piece = object.read(FLOAT32_WAV_HEADER_BYTES + done, Math.min(CHUNK_BYTES, bytes - done));
      if (piece.byteLength === 0) throw new ResumeError('the earlier output ended early');
      writer.write(piece);
      done += piece.byteLength;
      if (writer.full) await writer.room();
    }
  } finally {
    object.close();
  }
}
