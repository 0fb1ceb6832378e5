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

/**
 * Limit `input × gain` (gain ≤ input.maxGain), in one forward pass with O(lookahead) state
 * besides the envelope. `into`: arrays to write the result to (one per channel, the signal's
 * length; they may be the input's own arrays: each sample is read only where it is written).
 * `meter`: a loudness meter for the output, fed each 10 ms step as it is written.
 */
export function limitPrepared(input: LimiterInput, inputGain: number, options: LimiterOptions, into?: Float32Array[], meter?: LoudnessMeter): LimiterResult {
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
  // The released curve's last `lookahead` values (a ring), for the average over the lookahead.
  const ring = new Float64Array(lookahead);
  let slot = 0;
  let previous = 1;
  let sum = 0;
  let minGain = 1;
  const hop = meter ? meter.hop : 1024;
  const steps = Math.ceil(length / hop);
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
      // Release: the curve may only come back up at the release rate (lowering keeps it safe).
      const recovered = 1 - (1 - previous) * recovery;
      previous = windowMin < recovered ? windowMin : recovered;
      // The average over the lookahead (smooth, and still never above the gain any sample
      // needs). Before the first full window the missing values are taken as this sample's
      // own (safe: the window minimum already covers sample i).
      const leaving = ring[slot];
      ring[slot] = previous;
      slot = slot + 1 === lookahead ? 0 : slot + 1;
      sum += previous;
      if (i >= lookahead) sum -= leaving;
      const filled = i + 1 < lookahead ? i + 1 : lookahead;
      const gain = (sum + (lookahead - filled) * previous) / lookahead;
      if (gain < minGain) minGain = gain;
      if (stereo) {
        outLeft[i] = left[i] * inputGain * gain;
        outRight[i] = right[i] * inputGain * gain;
      } else for (let c = 0; c < channels.length; c++) out[c][i] = channels[c][i] * inputGain * gain;
    }
    meter?.step(out, step);
  }
  return { channels: out, maxReductionDb: 20 * Math.log10(minGain) };
}
