/**
 * Band-limited oscillators, rendered a block at a time into a Float64Array.
 *
 * Phase is a float64 accumulator in cycles, [0, 1), advanced by `dt` = frequency / sampleRate
 * per sample; every function takes the phase at the block's first sample and returns the
 * phase after its last, so a voice calls them back to back with no drift. One loop per
 * waveform keeps the per-sample work branch-light (the BLEP branches are rarely taken).
 */
import { polyBlamp, polyBlep } from './blep.ts';

// Module-local bindings of the per-sample helpers. Songs and render workers run through
// vite-node, which turns every use of an imported name into a property read on the
// imported module's exports object; in a per-sample loop that read costs more than the
// BLEP itself and keeps V8 from inlining it. A local const is read once, here.
const blep = polyBlep;
const blamp = polyBlamp;

export type Waveform = 'saw' | 'square' | 'triangle' | 'sine';
export const WAVEFORMS: readonly Waveform[] = ['saw', 'square', 'triangle', 'sine'];

const TWO_PI = 2 * Math.PI;

/** Rising sawtooth, -1 → 1, with polyBLEP at the wrap. Starts at 0 (mid-step) from phase 0. */
export function sawBlock(phase: number, dt: number, out: Float64Array, count: number): number {
  let p = phase;
  for (let i = 0; i < count; i++) {
    out[i] = 2 * p - 1 - blep(p, dt);
    p += dt;
    if (p >= 1) p -= 1;
  }
  return p;
}

/** Square, +1 for the first half cycle, with polyBLEP at both edges. */
export function squareBlock(phase: number, dt: number, out: Float64Array, count: number): number {
  let p = phase;
  for (let i = 0; i < count; i++) {
    let half = p + 0.5;
    if (half >= 1) half -= 1;
    out[i] = (p < 0.5 ? 1 : -1) + blep(p, dt) - blep(half, dt);
    p += dt;
    if (p >= 1) p -= 1;
  }
  return p;
}

/**
 * Triangle starting at 0 and rising, like a sine. Its corners are slope jumps of ±8·dt per
 * sample; polyBLAMP (scaled by 4·dt, see blep.ts) rounds them, which is what integrating a
 * polyBLEP square would give, without the integrator's DC drift.
 */
export function triangleBlock(phase: number, dt: number, out: Float64Array, count: number): number {
  let p = phase;
  const corner = 4 * dt;
  for (let i = 0; i < count; i++) {
    // t: phase measured from the trough (phase 0.75), u: from the peak (phase 0.25).
    let t = p + 0.25;
    if (t >= 1) t -= 1;
    let u = t + 0.5;
    if (u >= 1) u -= 1;
    const naive = t < 0.5 ? 4 * t - 1 : 3 - 4 * t;
    out[i] = naive + corner * (blamp(t, dt) - blamp(u, dt));
    p += dt;
    if (p >= 1) p -= 1;
  }
  return p;
}

/**
 * Sine by the two-term recurrence s[n] = 2cos(ω)·s[n-1] - s[n-2], re-seeded from the exact
 * phase every block: two sin() and one cos() per block instead of one sin() per sample, and
 * the recurrence's rounding never has more than a block to grow (error ≈ 1e-14).
 */
export function sineBlock(phase: number, dt: number, out: Float64Array, count: number): number {
  if (count <= 0) return phase;
  const w = TWO_PI * dt;
  const c = 2 * Math.cos(w);
  let s0 = Math.sin(TWO_PI * phase);
  let s1 = Math.sin(TWO_PI * phase + w);
  out[0] = s0;
  if (count > 1) out[1] = s1;
  for (let i = 2; i < count; i++) {
    const s2 = c * s1 - s0;
    out[i] = s2;
    s0 = s1;
    s1 = s2;
  }
  const next = phase + dt * count;
  return next - Math.floor(next);
}

/** Fill `out[0..count)` with `wave` from `phase`; returns the phase after the block. */
export function oscillatorBlock(wave: Waveform, phase: number, dt: number, out: Float64Array, count: number): number {
  switch (wave) {
    case 'saw':
      return sawBlock(phase, dt, out, count);
    case 'square':
      return squareBlock(phase, dt, out, count);
    case 'triangle':
      return triangleBlock(phase, dt, out, count);
    case 'sine':
      return sineBlock(phase, dt, out, count);
  }
}
