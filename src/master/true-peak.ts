/**
 * True peak (BS.1770-4 Annex 2): the signal's peak after oversampling (4× below 96 kHz,
 * 2× up to 192 kHz) with an interpolating low-pass, so peaks between samples — the ones a
 * DAC or a lossy encoder will produce — are seen. A polyphase FIR interpolates: 32 taps
 * per phase, Kaiser-windowed sinc (β = 9), each phase normalised to unity DC gain — the
 * shape of FFmpeg's resampler, so mixdown agrees with `ebur128=peak=true` on music with
 * strong high frequencies (BS.1770's own 12-tap example filter reads such material up to
 * 0.7 dB lower). Stretches that cannot beat the current maximum are skipped.
 */

const TAPS_PER_PHASE = 32;
/** The taps next to the interpolated point (it lies between inputs i - 16 and i - 15). */
const NEAR = [14, 15, 16, 17];
const KAISER_BETA = 9;

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function bessel0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}
const BLOCK = 64;

interface Interpolator {
  readonly factor: number;
  /** Per phase: sum of |taps| away from the centre (all but NEAR), for the per-sample bound. */
  readonly farGain: Float64Array;
  /** phases[p][k]: coefficient k of in-between phase p + 1 (phase 0 is the input itself). */
  readonly phases: readonly Float64Array[];
  /** Largest sum of |coefficients| of any phase: the most a phase can amplify. */
  readonly maxGain: number;
  /** Per phase: |taps| at NEAR, for the per-sample bound. */
  readonly nearGain: readonly Float64Array[];
}

const cache = new Map<number, Interpolator>();

function interpolator(sampleRate: number): Interpolator {
  const factor = sampleRate < 96000 ? 4 : sampleRate < 192000 ? 2 : 1;
  let found = cache.get(factor);
  if (found) return found;
  // Odd length, centred on a tap: phase 0 is then the input itself (sinc at whole samples
  // is 1 at the centre and 0 elsewhere), so only the in-between phases need computing.
  const length = TAPS_PER_PHASE * factor + 1;
  const centre = (length - 1) / 2;
  const taps = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    const x = (n - centre) / factor;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = (n - centre) / (length / 2);
    taps[n] = (sinc * bessel0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r)))) / bessel0(KAISER_BETA);
  }
  const phases = Array.from({ length: factor - 1 }, (_, index) => {
    const p = index + 1;
    const phase = new Float64Array(TAPS_PER_PHASE);
    for (let k = 0; k < TAPS_PER_PHASE; k++) phase[k] = taps[k * factor + p];
    // Each phase passes DC at unity, so a constant signal measures its own level.
    const sum = phase.reduce((a, b) => a + b, 0);
    for (let k = 0; k < TAPS_PER_PHASE; k++) phase[k] /= sum;
    return phase;
  });
  const maxGain = Math.max(...phases.map((phase) => phase.reduce((a, b) => a + Math.abs(b), 0)));
  const farGain = Float64Array.from(phases, (phase) => phase.reduce((sum, tap, k) => (NEAR.includes(k) ? sum : sum + Math.abs(tap)), 0));
  const nearGain = phases.map((phase) => Float64Array.from(NEAR, (k) => Math.abs(phase[k])));
  found = { factor, phases, maxGain, farGain, nearGain };
  cache.set(factor, found);
  return found;
}

/**
 * A bound on one phase's interpolated magnitude at output i: its four taps nearest the point
 * exactly (|tap| × |input|), the rest at the window's largest input.
 */
function phaseBound(near: Float64Array, far: number, a0: number, a1: number, a2: number, a3: number, local: number): number {
  return near[0] * a0 + near[1] * a1 + near[2] * a2 + near[3] * a3 + far * local;
}

/** One phase's interpolated value at output i, every tap inside the signal (i ≥ taps − 1). */
function phaseSum(h: Float64Array, x: Float32Array, i: number): number {
  let sum = 0;
  for (let k = 0; k < TAPS_PER_PHASE; k++) sum += h[k] * x[i - k];
  return sum;
}

/**
 * Largest absolute value of the oversampled signal over all channels (linear; 0 for silence).
 * Pass the sample peak when it is known, to save a pass.
 */
