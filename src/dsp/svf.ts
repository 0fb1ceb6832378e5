/**
 * Trapezoidal (topology-preserving) state-variable filter after Andrew Simper (Cytomic):
 * stable at any cutoff below Nyquist and under fast modulation, which a biquad is not.
 */
export interface SvfState {
  ic1: number;
  ic2: number;
  /** Band-pass output of the last sample. */
  band: number;
  /** Low-pass output of the last sample. */
  low: number;
}

export interface SvfCoefficients {
  a1: number;
  a2: number;
  a3: number;
  k: number;
}

/** Map resonance 0–1 to damping k: 0 → Butterworth (Q 0.707), 1 → Q ≈ 20. */
export function dampingFromResonance(resonance: number): number {
  const r = Math.min(1, Math.max(0, resonance));
  return Math.SQRT2 * (1 - r) + 0.05 * r;
}

export function svfCoefficients(cutoff: number, sampleRate: number, k: number, out: SvfCoefficients): SvfCoefficients {
  const limited = Math.min(Math.max(cutoff, 10), sampleRate * 0.49);
  const g = Math.tan((Math.PI * limited) / sampleRate);
  out.a1 = 1 / (1 + g * (g + k));
  out.a2 = g * out.a1;
  out.a3 = g * out.a2;
  out.k = k;
  return out;
}

/**
 * Advance the filter by one sample; afterwards `state.band` and `state.low` hold the
 * band-pass and low-pass outputs (high-pass = input - k·band - low).
 */
function svfTick(state: SvfState, c: SvfCoefficients, input: number): void {
  const v3 = input - state.ic2;
  const v1 = c.a1 * state.ic1 + c.a2 * v3;
  const v2 = state.ic2 + c.a2 * state.ic1 + c.a3 * v3;
  state.ic1 = 2 * v1 - state.ic1;
  state.ic2 = 2 * v2 - state.ic2;
  state.band = v1;
  state.low = v2;
}

/** One sample through the filter; returns the low-pass output. */
export function svfLowpass(state: SvfState, c: SvfCoefficients, input: number): number {
  svfTick(state, c, input);
  return state.low;
}

/** One sample through the filter; returns the high-pass output. */
export function svfHighpass(state: SvfState, c: SvfCoefficients, input: number): number {
  svfTick(state, c, input);
  return input - c.k * state.band - state.low;
}

/** One sample through the filter; returns the band-pass output. */
export function svfBandpass(state: SvfState, c: SvfCoefficients, input: number): number {
  svfTick(state, c, input);
  return state.band;
}

/** A filter at rest. */
export function svfState(): SvfState {
  return { ic1: 0, ic2: 0, band: 0, low: 0 };
}
