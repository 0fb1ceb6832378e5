/**
 * A glue compressor for the master bus: stereo-linked (the louder channel drives one gain),
 * feed-forward, soft knee, peak or RMS detection, attack/release smoothing in the dB domain.
 */
import type { GlueCompressorSettings } from '../ir/master-options.ts';

/** dB → natural-log gain: exp(dB · ln 10 / 20) is 10^(dB/20) without pow's cost. */
const DB_TO_LOG = Math.LN10 / 20;

/** Static curve: gain change in dB for an input level in dB. */
export function gainReductionDb(levelDb: number, s: GlueCompressorSettings): number {
  const over = levelDb - s.threshold;
  if (2 * over < -s.knee) return 0;
  if (2 * Math.abs(over) <= s.knee && s.knee > 0) {
    const x = over + s.knee / 2;
    return ((1 / s.ratio - 1) * x * x) / (2 * s.knee);
  }
  return (1 / s.ratio - 1) * over;
}

/** Compress in place; returns the deepest reduction, dB. */
export function compress(channels: Float32Array[], sampleRate: number, settings: GlueCompressorSettings): number {
  const stream = new CompressorStream(channels.length, sampleRate, settings);
  stream.process(channels, channels[0]?.length ?? 0);
  return stream.deepest;
}

/** The compressor a block at a time, in order, in place: detector and smoothed gain carry over. */
export class CompressorStream {
  private readonly attack: number;
  private readonly release: number;
  private readonly rmsCoefficient: number;
  private readonly makeup: number;
  private readonly rms: boolean;
  private meanSquare = 0;
  private smoothed = 0;
  /** Deepest reduction so far, dB. */
  deepest = 0;

  constructor(
    private readonly count: number,
    sampleRate: number,
    private readonly settings: GlueCompressorSettings,
  ) {
    this.attack = Math.exp(-1 / Math.max(1, settings.attack * sampleRate));
    this.release = Math.exp(-1 / Math.max(1, settings.release * sampleRate));
    // RMS detector window ~10 ms.
    this.rmsCoefficient = Math.exp(-1 / (0.01 * sampleRate));
    this.makeup = Math.pow(10, settings.makeup / 20);
    this.rms = settings.detection === 'rms';
  }

  /** The next `length` samples of each channel (channels[c][0] is the first). */
  process(channels: readonly Float32Array[], length: number): void {
    const { attack, release, rmsCoefficient, makeup, rms, count, settings } = this;
    const [left, right] = channels;
    let { meanSquare, smoothed, deepest } = this;
    for (let i = 0; i < length; i++) {
      let peak = 0;
      if (count === 2) {
        const l = left[i] < 0 ? -left[i] : left[i];
        const r = right[i] < 0 ? -right[i] : right[i];
        peak = l > r ? l : r;
      } else {
        for (let c = 0; c < count; c++) {
          const x = channels[c];
          const magnitude = x[i] < 0 ? -x[i] : x[i];
          if (magnitude > peak) peak = magnitude;
        }
      }
      let level: number;
      if (rms) {
        meanSquare = rmsCoefficient * meanSquare + (1 - rmsCoefficient) * peak * peak;
        level = meanSquare > 1e-20 ? 10 * Math.log10(meanSquare) + 3.0103 : -200; // +3 dB: a sine's RMS reads as its peak
      } else level = peak > 1e-10 ? 20 * Math.log10(peak) : -200;
      const target = gainReductionDb(level, settings);
      // Falling (more reduction) uses the attack time, rising the release time.
      smoothed = target < smoothed ? attack * smoothed + (1 - attack) * target : release * smoothed + (1 - release) * target;
      if (smoothed < deepest) deepest = smoothed;
      const gain = Math.exp(smoothed * DB_TO_LOG) * makeup;
      if (count === 2) {
        left[i] *= gain;
        right[i] *= gain;
      } else for (let c = 0; c < count; c++) channels[c][i] *= gain;
    }
    this.meanSquare = meanSquare;
    this.smoothed = smoothed;
    this.deepest = deepest;
  }
}