export function truePeak(channels: readonly Float32Array[], sampleRate: number, knownSamplePeak?: number): number {
  const { factor, phases, maxGain, farGain, nearGain } = interpolator(sampleRate);
  let peak = knownSamplePeak ?? 0;
  if (knownSamplePeak === undefined) {
    for (const x of channels) {
      for (let i = 0; i < x.length; i++) {
        const magnitude = Math.abs(x[i]);
        if (magnitude > peak) peak = magnitude;
      }
    }
  }
  if (factor === 1) return peak;
  const [n0, n1, n2, n3] = NEAR;
  for (const x of channels) {
    const n = x.length;
    for (let blockStart = 0; blockStart < n; blockStart += BLOCK) {
      const blockEnd = Math.min(n, blockStart + BLOCK);
      // Every output in this block reads inputs from blockStart - (taps - 1) to blockEnd - 1.
      let local = 0;
      for (let i = Math.max(0, blockStart - TAPS_PER_PHASE + 1); i < blockEnd; i++) {
        const magnitude = Math.abs(x[i]);
        if (magnitude > local) local = magnitude;
      }
      if (local * maxGain <= peak) continue;
      // Outputs whose window reaches before the first sample are skipped: they would
      // measure the step from implied silence into the file, not the signal.
      for (let i = Math.max(blockStart, TAPS_PER_PHASE - 1); i < blockEnd; i++) {
        const a0 = Math.abs(x[i - n0]);
        const a1 = Math.abs(x[i - n1]);
        const a2 = Math.abs(x[i - n2]);
        const a3 = Math.abs(x[i - n3]);
        for (let p = 0; p < phases.length; p++) {
          // A cheap bound first; the full sum only where it could beat the peak so far.
          if (phaseBound(nearGain[p], farGain[p], a0, a1, a2, a3, local) <= peak) continue;
          const sum = phaseSum(phases[p], x, i);
          const magnitude = sum < 0 ? -sum : sum;
          if (magnitude > peak) peak = magnitude;
        }
      }
    }
  }
  return peak;
}

/**
 * Per-sample true-peak envelope (linear, max over channels): each sample's magnitude and
 * the oversampled values on either side of it — what a limiter needs to keep every
 * inter-sample peak under its ceiling. Only values above `threshold` matter to the
 * caller, so stretches whose upper bound (window maximum × the interpolator's largest
 * gain) stays under it get that bound instead of an exact value: still above every true
 * value there, still under the threshold, and far cheaper to find.
 */
export function truePeakEnvelope(channels: readonly Float32Array[], sampleRate: number, threshold = 0): Float64Array {
  const { phases, maxGain, farGain, nearGain } = interpolator(sampleRate);
  const [n0, n1, n2, n3] = NEAR;
  // A bound this far under the threshold stays under the ceiling at any gain the caller
  // allowed for, whatever the rounding of the bound's own sum.
  const safeThreshold = threshold * (1 - 1e-9);
  const length = channels[0]?.length ?? 0;
  const envelope = new Float64Array(length);
  // The interpolator delays by half its length: its output at i lies between inputs
  // i - delay and i - delay + 1.
  const delay = TAPS_PER_PHASE / 2;
  for (const x of channels) {
    for (let i = 0; i < length; i++) {
      const magnitude = x[i] < 0 ? -x[i] : x[i];
      if (magnitude > envelope[i]) envelope[i] = magnitude;
    }
    if (phases.length === 0) continue;
    const end = length + delay;
    for (let blockStart = 0; blockStart < end; blockStart += BLOCK) {
      const blockEnd = Math.min(end, blockStart + BLOCK);
      let local = 0;
      for (let i = Math.max(0, blockStart - TAPS_PER_PHASE + 1); i < Math.min(length, blockEnd); i++) {
        const magnitude = x[i] < 0 ? -x[i] : x[i];
        if (magnitude > local) local = magnitude;
      }
      const bound = local * maxGain;
      const exact = bound > threshold;
      for (let i = blockStart; i < blockEnd; i++) {
        let between = bound;
        if (exact && i >= TAPS_PER_PHASE - 1 && i < length) {
          // Every tap inside the signal. A phase whose bound (nearest taps exact, the rest
          // at the window's maximum) stays under the threshold with a margin cannot reach
          // it: it contributes that bound, the rest are computed in full — values above the
          // threshold come out exactly as before, the ones under it stay under it.
          between = 0;
          const a0 = Math.abs(x[i - n0]);
          const a1 = Math.abs(x[i - n1]);
          const a2 = Math.abs(x[i - n2]);
          const a3 = Math.abs(x[i - n3]);
          for (let p = 0; p < phases.length; p++) {
            const bound = phaseBound(nearGain[p], farGain[p], a0, a1, a2, a3, local);
            if (bound <= safeThreshold) {
              if (bound > between) between = bound;
              continue;
            }
            const sum = phaseSum(phases[p], x, i);
            const magnitude = sum < 0 ? -sum : sum;
            if (magnitude > between) between = magnitude;
          }
        } else if (exact) {
          between = 0;
          const count = i + 1 < TAPS_PER_PHASE ? i + 1 : TAPS_PER_PHASE;
          for (let p = 0; p < phases.length; p++) {
            const h = phases[p];
            let sum = 0;
            for (let k = 0; k < count; k++) {
              const index = i - k;
              if (index < length) sum += h[k] * x[index];
            }
            const magnitude = sum < 0 ? -sum : sum;
            if (magnitude > between) between = magnitude;
          }
        }
        const before = i - delay;
        const after = i - delay + 1;
        if (before >= 0 && before < length && between > envelope[before]) envelope[before] = between;
        if (after >= 0 && after < length && between > envelope[after]) envelope[after] = between;
      }
    }
  }
  return envelope;
}
