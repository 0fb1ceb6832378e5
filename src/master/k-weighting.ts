/**
 * BS.1770's K-weighting: a high shelf (+4 dB above ~1.7 kHz, the head's effect) and the
 * RLB high-pass (~38 Hz). The standard publishes coefficients for 48 kHz only; these are
 * derived for any rate from the analogue prototypes (centre frequency, gain, Q) with the
 * bilinear transform and tan() pre-warping — the same derivation libebur128 uses, so that
 * 44.1 kHz and 96 kHz material measure like 48 kHz material.
 */

export interface Biquad {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/** Stage 1: the high shelf. */
export function shelvingFilter(sampleRate: number): Biquad {
  const f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  const q = 0.7071752369554196;
  const k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = Math.pow(10, gainDb / 20);
  const vb = Math.pow(vh, 0.4996667741545416);
  const a0 = 1 + k / q + k * k;
  return {
    b0: (vh + (vb * k) / q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
}

/** Stage 2: the RLB high-pass. Its numerator is [1, -2, 1], as in the standard. */
export function highPassFilter(sampleRate: number): Biquad {
  const f0 = 38.13547087602444;
  const q = 0.5003270373238773;
  const k = Math.tan((Math.PI * f0) / sampleRate);
  const a0 = 1 + k / q + k * k;
  return { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / q + k * k) / a0 };
}
