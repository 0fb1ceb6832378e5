/**
 * The changed region of the mix, rendered first (watch's preview). After a save, the stems
 * that changed are rendered in seconds, but the buses and the mix run over the whole song
 * before the new mix exists. A musician wants to hear the edit now: this renders only a window
 * of the new mix around the first changed frame — every bus over the window, in the graph's
 * order, from the stems' objects, then the mix's sum — and writes nothing to the cache.
 *
 * Effect state before the window is not known without rendering from the song's start, so each
 * bus starts earlier from silence: with a warm-up as long as its tail and its readers' (the time
 * their effects take to fall 60 dB), what is left of older input is under −60 dB (busStarts). The
 * preview is therefore close to, not bit-for-bit, the new mix; the whole mix and the master
 * follow, exact, as always.
 */
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { depOutput, depTaskId, type BusTask, type MixTask, type Task } from '../plan/graph.ts';
import { chainTail } from '../registry/registry.ts';
import { BusInput } from './bus-sum.ts';
import { chainStreams, streamChain, type Stereo } from './effect-chain.ts';
import { Fader } from './fader.ts';
import { sidechainKeys } from './run-task.ts';
import type { StemContext } from './stem.ts';
import { BLOCK_FRAMES, type StereoBlockReader } from './stream-strip.ts';

/** The longest warm-up a preview gives its buses' effects, seconds (reverbs longer than this are rare and cut at −60 dB anyway). */
const MAX_PREROLL_SECONDS = 8;
/**
 * The shortest warm-up of a bus, seconds. Dynamics (compressor, gate, ducker) declare no tail —
 * they add no sound after their input stops — but carry a level envelope that must settle:
 * within its attack and release times, well under a second at any usual setting.
 */
const MIN_WARM_UP_SECONDS = 1;

/** A window of the new mix: frames [from, to) of the song, and where the first change is. */
export interface PreviewWindow {
  readonly from: number;
  readonly to: number;
  readonly changedAt: number;
}

/**
 * The frame each bus to render (`tasks` not in `done`) starts at, so that the mix is right from
 * `from`: a bus's output must be right from where the buses that read it start (the mix: from
 * `from`), and is once its inserts have run for their tail (the time they take to fall 60 dB),
 * or MIN_WARM_UP_SECONDS — so a bus starts that much earlier still. A bus that only the mix reads warms up over
 * its own tail; one that feeds another, over both. At most MAX_PREROLL_SECONDS before `from`;
 * block-aligned, never before 0.
 */
export function busStarts(tasks: readonly Task[], done: ReadonlyMap<string, unknown>, from: number, sampleRate: number): Map<string, number> {
  /** Seconds before `from` from which a bus's output must be right (the latest reader's warm-up). */
  const neededBefore = new Map<string, number>();
  const starts = new Map<string, number>();
  // The graph lists a bus before the buses that read it: readers are met first in reverse.
  for (const task of [...tasks].reverse()) {
    if (task.kind !== 'bus' || done.has(task.id)) continue;
    const warmUp = Math.min(MAX_PREROLL_SECONDS, (neededBefore.get(task.id) ?? 0) + Math.max(MIN_WARM_UP_SECONDS, chainTail(task.params.effects)));
    starts.set(task.id, Math.max(0, Math.floor((from - Math.round(warmUp * sampleRate)) / BLOCK_FRAMES) * BLOCK_FRAMES));
    for (const dep of task.deps) {
      const source = depTaskId(dep);
      if (source.startsWith('bus:')) neededBefore.set(source, Math.max(neededBefore.get(source) ?? 0, warmUp));
    }
  }
  return starts;
}

/** A window's signal: interleaved stereo frames from `from`. */
interface WindowSignal {
  readonly from: number;
  readonly samples: Float32Array;
}

/** Reads a stem's object (or an input of a bus): `open` gives block readers over objects, as a bus task reads them. */
export type OpenReader = (record: OutputRecord) => StereoBlockReader & { close(): void };

/**
 * The mix over `window`: every bus of `tasks` not in `records` rendered from its `starts` entry
 * (busStarts) to the window's end, then summed as the mix task sums. `records` has the
 * outputs of the stems (rendered or cached) and of the buses already done (cached). Undefined
 * when the graph has something this cannot render alone (a sidechain keyed by a bus).
 */
export function renderRegionPreview(
  tasks: readonly Task[],
  records: ReadonlyMap<string, Readonly<Record<string, OutputRecord>>>,
  window: PreviewWindow,
  starts: ReadonlyMap<string, number>,
  open: OpenReader,
  read: (record: OutputRecord) => Uint8Array,
  where: StemContext,
): Float32Array | undefined {
  const windows = new Map<string, WindowSignal>();
  const readers: (StereoBlockReader & { close(): void })[] = [];
  /** An input over frames [start, end): a bus's window, or a reader over a stem's object. */
  const inputOf = (dep: string): StereoBlockReader | undefined => {
    const rendered = windows.get(dep.includes('#') ? dep : `${dep}#audio`);
    if (rendered) return windowReader(rendered);
    const record = records.get(depTaskId(dep))?.[depOutput(dep) ?? 'audio'];
    if (!record) return undefined;
    const reader = open(record);
    readers.push(reader);
    return reader;
  };
  try {
    for (const task of tasks) {
      // A bus already done this build (its inputs did not change: cached) is read from its object.
      if (task.kind === 'bus' && !records.has(task.id)) {
        const rendered = renderBusWindow(task, inputOf, read, records, starts.get(task.id) ?? window.from, window.to, where);
        if (!rendered) return undefined;
        windows.set(`${task.id}#audio`, rendered.audio);
        windows.set(`${task.id}#prefader`, rendered.prefader);
      } else if (task.kind === 'mix') return sumMix(task, inputOf, window);
    }
    return undefined;
  } finally {
    for (const reader of readers) reader.close();
  }
}

