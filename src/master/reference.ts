/**
 * Comparing a master with a reference track: loudness, range, true peak, spectral balance
 * per octave band (relative to the track's own total, so loudness does not colour it), and
 * stereo width. `match: 'eq'` turns the balance difference into a smooth corrective EQ, as
 * Matchering does: one gentle bell per octave, smoothed across neighbours and limited.
 */
import { fft } from '../dsp/fft.ts';
import type { EqBand } from '../ir/master-options.ts';
import { measureLoudness } from './loudness.ts';

/** ISO octave band centres, Hz. */
export const OCTAVE_BANDS = [31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000] as const;

const FRAME = 8192;
/** At most this many analysis frames per file: spread evenly, they describe a balance well. */
const MAX_FRAMES = 256;
/** Largest correction one band of the matching EQ applies, dB. */
const MAX_MATCH_DB = 6;

export interface TrackProfile {
  readonly integrated: number;
  readonly range: number;
  readonly truePeak: number;
  /** Level of each octave band relative to the track's total energy, dB. */
  readonly bands: readonly number[];
  /** Side energy relative to mid energy, dB (-Infinity for mono). */
  readonly sideToMidDb: number;
}

/** The Hann window of an analysis frame, by the expression the frames were always windowed with. */
let hannWindow: Float64Array | undefined;
function frameWindow(): Float64Array {
  if (!hannWindow) {
    hannWindow = new Float64Array(FRAME);
    for (let i = 0; i < FRAME; i++) hannWindow[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME - 1));
  }
  return hannWindow;
}

/**
 * The octave balance of a signal fed block by block in order (`add`): the same numbers as
 * octaveBalance over the whole signal. It holds one analysis frame of the mid signal (a ring of
 * 8,192 values), transforms each frame as its last sample arrives, and keeps the summed power.
 */
export class OctaveBalanceMeter {
  private readonly frames: number;
  private readonly hop: number;
  /** The mid signal's last FRAME values, by song position modulo FRAME. */
  private readonly ring = new Float64Array(FRAME);
  private readonly power = new Float64Array(FRAME / 2);
  private readonly re = new Float64Array(FRAME);
  private readonly im = new Float64Array(FRAME);
  /** Next frame to transform; song position of the next sample; the ring holds the frames' samples before this position. */
  private frame = 0;
  private position = 0;
  private written = 0;

  constructor(
    private readonly channelCount: number,
    private readonly sampleRate: number,
    length: number,
  ) {
    this.frames = Math.max(1, Math.min(MAX_FRAMES, Math.floor((length - FRAME) / (FRAME / 2)) + 1));
    this.hop = this.frames > 1 ? Math.floor((length - FRAME) / (this.frames - 1)) : 0;
  }

  /**
   * Samples `position … position + count − 1` (channels[c][i] is sample position + i), in order.
   * Only the samples some frame covers are read (256 frames of 8,192 cover 2.1M samples of a
   * song of any length).
   */
  add(channels: readonly Float32Array[], count: number): void {
    const from = this.position;
    const to = from + count;
    const { ring, channelCount, hop, frames } = this;
    for (let f = this.frame; f < frames && f * hop < to; f++) {
      const start = f * hop;
      // The part of this frame in the block that an earlier (overlapping) frame has not written.
      const first = Math.max(start, from, this.written);
      const last = Math.min(start + FRAME, to);
      if (channelCount === 2) {
        const [left, right] = channels;
        for (let p = first; p < last; p++) {
          let mid = 0;
          mid += left[p - from];
          mid += right[p - from];
          ring[p & (FRAME - 1)] = mid / 2;
        }
      } else {
        for (let p = first; p < last; p++) {
          let mid = 0;
          for (let c = 0; c < channelCount; c++) mid += channels[c][p - from];
          ring[p & (FRAME - 1)] = mid / channelCount;
        }
      }
      if (last > this.written) this.written = last;
      if (start + FRAME > to) break;
      this.transform();
    }
    this.position = to;
  }

  /** The octave-band levels, dB re total (frames reaching past the end read silence there). */
  result(): number[] {
    // A signal shorter than one frame: its one frame is padded with silence.
    while (this.frame < this.frames) {
      const end = this.frame * this.hop + FRAME;
      for (let position = Math.max(this.position, this.written); position < end; position++) this.ring[position & (FRAME - 1)] = 0;
      this.position = this.written = Math.max(this.position, end);
      this.transform();
    }
    const binHz = this.sampleRate / FRAME;
    const energies = OCTAVE_BANDS.map((centre) => {
      let sum = 0;
      for (let k = Math.max(1, Math.ceil(centre / Math.SQRT2 / binHz)); k < Math.min(FRAME / 2, centre * Math.SQRT2 / binHz); k++) sum += this.power[k];
      return sum;
    });
    const total = energies.reduce((a, b) => a + b, 0);
    return energies.map((energy) => (energy > 0 && total > 0 ? 10 * Math.log10(energy / total) : -120));
  }

  private transform(): void {
    const { ring, re, im, power } = this;
    const window = frameWindow();
    const start = this.frame * this.hop;
    for (let i = 0; i < FRAME; i++) {
      re[i] = ring[(start + i) & (FRAME - 1)] * window[i];
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < FRAME / 2; k++) power[k] += re[k] * re[k] + im[k] * im[k];
    this.frame++;
  }
}

/** Octave-band levels (dB re total) of the mid signal, from an averaged Hann-windowed spectrum. */
export function octaveBalance(channels: readonly Float32Array[], sampleRate: number): number[] {
  const length = channels[0]?.length ?? 0;
  const meter = new OctaveBalanceMeter(channels.length, sampleRate, length);
  meter.add(channels, length);
  return meter.result();
}

export function sideToMid(channels: readonly Float32Array[]): number {
  if (channels.length < 2) return -Infinity;
  const [left, right] = channels;
  let mid = 0;
  let side = 0;
  for (let i = 0; i < left.length; i++) {
    const m = left[i] + right[i];
    const s = left[i] - right[i];
    mid += m * m;
    side += s * s;
  }
  return side > 0 && mid > 0 ? 10 * Math.log10(side / mid) : side > 0 ? Infinity : -Infinity;
}

export function profile(channels: readonly Float32Array[], sampleRate: number): TrackProfile {
  const loudness = measureLoudness(channels, sampleRate);
  return {
    integrated: loudness.integrated,
    range: loudness.range,
    truePeak: loudness.truePeak,
    bands: octaveBalance(channels, sampleRate),
    sideToMidDb: sideToMid(channels),
  };
}

/** A smooth corrective EQ toward the reference's balance: bells at octave centres. */
export function matchingEq(master: readonly number[], reference: readonly number[], sampleRate: number): { bands: EqBand[]; gains: number[] } {
  const raw = master.map((level, i) => reference[i] - level);
  // Smooth across neighbours (1-2-1), then limit: a gentle tilt, never a notch.
  const gains = raw.map((_, i) => {
    const left = raw[i - 1] ?? raw[i];
    const right = raw[i + 1] ?? raw[i];
    const smoothed = (left + 2 * raw[i] + right) / 4;
    return Math.round(Math.max(-MAX_MATCH_DB, Math.min(MAX_MATCH_DB, smoothed)) * 100) / 100;
  });
  const bands: EqBand[] = OCTAVE_BANDS.map((frequency, i) => ({ type: 'bell' as const, frequency, gain: gains[i], q: 1.4 })).filter(
    (band) => band.frequency < sampleRate / 2 && band.gain !== 0,
  );
  return { bands, gains };
}
