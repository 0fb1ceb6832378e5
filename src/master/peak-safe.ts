/**
 * The first master stage: keep the sample peak at or below the ceiling by turning the
 * whole mix down when it is louder, never up. Loudness targets and a true-peak limiter
 * replace this with the mastering chain.
 */
import { fromDb, samplePeak } from '../dsp/levels.ts';

export interface PeakSafeGain {
  /** Gain to apply, linear (1 when the mix is already under the ceiling). */
  readonly gain: number;
  /** The mix's sample peak before the gain, linear. */
  readonly peak: number;
}

/** 24-bit PCM's largest positive sample, as a float: a ceiling of 0 dBFS must still fit. */
const FULL_SCALE_24 = (2 ** 23 - 1) / 2 ** 23;

export function peakSafeGain(mix: readonly Float32Array[], ceilingDb: number): PeakSafeGain {
  return peakSafeGainOf(samplePeak(mix), ceilingDb);
}

/** The gain for a mix whose sample peak is already known. */
export function peakSafeGainOf(peak: number, ceilingDb: number): PeakSafeGain {
  const ceiling = Math.min(fromDb(ceilingDb), FULL_SCALE_24);
  return { gain: peak > ceiling ? ceiling / peak : 1, peak };
}