/** A rendered window read as a block reader (frames outside it are silence). */
function windowReader(signal: WindowSignal): StereoBlockReader {
  const frames = signal.samples.length >> 1;
  const silence = new Float32Array(2 * BLOCK_FRAMES);
  return {
    frames: signal.from + frames,
    read(start, count) {
      const offset = start - signal.from;
      if (offset >= 0 && offset + count <= frames) return signal.samples.subarray(2 * offset, 2 * (offset + count));
      if (silence.length < 2 * count) return new Float32Array(2 * count);
      return silence.subarray(0, 2 * count).fill(0);
    },
  };
}

/** One bus over frames [from, to): its sources summed, its inserts (from silence at `from`) and its fader. */
function renderBusWindow(
  task: BusTask,
  inputOf: (dep: string) => StereoBlockReader | undefined,
  read: (record: OutputRecord) => Uint8Array,
  records: ReadonlyMap<string, Readonly<Record<string, OutputRecord>>>,
  from: number,
  to: number,
  where: StemContext,
): { audio: WindowSignal; prefader: WindowSignal } | undefined {
  const params = task.params;
  // A slot with only whole-signal processing (a project plugin's `process`) cannot start mid-song.
  if (!chainStreams(params.effects)) return undefined;
  const count = params.sources.length;
  const sources: StereoBlockReader[] = [];
  for (const dep of task.deps.slice(0, count)) {
    const reader = inputOf(dep);
    if (!reader) return undefined;
    sources.push(reader);
  }
  // Sidechain keys are whole signals the chain indexes by song frame: stems' objects only.
  const keyRecords: OutputRecord[] = [];
  for (const dep of task.deps.slice(count)) {
    const record = records.get(depTaskId(dep))?.[depOutput(dep) ?? 'audio'];
    if (!record) return undefined;
    keyRecords.push(record);
  }
  const keys = sidechainKeys(params.sidechains, keyRecords, read);
  const length = Math.min(to, params.lengthSamples) - from;
  const audio = new Float32Array(2 * Math.max(0, length));
  const prefader = new Float32Array(2 * Math.max(0, length));
  const inputs = params.sources.map((source) => new BusInput(source));
  const chain = params.effects.length
    ? streamChain(params.effects, params.lengthSamples, {
        sampleRate: params.sampleRate,
        beatSeconds: params.beatSeconds,
        keys,
        label: `${params.kind} '${params.channelId}' (preview)`,
        where: { file: where.file, song: where.song, track: params.channelId },
        projectRoot: where.projectRoot ?? process.cwd(),
      })
    : null;
  const fader = new Fader(params);
  const block = new Float32Array(2 * BLOCK_FRAMES);
  // What leaves the inserts: kept where it falls inside the window (a lagging slot's output
  // for the window's last frames is not reached: those stay silent).
  const emit = (at: number, signal: Stereo) => {
    const frames = Math.min(signal[0].length, from + length - at);
    if (frames <= 0 || at < from) return;
    const offset = 2 * (at - from);
    for (let i = 0; i < frames; i++) {
      prefader[offset + 2 * i] = signal[0][i];
      prefader[offset + 2 * i + 1] = signal[1][i];
    }
    if (params.mute) return;
    for (let done = 0; done < frames; done += BLOCK_FRAMES) {
      const n = Math.min(BLOCK_FRAMES, frames - done);
      fader.apply(signal[0].subarray(done, done + n), signal[1].subarray(done, done + n), at + done, n, block);
      audio.set(block.subarray(0, 2 * n), offset + 2 * done);
    }
  };
  const left = new Float32Array(BLOCK_FRAMES);
  const right = new Float32Array(BLOCK_FRAMES);
  for (let start = from; start < from + length; start += BLOCK_FRAMES) {
    const frames = Math.min(BLOCK_FRAMES, from + length - start);
    const l = left.subarray(0, frames).fill(0);
    const r = right.subarray(0, frames).fill(0);
    sources.forEach((source, index) => {
      const available = Math.min(frames, source.frames - start);
      if (available > 0) inputs[index].addInto(source.read(start, available), start, available, l, r);
    });
    if (chain) chain.process(start, [l, r], emit);
    else emit(start, [l, r]);
  }
  return { audio: { from, samples: audio }, prefader: { from, samples: prefader } };
}

/** The mix task's sum (its inputs in order) over the window. */
function sumMix(task: MixTask, inputOf: (dep: string) => StereoBlockReader | undefined, window: PreviewWindow): Float32Array | undefined {
  const frames = Math.min(window.to, task.params.lengthSamples) - window.from;
  const mix = new Float32Array(2 * Math.max(0, frames));
  for (const dep of task.deps) {
    const input = inputOf(dep);
    if (!input) return undefined;
    for (let done = 0; done < frames; done += BLOCK_FRAMES) {
      const start = window.from + done;
      const available = Math.min(BLOCK_FRAMES, frames - done, input.frames - start);
      if (available <= 0) break;
      const samples = input.read(start, available);
      const offset = 2 * done;
      for (let i = 0; i < 2 * available; i++) mix[offset + i] += samples[i];
    }
  }
  return mix;
}
