/**
 * Loudness to ITU-R BS.1770-4 / EBU R128 (Tech 3341 meters, Tech 3342 loudness range).
 * A block meter (LoudnessMeter): K-weight, square, and sum into 10 ms steps, step by step as a
 * signal is produced or read; every measure is then
 * built from step sums — a 400 ms momentary window is 40 steps, a 3 s short-term window
 * 300. Gating and the loudness range use windows every 100 ms, as the standards define;
 * the momentary and short-term maxima use every 10 ms step, so a short burst is caught
 * whatever its alignment (Tech 3341 cases 10 and 13).
 */
import { highPassFilter, shelvingFilter, type Biquad } from './k-weighting.ts';
import { truePeak } from './true-peak.ts';

/** Channel weights: 1 for L, R, C; 1.41 (+1.5 dB) for surrounds; 0 for the LFE. */
export type ChannelWeight = number;

export interface LoudnessReport {
  /** Integrated (gated) loudness in LUFS; -Infinity for silence. */
  readonly integrated: number;
  /** Highest momentary (400 ms) loudness, LUFS. */
  readonly momentaryMax: number;
  /** Highest short-term (3 s) loudness, LUFS. */
  readonly shortTermMax: number;
  /** Loudness range (Tech 3342), LU. */
  readonly range: number;
  /** Sample peak, dBFS. */
  readonly samplePeak: number;
  /** True peak (4× oversampled below 96 kHz), dBTP. */
  readonly truePeak: number;
  /** Momentary loudness every 100 ms (LUFS). */
  readonly momentary: Float32Array;
  /** Short-term loudness every 100 ms (LUFS). */
  readonly shortTerm: Float32Array;
}

export interface LoudnessOptions {
  /** One weight per channel. @default 1 each for 1–3 channels; L R C LFE Ls Rs for 6; L R C Ls Rs for 5 */
  readonly weights?: readonly ChannelWeight[];
  /** Also measure the true peak (the slowest part). @default true */
  readonly truePeak?: boolean;
}

/** Energy is summed in 10 ms steps. */
const STEPS_PER_SECOND = 100;
const ABSOLUTE_GATE = -70;
const RELATIVE_GATE_INTEGRATED = -10;
const RELATIVE_GATE_RANGE = -20;

function defaultWeights(count: number): number[] {
  if (count === 6) return [1, 1, 1, 0, 1.41, 1.41];
  if (count === 5) return [1, 1, 1, 1.41, 1.41];
  return Array.from({ length: count }, () => 1);
}

const toLufs = (power: number) => (power > 0 ? -0.691 + 10 * Math.log10(power) : -Infinity);
const toDb = (gain: number) => (gain > 0 ? 20 * Math.log10(gain) : -Infinity);

/**
 * A block meter: K-weights and squares what it is given, one 10 ms step at a time, into the
 * channel-weighted step energies every measure is built from — so a signal can be metered as it
 * is produced (the master's limiter feeds it each step it writes) and never needs a second read.
 */
export class LoudnessMeter {
  /** Samples per step (10 ms). */
  readonly hop: number;
  /** Whole steps in the signal (a last partial step only counts for the peak). */
  readonly hops: number;
  /** Channel-weighted K-weighted energy of each step, Σ G_i · energy_i. */
  readonly weighted: Float64Array;
  private readonly weights: readonly number[];
  private readonly shelf: Biquad;
  private readonly highPass: Biquad;
  /** Per channel the direct-form-I state x1 x2 y1 y2 z1 z2 (float64, like the filter). */
  private readonly state: Float64Array;
  private samplePeakValue = 0;
  /** One step of one channel, K-weighted. */
  private readonly filtered: Float64Array;

