/**
 * Sample-rate conversion by windowed-sinc interpolation (Kaiser window, β = 8.6, 32 zero
 * crossings each side): stopband around −90 dB, passband flat to ~0.45 of the lower rate.
 * The cutoff follows the lower of the two rates, so downsampling does not alias.
 * Deterministic, and exact for equal rates (returns a copy).
 */
const HALF_TAPS = 32;
const BETA = 8.6;

export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return input.slice();
  const ratio = toRate / fromRate;
  const length = Math.max(0, Math.round(input.length * ratio));
  const out = new Float32Array(length);
  // Cutoff as a fraction of the input's Nyquist: lower when going down.
  const cutoff = Math.min(1, ratio) * 0.97;
  const reach = Math.ceil(HALF_TAPS / cutoff);
  const norm = besselI0(BETA);
  for (let n = 0; n < length; n++) {
    const centre = n / ratio;
    const first = Math.max(0, Math.ceil(centre - reach));
    const last = Math.min(input.length - 1, Math.floor(centre + reach));
    let sum = 0;
    for (let k = first; k <= last; k++) {
      const x = (k - centre) * cutoff;
      const w = x / HALF_TAPS;
      if (w <= -1 || w >= 1) continue;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      sum += input[k] * sinc * (besselI0(BETA * Math.sqrt(1 - w * w)) / norm);
    }
    out[n] = sum * cutoff;
  }
  return out;
}

/** Modified Bessel function of the first kind, order 0 (series; converges fast for β ≤ 10). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarter = (x * x) / 4;
  for (let k = 1; k < 40; k++) {
    term *= quarter / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}
