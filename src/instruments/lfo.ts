/**
 * The instruments' shared LFO: one low-frequency oscillator per track that modulates pitch
 * (vibrato), filter cutoff (wah) or level (tremolo).
 *
 * It runs from the song's first sample, so its value at any moment depends only on the
 * time: every note of a chord moves together, and a note sounds the same whatever else the
 * track plays. Voices read it at their block edges (every 32 samples or less), one sin()
 * per read, never per sample: 0.7 ms steps are far finer than any LFO cycle.
 */
import { lfoValue, LFO_SHAPES, type LfoShape } from '../dsp/lfo-shape.ts';
import { isSyncedTime, syncedSeconds, type SyncedTime } from '../theory/sync.ts';

export { lfoValue, LFO_SHAPES, type LfoShape };

export type LfoTarget = 'none' | 'pitch' | 'cutoff' | 'amp';
export const LFO_TARGETS: readonly LfoTarget[] = ['none', 'pitch', 'cutoff', 'amp'];

export interface LfoOptions {
  /** What the LFO moves: 'none', 'pitch' (vibrato), 'cutoff' (filter sweep) or 'amp' (tremolo). @default 'none' */
  readonly target: LfoTarget;
  /** Length of one cycle: seconds, or a note value ('8n', '4n.', '1m') synced to the tempo. Not Hz. @default 0.2 */
  readonly rate: SyncedTime;
  /** Swing either side of the centre: cents for 'pitch', octaves for 'cutoff', 0–1 of the level for 'amp' (set it with the target). @default 0 */
  readonly depth: number;
  /** Waveform: 'sine', 'triangle', 'square' or a rising 'saw'. @default 'sine' */
  readonly shape: LfoShape;
}

export const lfoDefaults: LfoOptions = { target: 'none', rate: 0.2, depth: 0, shape: 'sine' };


/** A running LFO: `at(sample)` is its value (−1…1) at a song sample; 0 when the target is 'none'. */
export interface Lfo {
  readonly target: LfoTarget;
  readonly depth: number;
  at(sample: number): number;
}

/** The LFO for `options` at this sample rate and tempo (`beatSeconds` per quarter note, 0.5 when unknown). */
export function createLfo(options: LfoOptions, sampleRate: number, beatSeconds: number | undefined): Lfo {
  const { target, depth, shape } = options;
  if (target === 'none') return { target, depth: 0, at: () => 0 };
  const cycle = syncedSeconds(options.rate, beatSeconds ?? 0.5);
  const perSample = 1 / (cycle * sampleRate);
  return { target, depth, at: (sample) => lfoValue(shape, sample * perSample) };
}

/** Problems with an LFO option, named under `path` (e.g. 'lfo'). */
export function validateLfo(options: LfoOptions, path: string): string[] {
  const problems: string[] = [];
  if (!LFO_TARGETS.includes(options.target)) problems.push(`${path}.target must be one of ${LFO_TARGETS.join(', ')}, got '${options.target}'`);
  if (!LFO_SHAPES.includes(options.shape)) problems.push(`${path}.shape must be one of ${LFO_SHAPES.join(', ')}, got '${options.shape}'`);
  if (!isSyncedTime(options.rate) || (typeof options.rate === 'number' && !(options.rate > 0))) {
    problems.push(`${path}.rate must be a cycle length: seconds above 0 or a note value like '8n', '4n.' or '1m'`);
  }
  if (!Number.isFinite(options.depth) || options.depth < 0) problems.push(`${path}.depth must be a number ≥ 0`);
  else if (options.target === 'amp' && options.depth > 1) problems.push(`${path}.depth must be from 0 to 1 when the target is 'amp'`);
  return problems;
}

/** Tremolo gain for an LFO value `v`: swings between 1 − depth (v = −1) and 1 (v = 1). */
export function tremoloGain(depth: number, v: number): number {
  return 1 - depth * 0.5 * (1 - v);
}
