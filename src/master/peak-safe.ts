/**
 * The first master stage: keep the sample peak at or below the ceiling by turning the
 * whole mix down when it is louder, never up. Loudness targets and a true-peak limiter
 * replace this with the mastering chain.
 */
import { fromDb, samplePeak } from '../render/levels.ts';

export interface PeakSafeResult {
  readonly channels: Float32Array[];
  /** Gain applied, in linear units (1 when the mix was already under the ceiling). */
  readonly gain: number;
}

/** 24-bit PCM's largest positive sample, as a float: a ceiling of 0 dBFS must still fit. */
const FULL_SCALE_24 = (2 ** 23 - 1) / 2 ** 23;

export function peakSafe(mix: readonly Float32Array[], ceilingDb: number): PeakSafeResult {
  const ceiling = Math.min(fromDb(ceilingDb), FULL_SCALE_24);
  const peak = samplePeak(mix);
  const gain = peak > ceiling ? ceiling / peak : 1;
  const channels = mix.map((channel) => {
    const out = new Float32Array(channel.length);
    for (let i = 0; i < channel.length; i++) out[i] = channel[i] * gain;
    return out;
  });
  return { channels, gain };
}
