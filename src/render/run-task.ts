/**
 * Runs one task where it stands (main thread or worker): reads its dependencies' outputs
 * from the object store by digest, renders, writes its outputs to the object store, and
 * returns their records and the facts it measured. Big buffers never cross threads; only
 * digests do. The result depends on nothing but the task's key.
 */
import { CacheStore, type ActionEntry, type OutputRecord } from '../cache/store.ts';
import { decodeWav, FLOAT32_WAV_HEADER_BYTES, interleavedFloat32, stereoFloat32Frames } from '../io/wav.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { encodeMidi } from '../io/midi.ts';
import { mixSource, streamMaster } from './master-task.ts';
import { lentMasterFiles, type LendWorker } from './master-files-thread.ts';
import { matchingEq, OctaveBalanceMeter, profile, type TrackProfile } from '../master/reference.ts';
import type { StripParams, Task } from '../plan/graph.ts';
import { renderBus, renderStem } from './stem.ts';
import { busStreams, stemStreams, streamBus, streamStem, type StereoBlockReader, type StreamedStrip } from './stream-strip.ts';
import { CHECKPOINT_FRAMES, copyPrefix, planResume, ResumeError, storeCheckpoint, type ResumePlan } from './resume.ts';
import { lineageKey, readLineage, writeLineage, type LineageCheckpoint } from '../cache/lineage.ts';
import { StateMismatchError } from '../ir/effect-state.ts';
import { ENGINE_VERSION } from '../plan/graph.ts';
import { readDeclaredFile } from './declared-file.ts';
import { renderDawproject } from './dawproject-export.ts';
import { createStemFile } from './stem-file.ts';
import { streamMix } from './stream-mix.ts';
import { bucketCount, clippedPeaks, PeaksMeter } from '../dsp/peaks.ts';
import { storeMeasurement } from '../cache/measurement.ts';
import type { Stereo } from './effect-chain.ts';
import '../instruments/index.ts';
import '../effects/index.ts';

export interface TaskOutput {
  /** Output name (`audio`, `midi`) → its object in the store. */
  readonly outputs: Record<string, OutputRecord>;
  readonly meta: Record<string, number>;
  /** The outputs' bytes, for a worker to hand to the main thread without a disk read. */
  readonly data: Record<string, Uint8Array>;
  /** Set when a worker thread rendered it (printed with --explain, never part of an output). */
  readonly inWorker?: boolean;
  /** Measurements of the outputs made on the way (the room's peaks), stored here but not yet shared with the remote. */
  readonly measurements?: readonly ActionEntry[];
  /** A bus that resumed from a checkpoint of its last render: the source frame it rendered from (printed, never part of an output). */
  readonly resumedFrom?: number;
  /** Why a bus with an earlier render did not resume (printed with --explain). */
  readonly coldBecause?: string;
}

export interface TaskContext {
  readonly song: string;
  readonly file: string;
  /** The object store's folder, so a worker can open the same store. */
  readonly cacheRoot: string;
  /** The project's folder, for files a task reads by their project path (a reference track). */
  readonly projectRoot: string;
  /** A bus may resume from a checkpoint of its last render (false: --no-cache, every task from frame 0). @default true */
  readonly resume?: boolean;
}

/** A dependency's object was missing or failed its digest check when a task read it. */
export class InputMissingError extends Error {
  constructor(
    readonly digest: string,
    readonly corrupt: boolean,
  ) {
    super(`input object ${digest} is ${corrupt ? 'corrupt' : 'missing'}`);
    this.name = 'InputMissingError';
  }
}

const stores = new Map<string, CacheStore>();

/** Use this thread's store for `root` (the main thread passes its own, with its memory). */
export function useStore(store: CacheStore): void {
  stores.set(store.root, store);
}
/** Digests that failed their check while reading, in this thread. */
const corrupted = new Set<string>();

/** This thread's store for a cache root (one per root, kept for the thread's life). */
export function storeFor(root: string): CacheStore {
  let store = stores.get(root);
  if (!store) {
    store = new CacheStore(root, (digest) => corrupted.add(digest));
    stores.set(root, store);
  }
  return store;
}

/** Objects the main thread vouches for (it wrote or verified them in this build): this thread reads them without a re-hash. */
export function trustObjects(cacheRoot: string, digests: readonly string[]): void {
  const cache = storeFor(cacheRoot);
  for (const digest of digests) cache.adoptFile({ digest, bytes: 0 });
}

