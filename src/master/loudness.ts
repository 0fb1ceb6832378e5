/**
 * Loudness to ITU-R BS.1770-4 / EBU R128 (Tech 3341 meters, Tech 3342 loudness range).
 * One pass per channel: K-weight, square, and sum into 10 ms steps; every measure is then
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

/** K-weighted energy of each 10 ms step of one channel. */
function hopEnergies(x: Float32Array, sampleRate: number, hop: number, hops: number, peak: { value: number }): Float64Array {
  const shelf: Biquad = shelvingFilter(sampleRate);
  const highPass: Biquad = highPassFilter(sampleRate);
  const energies = new Float64Array(hops);
  // Direct form I in float64: state is the last two inputs and outputs of each stage.
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  let z1 = 0;
  let z2 = 0;
  let i = 0;
  let peakValue = 0;
  for (let h = 0; h < hops; h++) {
    let sum = 0;
    for (const end = i + hop; i < end; i++) {
      const input = x[i];
      // The sample peak comes along in the same pass.
      if (input > peakValue) peakValue = input;
      else if (-input > peakValue) peakValue = -input;
      const y = shelf.b0 * input + shelf.b1 * x1 + shelf.b2 * x2 - shelf.a1 * y1 - shelf.a2 * y2;
      x2 = x1;
      x1 = input;
      const z = highPass.b0 * y + highPass.b1 * y1 + highPass.b2 * y2 - highPass.a1 * z1 - highPass.a2 * z2;
      y2 = y1;
      y1 = y;
      z2 = z1;
      z1 = z;
      sum += z * z;
    }
    energies[h] = sum;
  }
  for (; i < x.length; i++) if (Math.abs(x[i]) > peakValue) peakValue = Math.abs(x[i]);
  if (peakValue > peak.value) peak.value = peakValue;
  return energies;
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

export function measureLoudness(channels: readonly Float32Array[], sampleRate: number, options: LoudnessOptions = {}): LoudnessReport {
  const weights = options.weights ?? defaultWeights(channels.length);
  if (weights.length !== channels.length) throw new RangeError(`${weights.length} weights for ${channels.length} channels`);
  const hop = Math.round(sampleRate / STEPS_PER_SECOND);
  const length = channels.length ? channels[0].length : 0;
  const hops = Math.floor(length / hop);
  // Channel-weighted hop energies: Σ G_i · energy_i.
  const weighted = new Float64Array(hops);
  const peak = { value: 0 };
  channels.forEach((channel, index) => {
    if (weights[index] === 0) {
      for (let i = 0; i < channel.length; i++) if (Math.abs(channel[i]) > peak.value) peak.value = Math.abs(channel[i]);
      return;
    }
    const energies = hopEnergies(channel, sampleRate, hop, hops, peak);
    for (let h = 0; h < hops; h++) weighted[h] += weights[index] * energies[h];
  });
  const momentaryAll = windowPowers(weighted, 40, hop);
  const shortTermAll = windowPowers(weighted, 300, hop);
  // Gating blocks and the range's short-term values: every 100 ms (10 steps).
  const every100ms = (powers: Float64Array) => powers.filter((_, i) => i % 10 === 0);
  const momentaryPowers = every100ms(momentaryAll);
  const shortTermPowers = every100ms(shortTermAll);

  const kept = gate(momentaryPowers, RELATIVE_GATE_INTEGRATED);
  const integrated = kept.length ? toLufs(kept.reduce((a, b) => a + b, 0) / kept.length) : -Infinity;

  // Tech 3342: short-term values, absolute gate, relative gate 20 LU below their mean, then 10th–95th percentile.
  const rangeValues = gate(shortTermPowers, RELATIVE_GATE_RANGE)
    .map(toLufs)
    .sort((a, b) => a - b);
  const percentile = (p: number) => rangeValues[Math.round((rangeValues.length - 1) * p)];
  const range = rangeValues.length ? percentile(0.95) - percentile(0.1) : 0;

  const samplePeak = peak.value;
  const momentary = Float32Array.from(momentaryPowers, toLufs);
  const shortTerm = Float32Array.from(shortTermPowers, toLufs);
  const max = (powers: Float64Array) => toLufs(powers.reduce((a, b) => Math.max(a, b), 0));
  return {
    integrated,
    momentaryMax: max(momentaryAll),
    shortTermMax: max(shortTermAll),
    range,
    samplePeak: toDb(samplePeak),
    truePeak: options.truePeak === false ? toDb(samplePeak) : toDb(truePeak(channels, sampleRate, samplePeak)),
    momentary,
    shortTerm,
  };
}

/** A report measured with `truePeak: false`, completed with the true peak of the same channels. */
export function withTruePeak(report: LoudnessReport, channels: readonly Float32Array[], sampleRate: number): LoudnessReport {
  let samplePeak = 0;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) {
      const magnitude = channel[i] < 0 ? -channel[i] : channel[i];
      if (magnitude > samplePeak) samplePeak = magnitude;
    }
  }
  return { ...report, truePeak: toDb(truePeak(channels, sampleRate, samplePeak)) };
}
