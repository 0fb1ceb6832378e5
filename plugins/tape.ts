/**
 * `tape`: a tape-machine colour effect, written as a project plugin would be.
 *
 *   drive → oversampled asymmetric tanh (record head) → wow & flutter (transport)
 *         → head bump (bell) → + hiss → high-frequency loss (low-pass)
 *
 * The saturation is normalised to unity gain for small signals, so `drive` sets how hard
 * loud passages compress and distort rather than how loud the track gets. Wow and flutter
 * read the signal through a fractional delay centred on zero (the whole song is in memory,
 * so the read can run a few milliseconds ahead as well as behind): no added latency. Their
 * rates and phases come from the slot's seed, so a render is repeatable and two tape slots
 * drift differently.
 */
import { createRandom, defineEffect, noiseAt, NOISE_STEP, oversampleChannel, type OversampleFactor } from 'mixdown';

export interface TapeOptions {
  /** Level into the record head, dB: 0 is clean-ish, 12 and up audibly compresses. @default 6 */
  readonly drive: number;
  /** Record-bias asymmetry 0–0.5: more adds even harmonics. @default 0.1 */
  readonly bias: number;
  /** Head-bump boost, dB (a bell of Q 1). @default 3 */
  readonly headBump: number;
  /** Head-bump centre, Hz (60–100 Hz on most machines). @default 80 */
  readonly headBumpFrequency: number;
  /** High-frequency loss: 12 dB/oct low-pass cutoff, Hz. @default 15000 */
  readonly highLoss: number;
  /** Wow depth: slow pitch drift (0.3–1.6 Hz), peak cents. @default 3 */
  readonly wow: number;
  /** Flutter depth: fast pitch wobble (6–14 Hz), peak cents. @default 1.5 */
  readonly flutter: number;
  /** Hiss level, dB RMS; -120 or lower is off. @default -120 */
  readonly hiss: number;
  /** Oversampling of the saturation: 1, 2 or 4. @default 2 */
  readonly oversample: OversampleFactor;
}

export const tapeDefaults: TapeOptions = {
  drive: 6,
  bias: 0.1,
  headBump: 3,
  headBumpFrequency: 80,
  highLoss: 15000,
  wow: 3,
  flutter: 1.5,
  hiss: -120,
  oversample: 2,
};

const HISS_OFF = -120;


/** The record head: tanh with a bias offset, normalised to slope 1 at silence. */
function saturate(channel: Float32Array, options: Readonly<TapeOptions>): void {
  const drive = Math.pow(10, options.drive / 20);
  const bias = options.bias;
  const offset = Math.tanh(bias);
  // Slope of tanh(g·x + b) at x = 0 is g·(1 − tanh²b): dividing by it keeps quiet parts at unity.
  const normalise = 1 / (drive * (1 - offset * offset));
  oversampleChannel(channel, options.oversample, (block, count) => {
    for (let i = 0; i < count; i++) block[i] = (Math.tanh(block[i] * drive + bias) - offset) * normalise;
  });
}

interface Wobble {
  /** Peak excursion, samples. */
  depth: number;
  /** Radians per sample. */
  omega: number;
  phase: number;
}

/**
 * Four sine components, rates and phases from the seed. A delay swinging D·sin(ωn)
 * changes the playback speed by D·ω at most, so for a peak of c cents D = (2^(c/1200) − 1)/ω.
 */
function wobbles(options: Readonly<TapeOptions>, sampleRate: number, seed: number): Wobble[] {
  const next = createRandom(seed);
  const component = (cents: number, lowHz: number, highHz: number): Wobble => {
    const omega = (2 * Math.PI * (lowHz + (highHz - lowHz) * next())) / sampleRate;
    return { depth: (Math.pow(2, cents / 1200) - 1) / omega, omega, phase: 2 * Math.PI * next() };
  };
  return [
    component(options.wow * 0.7, 0.3, 0.8),
    component(options.wow * 0.3, 0.9, 1.6),
    component(options.flutter * 0.8, 6, 9),
    component(options.flutter * 0.2, 10, 14),
  ].filter((w) => w.depth > 0);
}

const WOBBLE_BLOCK = 32;

/** Offset of the read position at sample n, in samples. */
function wobbleAt(list: readonly Wobble[], n: number): number {
  let sum = 0;
  for (const w of list) sum += w.depth * Math.sin(w.omega * n + w.phase);
  return sum;
}

/**
 * Read the channel at n + wobble(n) with 4-point Hermite interpolation. A ring buffer keeps
 * the original samples the read can reach behind the write position; samples ahead of it
 * are still untouched in the channel.
 */
