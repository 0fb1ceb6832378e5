/**
 * TPDF dither for word-length reduction: the difference of two uniform variables gives
 * triangular noise of ±1 LSB, which makes the quantisation error independent of the
 * signal (no distortion on fades, only a fixed noise floor). Seeded, so masters are
 * reproducible bit for bit.
 */
import { createRandom } from '../dsp/random.ts';

/** A source of triangular noise in LSB units, from a seed. */
export function tpdfDither(seed: number): () => number {
  const random = createRandom(seed);
  return () => random() - random();
}
