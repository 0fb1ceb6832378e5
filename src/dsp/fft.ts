/**
 * The twiddles of every stage of an n-point `fft`, stage by stage (size 2, 4, … n: size/2
 * values each, n − 1 in all), computed with the very expressions the butterflies used to
 * evaluate inline — `Math.cos(step * k)`, `Math.sin(step * k)` with `step = −2π / size` — so
 * the transform's numbers are the same bits, without a cos and a sin per butterfly.
 */
interface Twiddles {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

const twiddleTables = new Map<number, Twiddles>();

function twiddles(n: number): Twiddles {
  let found = twiddleTables.get(n);
  if (found) return found;
  const cos = new Float64Array(Math.max(0, n - 1));
  const sin = new Float64Array(Math.max(0, n - 1));
  for (let size = 2, at = 0; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let k = 0; k < size / 2; k++, at++) {
      cos[at] = Math.cos(step * k);
      sin[at] = Math.sin(step * k);
    }
  }
  found = { cos, sin };
  twiddleTables.set(n, found);
  return found;
}

/** In-place iterative radix-2 FFT of (re, im); the length must be a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  const { cos, sin } = twiddles(n);
  for (let size = 2, stage = 0; size <= n; stage += size >> 1, size <<= 1) {
    const half = size >> 1;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[stage + k];
        const wi = sin[stage + k];
        const a = start + k;
        const b = a + half;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/**
 * A radix-2 complex FFT of one size with its twiddles and bit-reversal table precomputed:
 * for the many same-size transforms of a convolution or an onset detector (`fft` above
 * keeps the twiddles of its historical expressions, whose bits the octave balance depends on).
 */
export class PlannedFft {
  readonly size: number;
  private readonly reversed: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new Error(`FFT size ${size} is not a power of two`);
    this.size = size;
    this.reversed = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** In place: forward (e^{−iωt}) when `inverse` is false, else inverse scaled by 1/size. */
  transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const n = this.size;
    const reversed = this.reversed;
    for (let i = 0; i < n; i++) {
      const j = reversed[i];
      if (i < j) {
        const tr = re[i];
        re[i] = re[j];
        re[j] = tr;
        const ti = im[i];
        im[i] = im[j];
        im[j] = ti;
      }
    }
    const cos = this.cos;
    const sin = this.sin;
    const sign = inverse ? -1 : 1;
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1;
      const stride = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0, t = 0; k < half; k++, t += stride) {
          const wr = cos[t];
          const wi = sign * sin[t];
          const a = start + k;
          const b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
    if (inverse) {
      const scale = 1 / n;
      for (let i = 0; i < n; i++) {
        re[i] *= scale;
        im[i] *= scale;
      }
    }
  }
}
