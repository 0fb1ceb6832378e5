/**
 * A true-peak lookahead limiter. For every sample it knows the gain that would keep that
 * sample's oversampled (true) peak at the ceiling; the gain curve is the minimum of that
 * over the lookahead window, recovered with the release time, then averaged over the
 * lookahead window. Every value averaged is at most the gain needed at the sample, so the
 * smoothed gain never lets a peak through, and it starts moving a whole lookahead early
 * (no click). Stereo-linked: one gain for all channels, so the image does not shift.
 */
import type { LoudnessMeter } from './loudness.ts';
import { truePeakEnvelope } from './true-peak.ts';

export interface LimiterOptions {
  /** Highest true peak allowed, dBTP. */
  readonly ceilingDb: number;
  /** Time for the gain to recover after a peak, seconds. */
  readonly release: number;
  /** How far ahead peaks are seen (and how long the gain takes to duck), seconds. */
  readonly lookahead: number;
}

export interface LimiterResult {
  readonly channels: Float32Array[];
  /** Deepest gain reduction applied, dB (0 or negative). */
  readonly maxReductionDb: number;
}

/** A signal's true-peak envelope, kept to limit it at several input gains (loudness normalisation). */
export interface LimiterInput {
  readonly channels: readonly Float32Array[];
  readonly sampleRate: number;
  readonly envelope: Float64Array;
  /** The largest input gain the envelope is exact enough for. */
  readonly maxGain: number;
}

/** A hair under the ceiling: the interpolation of a gain-varying signal differs from the gain times the interpolated input by a sliver. */
const SAFETY_DB = 0.05;

/** The highest sample true peak the limiter lets out for a ceiling, linear: a safety margin under it. */
export const limiterCeiling = (ceilingDb: number) => Math.pow(10, (ceilingDb - SAFETY_DB) / 20);

export function prepareLimiter(channels: readonly Float32Array[], sampleRate: number, ceilingDb: number, maxGain = 1): LimiterInput {
  const threshold = limiterCeiling(ceilingDb) / maxGain;
  return { channels, sampleRate, envelope: truePeakEnvelope(channels, sampleRate, threshold), maxGain };
}

export function limit(channels: readonly Float32Array[], sampleRate: number, options: LimiterOptions): LimiterResult {
  return limitPrepared(prepareLimiter(channels, sampleRate, options.ceilingDb), 1, options);
}

/** What a metered limiter pass reports besides the audio. */
export interface LimiterMeasure {
  /**
   * Per loudness step (the meter's): half the derivative of its K-weighted energy by the log of
   * the input gain, Σ z·z′ (LoudnessMeter.step's tangent), where each output sample's derivative
   * is the sample times ε(n) = d ln G / d ln g — how its total gain G (input gain × limiter gain)
   * moves with the input gain g: 1 where the limiter is idle, 0 where it holds a peak at the
   * ceiling, in between while it recovers. Divided by the step's energy it is the step's loudness
   * slope in dB per dB of input gain.
   */
  readonly elastic: Float64Array;
}

/**
 * Limit `input × gain` (gain ≤ input.maxGain), in one forward pass with O(lookahead) state
 * besides the envelope. `into`: arrays to write the result to (one per channel, the signal's
 * length; they may be the input's own arrays: each sample is read only where it is written).
 * `meter`: a loudness meter for the output, fed each step as it is written; with it the pass
 * also reports its gain sensitivity (LimiterMeasure).
 */
