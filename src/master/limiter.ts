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
  const out = channels.map((_, c) => (into?.[c]?.length === length ? into[c] : new Float32Array(length)));
  const limiter = new LimiterStream(channels.length, length, sampleRate, options, inputGain);
  const hop = meter ? meter.hop : 1024;
  for (let start = 0, step = 0; start < length; start += hop, step++) {
    limiter.process(channels, out, 0, start, Math.min(length, start + hop), input.envelope, 0);
    meter?.step(out, step);
  }
  return { channels: out, maxReductionDb: limiter.maxReductionDb };
}

/**
 * The limiter a block at a time, in order: the gain each sample requires (ceiling / its true
 * peak × gain, at most 1), its minimum over [n, n + lookahead) — a monotonic queue of the
 * samples ahead that need less than 1 (the rest need exactly 1), each entering `lookahead`
 * samples early — released at the release rate and averaged over the lookahead.
 */
export class LimiterStream {
  readonly lookahead: number;
  private readonly ceiling: number;
  private readonly recovery: number;
  private readonly mask: number;
  private readonly queueIndex: Int32Array;
  private readonly queueNeed: Float64Array;
  private head = 0;
  private tail = 0;
  /** The next sample to enter the queue. */
  private next = 0;
  /** The released curve's last `lookahead` values (a ring), for the average over the lookahead. */
  private readonly ring: Float64Array;
  private slot = 0;
  private previous = 1;
  private sum = 0;
  private minGain = 1;

  constructor(
    private readonly channelCount: number,
    private readonly length: number,
    sampleRate: number,
    options: LimiterOptions,
    private readonly inputGain: number,
  ) {
    this.ceiling = limiterCeiling(options.ceilingDb);
    this.lookahead = Math.max(1, Math.round(options.lookahead * sampleRate));
    this.recovery = Math.exp(-1 / Math.max(1, options.release * sampleRate));
    const capacity = 2 ** Math.ceil(Math.log2(this.lookahead + 1));
    this.mask = capacity - 1;
    this.queueIndex = new Int32Array(capacity);
    this.queueNeed = new Float64Array(capacity);
    this.ring = new Float64Array(this.lookahead);
  }

  /** Deepest gain reduction so far, dB (0 or negative). */
  get maxReductionDb(): number {
    return 20 * Math.log10(this.minGain);
  }

  /**
   * Limit samples [from, to) (in order, after the ones before): channels[c][p − base] is sample
   * p, written to out[c][p − base] (may be the same arrays); envelope[p − envelopeBase] is the
   * envelope at p, read up to to + lookahead − 2 (or the end).
   */
  process(channels: readonly Float32Array[], out: readonly Float32Array[], base: number, from: number, to: number, envelope: Float64Array, envelopeBase: number): void {
    const { length, lookahead, ceiling, recovery, mask, queueIndex, queueNeed, ring, inputGain, channelCount } = this;
    let { head, tail, next, slot, previous, sum, minGain } = this;
    const stereo = channelCount === 2;
    const [left, right] = channels;
    const [outLeft, outRight] = out;
    for (let i = from; i < to; i++) {
      // Samples up to i + lookahead - 1 enter the queue (one a sample after the first), sample
      // i - 1 leaves it.
      for (const last = i + lookahead < length ? i + lookahead : length; next < last; next++) {
        const peak = envelope[next - envelopeBase] * inputGain;
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
      const j = i - base;
      if (stereo) {
        outLeft[j] = left[j] * inputGain * gain;
        outRight[j] = right[j] * inputGain * gain;
      } else for (let c = 0; c < channelCount; c++) out[c][j] = channels[c][j] * inputGain * gain;
    }
    Object.assign(this, { head, tail, next, slot, previous, sum, minGain });
  }
}
