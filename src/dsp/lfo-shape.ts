/** LFO waveforms shared by the instruments' LFO and the auto-filter. */

export type LfoShape = 'sine' | 'triangle' | 'square' | 'saw';
export const LFO_SHAPES: readonly LfoShape[] = ['sine', 'triangle', 'square', 'saw'];

/** LFO value −1…1 at `phase` cycles; sine and triangle start at 0 rising, as a sine does. */
export function lfoValue(shape: LfoShape, phase: number): number {
  const p = phase - Math.floor(phase);
  switch (shape) {
    case 'sine':
      return Math.sin(2 * Math.PI * p);
    case 'triangle': {
      const q = p + 0.75 - Math.floor(p + 0.75);
      return 4 * Math.abs(q - 0.5) - 1;
    }
    case 'square':
      return p < 0.5 ? 1 : -1;
    case 'saw':
      return 2 * p - 1;
  }
}
