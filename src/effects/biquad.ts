/**
 * Biquad filters after Robert Bristow-Johnson's Audio-EQ-Cookbook: coefficient design for
 * the usual EQ shapes, an exact magnitude response evaluated from the coefficients, and a
 * transposed direct form II processor whose state stays in float64.
 *
 * High- and low-pass slopes steeper than 12 dB/oct are cascades of second-order sections
 * whose Qs are those of the Butterworth polynomial of the matching order, so the cascade is
 * maximally flat and sits exactly 3.01 dB down at the corner (the bilinear transform is
 * pre-warped at the corner by the cookbook's use of the true w0).
 */
import type { Decibels, Hertz } from '../theory/units.ts';

/** One second-order section, normalised so a0 = 1: y = b0·x + b1·x₋₁ + b2·x₋₂ − a1·y₋₁ − a2·y₋₂. */
export interface BiquadCoefficients {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/** The cookbook shapes mixdown designs. */
export type BiquadType = 'bell' | 'lowshelf' | 'highshelf' | 'highpass' | 'lowpass' | 'notch' | 'bandpass';

/** Steepness of a high/low-pass: 6 dB/oct per pole, two poles per section. */
export type FilterSlope = 12 | 24 | 36 | 48;

export const FILTER_SLOPES: readonly FilterSlope[] = [12, 24, 36, 48];

/** Q of a Butterworth second-order section: the flattest pass band, −3.01 dB at the corner. */
export const BUTTERWORTH_Q = Math.SQRT1_2;

/** Highest frequency a design accepts, as a fraction of the sample rate: tan(π·f/fs) blows up at Nyquist. */
const MAX_FREQUENCY_FRACTION = 0.49;
const MIN_FREQUENCY: Hertz = 1;

function normalise(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): BiquadCoefficients {
  const inv = 1 / a0;
  return { b0: b0 * inv, b1: b1 * inv, b2: b2 * inv, a1: a1 * inv, a2: a2 * inv };
}

/** Clamp a design frequency to what the bilinear transform can place at this sample rate. */
export function clampFrequency(frequency: Hertz, sampleRate: number): Hertz {
  return Math.min(Math.max(frequency, MIN_FREQUENCY), sampleRate * MAX_FREQUENCY_FRACTION);
}

/**
 * One cookbook section. `q` is the cookbook Q for every shape (for shelves, Q = 1/√2 is the
 * shelf slope S = 1, the steepest without overshoot); `gainDb` matters only for bell and shelves.
 */
export function designBiquad(type: BiquadType, frequency: Hertz, sampleRate: number, q: number, gainDb: Decibels = 0): BiquadCoefficients {
  const w0 = (2 * Math.PI * clampFrequency(frequency, sampleRate)) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  switch (type) {
    case 'lowpass':
      return normalise((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    case 'highpass':
      return normalise((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    case 'bandpass':
      // Constant 0 dB peak gain version.
      return normalise(alpha, 0, -alpha, 1 + alpha, -2 * cos, 1 - alpha);
    case 'notch':
      return normalise(1, -2 * cos, 1, 1 + alpha, -2 * cos, 1 - alpha);
    case 'bell': {
      const a = Math.pow(10, gainDb / 40);
      return normalise(1 + alpha * a, -2 * cos, 1 - alpha * a, 1 + alpha / a, -2 * cos, 1 - alpha / a);
    }
    case 'lowshelf': {
      const a = Math.pow(10, gainDb / 40);
      const root = 2 * Math.sqrt(a) * alpha;
      return normalise(
        a * (a + 1 - (a - 1) * cos + root),
        2 * a * (a - 1 - (a + 1) * cos),
        a * (a + 1 - (a - 1) * cos - root),
        a + 1 + (a - 1) * cos + root,
        -2 * (a - 1 + (a + 1) * cos),
        a + 1 + (a - 1) * cos - root,
      );
    }
    case 'highshelf': {
      const a = Math.pow(10, gainDb / 40);
      const root = 2 * Math.sqrt(a) * alpha;
      return normalise(
        a * (a + 1 + (a - 1) * cos + root),
        -2 * a * (a - 1 + (a + 1) * cos),
        a * (a + 1 + (a - 1) * cos - root),
        a + 1 - (a - 1) * cos + root,
        2 * (a - 1 - (a + 1) * cos),
        a + 1 - (a - 1) * cos - root,
      );
    }
  }
}

/**
 * Qs of the second-order sections of an even-order Butterworth filter: the poles sit at
 * angles π(2k+1)/(2n) from the negative real axis, and a pole pair at angle θ has Q = 1/(2cos θ).
 * Order 2 → [0.7071]; 4 → [0.5412, 1.3066]; 6 → [0.5176, 0.7071, 1.9319]; 8 → [0.5098, 0.6013, 0.9000, 2.5629].
 */
export function butterworthQs(order: number): number[] {
  const qs: number[] = [];
  for (let k = 0; k < order / 2; k++) qs.push(1 / (2 * Math.cos((Math.PI * (2 * k + 1)) / (2 * order))));
  return qs.sort((a, b) => a - b);
}

/** The sections of a Butterworth high/low-pass of `slope` dB/oct. */
export function designButterworth(type: 'highpass' | 'lowpass', frequency: Hertz, sampleRate: number, slope: FilterSlope): BiquadCoefficients[] {
  return butterworthQs(slope / 6).map((q) => designBiquad(type, frequency, sampleRate, q));
}

/** Exact |H(e^jω)| of one section in dB at `frequency`, from its coefficients. */
export function biquadMagnitudeDb(coeffs: BiquadCoefficients, frequency: Hertz, sampleRate: number): Decibels {
  const w = (2 * Math.PI * frequency) / sampleRate;
  const c1 = Math.cos(w);
  const s1 = Math.sin(w);
  const c2 = Math.cos(2 * w);
  const s2 = Math.sin(2 * w);
  const numRe = coeffs.b0 + coeffs.b1 * c1 + coeffs.b2 * c2;
  const numIm = coeffs.b1 * s1 + coeffs.b2 * s2;
  const denRe = 1 + coeffs.a1 * c1 + coeffs.a2 * c2;
  const denIm = coeffs.a1 * s1 + coeffs.a2 * s2;
  // 10·log10 of the squared ratio avoids a square root and keeps deep notches finite-ish.
  return 10 * Math.log10((numRe * numRe + numIm * numIm) / (denRe * denRe + denIm * denIm));
}

/** Magnitude of a cascade of sections in dB: the sum of each section's dB. */
export function cascadeMagnitudeDb(sections: readonly BiquadCoefficients[], frequency: Hertz, sampleRate: number): Decibels {
  let total = 0;
  for (const section of sections) total += biquadMagnitudeDb(section, frequency, sampleRate);
  return total;
}

/**
 * Run one section over `data[from, to)` in place (transposed direct form II). The two state
 * words live in `state[offset]` and `state[offset + 1]` (float64) so a long signal can be
 * processed block by block, and coefficients swapped between blocks, without a click from
 * lost state. TDF-II keeps its state small in magnitude, which is why it tolerates
 * coefficient changes between blocks better than direct form I. `flush` (default true) sets
 * the state's denormals to zero at the end: a caller that splits its blocks further flushes
 * only at the ends of the blocks it means, so any split gives the same samples.
 */
export function processBiquad(coeffs: BiquadCoefficients, state: Float64Array, offset: number, data: Float64Array, from: number, to: number, flush = true): void {
  const b0 = coeffs.b0;
  const b1 = coeffs.b1;
  const b2 = coeffs.b2;
  const a1 = coeffs.a1;
  const a2 = coeffs.a2;
  let s1 = state[offset];
  let s2 = state[offset + 1];
  for (let i = from; i < to; i++) {
    const x = data[i];
    const y = b0 * x + s1;
    s1 = b1 * x - a1 * y + s2;
    s2 = b2 * x - a2 * y;
    data[i] = y;
  }
  // Flush denormals: a filter ringing out into silence would otherwise crawl through subnormals.
  state[offset] = flush && Math.abs(s1) < 1e-30 ? 0 : s1;
  state[offset + 1] = flush && Math.abs(s2) < 1e-30 ? 0 : s2;
}