export async function runTask(
  task: Task,
  inputs: readonly OutputRecord[],
  context: TaskContext,
  /** Input objects the caller already holds in memory (sent along to a worker), by digest. */
  inline?: ReadonlyMap<string, Uint8Array>,
  /** Lends a free worker thread to a task's side work (the master's files); absent: all in this thread. */
  lend?: LendWorker,
): Promise<TaskOutput> {
  const cache = storeFor(context.cacheRoot);
  const read = (record: OutputRecord): Uint8Array => {
    const bytes = inline?.get(record.digest) ?? cache.getObject(record.digest);
    if (!bytes) throw new InputMissingError(record.digest, corrupted.delete(record.digest));
    return bytes;
  };
  const data: Record<string, Uint8Array> = {};
  const result = (outputs: Record<string, Uint8Array>, meta: Record<string, number>): TaskOutput => {
    const records: Record<string, OutputRecord> = {};
    for (const [name, bytes] of Object.entries(outputs)) {
      records[name] = cache.putObject(bytes);
      data[name] = bytes;
    }
    return { outputs: records, meta, data };
  };
  switch (task.kind) {
    case 'stem': {
      const keys = sidechainKeys(task.params.sidechains, inputs, read);
      if (stemStreams(task.params)) {
        // Streamed straight into the store: no song-long buffers, nothing to hand back but records.
        const streamed = await streamStem(task.params, context, keys, cache);
        return { outputs: streamed.outputs, meta: { peak: streamed.peak }, data: {}, measurements: streamed.measurements };
      }
      const stem = await renderStem(task.params, context, keys);
      return withStemFile(task.params, stem.wav, cache, result({ audio: stem.wav, ...(stem.prefader ? { prefader: stem.prefader } : {}) }, { peak: stem.peak }));
    }
    case 'bus': {
      const count = task.params.sources.length;
      if (busStreams(task.params)) {
        const keys = sidechainKeys(task.params.sidechains, inputs.slice(count), read);
        const readers = inputs.slice(0, count).map((input) => stereoBlockReader(input, cache, read, inline));
        try {
          const streamed = await resumableBus(task, inputs, readers, keys, context, cache, inline);
          return {
            outputs: streamed.outputs,
            meta: { peak: streamed.peak },
            data: {},
            measurements: streamed.measurements,
            resumedFrom: streamed.resumedFrom,
            ...(streamed.coldBecause ? { coldBecause: streamed.coldBecause } : {}),
          };
        } finally {
          for (const reader of readers) reader.close();
        }
      }
      const sources = inputs.slice(0, count).map((input) => stereoFloat(read(input)));
      const keys = sidechainKeys(task.params.sidechains, inputs.slice(count), read);
      const bus = await renderBus(task.params, sources, context, keys);
      return withStemFile(task.params, bus.wav, cache, result({ audio: bus.wav, ...(bus.prefader ? { prefader: bus.prefader } : {}) }, { peak: bus.peak }));
    }
    case 'mix': {
      const { lengthSamples, sampleRate } = task.params;
      const readers = inputs.map((input) => stereoBlockReader(input, cache, read, inline));
      try {
        const mixed = await streamMix(readers, lengthSamples, sampleRate, cache);
        return { outputs: { audio: mixed.audio }, meta: { peak: mixed.peak }, data: {} };
      } finally {
        for (const reader of readers) reader.close();
      }
    }
    case 'master': {
      const source = mixSource(inputs[0], cache, inline?.get(inputs[0].digest), () => read(inputs[0]));
      const { sampleRate } = source;
      const settings = task.params.settings;
      const reference = settings.reference ? readReference(settings.reference, context) : undefined;
      // The matching EQ needs the mix's balance before the chain: one read of the mix more.
      let matched: ReturnType<typeof matchingEq> | undefined;
      if (reference && settings.match === 'eq') {
        const balance = new OctaveBalanceMeter(source.channelCount, sampleRate, source.length);
        for (const block of source.blocks(65536)) balance.add(block.channels, block.count);
        matched = matchingEq(balance.result(), reference.bands, sampleRate);
      }
      const open = lend ? lentMasterFiles(lend, cache, context.cacheRoot) : undefined;
      const streamed = await streamMaster(source, matched ? { ...settings, eq: [...settings.eq, ...matched.bands] } : settings, task.params.ditherSeed, sampleRate, cache, open);
      const { loudness } = streamed.facts;
      const profile = streamed.profile && { integrated: loudness.integrated, range: loudness.range, truePeak: loudness.truePeak, ...streamed.profile };
      return {
        outputs: streamed.outputs,
        data: {},
        measurements: streamed.measurements,
        meta: {
          peak: Math.pow(10, loudness.samplePeak / 20),
          gain: Math.pow(10, streamed.facts.gainDb / 20),
          integrated: loudness.integrated,
          range: loudness.range,
          truePeak: loudness.truePeak,
          momentaryMax: loudness.momentaryMax,
          shortTermMax: loudness.shortTermMax,
          limiterDb: streamed.facts.limiterDb,
          compressorDb: streamed.facts.compressorDb,
          masterPasses: streamed.facts.passes,
          ...(reference && profile ? referenceMeta(reference, profile, matched?.gains) : {}),
        },
      };
    }
    case 'midi':
      return result({ midi: encodeMidi(task.params) }, {});
    case 'dawproject':
      return result({ dawproject: await renderDawproject(task.params, inputs.map(read), context) }, {});
  }
}

