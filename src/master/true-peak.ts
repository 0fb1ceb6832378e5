/**
 * True peak (BS.1770-4 Annex 2): the signal's peak after oversampling (4× below 96 kHz,
 * 2× up to 192 kHz) with an interpolating low-pass, so peaks between samples — the ones a
 * DAC or a lossy encoder will produce — are seen. A polyphase FIR (12 taps per phase,
 * windowed sinc) interpolates; stretches that cannot beat the current maximum are skipped.
 */

const TAPS_PER_PHASE = 12;
const BLOCK = 64;

interface Interpolator {
  readonly factor: number;
  /** phases[p][k]: coefficient k of phase p. */
  readonly phases: readonly Float64Array[];
  /** Largest sum of |coefficients| of any phase: the most a phase can amplify. */
  readonly maxGain: number;
}

const cache = new Map<number, Interpolator>();

function interpolator(sampleRate: number): Interpolator {
  const factor = sampleRate < 96000 ? 4 : sampleRate < 192000 ? 2 : 1;
  let found = cache.get(factor);
  if (found) return found;
  const length = TAPS_PER_PHASE * factor;
  const centre = (length - 1) / 2;
  const taps = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    const x = (n - centre) / factor;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    // Blackman-Harris window: sidelobes far below the 0.1 dB the measurement needs.
    const w = (2 * Math.PI * (n + 0.5)) / length;
    const window = 0.35875 - 0.48829 * Math.cos(w) + 0.14128 * Math.cos(2 * w) - 0.01168 * Math.cos(3 * w);
    taps[n] = sinc * window;
  }
  const phases = Array.from({ length: factor }, (_, p) => {
    const phase = new Float64Array(TAPS_PER_PHASE);
    for (let k = 0; k < TAPS_PER_PHASE; k++) phase[k] = taps[k * factor + p];
    // Each phase passes DC at unity, so a constant signal measures its own level.
    const sum = phase.reduce((a, b) => a + b, 0);
    for (let k = 0; k < TAPS_PER_PHASE; k++) phase[k] /= sum;
    return phase;
  });
  const maxGain = Math.max(...phases.map((phase) => phase.reduce((a, b) => a + Math.abs(b), 0)));
  found = { factor, phases, maxGain };
  cache.set(factor, found);
  return found;
}

/** Largest absolute value of the oversampled signal over all channels (linear; 0 for silence). */
export function truePeak(channels: readonly Float32Array[], sampleRate: number): number {
  const { factor, phases, maxGain } = interpolator(sampleRate);
  let peak = 0;
  for (const x of channels) {
    for (let i = 0; i < x.length; i++) {
      const magnitude = Math.abs(x[i]);
      if (magnitude > peak) peak = magnitude;
    }
  }
  if (factor === 1) return peak;
  for (const x of channels) {
    const n = x.length;
    for (let blockStart = 0; blockStart < n; blockStart += BLOCK) {
      const blockEnd = Math.min(n, blockStart + BLOCK);
      // Every output in this block reads inputs from blockStart - 11 to blockEnd - 1.
      let local = 0;
      for (let i = Math.max(0, blockStart - TAPS_PER_PHASE + 1); i < blockEnd; i++) {
        const magnitude = Math.abs(x[i]);
        if (magnitude > local) local = magnitude;
      }
      if (local * maxGain <= peak) continue;
      for (let i = blockStart; i < blockEnd; i++) {
        for (let p = 0; p < factor; p++) {
          const h = phases[p];
          let sum = 0;
          for (let k = 0; k < TAPS_PER_PHASE; k++) {
            const index = i - k;
            if (index >= 0) sum += h[k] * x[index];
          }
          const magnitude = Math.abs(sum);
          if (magnitude > peak) peak = magnitude;
        }
      }
    }
  }
  return peak;
}
