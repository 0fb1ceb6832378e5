/**
 * `saturation`: a waveshaper with four curves, run oversampled (4× by default) so the
 * harmonics it creates above Nyquist are filtered off instead of folding back as
 * inharmonic aliases. Signal flow per channel:
 *
 *   x → ·drive → +bias → curve → −curve(bias) → [DC blocker] → [tone low-pass] → ·output
 *
 * Subtracting curve(bias) keeps silence silent; asymmetric settings ('tube', or any bias)
 * also make a signal-dependent DC offset, which a 5 Hz DC blocker removes.
 */
import { defineEffect } from '../api/define-effect.ts';
import type { Decibels, Hertz } from '../theory/units.ts';
import { OVERSAMPLE_FACTORS, oversampleChannel, type OversampleFactor } from './oversample.ts';
import { svfCoefficients, svfState, svfLowpassBlock, type SvfCoefficients } from '../dsp/svf.ts';

export type SaturationType = 'tanh' | 'soft' | 'hard' | 'tube';
export const SATURATION_TYPES: readonly SaturationType[] = ['tanh', 'soft', 'hard', 'tube'];

export interface SaturationOptions {
  /** Gain into the curve, dB: 0 is gentle on a full-scale signal, 24 is heavy. Automatable. @default 6 */
  readonly drive: Decibels;
  /** Curve: 'tanh' smooth and odd, 'soft' cubic knee, 'hard' clip, 'tube' asymmetric (even harmonics). @default 'tanh' */
  readonly type: SaturationType;
  /** Offset added before the curve, −1…1: pushes the signal into one side, adding even harmonics. @default 0 */
  readonly bias: number;
  /** Post low-pass cutoff in Hz that tames the fizz; 0 turns it off. @default 0 */
  readonly tone: Hertz;
  /** Output level, dB. @default 0 */
  readonly output: Decibels;
  /** Oversampling factor for the curve: 1 (off, aliases), 2 or 4. @default 4 */
  readonly oversample: OversampleFactor;
}

export const saturationDefaults: SaturationOptions = {
  drive: 6,
  type: 'tanh',
  bias: 0,
  tone: 0,
  output: 0,
  oversample: 4,
};

/** Base-rate samples between drive-gain updates; the gain ramps linearly across them. */
const DRIVE_BLOCK = 32;

/** The curves, each with slope 1 at 0 and limits ±1. */
function shapeBlock(type: SaturationType, block: Float64Array, from: number, to: number, gain: number, step: number, bias: number, offset: number): void {
  let g = gain;
  switch (type) {
    case 'tanh':
      for (let i = from; i < to; i++, g += step) block[i] = Math.tanh(block[i] * g + bias) - offset;
      return;
    case 'soft':
      // Cubic knee 1.5x − 0.5x³: slope 1.5 at 0, flat (slope 0) where it meets ±1.
      for (let i = from; i < to; i++, g += step) {
        let x = block[i] * g + bias;
        x = x > 1 ? 1 : x < -1 ? -1 : x;
        block[i] = 1.5 * x - 0.5 * x * x * x - offset;
      }
      return;
    case 'hard':
      for (let i = from; i < to; i++, g += step) {
        const x = block[i] * g + bias;
        block[i] = (x > 1 ? 1 : x < -1 ? -1 : x) - offset;
      }
      return;
    case 'tube':
      // Positive half tanh (cubic, odd), negative half e^x − 1 (quadratic near 0): the
      // halves bend differently, so even a small signal gets a 2nd harmonic.
      for (let i = from; i < to; i++, g += step) {
        const x = block[i] * g + bias;
        block[i] = (x >= 0 ? Math.tanh(x) : Math.exp(x) - 1) - offset;
      }
      return;
  }
}

/** The curve at one value: what silence maps to, so it can be subtracted. */
export function saturationCurve(type: SaturationType, x: number): number {
  const block = new Float64Array([x]);
  shapeBlock(type, block, 0, 1, 1, 0, 0, 0);
  return block[0];
}

const DB_TO_LN = Math.LN10 / 20;

/** Drive gain of song sample `index`, reading the automation curve if there is one. */
function driveGainAt(curve: Float32Array | undefined, driveDb: number, index: number): number {
  if (!curve) return Math.exp(driveDb * DB_TO_LN);
  const at = index < 0 ? 0 : index >= curve.length ? curve.length - 1 : index;
  return Math.exp(curve[at] * DB_TO_LN);
}

/**
 * One-pole DC blocker y = x − x₁ + R·y₁ at 5 Hz, then the optional tone low-pass and the
 * output gain, in one pass over the channel.
 */
function finish(channel: Float32Array, sampleRate: number, blockDc: boolean, tone: number, outputGain: number): void {
  if (blockDc) {
    const r = Math.exp((-2 * Math.PI * 5) / sampleRate);
    let x1 = 0;
    let y1 = 0;
    for (let i = 0; i < channel.length; i++) {
      const x = channel[i];
      y1 = x - x1 + r * y1;
      x1 = x;
      channel[i] = y1;
    }
  }
  if (tone > 0) {
    const coefficients: SvfCoefficients = svfCoefficients(tone, sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: 0 });
    const state = svfState();
    const block = new Float64Array(1024);
    for (let from = 0; from < channel.length; from += block.length) {
      const count = Math.min(block.length, channel.length - from);
      for (let i = 0; i < count; i++) block[i] = channel[from + i];
      svfLowpassBlock(state, coefficients, block, count);
      for (let i = 0; i < count; i++) channel[from + i] = block[i] * outputGain;
    }
  } else if (outputGain !== 1) {
    for (let i = 0; i < channel.length; i++) channel[i] *= outputGain;
  }
}

export const saturation = defineEffect<SaturationOptions>({
  name: 'saturation',
  version: '1',
  defaults: saturationDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!(Number.isFinite(options.drive) && options.drive >= -24 && options.drive <= 60)) problems.push('drive must be a number of dB from -24 to 60');
    if (!SATURATION_TYPES.includes(options.type)) problems.push(`type must be one of ${SATURATION_TYPES.join(', ')}, got '${options.type}'`);
    if (!(options.bias >= -1 && options.bias <= 1)) problems.push('bias must be from -1 to 1');
    if (!(options.tone === 0 || options.tone >= 20)) problems.push('tone must be 0 (off) or a cutoff of at least 20 Hz');
    if (!Number.isFinite(options.output)) problems.push('output must be a number of dB');
    if (!OVERSAMPLE_FACTORS.includes(options.oversample)) problems.push(`oversample must be 1, 2 or 4, got ${options.oversample}`);
    return problems;
  },
  process(ctx) {
    const { type, bias, tone, oversample: factor } = ctx.options;
    const curve = ctx.automation['drive'];
    const offset = saturationCurve(type, bias);
    const outputGain = Math.exp(ctx.options.output * DB_TO_LN);
    for (const channel of ctx.channels) {
      oversampleChannel(channel, factor, (block, count, start) => {
        const perBase = factor;
        const chunk = DRIVE_BLOCK * perBase;
        for (let from = 0; from < count; from += chunk) {
          const to = Math.min(count, from + chunk);
          const baseIndex = start + from / perBase;
          const g0 = driveGainAt(curve, ctx.options.drive, baseIndex);
          const g1 = curve ? driveGainAt(curve, ctx.options.drive, baseIndex + (to - from) / perBase) : g0;
          shapeBlock(type, block, from, to, g0, (g1 - g0) / (to - from), bias, offset);
        }
      });
      finish(channel, ctx.sampleRate, type === 'tube' || bias !== 0, tone, outputGain);
    }
  },
});
