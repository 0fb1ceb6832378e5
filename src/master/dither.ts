/**
 * TPDF dither for word-length reduction: the difference of two uniform variables gives
 * triangular noise of ±1 LSB, which makes the quantisation error independent of the
 * signal (no distortion on fades, only a fixed noise floor). Seeded, so masters are
 * reproducible bit for bit. One 32-bit draw supplies both uniforms (16 bits each: far
 * finer than the LSB they dither), halving the generator's work.
 */
import { createRandomUint32 } from '../dsp/random.ts';

/** A source of triangular noise in LSB units, from a seed. */
export function tpdfDither(seed: number): () => number {
  const next = createRandomUint32(seed);
  return () => {
    const bits = next();
    return ((bits & 0xffff) - (bits >>> 16)) / 65536;
  };
}
