/**
 * The master chain's option shapes and their defaults: what a song writes (`*Input`), what
 * elaboration resolves it to (`*Settings`), and the resolution itself. They live in the data
 * model so the public API, elaboration and the master DSP all read one definition, downwards.
 */
import type { Decibels, Hertz, Seconds } from '../theory/units.ts';

export interface GlueCompressorInput {
  /** Level above which gain is reduced, dBFS. @default -18 */
  readonly threshold?: Decibels;
  /** Input dB over the threshold per output dB. @default 2 */
  readonly ratio?: number;
  /** Time to reach the reduction, seconds. @default 0.03 */
  readonly attack?: Seconds;
  /** Time to recover, seconds. @default 0.2 */
  readonly release?: Seconds;
  /** Width of the soft knee, dB. @default 6 */
  readonly knee?: Decibels;
  /** Gain after compression, dB. @default 0 */
  readonly makeup?: Decibels;
  /** Level detector. @default 'rms' */
  readonly detection?: 'peak' | 'rms';
}

export type GlueCompressorSettings = Required<GlueCompressorInput>;

export const glueDefaults: GlueCompressorSettings = { threshold: -18, ratio: 2, attack: 0.03, release: 0.2, knee: 6, makeup: 0, detection: 'rms' };

/** One EQ band. */
export type EqBand =
  | { readonly type: 'bell'; readonly frequency: Hertz; readonly gain: Decibels; readonly q?: number }
  | { readonly type: 'lowShelf' | 'highShelf'; readonly frequency: Hertz; readonly gain: Decibels }
  | { readonly type: 'highPass' | 'lowPass'; readonly frequency: Hertz; readonly slope?: 12 | 24 | 36 | 48 };

export interface MultibandInput {
  /** The two crossover frequencies, low to high. @default [200, 2500] */
  readonly crossovers?: readonly [Hertz, Hertz];
  /** Compressor of each band (low, mid, high); a band left out is not compressed. */
  readonly bands?: readonly [GlueCompressorInput?, GlueCompressorInput?, GlueCompressorInput?];
}

export interface MultibandSettings {
  readonly crossovers: readonly [number, number];
  readonly bands: readonly (GlueCompressorSettings | null)[];
}

export function resolveMultiband(input: MultibandInput): MultibandSettings {
  return {
    crossovers: input.crossovers ?? [200, 2500],
    bands: [0, 1, 2].map((i) => (input.bands?.[i] ? { ...glueDefaults, ...input.bands[i] } : null)),
  };
}