export function limitPrepared(input: LimiterInput, inputGain: number, options: LimiterOptions, into?: Float32Array[]): LimiterResult;
export function limitPrepared(input: LimiterInput, inputGain: number, options: LimiterOptions, into: Float32Array[] | undefined, meter: LoudnessMeter): LimiterResult & LimiterMeasure;
export function limitPrepared(input: LimiterInput, inputGain: number, options: LimiterOptions, into?: Float32Array[], meter?: LoudnessMeter): LimiterResult & Partial<LimiterMeasure> {
  if (inputGain > input.maxGain * (1 + 1e-9)) throw new RangeError('limiter envelope prepared for a smaller gain');
  const { channels, sampleRate } = input;
  const length = channels[0]?.length ?? 0;
  const ceiling = limiterCeiling(options.ceilingDb);
  const envelope = input.envelope;
  const lookahead = Math.max(1, Math.round(options.lookahead * sampleRate));
  const recovery = Math.exp(-1 / Math.max(1, options.release * sampleRate));
  const out = channels.map((_, c) => (into?.[c]?.length === length ? into[c] : new Float32Array(length)));
  const stereo = channels.length === 2;
  const [left, right] = channels;
  const [outLeft, outRight] = out;

  // The gain each sample requires (ceiling / its true peak × gain, at most 1), and its minimum
  // over [n, n + lookahead): a monotonic queue of the samples ahead that need less than 1 (the
  // rest need exactly 1), each entering `lookahead` samples early.
  const capacity = 2 ** Math.ceil(Math.log2(lookahead + 1));
  const mask = capacity - 1;
  const queueIndex = new Int32Array(capacity);
  const queueNeed = new Float64Array(capacity);
  let head = 0;
  let tail = 0;
  let next = 0;
  // The released curve's last `lookahead` values (a ring), for the average over the lookahead,
  // and the same for its derivative by the input gain.
  const ring = new Float64Array(lookahead);
  const ringSlope = new Float64Array(lookahead);
  let slot = 0;
  let previous = 1;
  let slope = 1;
  let sum = 0;
  let sumSlope = 0;
  let minGain = 1;
  const hop = meter ? meter.hop : 1024;
  const steps = Math.ceil(length / hop);
  const elastic = meter ? new Float64Array(meter.hops) : undefined;
  const perLookahead = 1 / lookahead;
  // The output's derivative by the log of the input gain, one step at a time.
  const tangent = meter ? channels.map(() => new Float32Array(hop)) : undefined;
  const [tangentLeft, tangentRight] = stereo && tangent ? tangent : [];
  for (let step = 0; step < steps; step++) {
    const start = step * hop;
    const end = Math.min(length, start + hop);
    for (let i = start; i < end; i++) {
      // Samples up to i + lookahead - 1 enter the queue (one a sample after the first), sample
      // i - 1 leaves it.
      for (const last = i + lookahead < length ? i + lookahead : length; next < last; next++) {
        const peak = envelope[next] * inputGain;
        if (peak <= ceiling) continue;
        const need = ceiling / peak;
        while (tail !== head && queueNeed[(tail - 1) & mask] >= need) tail = (tail - 1) & mask;
        queueIndex[tail] = next;
        queueNeed[tail] = need;
        tail = (tail + 1) & mask;
      }
      if (tail !== head && queueIndex[head] < i) head = (head + 1) & mask;
      const windowMin = tail !== head ? queueNeed[head] : 1;
      // Release: the curve may only come back up at the release rate (lowering keeps it
      // safe). Its derivative by the gain g of g × curve: 0 where a peak pins it to the
      // ceiling, else the recovery's blend of 1 and the previous value.
      const recovered = 1 - (1 - previous) * recovery;
      if (windowMin < recovered) {
        previous = windowMin;
        slope = 0;
      } else {
        previous = recovered;
        slope = 1 - recovery + recovery * slope;
      }
      // The average over the lookahead (smooth, and still never above the gain any sample
      // needs). Before the first full window the missing values are taken as this sample's
      // own (safe: the window minimum already covers sample i).
      const leaving = ring[slot];
      const leavingSlope = ringSlope[slot];
      ring[slot] = previous;
      ringSlope[slot] = slope;
      slot = slot + 1 === lookahead ? 0 : slot + 1;
      sum += previous;
      sumSlope += slope;
      if (i >= lookahead) {
        sum -= leaving;
        sumSlope -= leavingSlope;
      }
      const filled = i + 1 < lookahead ? i + 1 : lookahead;
      const gain = (sum + (lookahead - filled) * previous) / lookahead;
      if (gain < minGain) minGain = gain;
      // d(output) / d ln(input gain) = input × input gain × d(input gain × curve) / d(input gain),
      // taken before the output is written (it may overwrite the input).
      const rate = tangent ? inputGain * (sumSlope + (lookahead - filled) * slope) * perLookahead : 0;
      if (stereo) {
        const l = left[i];
        const r = right[i];
        if (tangentLeft && tangentRight) {
          tangentLeft[i - start] = l * rate;
          tangentRight[i - start] = r * rate;
        }
        outLeft[i] = l * inputGain * gain;
        outRight[i] = r * inputGain * gain;
      } else {
        for (let c = 0; c < channels.length; c++) {
          if (tangent) tangent[c][i - start] = channels[c][i] * rate;
          out[c][i] = channels[c][i] * inputGain * gain;
        }
      }
    }
    if (meter && elastic && tangent) {
      const product = meter.step(out, step, undefined, tangent);
      if (step < meter.hops) elastic[step] = product;
    }
  }
  return { channels: out, maxReductionDb: 20 * Math.log10(minGain), ...(elastic ? { elastic } : {}) };
}
