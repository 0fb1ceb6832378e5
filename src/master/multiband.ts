/**
 * Three-band compressor: Linkwitz-Riley 4th-order crossovers (two cascaded Butterworth
 * sections each), so the bands sum back flat; the low band also passes the upper
 * crossover's all-pass, keeping the three in phase. Each band has its own glue compressor.
 */
import type { MultibandSettings } from '../ir/master-options.ts';
import { compress } from './compressor.ts';

/** One 2nd-order Butterworth (Q = 1/√2) low- or high-pass run over a signal. */
function butterworth(x: Float32Array, sampleRate: number, frequency: number, type: 'low' | 'high'): Float32Array {
  const w0 = (2 * Math.PI * frequency) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / Math.SQRT2;
  const a0 = 1 + alpha;
  const b0 = (type === 'low' ? (1 - cos) / 2 : (1 + cos) / 2) / a0;
  const b1 = (type === 'low' ? 1 - cos : -(1 + cos)) / a0;
  const b2 = b0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  const y = new Float32Array(x.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const out = b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = out;
    y[i] = out;
  }
  return y;
}

const linkwitzRiley = (x: Float32Array, sampleRate: number, frequency: number, type: 'low' | 'high') =>
  butterworth(butterworth(x, sampleRate, frequency, type), sampleRate, frequency, type);

/** Split each channel into three bands, compress each band (stereo-linked), and sum. In place. */
export function multibandCompress(channels: Float32Array[], sampleRate: number, settings: MultibandSettings): number[] {
  const [low, high] = settings.crossovers;
  const bands: Float32Array[][] = [[], [], []];
  for (const x of channels) {
    const lowBand = linkwitzRiley(x, sampleRate, low, 'low');
    const rest = linkwitzRiley(x, sampleRate, low, 'high');
    const mid = linkwitzRiley(rest, sampleRate, high, 'low');
    const top = linkwitzRiley(rest, sampleRate, high, 'high');
    // The low band through the upper crossover's all-pass (its LP + HP): phase-matched with the others.
    const lowLp = linkwitzRiley(lowBand, sampleRate, high, 'low');
    const lowHp = linkwitzRiley(lowBand, sampleRate, high, 'high');
    for (let i = 0; i < lowLp.length; i++) lowLp[i] += lowHp[i];
    bands[0].push(lowLp);
    bands[1].push(mid);
    bands[2].push(top);
  }
  const reductions = bands.map((band, i) => (settings.bands[i] ? compress(band, sampleRate, settings.bands[i]!) : 0));
  channels.forEach((x, c) => {
    for (let i = 0; i < x.length; i++) x[i] = bands[0][c][i] + bands[1][c][i] + bands[2][c][i];
  });
  return reductions;
}