/** Frames a file-backed bus input reads at once (256 KiB of stereo float). */
const READ_AHEAD_FRAMES = 32_768;

/**
 * A streamed bus, resumed from its lineage when it can be (see resume.ts): checkpoints are
 * taken every CHECKPOINT_FRAMES and recorded, with the inputs and outputs, as the channel's
 * lineage once the outputs are in the store. A resume that fails on the way (an earlier
 * output gone, a state that does not fit) is abandoned and the bus rendered from frame 0.
 */
async function resumableBus(
  task: Extract<Task, { kind: 'bus' }>,
  inputs: readonly OutputRecord[],
  readers: readonly StereoBlockReader[],
  keys: ReadonlyMap<string, Stereo>,
  context: TaskContext,
  cache: CacheStore,
  inline?: ReadonlyMap<string, Uint8Array>,
): Promise<StreamedStrip & { coldBecause?: string }> {
  const lineage = lineageKey({ song: context.song, channel: task.params.channelId, engine: ENGINE_VERSION }, task.params);
  const earlier = context.resume === false ? undefined : readLineage(context.cacheRoot, lineage);
  const plan = planResume(cache, earlier, inputs, inline);
  const attempt = async (from: Extract<ResumePlan, { resume: true }> | undefined) => {
    const checkpoints: LineageCheckpoint[] = from ? from.earlier.checkpoints.filter((point) => point.frame <= from.checkpoint.frame) : [];
    const streamed = await streamBus(task.params, readers, context, keys, cache, {
      every: CHECKPOINT_FRAMES,
      onCheckpoint: async (checkpoint) => {
        checkpoints.push(storeCheckpoint(cache, checkpoint));
      },
      from: from && { checkpoint: from.checkpoint, prefix: (name, bytes, writer) => copyPrefix(cache, from.earlier.outputs[name], bytes, writer) },
    });
    // Only a render that could checkpoint (every insert keeps its state as data) leaves a lineage.
    if (checkpoints.length > 0) {
      await cache.flush(checkpoints.map((point) => point.digest));
      writeLineage(context.cacheRoot, { lineage, task: task.key, inputs, outputs: streamed.outputs, checkpoints });
    }
    return streamed;
  };
  if (!plan.resume) return { ...(await attempt(undefined)), ...(earlier ? { coldBecause: plan.reason } : {}) };
  try {
    return await attempt(plan);
  } catch (error) {
    if (!(error instanceof ResumeError || error instanceof StateMismatchError)) throw error;
    return { ...(await attempt(undefined)), coldBecause: error.message };
  }
}

/**
 * A bus input read a block at a time: from memory when this thread holds the object, from
 * its file when the object is known intact and is mixdown's stereo float layout (no
 * song-long buffer), else read whole and checked as any input is.
 */
export function stereoBlockReader(record: OutputRecord, cache: CacheStore, read: (record: OutputRecord) => Uint8Array, inline?: ReadonlyMap<string, Uint8Array>): StereoBlockReader & { close(): void } {
  const held = inline?.get(record.digest) ?? cache.peekObject(record.digest);
  const file = held ? undefined : cache.trustedObjectFile(record.digest);
  if (file) {
    const fd = openSync(file, 'r');
    const header = new Uint8Array(FLOAT32_WAV_HEADER_BYTES);
    const frames = readSync(fd, header, 0, header.byteLength, 0) === header.byteLength ? stereoFloat32Frames(header) : undefined;
    if (frames !== undefined) {
      // A bus asks for a block (8 KiB) at a time: read READ_AHEAD_FRAMES at once and serve the
      // blocks from memory (one read(2) per 256 KiB instead of 32: the demo's buses spent
      // seconds of CPU in system calls).
      let window = new Float32Array(2 * READ_AHEAD_FRAMES);
      let windowStart = 0;
      let windowFrames = 0;
      /** Frames start … start + count − 1 into the window (grown for a longer read); a file that ends early is a corrupt input. */
      const fill = (start: number, count: number) => {
        if (window.length < 2 * count) window = new Float32Array(2 * count);
        const bytes = new Uint8Array(window.buffer, 0, 8 * count);
        for (let got = 0; got < bytes.byteLength; ) {
          const n = readSync(fd, bytes, got, bytes.byteLength - got, FLOAT32_WAV_HEADER_BYTES + 8 * start + got);
          if (n === 0) throw new InputMissingError(record.digest, true);
          got += n;
        }
        windowStart = start;
        windowFrames = count;
      };
      return {
        frames,
        read(start, count) {
          if (start < windowStart || start + count > windowStart + windowFrames) {
            // Past the end, the read is the error it should be; inside, at least a window's worth.
            fill(start, start + count > frames ? count : Math.max(count, Math.min(READ_AHEAD_FRAMES, frames - start)));
          }
          const from = 2 * (start - windowStart);
          return window.subarray(from, from + 2 * count);
        },
        close: () => closeSync(fd),
      };
    }
    closeSync(fd);
  }
  const samples = stereoFloat(held ?? read(record));
  return { frames: samples.length >> 1, read: (start, count) => samples.subarray(2 * start, 2 * (start + count)), close() {} };
}

