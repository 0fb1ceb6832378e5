/**
 * watch's first preview: where a rebuild's stems first differ from the last build's, and the
 * window of the new mix around it, rendered (render/region-preview.ts) and written as
 * dist/<song>/preview.wav before any bus has finished. Only for a rebuild whose mix will
 * render and whose song length did not change; otherwise the preview is the whole mix, when it
 * is rendered, as before.
 */
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { createFloat32Wav, finishFloat32Wav } from '../io/wav.ts';
import { hashValue } from '../ir/hash.ts';
import type { BuildGraph, Task } from '../plan/graph.ts';
import { busStarts, renderRegionPreview, type PreviewWindow } from '../render/region-preview.ts';
import { firstDifference } from '../render/resume.ts';
import { stereoBlockReader } from '../render/run-task.ts';
import { BLOCK_FRAMES } from '../render/stream-strip.ts';
import type { KeyRecord } from './explain.ts';

/** What the preview lets you hear before the change, seconds: enough to hear it come in. */
const LEAD_IN_SECONDS = 1;
/** The preview's length, seconds. */
const PREVIEW_SECONDS = 10;

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
    // As a resuming bus compares its inputs: checked objects, Infinity when the same.
    const frame = firstDifference(cache, old.digest, now.digest);
    if (frame !== undefined && Number.isFinite(frame)) first = Math.min(first ?? frame, frame);
  }
  return first;
}

/** A task's inputs other than the tasks it reads changed: its own settings (effects, fader, code). */
function ownInputsChanged(task: Task, before: Readonly<Record<string, string>>): boolean {
  const names = new Set([...Object.keys(task.inputs), ...Object.keys(before)]);
  for (const name of names) if (!name.startsWith('task:') && task.inputs[name] !== before[name]) return true;
  return false;
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
  const starts = busStarts(graph.tasks, records, window.from, sampleRate);
  const read = (record: OutputRecord): Uint8Array => {
    const bytes = cache.getObject(record.digest);
    if (!bytes) throw new Error(`preview: object ${record.digest} is missing`);
    return bytes;
  };
  const mixed = renderRegionPreview(graph.tasks, records, window, starts, (record) => stereoBlockReader(record, cache, read), read, where);
  if (!mixed) return undefined;
  // The window is interleaved already: straight into the file's samples.
  const wav = createFloat32Wav(mixed.length >> 1, 2, sampleRate);
  wav.samples.set(mixed);
  writeFileAtomicSync(path, finishFloat32Wav(wav.bytes, wav.samples));
  return { fromSeconds: window.from / sampleRate, toSeconds: window.to / sampleRate, changedAtSeconds: changedAt / sampleRate };
}