function wowAndFlutter(channel: Float32Array, list: readonly Wobble[]): void {
  if (list.length === 0) return;
  const reach = Math.ceil(list.reduce((sum, w) => sum + w.depth, 0)) + 4;
  let size = 1;
  // The ring spans from `reach` behind the block's first sample to `reach` past its last.
  while (size < 2 * reach + WOBBLE_BLOCK + 8) size *= 2;
  const mask = size - 1;
  const ring = new Float64Array(size);
  const length = channel.length;
  let loaded = 0;
  for (let from = 0; from < length; from += WOBBLE_BLOCK) {
    const to = Math.min(length, from + WOBBLE_BLOCK);
    const start = wobbleAt(list, from);
    const step = (wobbleAt(list, to) - start) / (to - from);
    // Everything the block can read ahead must be in the ring before it is overwritten.
    for (const end = Math.min(length + reach, to + reach); loaded < end; loaded++) ring[loaded & mask] = loaded < length ? channel[loaded] : 0;
    let offset = start;
    for (let i = from; i < to; i++, offset += step) {
      const position = i + offset;
      const base = Math.floor(position);
      const t = position - base;
      const xm1 = ring[(base - 1) & mask];
      const x0 = ring[base & mask];
      const x1 = ring[(base + 1) & mask];
      const x2 = ring[(base + 2) & mask];
      const c1 = 0.5 * (x1 - xm1);
      const c2 = xm1 - 2.5 * x0 + 2 * x1 - 0.5 * x2;
      const c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
      // Before the first sample the ring still holds zeros: silence, as the song has.
      channel[i] = ((c3 * t + c2) * t + c1) * t + x0;
    }
  }
}

interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/** RBJ cookbook peaking bell. */
function bell(frequency: number, gainDb: number, q: number, sampleRate: number): Biquad {
  const w = (2 * Math.PI * Math.min(frequency, sampleRate * 0.49)) / sampleRate;
  const a = Math.pow(10, gainDb / 40);
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha / a;
  return { b0: (1 + alpha * a) / a0, b1: (-2 * Math.cos(w)) / a0, b2: (1 - alpha * a) / a0, a1: (-2 * Math.cos(w)) / a0, a2: (1 - alpha / a) / a0 };
}

/** RBJ cookbook Butterworth low-pass. */
function lowpass(frequency: number, sampleRate: number): Biquad {
  const w = (2 * Math.PI * Math.min(frequency, sampleRate * 0.49)) / sampleRate;
  const cos = Math.cos(w);
  const alpha = Math.sin(w) / Math.SQRT2;
  const a0 = 1 + alpha;
  return { b0: (1 - cos) / 2 / a0, b1: (1 - cos) / a0, b2: (1 - cos) / 2 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/** Head bump, hiss and high-frequency loss in one pass (hiss goes through the loss too). */
function playback(channel: Float32Array, options: Readonly<TapeOptions>, sampleRate: number, seed: number): void {
  const b = bell(options.headBumpFrequency, options.headBump, 1, sampleRate);
  const l = lowpass(options.highLoss, sampleRate);
  // Uniform noise in [−1, 1) has an RMS of 1/√3.
  const hissAmount = options.hiss > HISS_OFF ? Math.pow(10, options.hiss / 20) * Math.sqrt(3) : 0;
  let noise = seed >>> 0;
  let bx1 = 0, bx2 = 0, by1 = 0, by2 = 0;
  let lx1 = 0, lx2 = 0, ly1 = 0, ly2 = 0;
  for (let i = 0; i < channel.length; i++) {
    const x = channel[i];
    const bumped = b.b0 * x + b.b1 * bx1 + b.b2 * bx2 - b.a1 * by1 - b.a2 * by2;
    bx2 = bx1;
    bx1 = x;
    by2 = by1;
    by1 = bumped;
    let taped = bumped;
    if (hissAmount > 0) {
      noise = (noise + NOISE_STEP) | 0;
      taped += hissAmount * noiseAt(noise);
    }
    const y = l.b0 * taped + l.b1 * lx1 + l.b2 * lx2 - l.a1 * ly1 - l.a2 * ly2;
    lx2 = lx1;
    lx1 = taped;
    ly2 = ly1;
    ly1 = y;
    channel[i] = y;
  }
}

export const tape = defineEffect<TapeOptions>({
  name: 'tape',
  version: '1',
  defaults: tapeDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!(options.drive >= -12 && options.drive <= 36)) problems.push('drive must be from -12 to 36 dB');
    if (!(options.bias >= 0 && options.bias <= 0.5)) problems.push('bias must be from 0 to 0.5');
    if (!(options.headBump >= -12 && options.headBump <= 12)) problems.push('headBump must be from -12 to 12 dB');
    if (!(options.headBumpFrequency >= 20 && options.headBumpFrequency <= 300)) problems.push('headBumpFrequency must be from 20 to 300 Hz');
    if (!(options.highLoss >= 1000)) problems.push('highLoss must be a cutoff of at least 1000 Hz');
    if (!(options.wow >= 0 && options.wow <= 100)) problems.push('wow must be from 0 to 100 cents');
    if (!(options.flutter >= 0 && options.flutter <= 50)) problems.push('flutter must be from 0 to 50 cents');
    if (!(options.hiss <= 0)) problems.push('hiss must be a level in dB at or below 0 (-120 is off)');
    if (![1, 2, 4].includes(options.oversample)) problems.push('oversample must be 1, 2 or 4');
    return problems;
  },
  process({ channels, options, sampleRate, seed }) {
    // One transport for both channels: the same wobble; hiss differs per channel.
    const list = wobbles(options, sampleRate, seed);
    channels.forEach((channel, index) => {
      saturate(channel, options);
      wowAndFlutter(channel, list);
      playback(channel, options, sampleRate, (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    });
  },
});
