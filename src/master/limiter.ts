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

export function prepareLimiter(channels: readonly Float32Array[], sampleRate: number, ceilingDb: number, maxGain = 1): LimiterInput {
  const threshold = Math.pow(10, (ceilingDb - SAFETY_DB) / 20) / maxGain;
  return { channels, sampleRate, envelope: truePeakEnvelope(channels, sampleRate, threshold), maxGain };
}

export function limit(channels: readonly Float32Array[], sampleRate: number, options: LimiterOptions): LimiterResult {
  return limitPrepared(prepareLimiter(channels, sampleRate, options.ceilingDb), 1, options);
}

/**
 * Limit `input × gain` (gain ≤ input.maxGain). `into`: arrays to write the result to (one
 * per channel, the signal's length), so that normalisation, which limits the same signal
 * again and again, does not allocate each time.
 */
export function limitPrepared(input: LimiterInput, inputGain: number, options: LimiterOptions, into?: Float32Array[]): LimiterResult {
  if (inputGain > input.maxGain * (1 + 1e-9)) throw new RangeError('limiter envelope prepared for a smaller gain');
  const { channels, sampleRate } = input;
  const length = channels[0]?.length ?? 0;
  const ceiling = Math.pow(10, (options.ceilingDb - SAFETY_DB) / 20);
  const envelope = input.envelope;
  const lookahead = Math.max(1, Math.round(options.lookahead * sampleRate));
  const recovery = Math.exp(-1 / Math.max(1, options.release * sampleRate));

  // Backwards: the gain each sample requires, and its minimum over [n, n + lookahead)
  // (monotonic deque). Scratch arrays are kept between calls.
  const { required, windowMin, deque } = workspace(length);
  let head = 0;
  let tail = 0;
  for (let i = length - 1; i >= 0; i--) {
    const peak = envelope[i] * inputGain;
    const need = peak > ceiling ? ceiling / peak : 1;
    required[i] = need;
    while (tail > head && required[deque[tail - 1]] >= need) tail--;
    deque[tail++] = i;
    while (deque[head] >= i + lookahead) head++;
    windowMin[i] = required[deque[head]];
  }
  // Forwards, in one pass: release (the curve may only come back up at the release rate;
  // lowering keeps it safe), then the average over the lookahead (smooth, and still never
  // above the gain any sample needs), applied to every channel.
  const out = channels.map((_, c) => (into?.[c]?.length === length ? into[c] : new Float32Array(length)));
  const stereo = channels.length === 2;
  const [left, right] = channels;
  const [outLeft, outRight] = out;
  let previous = 1;
  let sum = 0;
  let minGain = 1;
  for (let i = 0; i < length; i++) {
    const recovered = 1 - (1 - previous) * recovery;
    previous = windowMin[i] < recovered ? windowMin[i] : recovered;
    windowMin[i] = previous;
    sum += previous;
    if (i >= lookahead) sum -= windowMin[i - lookahead];
    // Before the first full window the missing values are taken as this sample's own
    // (safe: windowMin[i] already covers sample i).
    const count = i + 1 < lookahead ? i + 1 : lookahead;
    const gain = (sum + (lookahead - count) * previous) / lookahead;
    if (gain < minGain) minGain = gain;
    if (stereo) {
      outLeft[i] = left[i] * inputGain * gain;
      outRight[i] = right[i] * inputGain * gain;
    } else for (let c = 0; c < channels.length; c++) out[c][i] = channels[c][i] * inputGain * gain;
  }
  return { channels: out, maxReductionDb: 20 * Math.log10(minGain) };
}

interface Workspace {
  readonly required: Float64Array;
  readonly windowMin: Float64Array;
  readonly deque: Int32Array;
}

let scratch: Workspace | undefined;

function workspace(length: number): Workspace {
  if (!scratch || scratch.required.length !== length) {
    scratch = { required: new Float64Array(length), windowMin: new Float64Array(length), deque: new Int32Array(length + 1) };
  }
  return scratch;
}
