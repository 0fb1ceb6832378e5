/**
 * Automation as songs write it: points at musical times, or a tempo-synced LFO. Every
 * numeric parameter of a fader, send, effect or instrument can be driven by one.
 */
import type { SyncedTime } from '../theory/sync.ts';
import type { Time } from '../theory/units.ts';

/** How the value travels from the previous point to this one. */
export type AutomationShape = 'step' | 'linear' | 'exponential' | 'curve';

/** One automation point. */
export interface AutomationPoint {
  /** Where the value is reached, e.g. `'8:0:0'`; within `section` when that is given. */
  readonly at: Time;
  /** The value reached exactly at `at` (dB for gains and sends). */
  readonly value: number;
  /**
   * How the value moves from the previous point to this one: `'step'` jumps at this point,
   * `'linear'` ramps, `'exponential'` ramps in ratio (frequencies; both values above 0),
   * `'curve'` bends by `curve`. @default 'linear'
   */
  readonly shape?: AutomationShape;
  /** Bend of a `'curve'` segment: > 0 starts slow and ends fast, < 0 the reverse. @default 0 */
  readonly curve?: number;
  /** Place the point in every occurrence of this section (`'chorus'`), or one (`'chorus@2'`). @default none: `at` is a song position */
  readonly section?: string;
}

/** A tempo-synced (or free) low-frequency oscillator driving a parameter. */
export interface LfoInput {
  /** One cycle: a note value synced to the tempo map (`'1m'`, `'4n'`) or seconds. */
  readonly period: SyncedTime;
  /** Waveform. @default 'sine' */
  readonly shape?: 'sine' | 'triangle' | 'square' | 'saw' | 'ramp';
  /** Lowest value. */
  readonly min: number;
  /** Highest value. */
  readonly max: number;
  /** Where in its cycle it starts, 0–1 (0: at the middle, rising, for sine and triangle). @default 0 */
  readonly phase?: number;
}

/** A parameter's automation: points (sorted by time when elaborated), or an LFO. */
export type AutomationInput = readonly AutomationPoint[] | { readonly lfo: LfoInput };

/** An automation point: `point('8:0:0', -6)`, `point('0:0:0', 200, 'exponential')`. */
export function point(at: Time, value: number, shape?: AutomationShape, curve?: number): AutomationPoint {
  return { at, value, ...(shape ? { shape } : {}), ...(curve !== undefined ? { curve } : {}) };
}

/** A tempo-synced LFO: `lfo('1m', 200, 2000)`. */
export function lfo(period: SyncedTime, min: number, max: number, shape: LfoInput['shape'] = 'sine', phase = 0): { lfo: LfoInput } {
  return { lfo: { period, min, max, shape, phase } };
}
