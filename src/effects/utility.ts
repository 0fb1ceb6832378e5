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
  const clamped = pan < -1 ? -1 : pan > 1 ? 1 : pan;
  const angle = ((clamped + 1) * Math.PI) / 4;
  const exact = (gain: number) => (Math.abs(gain) < 1e-12 ? 0 : gain);
  return [clamped <= 0 ? 1 : exact(Math.cos(angle) * Math.SQRT2), clamped >= 0 ? 1 : exact(Math.sin(angle) * Math.SQRT2)];
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

/** Static gain and balance: two constant multipliers. */
function applyStatic(left: Float32Array, right: Float32Array, gainDb: number, pan: number): void {
  const gain = Math.pow(10, gainDb / 20);
  const [panLeft, panRight] = balanceGains(pan);
  const gl = gain * panLeft;
  const gr = gain * panRight;
  for (let i = 0; i < left.length; i++) {
    left[i] *= gl;
    right[i] *= gr;
  }
}

/**
 * Automated gain and/or balance, followed per sample. exp/cos/sin are recomputed only when
 * a curve's value changes: automation is mostly flat stretches and ramps of few values.
 */
function applyAutomated(left: Float32Array, right: Float32Array, options: Readonly<UtilityOptions>, gainCurve: Float32Array | undefined, panCurve: Float32Array | undefined): void {
  let lastDb = NaN;
  let lastPan = NaN;
  let gain = 1;
  let gl = 1;
  let gr = 1;
  for (let i = 0; i < left.length; i++) {
    const db = gainCurve ? gainCurve[i] : options.gain;
    const pan = panCurve ? panCurve[i] : options.pan;
    if (db !== lastDb) {
      lastDb = db;
      gain = Math.exp(db * DB_TO_LN);
    }
    if (pan !== lastPan) {
      lastPan = pan;
      [gl, gr] = balanceGains(pan);
    }
    left[i] *= gain * gl;
    right[i] *= gain * gr;
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
  process(ctx) {
    const [left, right] = ctx.channels;
    route(left, right, ctx.options);
    const gainCurve = ctx.automation['gain'];
    const panCurve = ctx.automation['pan'];
    if (gainCurve || panCurve) applyAutomated(left, right, ctx.options, gainCurve, panCurve);
    else applyStatic(left, right, ctx.options.gain, ctx.options.pan);
  },
});
