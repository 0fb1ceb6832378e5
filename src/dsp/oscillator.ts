/** Band-limited oscillator waveforms as functions of phase, for the voice loops. */
import { polyBlamp, polyBlep } from './blep.ts';

export type Waveform = 'saw' | 'square' | 'triangle' | 'sine';
export const WAVEFORMS: readonly Waveform[] = ['saw', 'square', 'triangle', 'sine'];

const TWO_PI = 2 * Math.PI;

/** One sample of `wave` at `phase` ∈ [0, 1) advancing by `dt` per sample; range about ±1. */
export function oscillatorSample(wave: Waveform, phase: number, dt: number): number {
  switch (wave) {
    case 'saw':
      return 2 * phase - 1 - polyBlep(phase, dt);
    case 'square': {
      const naive = phase < 0.5 ? 1 : -1;
      let shifted = phase + 0.5;
      if (shifted >= 1) shifted -= 1;
      return naive + polyBlep(phase, dt) - polyBlep(shifted, dt);
    }
    case 'triangle': {
      // Naive triangle 1 - 4|phase - 0.5|... shifted so it starts at 0 rising like a sine.
      let p = phase + 0.25;
      if (p >= 1) p -= 1;
      const naive = 1 - 4 * Math.abs(p - 0.5);
      let q = p + 0.5;
      if (q >= 1) q -= 1;
      // Slope jumps by ±8 per cycle at the two corners; BLAMP scaled by 4·dt rounds them.
      return naive + 4 * dt * (polyBlamp(p, dt) - polyBlamp(q, dt));
    }
    case 'sine':
      return Math.sin(TWO_PI * phase);
  }
}

/**
 * Fill `out[0..count)` with `wave` starting at `phase`; returns the phase after the block.
 * The waveform is chosen once per block, so the per-sample loops stay branch-light.
 */
export function oscillatorBlock(wave: Waveform, phase: number, dt: number, out: Float64Array, count: number): number {
  let p = phase;
  switch (wave) {
    case 'saw':
      for (let i = 0; i < count; i++) {
        out[i] = 2 * p - 1 - polyBlep(p, dt);
        p += dt;
        if (p >= 1) p -= 1;
      }
      break;
    case 'square':
      for (let i = 0; i < count; i++) {
        let shifted = p + 0.5;
        if (shifted >= 1) shifted -= 1;
        out[i] = (p < 0.5 ? 1 : -1) + polyBlep(p, dt) - polyBlep(shifted, dt);
        p += dt;
        if (p >= 1) p -= 1;
      }
      break;
    default:
      for (let i = 0; i < count; i++) {
        out[i] = oscillatorSample(wave, p, dt);
        p += dt;
        if (p >= 1) p -= 1;
      }
  }
  return p;
}
