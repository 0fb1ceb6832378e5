/**
 * `chorus`: up to four voices read the signal through short delays (~15 ms) swept slowly by
 * sine LFOs in different phases; their average is added to the dry signal. The pitch wobble
 * of each voice against the dry copy thickens the sound. Output is the effect's natural
 * sound, dry plus voices at equal power (−3 dB each), so a tone keeps about its level.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields } from '../ir/effect-state.ts';
import { checkLfoRate, checkRange, lfoHz, ModulatedDelay, type LfoRate } from './modulation.ts';

export interface ChorusOptions {
  /** LFO rate: Hz, or a note value for one sweep cycle at the song's tempo. @default 0.8 */
  readonly rate: LfoRate;
  /** Peak delay deviation of each voice, ms (0–10, at most 0.8 × `delay`). @default 3 */
  readonly depth: number;
  /** Average centre delay of the voices, ms (1–40); voices spread ±15% around it. @default 15 */
  readonly delay: number;
  /** Number of voices 1–4, spaced evenly around the LFO cycle. @default 2 */
  readonly voices: number;
  /** Stereo spread: the right channel's LFOs lag the left's by spread × 90°, 0–1. @default 0.5 */
  readonly spread: number;
  /** Part of the voices fed back into the delay, −0.9–0.9 (metallic at the extremes). @default 0 */
  readonly feedback: number;
}

export const chorusDefaults: ChorusOptions = { rate: 0.8, depth: 3, delay: 15, voices: 2, spread: 0.5, feedback: 0 };

/** Voices' centre delays span delay·(1 ± VOICE_SPREAD): distinct delays keep voices from coinciding. */
const VOICE_SPREAD = 0.15;
/** The shortest voice (delay·0.85) must stay longer than its sweep. */
const DEPTH_SHARE = 0.8;
/** Right channel lag at spread 1, cycles: quadrature, the classic stereo chorus. */
const MAX_LAG = 0.25;

/** Equal-power blend: dry and voices are mostly uncorrelated, so each at −3 dB keeps the level. */
const BLEND = Math.SQRT1_2;

export const chorus = defineEffect<ChorusOptions>({
  name: 'chorus',
  version: '1',
  defaults: chorusDefaults,
  validate(options) {
    const problems = [
      ...checkLfoRate('rate', options.rate),
      ...checkRange('depth', options.depth, 0, 10, ' ms'),
      ...checkRange('delay', options.delay, 1, 40, ' ms'),
      ...checkRange('spread', options.spread, 0, 1),
      ...checkRange('feedback', options.feedback, -0.9, 0.9),
    ];
    if (!Number.isInteger(options.voices) || options.voices < 1 || options.voices > 4) problems.push(`voices: ${options.voices} is not a whole number 1–4`);
    if (options.depth > DEPTH_SHARE * options.delay) problems.push(`depth: ${options.depth} ms must be at most ${DEPTH_SHARE} × delay (${DEPTH_SHARE * options.delay} ms); lower depth or raise delay`);
    return problems;
  },
  stream(ctx) {
    const { options, sampleRate } = ctx;
    const voices = Math.min(4, Math.max(1, Math.round(options.voices)));
    const amplitude = (options.depth / 1000) * sampleRate;
    const hz = lfoHz(options.rate, ctx.beatSeconds);
    const voiceSettings = Array.from({ length: voices }, (_, v) => {
      const offset = voices === 1 ? 0 : VOICE_SPREAD * (2 * v / (voices - 1) - 1);
      return { centre: Math.max(3 + amplitude, (options.delay / 1000) * (1 + offset) * sampleRate), phase: v / voices };
    });
    const lines = [0, 1].map((channel) => {
      const lag = channel * MAX_LAG * options.spread;
      return new ModulatedDelay({
        centres: voiceSettings.map((v) => v.centre),
        amplitude,
        hz,
        phases: voiceSettings.map((v) => v.phase - lag),
        feedback: options.feedback,
        dryGain: BLEND,
        wetGain: BLEND,
        sampleRate,
      });
    });
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