/** A whole-song strip's `file` output (stems: { format }), encoded from its float WAV as the streamed strip encodes its blocks. */
async function withStemFile(params: StripParams, wav: Uint8Array, cache: CacheStore, output: TaskOutput): Promise<TaskOutput> {
  if (!params.stemFormat) return output;
  const samples = stereoFloat(wav);
  const file = await createStemFile(params.stemFormat, samples.length >> 1, params.sampleRate, cache);
  const frames = samples.length >> 1;
  file.add(samples, frames);
  const record = await file.finish();
  // The room draws the file dist/ gets; a FLAC one it could not read back itself.
  const buckets = bucketCount(frames, params.sampleRate);
  const peaks = new PeaksMeter(frames, buckets, 2);
  peaks.add(samples, 0, frames);
  const measurement = await storeMeasurement(cache, 'room-peaks', { digest: record.digest, buckets }, clippedPeaks(peaks.result()), false);
  return { ...output, outputs: { ...output.outputs, file: record }, measurements: [measurement] };
}

/** The interleaved samples of a stereo float WAV that mixdown wrote. */
function stereoFloat(bytes: Uint8Array): Float32Array {
  const parsed = interleavedFloat32(bytes);
  if (parsed && parsed.channels === 2) return parsed.samples;
  const decoded = decodeWav(bytes);
  const frames = decoded.channels[0]?.length ?? 0;
  const out = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    out[2 * i] = decoded.channels[0][i];
    out[2 * i + 1] = (decoded.channels[1] ?? decoded.channels[0])[i];
  }
  return out;
}

/** Sidechain sources by channel id, deinterleaved (a channel may key several slots: read once). */
export function sidechainKeys(ids: readonly string[], inputs: readonly OutputRecord[], read: (record: OutputRecord) => Uint8Array): Map<string, Stereo> {
  const keys = new Map<string, Stereo>();
  ids.forEach((id, i) => {
    if (!keys.has(id)) keys.set(id, deinterleave(stereoFloat(read(inputs[i])), 2) as Stereo);
  });
  return keys;
}

function deinterleave(samples: Float32Array, count: number): Float32Array<ArrayBuffer>[] {
  const frames = samples.length / count;
  return Array.from({ length: count }, (_, c) => {
    const channel = new Float32Array(frames);
    for (let i = 0, j = c; i < frames; i++, j += count) channel[i] = samples[j];
    return channel;
  });
}

/** The reference track's profile; its bytes must be the ones hashed into the task key. */
function readReference(reference: { path: string; sha256: string }, context: TaskContext): TrackProfile {
  const audio = decodeWav(readDeclaredFile(context.projectRoot, reference, { file: context.file, song: context.song }));
  return profile(audio.channels, audio.sampleRate);
}

/** Reference figures as flat numbers for the action cache (report.ts reads them back). */
function referenceMeta(reference: TrackProfile, mastered: TrackProfile, matchGains?: readonly number[]): Record<string, number> {
  const meta: Record<string, number> = {
    refIntegrated: reference.integrated,
    refRange: reference.range,
    refTruePeak: reference.truePeak,
    refSideToMid: reference.sideToMidDb,
    sideToMid: mastered.sideToMidDb,
  };
  reference.bands.forEach((level, i) => {
    meta[`refBand${i}`] = level;
    meta[`band${i}`] = mastered.bands[i];
    if (matchGains) meta[`match${i}`] = matchGains[i];
  });
  return meta;
}
