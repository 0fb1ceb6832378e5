/**
 * `delay`: a stereo (or ping-pong) feedback echo. It outputs only the echoes: the slot's
 * `mix` blends them with the dry signal, or the effect sits on a return bus.
 *
 * Timing is sample-exact: each line is exactly round(time · rate) samples long, so an
 * impulse at sample n gives its first echo at n + round(time · rate). The feedback filters
 * sit at the line's input (input and feedback both pass through them), so the first echo is
 * already coloured and every repeat is one pass darker than the one before. At their
 * defaults (20 Hz, 20 kHz) the filters are switched out and echoes are exact copies scaled
 * by `feedback`. Filter group delay: the one-pole low-pass smears an echo forward in time;
 * for cutoffs above rate/4 its largest output is still the echo's first sample, below that
 * the peak of a click drifts a few samples late (the echo still starts on time).
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields } from '../ir/effect-state.ts';
import type { Hertz, Seconds } from '../theory/units.ts';
import { checkRange } from './modulation.ts';
import { isSyncedTime, syncedSeconds, type SyncedTime } from '../theory/sync.ts';

export interface DelayOptions {
  /** Time between echoes: seconds or a note value at the song's tempo. @default '8n.' */
  readonly time: SyncedTime;
  /** Level of each repeat relative to the one before, 0–0.95 (automatable). @default 0.4 */
  readonly feedback: number;
  /** Echoes alternate sides, first left, then right, from a mono sum of the input. @default false */
  readonly pingPong: boolean;
  /** High-pass in the feedback loop, Hz; 20 or less switches it out. @default 20 */
  readonly highpass: Hertz;
  /** Low-pass in the feedback loop, Hz; 20000 or more switches it out. @default 20000 */
  readonly lowpass: Hertz;
  /** Extra delay of the right channel's line, seconds, for a wider echo (0–0.1). @default 0 */
  readonly spread: Seconds;
}

export const delayDefaults: DelayOptions = { time: '8n.', feedback: 0.4, pingPong: false, highpass: 20, lowpass: 20000, spread: 0 };

/** Feedback is clamped here even when automated, so a stray curve cannot make the loop blow up. */
const MAX_FEEDBACK = 0.95;
/** At or beyond these the filters are out of the loop (exact echoes). */
const HIGHPASS_OFF: Hertz = 20;
const LOWPASS_OFF: Hertz = 20000;
/** Longest tail tail() reports, seconds: a 0.95 feedback would otherwise ask for minutes. */
const MAX_TAIL: Seconds = 10;
/** Loop values below this snap to 0 (−600 dBFS, far above subnormal floats). */
const SILENCE = 1e-30;
/**
 * tail() has no tempo, so synced times are sized at 60 bpm (1 s per quarter): an upper
 * bound for any song at 60 bpm or faster.
 */
const TAIL_BEAT_SECONDS: Seconds = 1;

/** Trapezoidal one-pole low-pass gain G = g/(1+g) for a cutoff (0 when switched out). */
function onePoleGain(cutoff: Hertz, sampleRate: number): number {
  const limited = Math.min(cutoff, sampleRate * 0.49);
  const g = Math.tan((Math.PI * limited) / sampleRate);
  return g / (1 + g);
}

/**
 * The two lines, block by block: each line is a ring exactly its delay long (the longest is
 * time + spread, at most ~10.1 s, whatever the song's length), read and written at one index;
 * the four one-pole integrators and the read indices carry over from block to block.
 */
class DelayLines {
  private readonly lineLeft: number;
  private readonly lineRight: number;
  private readonly bufferLeft: Float64Array;
  private readonly bufferRight: Float64Array;
  private readonly fixedFeedback: number;
  private readonly pingPong: boolean;
  private readonly lowpassOn: boolean;
  private readonly highpassOn: boolean;
  private readonly lowGain: number;
  private readonly highGain: number;
  // Filter states (trapezoidal integrators) per line; the high-pass is input − its low-pass.
  private lowL = 0;
  private lowR = 0;
  private highL = 0;
  private highR = 0;
  private readL = 0;
  private readR = 0;

  constructor(options: Readonly<DelayOptions>, sampleRate: number, beatSeconds: number) {
    this.lineLeft = Math.max(1, Math.round(syncedSeconds(options.time, beatSeconds) * sampleRate));
    this.lineRight = this.lineLeft + Math.round(options.spread * sampleRate);
    this.bufferLeft = new Float64Array(this.lineLeft);
    this.bufferRight = new Float64Array(this.lineRight);
    this.fixedFeedback = Math.min(MAX_FEEDBACK, Math.max(0, options.feedback));
    this.pingPong = options.pingPong;
    this.lowpassOn = options.lowpass < LOWPASS_OFF && options.lowpass < sampleRate * 0.49;
    this.highpassOn = options.highpass > HIGHPASS_OFF;
    this.lowGain = this.lowpassOn ? onePoleGain(options.lowpass, sampleRate) : 0;
    this.highGain = this.highpassOn ? onePoleGain(options.highpass, sampleRate) : 0;
  }

