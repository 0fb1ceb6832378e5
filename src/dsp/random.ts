/**
 * Seeded pseudo-random numbers (mulberry32): small, fast, and the same sequence on every
 * platform. Nothing in mixdown's rendering uses Math.random.
 */
export function createRandom(seed: number): () => number {
  const next = createRandomUint32(seed);
  return () => next() / 4294967296;
}

/** The same generator, as raw 32-bit unsigned integers. */
export function createRandomUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + NOISE_STEP) >>> 0;
    return randomUint32At(state);
  };
}

/** mulberry32's output for one state, as an unsigned 32-bit integer (pure: inlined by hot loops). */
export function randomUint32At(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * TPDF dither for one noise state, in LSBs: the difference of two 16-bit uniforms taken from
 * one 32-bit draw (far finer than the LSB they dither), triangular over ±1 LSB.
 */
export function tpdfAt(state: number): number {
  const bits = randomUint32At(state);
  return ((bits & 0xffff) - (bits >>> 16)) / 65536;
}

/** Mix two 32-bit values into a new seed (e.g. a track seed and a hit index). */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be59b, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** mulberry32's state increment: step a noise state with `state = (state + NOISE_STEP) | 0`. */
export const NOISE_STEP = 0x6d2b79f5;

/**
 * White noise in [-1, 1) for one noise state: the mulberry32 output function, pure, so a
 * voice loop can keep its generator in a local integer (no closure call per sample).
 * `createRandom(seed)` and stepping `state = seed` by NOISE_STEP give the same sequence.
 */
export function noiseAt(state: number): number {
  return randomUint32At(state) / 2147483648 - 1;
}
