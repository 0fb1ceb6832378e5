/**
 * `phaser`: the signal plus a copy through a chain of first-order allpass filters whose
 * break frequency a sine LFO sweeps. Each stage turns the phase by 0…−180°; where the
 * chain's total reaches an odd multiple of −180° the sum cancels, so `stages` allpasses give
 * stages/2 notches. With every stage at break frequency fc the notches sit at
 * f = (rate/π)·atan(tan(π·fc/rate)·tan((2k+1)·π/(2·stages))). Feedback from the chain's
 * output to its input deepens the peaks between notches. Output is the classic
 * half-and-half sum.
 */
import { defineEffect } from '../api/define-effect.ts';
import type { Hertz } from '../theory/units.ts';
import { checkLfoRate, checkRange, CONTROL_BLOCK, lfoAt, lfoHz, type LfoRate } from './modulation.ts';

export interface PhaserOptions {
  /** LFO rate: Hz, or a note value for one sweep cycle at the song's tempo. @default 0.5 */
  readonly rate: LfoRate;
  /** Number of allpass stages, even, 2–12 (notches = stages / 2). @default 6 */
  readonly stages: number;
  /** Centre of the sweep: the stages' break frequency at the LFO's midpoint, Hz. @default 800 */
  readonly centre: Hertz;
  /** Sweep width in octaves, centre·2^(±depth/2); 0 freezes the notches. @default 2 */
  readonly depth: number;
  /** Chain output fed back to its input, −0.9–0.9. @default 0.3 */
  readonly feedback: number;
  /** Stereo spread: the right channel's LFO lags the left's by spread × 180°, 0–1. @default 0.25 */
  readonly spread: number;
}

export const phaserDefaults: PhaserOptions = { rate: 0.5, stages: 6, centre: 800, depth: 2, feedback: 0.3, spread: 0.25 };

/** Allpass coefficient (t − 1)/(t + 1), t = tan(π·f/rate): the stage turns −90° at f. */
export function allpassCoefficient(frequency: Hertz, sampleRate: number): number {
  const limited = Math.min(Math.max(frequency, 10), sampleRate * 0.49);
  const t = Math.tan((Math.PI * limited) / sampleRate);
  return (t - 1) / (t + 1);
}

/** Predicted notch frequencies for every stage at `frequency` (no feedback). */
export function phaserNotches(stages: number, frequency: Hertz, sampleRate: number): Hertz[] {
  const t = Math.tan((Math.PI * frequency) / sampleRate);
  const notches: Hertz[] = [];
  for (let k = 0; k < stages / 2; k++) notches.push((sampleRate / Math.PI) * Math.atan(t * Math.tan(((2 * k + 1) * Math.PI) / (2 * stages))));
  return notches;
}

interface PhaserChannel {
  readonly stages: number;
  readonly centre: Hertz;
  readonly depth: number;
  readonly hz: number;
  readonly phase: number;
  readonly feedback: number;
  readonly sampleRate: number;
}

/** One channel through the swept allpass chain, in place. Coefficients ramp linearly per block. */
function phaseChannel(signal: Float32Array, s: PhaserChannel): void {
  const state = new Float64Array(s.stages);
  const stages = s.stages;
  const halfDepth = s.depth / 2;
  const coefficientAt = (sample: number): number => allpassCoefficient(s.centre * Math.pow(2, halfDepth * lfoAt(s.hz, s.phase, sample, s.sampleRate)), s.sampleRate);
  const feedback = s.feedback;
  const length = signal.length;
  let last = 0;
  let a = coefficientAt(0);
  for (let from = 0; from < length; from += CONTROL_BLOCK) {
    const next = coefficientAt(from + CONTROL_BLOCK);
    const step = (next - a) / CONTROL_BLOCK;
    const to = Math.min(length, from + CONTROL_BLOCK);
    for (let i = from; i < to; i++) {
      const x = signal[i];
      let y = x + feedback * last;
      for (let k = 0; k < stages; k++) {
        // Transposed direct form II of (a + z⁻¹)/(1 + a·z⁻¹).
        const out = a * y + state[k];
        state[k] = y - a * out;
        y = out;
      }
      last = y;
      signal[i] = 0.5 * (x + y);
      a += step;
    }
    a = next;
  }
}

export const phaser = defineEffect<PhaserOptions>({
  name: 'phaser',
  version: '1',
  defaults: phaserDefaults,
  validate(options) {
    const problems = [
      ...checkLfoRate('rate', options.rate),
      ...checkRange('centre', options.centre, 20, 20000, ' Hz'),
      ...checkRange('depth', options.depth, 0, 6, ' octaves'),
      ...checkRange('feedback', options.feedback, -0.9, 0.9),
      ...checkRange('spread', options.spread, 0, 1),
    ];
    if (!Number.isInteger(options.stages) || options.stages < 2 || options.stages > 12 || options.stages % 2 !== 0) problems.push(`stages: ${options.stages} must be an even whole number 2–12`);
    return problems;
  },
  process(ctx) {
    const { options, sampleRate } = ctx;
    const stages = Math.min(12, Math.max(2, 2 * Math.round(options.stages / 2)));
    const hz = lfoHz(options.rate, ctx.beatSeconds);
    ctx.channels.forEach((signal, channel) => {
      phaseChannel(signal, { stages, centre: options.centre, depth: options.depth, hz, phase: -channel * 0.5 * options.spread, feedback: options.feedback, sampleRate });
    });
  },
});