  /** Replace the block's signal with its echoes; `curve` is the block's automated feedback. */
  process(left: Float32Array, right: Float32Array, curve: Float32Array | undefined): void {
    const { lineLeft, lineRight, bufferLeft, bufferRight, fixedFeedback, pingPong, lowpassOn, highpassOn, lowGain, highGain } = this;
    let { lowL, lowR, highL, highR, readL, readR } = this;
    const length = left.length;
    for (let i = 0; i < length; i++) {
      const echoL = bufferLeft[readL];
      const echoR = bufferRight[readR];
      let feedback = fixedFeedback;
      if (curve !== undefined) {
        const value = curve[i];
        feedback = value < 0 ? 0 : value > MAX_FEEDBACK ? MAX_FEEDBACK : value;
      }
      let inL: number;
      let inR: number;
      if (pingPong) {
        // Cross-coupled lines: the left line feeds the right one, which feeds back left.
        inL = 0.5 * (left[i] + right[i]) + feedback * echoR;
        inR = feedback * echoL;
      } else {
        inL = left[i] + feedback * echoL;
        inR = right[i] + feedback * echoR;
      }
      if (lowpassOn) {
        const vL = (inL - lowL) * lowGain;
        inL = vL + lowL;
        lowL = inL + vL;
        const vR = (inR - lowR) * lowGain;
        inR = vR + lowR;
        lowR = inR + vR;
      }
      if (highpassOn) {
        const vL = (inL - highL) * highGain;
        const lpL = vL + highL;
        highL = lpL + vL;
        inL -= lpL;
        const vR = (inR - highR) * highGain;
        const lpR = vR + highR;
        highR = lpR + vR;
        inR -= lpR;
      }
      // Snap what has decayed below −600 dB to 0: a long silence would otherwise leave the
      // loop cycling subnormal floats, ~100× slower on x86.
      if (Math.abs(inL) < SILENCE) inL = 0;
      if (Math.abs(inR) < SILENCE) inR = 0;
      bufferLeft[readL] = inL;
      bufferRight[readR] = inR;
      if (++readL === lineLeft) readL = 0;
      if (++readR === lineRight) readR = 0;
      left[i] = echoL;
      right[i] = echoR;
    }
    this.lowL = lowL;
    this.lowR = lowR;
    this.highL = highL;
    this.highR = highR;
    this.readL = readL;
    this.readR = readR;
  }
}

export const delay = defineEffect<DelayOptions>({
  name: 'delay',
  version: '1',
  defaults: delayDefaults,
  tail(options) {
    const seconds = syncedSeconds(options.time, TAIL_BEAT_SECONDS);
    const feedback = Math.min(MAX_FEEDBACK, Math.max(0, options.feedback));
    // Echo k (from 1) has level feedback^(k−1); count echoes until that is 60 dB down.
    const echoes = feedback < 1e-3 ? 1 : 1 + Math.ceil(3 / -Math.log10(feedback));
    return Math.min(MAX_TAIL, echoes * seconds + options.spread);
  },
  validate(options) {
    const problems: string[] = [];
    if (!isSyncedTime(options.time) || (typeof options.time === 'number' && (options.time <= 0 || options.time > 10))) {
      problems.push(`time: '${String(options.time)}' is not a delay time; use seconds in (0, 10] or a note value like '8n.'`);
    }
    problems.push(...checkRange('feedback', options.feedback, 0, MAX_FEEDBACK));
    problems.push(...checkRange('highpass', options.highpass, 0, 20000, ' Hz'));
    problems.push(...checkRange('lowpass', options.lowpass, 20, 96000, ' Hz'));
    if (options.lowpass <= options.highpass) problems.push(`lowpass: ${options.lowpass} Hz must be above highpass (${options.highpass} Hz); raise lowpass or lower highpass`);
    problems.push(...checkRange('spread', options.spread, 0, 0.1, ' s'));
    if (typeof options.pingPong !== 'boolean') problems.push('pingPong: use true or false');
    return problems;
  },
  stream(ctx) {
    const lines = new DelayLines(ctx.options, ctx.sampleRate, ctx.beatSeconds);
    return {
      checkpoint: () => captureFields(lines),
      restore: (state) => restoreFields(lines, state),
      process(_start, block) {
        lines.process(block.channels[0], block.channels[1], block.automation['feedback']);
      },
    };
  },
});
