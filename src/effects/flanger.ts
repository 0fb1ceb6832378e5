/**
 * `flanger`: the signal plus one copy through a very short delay (`delay` … `delay + depth`
 * ms) swept by a sine LFO. The sum is a comb filter: with the delay at d seconds its notches
 * sit at odd multiples of 1/(2d), 1/d apart, and sweeping d moves them (the jet sound).
 * Feedback sharpens the teeth (positive) or shifts them half a tooth (negative). Output is
 * the classic half-and-half sum, so comb peaks are at unity without feedback.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields } from '../ir/effect-state.ts';
import { checkLfoRate, checkRange, lfoHz, ModulatedDelay, type LfoRate } from './modulation.ts';

export interface FlangerOptions {
  /** LFO rate: Hz, or a note value for one sweep cycle at the song's tempo. @default 0.25 */
  readonly rate: LfoRate;
  /** Sweep range above `delay`, ms (0–10). @default 2 */
  readonly depth: number;
  /** Shortest delay of the sweep, ms (0.1–20). @default 1 */
  readonly delay: number;
  /** Part of the delayed signal fed back, −0.95–0.95. @default 0.5 */
  readonly feedback: number;
  /** Stereo spread: the right channel's LFO lags the left's by spread × 180°, 0–1. @default 0.25 */
  readonly spread: number;
}

export const flangerDefaults: FlangerOptions = { rate: 0.25, depth: 2, delay: 1, feedback: 0.5, spread: 0.25 };

export const flanger = defineEffect<FlangerOptions>({
  name: 'flanger',
  version: '1',
  defaults: flangerDefaults,
  validate(options) {
    return [
      ...checkLfoRate('rate', options.rate),
      ...checkRange('depth', options.depth, 0, 10, ' ms'),
      ...checkRange('delay', options.delay, 0.1, 20, ' ms'),
      ...checkRange('feedback', options.feedback, -0.95, 0.95),
      ...checkRange('spread', options.spread, 0, 1),
    ];
  },
  stream(ctx) {
    const { options, sampleRate } = ctx;
    // Sweep delay + depth·(1 − cos)/2 written as centre + amplitude·sin with a −¼-cycle phase.
    const amplitude = (options.depth / 2000) * sampleRate;
    const centre = Math.max(3, (options.delay / 1000) * sampleRate) + amplitude;
    const hz = lfoHz(options.rate, ctx.beatSeconds);
    const lines = [0, 1].map(
      (channel) =>
        new ModulatedDelay({
          centres: [centre],
          amplitude,
          hz,
          phases: [-0.25 - channel * 0.5 * options.spread],
          feedback: options.feedback,
          dryGain: 0.5,
          wetGain: 0.5,
          sampleRate,
        }),
    );
    return {
      checkpoint: () => captureFields(lines),
      restore: (state) => restoreFields(lines, state),
      process(start, block) {
        for (const line of lines) line.startAt(start);
        lines[0].process(block.channels[0]);
        lines[1].process(block.channels[1]);
      },
    };
  },
});