  constructor(
    channelCount: number,
    readonly sampleRate: number,
    readonly length: number,
    weights: readonly ChannelWeight[] = defaultWeights(channelCount),
  ) {
    if (weights.length !== channelCount) throw new RangeError(`${weights.length} weights for ${channelCount} channels`);
    this.weights = weights;
    this.hop = Math.round(sampleRate / STEPS_PER_SECOND);
    this.hops = Math.floor(length / this.hop);
    this.weighted = new Float64Array(this.hops);
    this.shelf = shelvingFilter(sampleRate);
    this.highPass = highPassFilter(sampleRate);
    this.state = new Float64Array(6 * channelCount);
    this.filtered = new Float64Array(this.hop);
  }

  /** Largest absolute sample metered so far (linear). */
  get samplePeak(): number {
    return this.samplePeakValue;
  }

  /**
   * Meter step `h` (samples h·hop to (h + 1)·hop; `h === hops` is the partial tail, peak only),
   * in order. `perSample`, when given, receives each sample's channel-weighted K-weighted energy
   * (index 0 = the step's first sample). `offset`: the song position of the channels' index 0
   * (a block of a streamed signal; the step must lie inside it).
   */
  step(channels: readonly Float32Array[], h: number, perSample?: Float64Array, offset = 0): void {
    const start = h * this.hop - offset;
    const end = (h < this.hops ? h * this.hop + this.hop : this.length) - offset;
    const count = end - start;
    if (perSample) perSample.fill(0, 0, count);
    let peakValue = this.samplePeakValue;
    const filtered = this.filtered;
    for (let c = 0; c < channels.length; c++) {
      const x = channels[c];
      // The sample peak comes along in the same pass.
      for (let i = start; i < end; i++) {
        const input = x[i];
        if (input > peakValue) peakValue = input;
        else if (-input > peakValue) peakValue = -input;
      }
      const weight = this.weights[c];
      if (weight === 0 || h >= this.hops) continue;
      this.kWeight(x, start, end, this.state, 6 * c, filtered);
      let sum = 0;
      for (let i = 0; i < count; i++) sum += filtered[i] * filtered[i];
      this.weighted[h] += weight * sum;
      if (perSample) for (let i = 0; i < count; i++) perSample[i] += weight * filtered[i] * filtered[i];
    }
    this.samplePeakValue = peakValue;
  }

  /**
   * K-weight x[from, to) into out[0 …], continuing the filter state at state[o, o + 6): direct
   * form I in float64, the last two inputs and outputs of each stage.
   */
  private kWeight(x: Float32Array, from: number, to: number, state: Float64Array, o: number, out: Float64Array): void {
    const { b0: s0, b1: s1, b2: s2, a1: sa1, a2: sa2 } = this.shelf;
    const { b0: h0, b1: h1, b2: h2, a1: ha1, a2: ha2 } = this.highPass;
    let x1 = state[o];
    let x2 = state[o + 1];
    let y1 = state[o + 2];
    let y2 = state[o + 3];
    let z1 = state[o + 4];
    let z2 = state[o + 5];
    for (let i = from; i < to; i++) {
      const input = x[i];
      const y = s0 * input + s1 * x1 + s2 * x2 - sa1 * y1 - sa2 * y2;
      x2 = x1;
      x1 = input;
      const z = h0 * y + h1 * y1 + h2 * y2 - ha1 * z1 - ha2 * z2;
      y2 = y1;
      y1 = y;
      z2 = z1;
      z1 = z;
      out[i - from] = z;
    }
    state[o] = x1;
    state[o + 1] = x2;
    state[o + 2] = y1;
    state[o + 3] = y2;
    state[o + 4] = z1;
    state[o + 5] = z2;
  }

  /** Meter every step of a whole signal. */
  all(channels: readonly Float32Array[]): this {
    for (let h = 0; h <= this.hops; h++) this.step(channels, h);
    return this;
  }

  /** The report of everything metered; the true peak needs the channels (or is the sample peak with `truePeak: false`). */
  report(channels: readonly Float32Array[], options: { readonly truePeak?: boolean } = {}): LoudnessReport {
    const samplePeak = this.samplePeakValue;
    return this.reportWithTruePeak(options.truePeak === false ? samplePeak : truePeak(channels, this.sampleRate, samplePeak));
  }

