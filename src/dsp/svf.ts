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

/** Per-cutoff constants (Simper's a1–a3) and the damping k = 1/Q. */
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

/**
 * Coefficients for `cutoff` Hz, clamped to 10 Hz … 0.49·sampleRate: tan() of the pre-warped
 * frequency, so the response is exact at the cutoff and the filter stays stable up to Nyquist.
 */
export function svfCoefficients(cutoff: number, sampleRate: number, k: number, out: SvfCoefficients): SvfCoefficients {
  const limited = Math.min(Math.max(cutoff, 10), sampleRate * 0.49);
  const g = Math.tan((Math.PI * limited) / sampleRate);
  out.a1 = 1 / (1 + g * (g + k));
  out.a2 = g * out.a1;
  out.a3 = g * out.a2;
  out.k = k;
  return out;
}

/** Entries per octave of the prewarp table: linear interpolation between them errs < 1e-5 relative. */
const WARP_STEPS_PER_OCTAVE = 256;
const WARP_LOW_HZ = 10;

/** tan(π·f/rate) tabulated over log2(f) from 10 Hz to 0.49·rate, per sample rate. */
export interface PrewarpTable {
  readonly sampleRate: number;
  readonly values: Float64Array;
  /** log2(10 Hz) and log2(0.49·rate): where the table starts and ends. */
  readonly low: number;
  readonly high: number;
}

const prewarpTables = new Map<number, PrewarpTable>();

/** The prewarp table for a rate (built once per rate and process). */
export function prewarpTable(sampleRate: number): PrewarpTable {
  let table = prewarpTables.get(sampleRate);
  if (!table) {
    const low = Math.log2(WARP_LOW_HZ);
    const high = Math.log2(sampleRate * 0.49);
    const values = new Float64Array(Math.ceil((high - low) * WARP_STEPS_PER_OCTAVE) + 2);
    for (let i = 0; i < values.length; i++) values[i] = Math.tan((Math.PI * Math.min(2 ** (low + i / WARP_STEPS_PER_OCTAVE), sampleRate * 0.49)) / sampleRate);
    table = { sampleRate, values, low, high };
    prewarpTables.set(sampleRate, table);
  }
  return table;
}

/**
 * Coefficients for a cutoff given as log2(Hz), from the prewarp table: no tan() or pow() in
 * a voice loop that moves its cutoff every block (an opening filter envelope). Clamped to
 * 10 Hz … 0.49·rate like svfCoefficients.
 */
export function svfCoefficientsLog2(log2Cutoff: number, table: PrewarpTable, k: number, out: SvfCoefficients): SvfCoefficients {
  const clamped = log2Cutoff < table.low ? table.low : log2Cutoff > table.high ? table.high : log2Cutoff;
  const position = (clamped - table.low) * WARP_STEPS_PER_OCTAVE;
  const index = position | 0;
  const values = table.values;
  const g = values[index] + (position - index) * (values[index + 1] - values[index]);
  const a1 = 1 / (1 + g * (g + k));
  out.a1 = a1;
  out.a2 = g * a1;
  out.a3 = g * g * a1;
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

/**
 * Low-pass `buffer[0..count)` in place with fixed coefficients: the block form the synth's
 * voices use, with the state in locals for the loop and written back once at the end.
 */
export function svfLowpassBlock(state: SvfState, c: SvfCoefficients, buffer: Float64Array, count: number): void {
  const { a1, a2, a3 } = c;
  let ic1 = state.ic1;
  let ic2 = state.ic2;
  let v1 = state.band;
  let v2 = state.low;
  for (let i = 0; i < count; i++) {
    const v3 = buffer[i] - ic2;
    v1 = a1 * ic1 + a2 * v3;
    v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2 * v1 - ic1;
    ic2 = 2 * v2 - ic2;
    buffer[i] = v2;
  }
  state.ic1 = ic1;
  state.ic2 = ic2;
  state.band = v1;
  state.low = v2;
}

/**
 * High-pass `input[0..length)` into `out` with fixed coefficients (a sidechain key filter):
 * the state in locals for the loop, written back once at the end.
 */
export function svfHighpassBlock(state: SvfState, c: SvfCoefficients, input: Float32Array, out: Float32Array): void {
  const { a1, a2, a3, k } = c;
  let ic1 = state.ic1;
  let ic2 = state.ic2;
  let v1 = state.band;
  let v2 = state.low;
  for (let i = 0; i < input.length; i++) {
    const x = input[i];
    const v3 = x - ic2;
    v1 = a1 * ic1 + a2 * v3;
    v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2 * v1 - ic1;
    ic2 = 2 * v2 - ic2;
    out[i] = x - k * v1 - v2;
  }
  state.ic1 = ic1;
  state.ic2 = ic2;
  state.band = v1;
  state.low = v2;
}

/** A filter at rest. */
export function svfState(): SvfState {
  return { ic1: 0, ic2: 0, band: 0, low: 0 };
}
