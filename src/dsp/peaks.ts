/**
 * Waveform overviews: the lowest and highest sample of each of `count` equal buckets of a
 * signal, over all its channels, rounded to 1e-4 (−80 dBFS). Whole-signal (computePeaks,
 * peaksOver) or streamed (PeaksMeter, fed blocks in order): the same numbers either way.
 */

/** Min/max envelope: `count` buckets. */
export interface Peaks {
  readonly min: number[];
  readonly max: number[];
}

/** Peaks per second of audio, within [MIN_BUCKETS, MAX_BUCKETS] for the whole file. */
const BUCKETS_PER_SECOND = 100;
const MIN_BUCKETS = 400;
const MAX_BUCKETS = 4000;

/** How many peak buckets a song of this length gets (the same for all its files, so lanes line up). */
export function bucketCount(lengthSamples: number, sampleRate: number): number {
  return Math.min(MAX_BUCKETS, Math.max(MIN_BUCKETS, Math.ceil((lengthSamples / sampleRate) * BUCKETS_PER_SECOND)));
}

export const round4 = (value: number) => Math.round(value * 1e4) / 1e4 || 0;

/** The lowest and highest sample seen so far in one bucket (both 0 while none is). */
export interface Extremes {
  low: number;
  high: number;
  seen: boolean;
}

/** Fold samples[from, to) into `into`. */
export function scan(samples: Float32Array, from: number, to: number, into: Extremes): void {
  if (from >= to) return;
  // The first sample of a bucket starts both extremes; then plain compares in locals.
  let low = into.seen ? into.low : samples[from];
  let high = into.seen ? into.high : samples[from];
  for (let i = from; i < to; i++) {
    const value = samples[i];
    if (value < low) low = value;
    if (value > high) high = value;
  }
  into.low = low;
  into.high = high;
  into.seen = true;
}

/** Bucket b of `count` over `length` frames covers [start, end): ⌊b·n/count⌋ to ⌊(b+1)·n/count⌋, at least one frame. */
function bucketRange(b: number, length: number, count: number): [number, number] {
  const start = Math.min(Math.floor((b * length) / count), Math.max(0, length - 1));
  return [start, Math.max(start + 1, Math.floor(((b + 1) * length) / count))];
}

/** Min and max of each of `count` equal buckets of `length` frames, each bucket's samples folded in by `scanBucket`. */
export function peaksOver(length: number, count: number, scanBucket: (start: number, end: number, into: Extremes) => void): Peaks {
  const min: number[] = [];
  const max: number[] = [];
  const into: Extremes = { low: 0, high: 0, seen: false };
  for (let b = 0; b < count; b++) {
    const [start, end] = bucketRange(b, length, count);
    into.low = into.high = 0;
    into.seen = false;
    scanBucket(start, end, into);
    min.push(round4(into.low));
    max.push(round4(into.high));
  }
  return { min, max };
}

/** Min and max over all channels of each of `count` equal buckets (see peaksOver). */
export function computePeaks(channels: readonly Float32Array[], count: number): Peaks {
  return peaksOver(channels[0]?.length ?? 0, count, (start, end, into) => {
    for (const channel of channels) scan(channel, start, Math.min(end, channel.length), into);
  });
}

/**
 * The peaks of an interleaved signal of `length` frames, fed a block at a time in order:
 * equal to peaksOver over the whole interleaved signal.
 */
export class PeaksMeter {
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly seen: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** First bucket that may still take samples. */
  private first = 0;
  private readonly into: Extremes = { low: 0, high: 0, seen: false };

  constructor(
    private readonly length: number,
    private readonly count: number,
    private readonly channels: number,
  ) {
    this.low = new Float64Array(count);
    this.high = new Float64Array(count);
    this.seen = new Uint8Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
    for (let b = 0; b < count; b++) [this.starts[b], this.ends[b]] = bucketRange(b, length, count);
  }

  /** Interleaved samples of frames `start` … `start + frames − 1`. */
  add(samples: Float32Array, start: number, frames: number): void {
    const end = start + frames;
    const into = this.into;
    for (let b = this.first; b < this.count && this.starts[b] < end; b++) {
      const from = Math.max(this.starts[b], start);
      const to = Math.min(this.ends[b], end, this.length);
      if (to > from) {
        into.low = this.low[b];
        into.high = this.high[b];
        into.seen = this.seen[b] === 1;
        scan(samples, (from - start) * this.channels, (to - start) * this.channels, into);
        this.low[b] = into.low;
        this.high[b] = into.high;
        this.seen[b] = into.seen ? 1 : 0;
      }
      if (this.ends[b] <= end && b === this.first) this.first++;
    }
  }

  result(): Peaks {
    return { min: Array.from(this.low, round4), max: Array.from(this.high, round4) };
  }
}

/**
 * Peaks of the signal written as integer PCM (a 24-bit stem): clipped at full scale. (The
 * rounding to 24 bits, 6e-8, is far below the 1e-4 the peaks keep.)
 */
export function clippedPeaks(peaks: Peaks): Peaks {
  return { min: peaks.min.map((value) => Math.max(-1, value)), max: peaks.max.map((value) => Math.min(1, value)) };
}
