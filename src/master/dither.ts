/**
 * TPDF dither for word-length reduction: the difference of two uniform variables gives
 * triangular noise of ±1 LSB, which makes the quantisation error independent of the
 * signal (no distortion on fades, only a fixed noise floor). Seeded, so masters are
 * reproducible bit for bit. The noise itself is dsp/random.ts `tpdfAt`; the master's 16-bit
 * file draws it inline (io/wav.ts `encodeWavPcm16Dithered`), this is the same sequence as a source.
 */
import { NOISE_STEP, tpdfAt } from '../dsp/random.ts';

/** A source of triangular noise in LSB units, from a seed. */
export function tpdfDither(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + NOISE_STEP) >>> 0;
    return tpdfAt(state);
  };
}
