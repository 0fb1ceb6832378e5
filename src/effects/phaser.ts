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
import { captureFields, restoreFields } from '../ir/effect-state.ts';
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

interface PhaserSettings {
  readonly stages: number;
  readonly centre: Hertz;
  readonly depth: number;
  readonly hz: number;
  readonly phase: number;
  readonly feedback: number;
  readonly sampleRate: number;
}

/**
 * One channel through the swept allpass chain, block by block, in place. The coefficient is
 * computed at control-block edges (multiples of CONTROL_BLOCK from the song's first sample)
 * and ramps linearly inside by repeated addition; the ramp (current value, step, target),
 * the stages' states and the feedback sample carry over from block to block.
 */
class PhaserChannel {
  private readonly state: Float64Array;
  private readonly settings: PhaserSettings;
  /** The coefficient now, its change per sample, and its value at the next control edge. */
  private a: number;
  private step = 0;
  private next = 0;
  /** The chain's last output (the feedback path). */
  private last = 0;
  /** Song frames processed so far. */
  private position = 0;

  /** Begin at song frame `frame` (a control edge) instead of 0, before any processing (a stream started mid-song, as watch's preview starts one): the LFO is then where the song's own is. */
  startAt(frame: number): void {
    // Called with every block's start: only a fresh stream's first call sets its clock; one that
    // has run (or was restored from a checkpoint) keeps its own.
    if (this.position !== 0) return;
    this.position = frame;
    // Where a run from 0 has its coefficient at a control edge: the ramp lands on it there.
    this.a = this.coefficientAt(frame);
  }

  constructor(settings: PhaserSettings) {
    this.settings = settings;
    this.state = new Float64Array(settings.stages);
    this.a = this.coefficientAt(0);
  }

  private coefficientAt(sample: number): number {
    const s = this.settings;
    return allpassCoefficient(s.centre * Math.pow(2, (s.depth / 2) * lfoAt(s.hz, s.phase, sample, s.sampleRate)), s.sampleRate);
  }

  /** Process the next `signal.length` frames of the channel in place. */
  process(signal: Float32Array): void {
    const { state } = this;
    const { stages, feedback } = this.settings;
    const length = signal.length;
    let { a, step, next, last } = this;
    for (let i = 0; i < length; ) {
      const offset = this.position % CONTROL_BLOCK;
      if (offset === 0) {
        next = this.coefficientAt(this.position + CONTROL_BLOCK);
        step = (next - a) / CONTROL_BLOCK;
      }
      const count = Math.min(length - i, CONTROL_BLOCK - offset);
      for (const to = i + count; i < to; i++) {
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
      this.position += count;
      // At the control edge the ramp lands exactly on its target.
      if (offset + count === CONTROL_BLOCK) a = next;
    }
    this.a = a;
    this.step = step;
    this.next = next;
    this.last = last;
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
  stream(ctx) {
    const { options, sampleRate } = ctx;
    const stages = Math.min(12, Math.max(2, 2 * Math.round(options.stages / 2)));
    const hz = lfoHz(options.rate, ctx.beatSeconds);
    const channels = [0, 1].map((channel) => new PhaserChannel({ stages, centre: options.centre, depth: options.depth, hz, phase: -channel * 0.5 * options.spread, feedback: options.feedback, sampleRate }));
    return {
      checkpoint: () => captureFields(channels),
      restore: (state) => restoreFields(channels, state),
      process(start, block) {
        for (const channel of channels) channel.startAt(start);
        channels[0].process(block.channels[0]);
        channels[1].process(block.channels[1]);
      },
    };
  },
});
