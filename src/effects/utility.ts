/**
 * `utility`: the housekeeping strip. In order: swap the channels, flip polarity per side,
 * fold to mono, then balance and gain.
 *
 * Balance is the stereo law a bus's pan uses (`balanceGains` in src/render/stem.ts): unity on
 * both sides at centre, the far side turned down along the constant-power curve, and a
 * hard pan leaves the other side exactly silent. (A utility sits on stereo signals: the
 * mono pan law's −3 dB at centre would just turn everything down.)
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields, type EffectState } from '../ir/effect-state.ts';
import type { EffectBlock, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import type { Decibels } from '../theory/units.ts';

export interface UtilityOptions {
  /** Gain in dB. Automatable. @default 0 */
  readonly gain: Decibels;
  /** Stereo balance −1 (left) … 1 (right); unity at 0, the far side down along the constant-power curve. Automatable. @default 0 */
  readonly pan: number;
  /** Flip the left channel's polarity. @default false */
  readonly invertLeft: boolean;
  /** Flip the right channel's polarity. @default false */
  readonly invertRight: boolean;
  /** Fold to mono: both channels become (L+R)/2. @default false */
  readonly mono: boolean;
  /** Swap left and right. @default false */
  readonly swap: boolean;
}

export const utilityDefaults: UtilityOptions = { gain: 0, pan: 0, invertLeft: false, invertRight: false, mono: false, swap: false };

/** Left and right balance gains: unity at centre, cos/sin scaled by √2 toward the far side (exact zeros at the hard sides). */
export function balanceGains(pan: number): [number, number] {
  return [balanceLeft(pan), balanceRight(pan)];
}

const clampPan = (pan: number) => (pan < -1 ? -1 : pan > 1 ? 1 : pan);
const exactZero = (gain: number) => (Math.abs(gain) < 1e-12 ? 0 : gain);

/** The left gain of `balanceGains` alone (no array for a loop that follows a pan curve). */
export function balanceLeft(pan: number): number {
  const clamped = clampPan(pan);
  return clamped <= 0 ? 1 : exactZero(Math.cos(((clamped + 1) * Math.PI) / 4) * Math.SQRT2);
}

/** The right gain of `balanceGains` alone. */
export function balanceRight(pan: number): number {
  const clamped = clampPan(pan);
  return clamped >= 0 ? 1 : exactZero(Math.sin(((clamped + 1) * Math.PI) / 4) * Math.SQRT2);
}

const DB_TO_LN = Math.LN10 / 20;

/** Swap, invert and fold: the sample-exact routing steps, done before any gain. */
function route(left: Float32Array, right: Float32Array, options: Readonly<UtilityOptions>): void {
  const signLeft = options.invertLeft ? -1 : 1;
  const signRight = options.invertRight ? -1 : 1;
  if (!options.swap && signLeft === 1 && signRight === 1 && !options.mono) return;
  for (let i = 0; i < left.length; i++) {
    let l = left[i];
    let r = right[i];
    if (options.swap) {
      const t = l;
      l = r;
      r = t;
    }
    l *= signLeft;
    r *= signRight;
    if (options.mono) l = r = (l + r) * 0.5;
    left[i] = l;
    right[i] = r;
  }
}

/**
 * The utility over a song, block by block. Static gain and balance are two multipliers worked
 * out once; automated ones are followed per sample, exp/cos/sin recomputed only when a curve's
 * value changes (automation is mostly flat stretches and ramps of few values).
 */
class UtilityStream implements EffectStream {
  private readonly options: Readonly<UtilityOptions>;
  private readonly staticLeft: number;
  private readonly staticRight: number;
  private lastDb = NaN;
  private lastPan = NaN;
  private gain = 1;
  private panLeft = 1;
  private panRight = 1;

  constructor(context: EffectStreamContext<UtilityOptions>) {
    const o = context.options;
    this.options = o;
    const gain = Math.pow(10, o.gain / 20);
    this.staticLeft = gain * balanceLeft(o.pan);
    this.staticRight = gain * balanceRight(o.pan);
  }

  /** Every field is the stream's state or a constant of its setup: all of it, for `restore`. */
  checkpoint(): EffectState {
    return captureFields(this);
  }

  restore(state: EffectState): void {
    restoreFields(this, state);
  }

  process(_start: number, block: EffectBlock): void {
    const [left, right] = block.channels;
    route(left, right, this.options);
    const gainCurve = block.automation['gain'];
    const panCurve = block.automation['pan'];
    if (!gainCurve && !panCurve) {
      const { staticLeft, staticRight } = this;
      for (let i = 0; i < left.length; i++) {
        left[i] *= staticLeft;
        right[i] *= staticRight;
      }
      return;
    }
    let { lastDb, lastPan, gain, panLeft, panRight } = this;
    for (let i = 0; i < left.length; i++) {
      const db = gainCurve ? gainCurve[i] : this.options.gain;
      const pan = panCurve ? panCurve[i] : this.options.pan;
      if (db !== lastDb) {
        lastDb = db;
        gain = Math.exp(db * DB_TO_LN);
      }
      if (pan !== lastPan) {
        lastPan = pan;
        panLeft = balanceLeft(pan);
        panRight = balanceRight(pan);
      }
      left[i] *= gain * panLeft;
      right[i] *= gain * panRight;
    }
    this.lastDb = lastDb;
    this.lastPan = lastPan;
    this.gain = gain;
    this.panLeft = panLeft;
    this.panRight = panRight;
  }
}

export const utility = defineEffect<UtilityOptions>({
  name: 'utility',
  version: '1',
  defaults: utilityDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!Number.isFinite(options.gain)) problems.push('gain must be a number of dB');
    if (!(options.pan >= -1 && options.pan <= 1)) problems.push(`pan must be from -1 (left) to 1 (right), got ${options.pan}`);
    for (const key of ['invertLeft', 'invertRight', 'mono', 'swap'] as const) {
      if (typeof options[key] !== 'boolean') problems.push(`${key} must be true or false`);
    }
    return problems;
  },
  stream: (context) => new UtilityStream(context),
});
