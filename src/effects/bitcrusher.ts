/**
 * `bitcrusher`: sample-rate and word-length reduction, the sound of early samplers.
 *
 * Downsampling is a sample-and-hold: a phase counter advances one per sample and a new
 * input sample is taken each time it passes `downsample`, so a fractional factor gives
 * holds of alternating lengths (2.5 → 2, 3, 2, 3 …) averaging the factor. No anti-alias
 * filter: the aliasing is the point.
 *
 * Quantisation works like integer PCM: 2^bits levels with step q = 2/2^bits over ±1,
 * mid-tread (0 is a level, so silence stays silent), clipped to [−1, 1 − q].
 * Optional TPDF dither (±1 step, triangular, seeded) turns the quantisation error into
 * steady noise instead of distortion that follows the signal.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields, type EffectState } from '../ir/effect-state.ts';
import type { EffectBlock, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import { mixSeed, NOISE_STEP, noiseAt } from '../dsp/random.ts';

export interface BitcrusherOptions {
  /** Word length 1–24 bits: 2^bits levels over ±1 (fractional values allowed). @default 8 */
  readonly bits: number;
  /** Sample-and-hold factor ≥ 1: each taken sample is held this many samples (fractional allowed). @default 1 */
  readonly downsample: number;
  /** Add seeded TPDF dither of ±1 quantisation step before rounding. @default false */
  readonly dither: boolean;
}

export const bitcrusherDefaults: BitcrusherOptions = { bits: 8, downsample: 1, dither: false };

/** Number of quantisation levels for `bits`: 2^bits, rounded, at least 2. */
export function bitcrusherLevels(bits: number): number {
  return Math.max(2, Math.round(Math.pow(2, bits)));
}

/**
 * The crusher over a song, block by block; each channel keeps its hold phase, held value and
 * dither noise state (seeded per channel from the slot's seed).
 */
class BitcrusherStream implements EffectStream {
  private readonly levels: number;
  private readonly factor: number;
  private readonly dither: boolean;
  /** Per channel: the phase counter (≥ factor takes a sample; the first is taken at once) … */
  private readonly phase: Float64Array;
  /** … the value being held … */
  private readonly held = new Float64Array(2);
  /** … and the dither generator's state. */
  private readonly noise: Int32Array;

  constructor(context: EffectStreamContext<BitcrusherOptions>) {
    const { bits, downsample, dither } = context.options;
    this.levels = bitcrusherLevels(bits);
    this.factor = downsample;
    this.dither = dither;
    this.phase = new Float64Array([downsample, downsample]);
    this.noise = new Int32Array([mixSeed(context.seed, 0), mixSeed(context.seed, 1)]);
  }

  /** Every field is the stream's state or a constant of its setup: all of it, for `restore`. */
  checkpoint(): EffectState {
    return captureFields(this);
  }

  restore(state: EffectState): void {
    restoreFields(this, state);
  }

  process(_start: number, block: EffectBlock): void {
    const { levels, factor, dither } = this;
    const step = 2 / levels;
    const inverse = levels / 2;
    const lowest = -levels / 2;
    const highest = levels / 2 - 1;
    for (let c = 0; c < 2; c++) {
      const channel = block.channels[c];
      let phase = this.phase[c];
      let held = this.held[c];
      let noise = this.noise[c];
      for (let i = 0; i < channel.length; i++) {
        if (phase >= factor) {
          phase -= factor;
          let scaled = channel[i] * inverse;
          if (dither) {
            // Difference of two uniforms in [−½, ½): triangular over ±1 step.
            noise = (noise + NOISE_STEP) | 0;
            const a = noiseAt(noise);
            noise = (noise + NOISE_STEP) | 0;
            scaled += 0.5 * (a - noiseAt(noise));
          }
          let level = Math.round(scaled);
          level = level < lowest ? lowest : level > highest ? highest : level;
          held = level * step;
        }
        phase += 1;
        channel[i] = held;
      }
      this.phase[c] = phase;
      this.held[c] = held;
      this.noise[c] = noise;
    }
  }
}

export const bitcrusher = defineEffect<BitcrusherOptions>({
  name: 'bitcrusher',
  version: '1',
  defaults: bitcrusherDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!(options.bits >= 1 && options.bits <= 24)) problems.push(`bits must be from 1 to 24, got ${options.bits}`);
    if (!(options.downsample >= 1 && Number.isFinite(options.downsample))) problems.push(`downsample must be a factor of at least 1, got ${options.downsample}`);
    if (typeof options.dither !== 'boolean') problems.push('dither must be true or false');
    return problems;
  },
  stream: (context) => new BitcrusherStream(context),
});