  /** The report, with the true peak (linear) measured elsewhere (a streamed signal's TruePeakStream). */
  reportWithTruePeak(truePeakValue: number): LoudnessReport {
    return reportFromSteps(this.weighted, this.hop, this.samplePeakValue, truePeakValue);
  }
}

/** Mean power of every window of `width` steps, stepping one step. Powers, not yet LUFS. */
function windowPowers(weighted: Float64Array, width: number, hop: number): Float64Array {
  const count = Math.max(0, weighted.length - width + 1);
  const powers = new Float64Array(count);
  let running = 0;
  for (let h = 0; h < weighted.length; h++) {
    running += weighted[h];
    if (h >= width) running -= weighted[h - width];
    if (h >= width - 1) powers[h - width + 1] = Math.max(0, running) / (width * hop);
  }
  return powers;
}

/** Gated mean: blocks above -70 LUFS, then above (their mean + relative) — returns the kept powers. */
function gate(powers: Float64Array, relative: number): number[] {
  const absolute = [...powers].filter((power) => toLufs(power) > ABSOLUTE_GATE);
  if (absolute.length === 0) return [];
  const mean = absolute.reduce((a, b) => a + b, 0) / absolute.length;
  const threshold = toLufs(mean) + relative;
  return absolute.filter((power) => toLufs(power) > threshold);
}

/** Mean power of each gating block (400 ms, every 100 ms) of step energies. */
function gatingBlocks(weighted: Float64Array, hop: number): Float64Array {
  return every100ms(windowPowers(weighted, 40, hop));
}

/** Gating blocks and the range's short-term values: every 100 ms (10 steps). */
const every100ms = (powers: Float64Array) => powers.filter((_, i) => i % 10 === 0);

const integratedOfBlocks = (blocks: Float64Array) => {
  const kept = gate(blocks, RELATIVE_GATE_INTEGRATED);
  return kept.length ? toLufs(kept.reduce((a, b) => a + b, 0) / kept.length) : -Infinity;
};

/** Integrated (gated) loudness of channel-weighted step energies, LUFS — what a report built from them reads. */
export function integratedOfSteps(weighted: Float64Array, hop: number): number {
  return integratedOfBlocks(gatingBlocks(weighted, hop));
}

function reportFromSteps(weighted: Float64Array, hop: number, samplePeak: number, truePeakValue: number): LoudnessReport {
  const momentaryAll = windowPowers(weighted, 40, hop);
  const shortTermAll = windowPowers(weighted, 300, hop);
  const momentaryPowers = every100ms(momentaryAll);
  const shortTermPowers = every100ms(shortTermAll);
  const integrated = integratedOfBlocks(momentaryPowers);

  // Tech 3342: short-term values, absolute gate, relative gate 20 LU below their mean, then 10th–95th percentile.
  const rangeValues = gate(shortTermPowers, RELATIVE_GATE_RANGE)
    .map(toLufs)
    .sort((a, b) => a - b);
  const percentile = (p: number) => rangeValues[Math.round((rangeValues.length - 1) * p)];
  const range = rangeValues.length ? percentile(0.95) - percentile(0.1) : 0;

  const momentary = Float32Array.from(momentaryPowers, toLufs);
  const shortTerm = Float32Array.from(shortTermPowers, toLufs);
  const max = (powers: Float64Array) => toLufs(powers.reduce((a, b) => Math.max(a, b), 0));
  return {
    integrated,
    momentaryMax: max(momentaryAll),
    shortTermMax: max(shortTermAll),
    range,
    samplePeak: toDb(samplePeak),
    truePeak: toDb(truePeakValue),
    momentary,
    shortTerm,
  };
}

export function measureLoudness(channels: readonly Float32Array[], sampleRate: number, options: LoudnessOptions = {}): LoudnessReport {
  const length = channels.length ? channels[0].length : 0;
  return new LoudnessMeter(channels.length, sampleRate, length, options.weights).all(channels).report(channels, options);
}
