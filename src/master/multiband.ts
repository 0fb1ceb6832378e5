/**
 * Three-band compressor: Linkwitz-Riley 4th-order crossovers (two cascaded Butterworth
 * sections each), so the bands sum back flat; the low band also passes the upper
 * crossover's all-pass, keeping the three in phase. Each band has its own glue compressor.
 * Runs a block at a time (MultibandStream: every filter's and compressor's state carries
 * over, each stage's output rounded to float32 as the whole-signal version stores it).
 */
import type { MultibandSettings } from '../ir/master-options.ts';
import { CompressorStream } from './compressor.ts';
import { runSection } from './eq.ts';

/** One 2nd-order Butterworth (Q = 1/√2) low- or high-pass: its coefficients. */
function butterworth(sampleRate: number, frequency: number, type: 'low' | 'high'): Float64Array {
  const w0 = (2 * Math.PI * frequency) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / Math.SQRT2;
  const a0 = 1 + alpha;
  const b0 = (type === 'low' ? (1 - cos) / 2 : (1 + cos) / 2) / a0;
  const b1 = (type === 'low' ? 1 - cos : -(1 + cos)) / a0;
  const b2 = b0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  return Float64Array.of(b0, b1, b2, a1, a2);
}

/** The crossover paths, in the order they run: [coefficients, input, output] by name. */
type Path = readonly ['lowLow' | 'lowHigh' | 'highLow' | 'highHigh', 'in' | 'low' | 'rest', 'low' | 'rest' | 'mid' | 'top' | 'lowLp' | 'lowHp'];
const PATHS: readonly Path[] = [
  ['lowLow', 'in', 'low'],
  ['lowHigh', 'in', 'rest'],
  ['highLow', 'rest', 'mid'],
  ['highHigh', 'rest', 'top'],
  // The low band through the upper crossover's all-pass (its LP + HP): phase-matched with the others.
  ['highLow', 'low', 'lowLp'],
  ['highHigh', 'low', 'lowHp'],
];

/** Split each channel into three bands, compress each band (stereo-linked), and sum. In place. */
export function multibandCompress(channels: Float32Array[], sampleRate: number, settings: MultibandSettings): number[] {
  const stream = new MultibandStream(channels.length, sampleRate, settings);
  stream.process(channels, channels[0]?.length ?? 0);
  return stream.reductions;
}

export class MultibandStream {
  private readonly coefficients: Record<Path[0], Float64Array>;
  /** Per channel, per path, two cascaded sections × (x1 x2 y1 y2). */
  private readonly state: Float64Array;
  private readonly compressors: (CompressorStream | null)[];
  private scratch: Record<'low' | 'rest' | 'mid' | 'top' | 'lowLp' | 'lowHp' | 'half', Float32Array>[] = [];

  constructor(
    private readonly channelCount: number,
    sampleRate: number,
    settings: MultibandSettings,
  ) {
    const [low, high] = settings.crossovers;
    this.coefficients = {
      lowLow: butterworth(sampleRate, low, 'low'),
      lowHigh: butterworth(sampleRate, low, 'high'),
      highLow: butterworth(sampleRate, high, 'low'),
      highHigh: butterworth(sampleRate, high, 'high'),
    };
    this.state = new Float64Array(channelCount * PATHS.length * 8);
    this.compressors = [0, 1, 2].map((i) => (settings.bands[i] ? new CompressorStream(channelCount, sampleRate, settings.bands[i]!) : null));
  }

  /** Deepest reduction of each band's compressor so far, dB. */
  get reductions(): number[] {
    return this.compressors.map((compressor) => compressor?.deepest ?? 0);
  }

  /** The next `count` samples of each channel (channels[c][0] is the first), in place. */
  process(channels: readonly Float32Array[], count: number): void {
    if ((this.scratch[0]?.low.length ?? -1) < count) {
      this.scratch = channels.map(() => ({
        low: new Float32Array(count),
        rest: new Float32Array(count),
        mid: new Float32Array(count),
        top: new Float32Array(count),
        lowLp: new Float32Array(count),
        lowHp: new Float32Array(count),
        half: new Float32Array(count),
      }));
    }
    for (let c = 0; c < this.channelCount; c++) {
      const buffers = this.scratch[c];
      PATHS.forEach(([name, from, to], p) => {
        const o = (c * PATHS.length + p) * 8;
        const input = from === 'in' ? channels[c] : buffers[from];
        // Linkwitz-Riley: the same Butterworth section twice, each output rounded to float32.
        runSection(this.coefficients[name], input, buffers.half, count, this.state, o);
        runSection(this.coefficients[name], buffers.half, buffers[to], count, this.state, o + 4);
      });
      const { lowLp, lowHp } = buffers;
      for (let i = 0; i < count; i++) lowLp[i] += lowHp[i];
    }
    const bands = (['lowLp', 'mid', 'top'] as const).map((name) => this.scratch.map((buffers) => buffers[name].subarray(0, count)));
    this.compressors.forEach((compressor, i) => compressor?.process(bands[i], count));
    channels.forEach((x, c) => {
      const [low, mid, top] = [bands[0][c], bands[1][c], bands[2][c]];
      for (let i = 0; i < count; i++) x[i] = low[i] + mid[i] + top[i];
    });
  }
}
