/**
 * Parametric EQ for the master: RBJ-cookbook biquads (bell, shelves, and high/low-pass in
 * 12 dB/oct steps up to 48 dB/oct as cascaded Butterworth sections), run in float64.
 */
import type { Hertz } from '../theory/units.ts';
import type { EqBand } from '../ir/master-options.ts';

interface Coefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

function normalise(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): Coefficients {
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/** The biquad sections a band is made of. */
export function bandSections(band: EqBand, sampleRate: number): Coefficients[] {
  const w0 = (2 * Math.PI * Math.min(band.frequency, sampleRate * 0.49)) / sampleRate;
  const cos = Math.cos(w0);
  const sin = Math.sin(w0);
  switch (band.type) {
    case 'bell': {
      const a = Math.pow(10, band.gain / 40);
      const alpha = sin / (2 * (band.q ?? 1));
      return [normalise(1 + alpha * a, -2 * cos, 1 - alpha * a, 1 + alpha / a, -2 * cos, 1 - alpha / a)];
    }
    case 'lowShelf':
    case 'highShelf': {
      const a = Math.pow(10, band.gain / 40);
      // Shelf slope S = 1: the steepest without overshoot.
      const alpha = (sin / 2) * Math.SQRT2;
      const root = 2 * Math.sqrt(a) * alpha;
      return band.type === 'lowShelf'
        ? [normalise(a * (a + 1 - (a - 1) * cos + root), 2 * a * (a - 1 - (a + 1) * cos), a * (a + 1 - (a - 1) * cos - root), a + 1 + (a - 1) * cos + root, -2 * (a - 1 + (a + 1) * cos), a + 1 + (a - 1) * cos - root)]
        : [normalise(a * (a + 1 + (a - 1) * cos + root), -2 * a * (a - 1 + (a + 1) * cos), a * (a + 1 + (a - 1) * cos - root), a + 1 - (a - 1) * cos + root, 2 * (a - 1 - (a + 1) * cos), a + 1 - (a - 1) * cos - root)];
    }
    case 'highPass':
    case 'lowPass': {
      const order = (band.slope ?? 12) / 6;
      const sections: Coefficients[] = [];
      // Butterworth: section k of an order-n filter has Q = 1 / (2 cos(π (2k + 1) / (2n))).
      for (let k = 0; k < order / 2; k++) {
        const q = 1 / (2 * Math.cos((Math.PI * (2 * k + 1)) / (2 * order)));
        const alpha = sin / (2 * q);
        sections.push(
          band.type === 'lowPass'
            ? normalise((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)
            : normalise((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha),
        );
      }
      return sections;
    }
  }
}

/** Magnitude response of a band at a frequency, dB (for tests and reports). */
export function bandResponseDb(band: EqBand, sampleRate: number, frequency: Hertz): number {
  const w = (2 * Math.PI * frequency) / sampleRate;
  let magnitude = 1;
  for (const c of bandSections(band, sampleRate)) {
    // |H(e^jw)| from the complex numerator and denominator.
    const re = (b0: number, b1: number, b2: number) => b0 + b1 * Math.cos(w) + b2 * Math.cos(2 * w);
    const im = (b1: number, b2: number) => -(b1 * Math.sin(w) + b2 * Math.sin(2 * w));
    const num = Math.hypot(re(c.b0, c.b1, c.b2), im(c.b1, c.b2));
    const den = Math.hypot(re(1, c.a1, c.a2), im(c.a1, c.a2));
    magnitude *= num / den;
  }
  return 20 * Math.log10(magnitude);
}

/** Run every band over every channel, in place. */
export function applyEq(channels: Float32Array[], sampleRate: number, bands: readonly EqBand[]): void {
  new EqStream(channels.length, sampleRate, bands).process(channels, channels[0]?.length ?? 0);
}

/**
 * The EQ a block at a time, in order, in place: each section's last two inputs and outputs per
 * channel carry over (float64, as the whole-signal loop keeps them), so blocks give its bits.
 */
export class EqStream {
  private readonly sections: Float64Array[];
  /** Per section, per channel: x1 x2 y1 y2. */
  private readonly state: Float64Array;

  constructor(
    private readonly channelCount: number,
    sampleRate: number,
    bands: readonly EqBand[],
  ) {
    this.sections = bands.flatMap((band) => bandSections(band, sampleRate)).map((c) => Float64Array.of(c.b0, c.b1, c.b2, c.a1, c.a2));
    this.state = new Float64Array(4 * this.sections.length * channelCount);
  }

  /** The next `count` samples of each channel (channels[c][0] is the first). */
  process(channels: readonly Float32Array[], count: number): void {
    this.sections.forEach((c, s) => {
      for (let ch = 0; ch < this.channelCount; ch++) runSection(c, channels[ch], channels[ch], count, this.state, 4 * (s * this.channelCount + ch));
    });
  }
}

/**
 * Run one biquad section (b0 b1 b2 a1 a2) over x[0, count) into y (it may be x: each input is
 * read before its output is written), direct form I in float64, continuing the last two inputs
 * and outputs at state[o … o + 4) (x1 x2 y1 y2); each output is stored as y's type rounds it.
 */
export function runSection(c: Float64Array, x: Float32Array, y: Float32Array, count: number, state: Float64Array, o: number): void {
  const b0 = c[0];
  const b1 = c[1];
  const b2 = c[2];
  const a1 = c[3];
  const a2 = c[4];
  let x1 = state[o];
  let x2 = state[o + 1];
  let y1 = state[o + 2];
  let y2 = state[o + 3];
  for (let i = 0; i < count; i++) {
    const input = x[i];
    const out = b0 * input + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = input;
    y2 = y1;
    y1 = out;
    y[i] = out;
  }
  state[o] = x1;
  state[o + 1] = x2;
  state[o + 2] = y1;
  state[o + 3] = y2;
}
