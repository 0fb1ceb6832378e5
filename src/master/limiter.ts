/**
 * A true-peak lookahead limiter. For every sample it knows the gain that would keep that
 * sample's oversampled (true) peak at the ceiling; the gain curve is the minimum of that
 * over the lookahead window, recovered with the release time, then averaged over the
 * lookahead window. Every value averaged is at most the gain needed at the sample, so the
 * smoothed gain never lets a peak through, and it starts moving a whole lookahead early
 * (no click). Stereo-linked: one gain for all channels, so the image does not shift.
 */
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

export function limit(channels: readonly Float32Array[], sampleRate: number, options: LimiterOptions): LimiterResult {
  const length = channels[0]?.length ?? 0;
  // A hair under the ceiling: interpolation of a gain-varying signal differs from the gain
  // times the interpolated input by a sliver; this keeps the result under the ceiling.
  const ceiling = Math.pow(10, (options.ceilingDb - 0.05) / 20);
  const peaks = truePeakEnvelope(channels, sampleRate);
  const lookahead = Math.max(1, Math.round(options.lookahead * sampleRate));
  const recovery = Math.exp(-1 / Math.max(1, options.release * sampleRate));

  // Required gain per sample, then its minimum over [n, n + lookahead) (monotonic deque).
  const required = new Float64Array(length);
  for (let i = 0; i < length; i++) required[i] = peaks[i] > ceiling ? ceiling / peaks[i] : 1;
  const windowMin = new Float64Array(length);
  const deque = new Int32Array(length + 1);
  let head = 0;
  let tail = 0;
  for (let i = length - 1; i >= 0; i--) {
    while (tail > head && required[deque[tail - 1]] >= required[i]) tail--;
    deque[tail++] = i;
    while (deque[head] >= i + lookahead) head++;
    windowMin[i] = required[deque[head]];
  }
  // Release: the curve may only come back up at the release rate (lowering keeps it safe).
  let previous = 1;
  for (let i = 0; i < length; i++) {
    const recovered = 1 - (1 - previous) * recovery;
    previous = windowMin[i] < recovered ? windowMin[i] : recovered;
    windowMin[i] = previous;
  }
  // Average over the lookahead: smooth, and still never above the gain any sample needs.
  const gain = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    sum += windowMin[i];
    if (i >= lookahead) sum -= windowMin[i - lookahead];
    // Before the first full window the missing values are taken as this sample's own
    // (safe: windowMin[i] already covers sample i).
    const count = Math.min(i + 1, lookahead);
    gain[i] = (sum + (lookahead - count) * windowMin[i]) / lookahead;
  }
  let minGain = 1;
  const out = channels.map((channel) => {
    const result = new Float32Array(length);
    for (let i = 0; i < length; i++) result[i] = channel[i] * gain[i];
    return result;
  });
  for (let i = 0; i < length; i++) if (gain[i] < minGain) minGain = gain[i];
  return { channels: out, maxReductionDb: 20 * Math.log10(minGain) };
}
