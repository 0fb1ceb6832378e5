/**
 * watch's first preview: where a rebuild's stems first differ from the last build's, and the
 * window of the new mix around it, rendered (render/region-preview.ts) and written as
 * dist/<song>/preview.wav before any bus has finished. Only for a rebuild whose mix will
 * render and whose song length did not change; otherwise the preview is the whole mix, when it
 * is rendered, as before.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { encodeWavFloat32, FLOAT32_WAV_HEADER_BYTES } from '../io/wav.ts';
import { hashValue } from '../ir/hash.ts';
import type { BuildGraph, Task } from '../plan/graph.ts';
import type { Stereo } from '../render/effect-chain.ts';
import { prerollFrames, renderRegionPreview, type PreviewWindow } from '../render/region-preview.ts';
import { stereoBlockReader } from '../render/run-task.ts';
import { BLOCK_FRAMES } from '../render/stream-strip.ts';
import type { KeyRecord } from './explain.ts';

/** What the preview lets you hear before the change, seconds: enough to hear it come in. */
const LEAD_IN_SECONDS = 1;
/** The preview's length, seconds. */
const PREVIEW_SECONDS = 10;
/** Bytes compared at a time when looking for the first changed frame. */
const COMPARE_BYTES = 1 << 20;

/** A preview window in seconds, for messages. */
export interface PreviewRegion {
  readonly fromSeconds: number;
  readonly toSeconds: number;
  readonly changedAtSeconds: number;
}

/**
 * The first frame at which any stem of `graph` differs from the last build's (0 when a bus's
 * own settings changed or a stem is new), or undefined when nothing to preview: no last build,
 * no stem differs, or the song's length changed.
 */
export function firstChangedFrame(graph: BuildGraph, previous: KeyRecord, records: ReadonlyMap<string, Readonly<Record<string, OutputRecord>>>, cache: CacheStore): number | undefined {
  let first: number | undefined;
  for (const task of graph.tasks) {
    const before = previous[task.id];
    if (task.kind === 'bus' && before && ownInputsChanged(task, before)) return 0;
    if (task.kind !== 'stem') continue;
    const now = records.get(task.id)?.audio;
    if (!now) return undefined;
    if (!before) {
      first = 0;
      continue;
    }
    const old = cache.getAction(hashValue({ kind: task.kind, inputs: before }))?.outputs.audio;
    if (!old) {
      first = 0;
      continue;
    }
    if (old.digest === now.digest) continue;
    if (old.bytes !== now.bytes) return undefined;
    const frame = firstDifference(cache.objectFile(old.digest), cache.objectFile(now.digest));
    if (frame !== undefined) first = Math.min(first ?? frame, frame);
  }
  return first;
}

/** A task's inputs other than the tasks it reads changed: its own settings (effects, fader, code). */
function ownInputsChanged(task: Task, before: Readonly<Record<string, string>>): boolean {
  const names = new Set([...Object.keys(task.inputs), ...Object.keys(before)]);
  for (const name of names) if (!name.startsWith('task:') && task.inputs[name] !== before[name]) return true;
  return false;
}

/** The first stereo float frame at which two WAV files differ, or undefined (same, or unreadable). */
function firstDifference(a: string, b: string): number | undefined {
  let fa: number | undefined;
  let fb: number | undefined;
  try {
    fa = openSync(a, 'r');
    fb = openSync(b, 'r');
    const x = Buffer.alloc(COMPARE_BYTES);
    const y = Buffer.alloc(COMPARE_BYTES);
    for (let at = FLOAT32_WAV_HEADER_BYTES; ; at += COMPARE_BYTES) {
      const n = readSync(fa, x, 0, COMPARE_BYTES, at);
      const m = readSync(fb, y, 0, COMPARE_BYTES, at);
      const count = Math.min(n, m);
      if (count === 0) return undefined;
      if (x.subarray(0, count).equals(y.subarray(0, count))) continue;
      let i = 0;
      while (x[i] === y[i]) i++;
      return Math.floor((at + i - FLOAT32_WAV_HEADER_BYTES) / 8);
    }
  } catch {
    return undefined;
  } finally {
    if (fa !== undefined) closeSync(fa);
    if (fb !== undefined) closeSync(fb);
  }
}

/** The window around `changedAt`, block-aligned, inside a song of `length` frames. */
export function previewWindow(changedAt: number, length: number, sampleRate: number): PreviewWindow {
  const from = Math.max(0, Math.floor((changedAt - LEAD_IN_SECONDS * sampleRate) / BLOCK_FRAMES) * BLOCK_FRAMES);
  return { from, to: Math.min(length, from + PREVIEW_SECONDS * sampleRate), changedAt };
}

/**
 * Render the window and write it as `path` (a 32-bit float WAV of the window alone); the
 * region written, or undefined when this graph cannot be previewed so (see renderRegionPreview).
 */
export function writeRegionPreview(
  graph: BuildGraph,
  records: ReadonlyMap<string, Readonly<Record<string, OutputRecord>>>,
  changedAt: number,
  cache: CacheStore,
  where: { song: string; file: string; projectRoot: string },
  path: string,
): PreviewRegion | undefined {
  const mix = graph.tasks.find((task) => task.kind === 'mix');
  if (!mix || mix.kind !== 'mix') return undefined;
  const { lengthSamples, sampleRate } = mix.params;
  const window = previewWindow(changedAt, lengthSamples, sampleRate);
  const start = Math.max(0, Math.floor((window.from - prerollFrames(graph.tasks, records, sampleRate)) / BLOCK_FRAMES) * BLOCK_FRAMES);
  const read = (record: OutputRecord): Uint8Array => {
    const bytes = cache.getObject(record.digest);
    if (!bytes) throw new Error(`preview: object ${record.digest} is missing`);
    return bytes;
  };
  const readWhole = (record: OutputRecord): Stereo => {
    const reader = stereoBlockReader(record, cache, read);
    try {
      const samples = reader.read(0, reader.frames);
      const left = new Float32Array(reader.frames);
      const right = new Float32Array(reader.frames);
      for (let i = 0; i < reader.frames; i++) {
        left[i] = samples[2 * i];
        right[i] = samples[2 * i + 1];
      }
      return [left, right];
    } finally {
      reader.close();
    }
  };
  const samples = renderRegionPreview(graph.tasks, records, window, start, (record) => stereoBlockReader(record, cache, read), readWhole, where);
  if (!samples) return undefined;
  const frames = samples.length >> 1;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = samples[2 * i];
    right[i] = samples[2 * i + 1];
  }
  writeFileAtomicSync(path, encodeWavFloat32([left, right], sampleRate));
  return { fromSeconds: window.from / sampleRate, toSeconds: window.to / sampleRate, changedAtSeconds: changedAt / sampleRate };
}
