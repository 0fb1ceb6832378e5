/**
 * Gate / downward expander. Below the threshold the signal is pushed down by
 * (ratio − 1) dB per dB under it (2 = gentle expander, 20+ = gate), never by more than
 * `range`. Hysteresis and hold keep it from chattering: once open it stays open until the
 * key falls `hysteresis` dB under the threshold and stays there for `hold` seconds.
 *
 * The key (the slot's sidechain, else the input) goes through a stereo-linked peak detector
 * that holds the loudest sample for 10 ms, so a sine's zero crossings never close the gate.
 * Timing is one-pole smoothing of the gain in dB with the same definition as the compressor:
 * a step covers 63% of its distance in `attack` seconds (opening) or `release` (closing).
 */
import { defineEffect } from '../api/define-effect.ts';
import type { EffectBlock, EffectStreamContext } from '../ir/plugin.ts';
import type { Decibels, Seconds } from '../theory/units.ts';
import { DB_TO_LOG, KeyedStream, LevelDetector, timeCoefficient } from './compressor.ts';

/** Peak-hold of the key detector, seconds: reads sines down to 50 Hz without ripple. */
export const KEY_WINDOW: Seconds = 0.01;

export interface GateOptions {
  /** Key level at which the gate opens, dBFS peak. @default -40 */
  readonly threshold: Decibels;
  /** Expansion below the threshold: dB down per dB under it, 1 = off, 20 or more acts as a gate. @default 20 */
  readonly ratio: number;
  /** Deepest attenuation when closed, dB (negative). @default -80 */
  readonly range: Decibels;
  /** Time to open: 63% of the way in this many seconds. @default 0.001 */
  readonly attack: Seconds;
  /** Time the gate stays open after the key falls under the closing level, seconds. @default 0.05 */
  readonly hold: Seconds;
  /** Time to close: 63% of the way in this many seconds. @default 0.1 */
  readonly release: Seconds;
  /** How far under the threshold the key must fall to close an open gate, dB. @default 3 */
  readonly hysteresis: Decibels;
}

export const gateDefaults: GateOptions = { threshold: -40, ratio: 20, range: -80, attack: 0.001, hold: 0.05, release: 0.1, hysteresis: 3 };

/** Gain in dB of a closed gate for a key at `levelDb` (the expander curve, floored at `range`). */
export function gateClosedGainDb(levelDb: Decibels, options: Pick<GateOptions, 'threshold' | 'ratio' | 'range'>): Decibels {
  if (levelDb >= options.threshold) return 0;
  return Math.max(options.range, (options.ratio - 1) * (levelDb - options.threshold));
}

/** The gate over a song, block by block: detector, open/hold state and the smoothed gain carry over. */
class GateStream extends KeyedStream {
  private readonly attack: number;
  private readonly release: number;
  private readonly holdSamples: number;
  private readonly threshold: number;
  private readonly closeLevel: number;
  private readonly slope: number;
  private readonly range: number;
  private open = false;
  private holdLeft = 0;
  /** Smoothed gain, dB: starts closed and settled, so a silent lead-in is not a fade. */
  private gainDb: number;

  constructor(context: EffectStreamContext<GateOptions>) {
    const o = context.options;
    const rate = context.sampleRate;
    super('gate', new LevelDetector('peak', KEY_WINDOW * rate), context.lengthSamples);
    this.attack = timeCoefficient(o.attack, rate);
    this.release = timeCoefficient(o.release, rate);
    this.holdSamples = Math.round(o.hold * rate);
    this.threshold = o.threshold;
    this.closeLevel = o.threshold - o.hysteresis;
    this.slope = o.ratio - 1;
    this.range = o.range;
    this.gainDb = o.range;
  }

  protected apply(block: EffectBlock, from: number, to: number): void {
    const [left, right] = block.channels;
    const { attack, release, holdSamples, threshold, closeLevel, slope, range, levels } = this;
    let { open, holdLeft, gainDb } = this;
    for (let i = from; i < to; i++) {
      const level = levels[i - from];
      if (level >= threshold) {
        open = true;
        holdLeft = holdSamples;
      } else if (open) {
        if (level >= closeLevel) holdLeft = holdSamples;
        else if (holdLeft > 0) holdLeft--;
        else open = false;
      }
      let target = 0;
      if (!open && level < threshold) {
        target = slope * (level - threshold);
        if (target < range) target = range;
      }
      gainDb = target > gainDb ? attack * gainDb + (1 - attack) * target : release * gainDb + (1 - release) * target;
      if (gainDb > -1e-9) gainDb = 0;
      const gain = Math.exp(gainDb * DB_TO_LOG);
      left[i] *= gain;
      right[i] *= gain;
    }
    this.open = open;
    this.holdLeft = holdLeft;
    this.gainDb = gainDb;
  }
}

export const gate = defineEffect<GateOptions>({
  name: 'gate',
  version: '1',
  defaults: gateDefaults,
  sidechain: true,
  validate(o) {
    const problems: string[] = [];
    if (!(o.threshold >= -120 && o.threshold <= 0)) problems.push('threshold must be from -120 to 0 dBFS');
    if (!(o.ratio >= 1)) problems.push('ratio must be at least 1 (2 expands gently, 20 or more gates)');
    if (!(o.range <= 0 && o.range >= -200)) problems.push('range must be from -200 to 0 dB (negative: the deepest cut)');
    if (!(o.attack >= 0 && o.attack <= 5)) problems.push('attack must be from 0 to 5 seconds');
    if (!(o.hold >= 0 && o.hold <= 10)) problems.push('hold must be from 0 to 10 seconds');
    if (!(o.release >= 0 && o.release <= 10)) problems.push('release must be from 0 to 10 seconds');
    if (!(o.hysteresis >= 0 && o.hysteresis <= 24)) problems.push('hysteresis must be from 0 to 24 dB');
    return problems;
  },
  stream: (context) => new GateStream(context),
});
