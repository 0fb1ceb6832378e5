import { processEffect } from '../src/ir/plugin.ts';
import { describe, expect, it } from 'vitest';
import type { AudioFileData, EffectFactory } from '../src/ir/plugin.ts';
import { chorus } from '../src/effects/chorus.ts';
import { convolution, partitionSize } from '../src/effects/convolution.ts';
import { delay } from '../src/effects/delay.ts';
import { flanger } from '../src/effects/flanger.ts';
import { phaser, phaserNotches } from '../src/effects/phaser.ts';
import { reverb, reverbLineLengths } from '../src/effects/reverb.ts';
import { createRandom } from '../src/dsp/random.ts';
import { bandEnergy, firstNonSilent, peak, rmsDb, spectrum } from './helpers/audio.ts';

const RATE = 48000;

interface RunOptions {
  sampleRate?: number;
  beatSeconds?: number;
  seed?: number;
  automation?: Record<string, Float32Array>;
  files?: Record<string, AudioFileData>;
}

/** Run an effect over copies of [left, right] and return the processed pair. */
function run<O extends object>(factory: EffectFactory<O>, options: Parameters<EffectFactory<O>>[0], left: Float32Array, right: Float32Array = left, extra: RunOptions = {}): [Float32Array, Float32Array] {
  const channels: [Float32Array, Float32Array] = [Float32Array.from(left), Float32Array.from(right)];
  const sampleRate = extra.sampleRate ?? RATE;
  const ctx = {
    sampleRate,
    options: factory(options).options,
    channels,
    sidechain: null,
    automation: extra.automation ?? {},
    beatSeconds: extra.beatSeconds ?? 0.5,
    seed: extra.seed ?? 1,
    readAudio: (path: string) => {
      const file = extra.files?.[path];
      if (!file) throw new Error(`no test file ${path}`);
      return file;
    },
  };
  processEffect(factory.definition, ctx);
  return channels;
}

function impulse(length: number, at = 0, value = 1): Float32Array {
  const signal = new Float32Array(length);
  signal[at] = value;
  return signal;
}

function noise(length: number, seed = 7, level = 0.5): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length }, () => level * (2 * random() - 1));
}

function sine(length: number, hz: number, level = 0.5, rate = RATE): Float32Array {
  return Float32Array.from({ length }, (_, i) => level * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** Index of the largest |sample| in [from, to). */
function argPeak(signal: Float32Array, from: number, to: number): number {
  let best = from;
  for (let i = from; i < to; i++) if (Math.abs(signal[i]) > Math.abs(signal[best])) best = i;
  return best;
}

/** |H(f)| of an impulse response by direct DFT at one exact frequency. */
function responseAt(ir: ArrayLike<number>, hz: number, rate = RATE): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < ir.length; n++) {
    const w = (2 * Math.PI * hz * n) / rate;
    re += ir[n] * Math.cos(w);
    im -= ir[n] * Math.sin(w);
  }
  return Math.hypot(re, im);
}

function db(x: number): number {
  return 20 * Math.log10(x);
}

/** Spectral centroid (Hz) of `size` samples from `offset`. */
function centroid(signal: Float32Array, offset: number, size: number, rate = RATE): number {
  const magnitudes = spectrum(signal, offset, size);
  let weighted = 0;
  let total = 0;
  for (let i = 1; i < magnitudes.length; i++) {
    const power = magnitudes[i] * magnitudes[i];
    weighted += power * ((i * rate) / size);
    total += power;
  }
  return weighted / total;
}

/** Spectrum (dB) of `size` samples from `offset`, averaged over groups of `group` bins. */
function smoothedSpectrumDb(signal: Float32Array, offset: number, size: number, group: number): number[] {
  const magnitudes = spectrum(signal, offset, size);
  const out: number[] = [];
  for (let i = 0; i + group <= magnitudes.length; i += group) {
    let sum = 0;
    for (let k = i; k < i + group; k++) sum += magnitudes[k] * magnitudes[k];
    out.push(10 * Math.log10(sum / group + 1e-30));
  }
  return out;
}

/**
 * Mean |change| (dB) between two moments of a filter's magnitude response, each estimated
 * as output over input smoothed spectrum (4096-sample windows, 8-bin groups, 100 Hz–10 kHz).
 */
function responseChange(input: Float32Array, output: Float32Array, firstSecond: number, secondSecond: number): number {
  const response = (at: number): number[] => {
    const offset = Math.round(at * RATE);
    const inDb = smoothedSpectrumDb(input, offset, 4096, 8);
    return smoothedSpectrumDb(output, offset, 4096, 8).map((v, i) => v - inDb[i]);
  };
  const a = response(firstSecond).slice(1, 107);
  const b = response(secondSecond).slice(1, 107);
  return a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
}

/**
 * RT60 by Schroeder backward integration of the energy of both channels, with a
 * least-squares line fitted to the decay curve between −5 and −35 dB.
 */
function rt60(left: Float32Array, right: Float32Array, rate = RATE): number {
  const n = left.length;
  const curve = new Float64Array(n);
  let sum = 0;
  for (let i = n - 1; i >= 0; i--) {
    sum += left[i] * left[i] + right[i] * right[i];
    curve[i] = sum;
  }
  const total = curve[0];
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const level = 10 * Math.log10(curve[i] / total);
    if (level > -5) continue;
    if (level < -35) break;
    const t = i / rate;
    sx += t;
    sy += level;
    sxx += t * t;
    sxy += t * level;
    count++;
  }
  const slope = (count * sxy - sx * sy) / (count * sxx - sx * sx);
  return -60 / slope;
}

function correlation(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = from; i < to; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('delay', () => {
  for (const rate of [44100, 48000]) {
    it(`puts the first echo exactly round(time × rate) samples late at ${rate} Hz ('8n' at 120 bpm)`, () => {
      const at = 1000;
      const [left, right] = run(delay, { time: '8n', feedback: 0 }, impulse(rate, at), impulse(rate, at), { sampleRate: rate, beatSeconds: 0.5 });
      const expected = at + Math.round(0.25 * rate);
      expect(expected - at).toBe(rate === 48000 ? 12000 : 11025);
      for (const channel of [left, right]) {
        expect(argPeak(channel, 0, channel.length)).toBe(expected);
        expect(channel[expected]).toBe(1);
        // Wet only: the dry impulse is gone, and nothing else sounds.
        expect(peak(channel, 0, expected)).toBe(0);
        expect(peak(channel, expected + 1)).toBe(0);
      }
    });
  }

  it('rounds a time in seconds to the nearest sample', () => {
    const [left] = run(delay, { time: 0.123, feedback: 0 }, impulse(20000, 10), undefined, { sampleRate: 44100 });
    expect(firstNonSilent(left)).toBe(10 + Math.round(0.123 * 44100));
  });

  it('scales every repeat by the feedback (±0.1 dB with the filters open)', () => {
    const d = Math.round(0.1 * RATE);
    const [left] = run(delay, { time: 0.1, feedback: 0.6 }, impulse(RATE, 0));
    for (let k = 1; k <= 6; k++) {
      const ratio = db(Math.abs(left[(k + 1) * d]) / Math.abs(left[k * d]));
      expect(Math.abs(ratio - db(0.6)), `echo ${k + 1}`).toBeLessThan(0.1);
      expect(argPeak(left, k * d - d / 2, k * d + d / 2)).toBe(k * d);
    }
  });

  it('ping-pong alternates sides, first left, each repeat scaled by the feedback', () => {
    const d = Math.round(0.05 * RATE);
    const [left, right] = run(delay, { time: 0.05, feedback: 0.5, pingPong: true }, impulse(RATE, 0), impulse(RATE, 0));
    for (let k = 1; k <= 6; k++) {
      const expected = Math.pow(0.5, k - 1);
      const [loud, quiet] = k % 2 === 1 ? [left, right] : [right, left];
      expect(loud[k * d], `echo ${k}`).toBeCloseTo(expected, 6);
      expect(peak(quiet, k * d - d / 2, k * d + d / 2), `echo ${k} other side`).toBe(0);
    }
  });

  it('darkens successive echoes through the feedback low-pass and thins them through the high-pass', () => {
    const d = Math.round(0.1 * RATE);
    const [left] = run(delay, { time: 0.1, feedback: 0.9, lowpass: 3000, highpass: 300 }, impulse(RATE, 0));
    const size = 2048;
    const centroids = [1, 2, 3, 4, 5].map((k) => centroid(left, k * d - 64, size));
    for (let k = 1; k < centroids.length; k++) expect(centroids[k], `echo ${k + 1}`).toBeLessThan(centroids[k - 1] * 0.95);
    const lows = [1, 4].map((k) => bandEnergy(spectrum(left, k * d - 64, size), RATE, size, 0, 150) / bandEnergy(spectrum(left, k * d - 64, size), RATE, size, 500, 1000));
    expect(lows[1]).toBeLessThan(lows[0] * 0.5);
  });

  it('follows feedback automation per sample', () => {
    const d = Math.round(0.1 * RATE);
    const curve = new Float32Array(RATE).fill(0.5);
    curve.fill(0, Math.round(1.5 * d)); // repeats stop after the second echo was written
    const [left] = run(delay, { time: 0.1, feedback: 0.5 }, impulse(RATE, 0), undefined, { automation: { feedback: curve } });
    expect(left[d]).toBeCloseTo(1, 6);
    expect(left[2 * d]).toBeCloseTo(0.5, 6);
    expect(peak(left, 2 * d + 1)).toBe(0);
  });

  it('reports a tail long enough for the echoes to fall 60 dB', () => {
    const options = delay({ time: 0.2, feedback: 0.7 }).options;
    const tail = delay.definition.tail!(options);
    const length = Math.round((tail + 1) * RATE);
    const [left] = run(delay, options, impulse(length, 0));
    expect(db(peak(left, Math.round(tail * RATE)) / peak(left))).toBeLessThan(-60);
    // …and not wastefully long: one echo earlier is still above −60 dB.
    expect(db(peak(left, Math.round((tail - 0.4) * RATE)) / peak(left))).toBeGreaterThan(-60);
  });

  it('decays to exact zeros instead of cycling subnormal floats through the loop', () => {
    const [left] = run(delay, { time: 0.01, feedback: 0.95, lowpass: 19000 }, impulse(30 * RATE, 0));
    expect(peak(left, 28 * RATE)).toBe(0);
  });

  it('rejects out-of-range options with the option named', () => {
    const problems = delay.definition.validate!(delay({ feedback: 1.2, time: 'soon' as never, lowpass: 10, highpass: 100 }).options);
    expect(problems.some((p) => p.startsWith('feedback'))).toBe(true);
    expect(problems.some((p) => p.startsWith('time'))).toBe(true);
    expect(problems.some((p) => p.startsWith('lowpass'))).toBe(true);
    expect(delay.definition.validate!(delay().options)).toEqual([]);
  });
});

describe('reverb', () => {
  const decayOptions = { damping: 20000, predelay: 0 } as const;

  for (const decay of [1, 2, 4]) {
    it(`measures an RT60 within ±15% of decay ${decay} s (Schroeder integration)`, () => {
      const length = Math.round((decay * 1.3 + 0.2) * RATE);
      const [left, right] = run(reverb, { ...decayOptions, decay }, impulse(length, 0));
      const measured = rt60(left, right);
      expect(Math.abs(measured / decay - 1), `${measured.toFixed(3)} s`).toBeLessThan(0.15);
    });
  }

  it('decays at `damping` Hz in about half the time (octave band around it)', () => {
    const decay = 2;
    const length = Math.round(2.5 * RATE);
    const [left] = run(reverb, { decay, damping: 4000, predelay: 0, modulation: 0 }, impulse(length, 0));
    // Energy decay rate in a band from the slope of successive windowed spectra.
    const size = 4096;
    const bandSlope = (from: number, to: number): number => {
      const early = bandEnergy(spectrum(left, Math.round(0.3 * RATE), size), RATE, size, from, to);
      const late = bandEnergy(spectrum(left, Math.round(0.8 * RATE), size), RATE, size, from, to);
      return (10 * Math.log10(late / early)) / 0.5; // dB per second
    };
    const lowRt = -60 / bandSlope(200, 600);
    const dampedRt = -60 / bandSlope(3600, 4400);
    expect(Math.abs(lowRt / decay - 1), `low band ${lowRt}`).toBeLessThan(0.2);
    expect(Math.abs(dampedRt / (decay / 2) - 1), `damped band ${dampedRt}`).toBeLessThan(0.2);
  });

  it('outputs only the reverb: silent until predelay + the shortest line', () => {
    const predelay = 0.03;
    const [left] = run(reverb, { predelay, modulation: 0 }, impulse(RATE, 0));
    const expected = Math.round(predelay * RATE) + Math.min(...reverbLineLengths(1, RATE));
    expect(firstNonSilent(left)).toBe(expected);
  });

  it('builds a dense, smooth tail: Gaussian-like amplitudes and a flat spectrum without ringing', () => {
    const [left] = run(reverb, { decay: 2, damping: 20000, predelay: 0 }, impulse(RATE, 0));
    // Kurtosis of an envelope-flat stretch (150–250 ms, < 1 dB of decay): 3 for noise, large for sparse echoes.
    let m2 = 0;
    let m4 = 0;
    const from = Math.round(0.15 * RATE);
    const to = Math.round(0.25 * RATE);
    for (let i = from; i < to; i++) {
      m2 += left[i] ** 2;
      m4 += left[i] ** 4;
    }
    const n = to - from;
    const kurtosis = (m4 / n) / (m2 / n) ** 2;
    expect(kurtosis).toBeLessThan(4);
    // Spectral flatness of the smoothed tail spectrum, 100 Hz – 10 kHz: a ringing mode pulls it down.
    const size = 16384;
    const bands = smoothedSpectrumDb(left, Math.round(0.3 * RATE), size, 16).slice(1, Math.floor((10000 / RATE) * size) / 16);
    const power = bands.map((b) => Math.pow(10, b / 10));
    const geometric = Math.exp(power.reduce((s, p) => s + Math.log(p), 0) / power.length);
    const arithmetic = power.reduce((s, p) => s + p, 0) / power.length;
    expect(geometric / arithmetic).toBeGreaterThan(0.85);
    expect(Math.max(...bands) - Math.min(...bands)).toBeLessThan(12);
  });

  it('decorrelates the channels at width 1 and is mono at width 0', () => {
    const input = impulse(RATE, 0);
    const [wideL, wideR] = run(reverb, { width: 1 }, input);
    expect(Math.abs(correlation(wideL, wideR, Math.round(0.1 * RATE), RATE))).toBeLessThan(0.3);
    const [monoL, monoR] = run(reverb, { width: 0 }, input);
    expect(monoL).toEqual(monoR);
    expect(peak(monoL)).toBeGreaterThan(0);
  });

  it('keeps about the input level for a 2 s decay (noise in, noise-like wash out)', () => {
    const input = noise(3 * RATE);
    const [left] = run(reverb, { decay: 2 }, input);
    const change = rmsDb(left, 2 * RATE, 3 * RATE) - rmsDb(input, 2 * RATE, 3 * RATE);
    expect(Math.abs(change)).toBeLessThan(3);
  });

  it('is deterministic for a seed and varies its modulation with the seed', () => {
    const input = noise(RATE / 2);
    const a = run(reverb, {}, input, input, { seed: 5 });
    const b = run(reverb, {}, input, input, { seed: 5 });
    const c = run(reverb, {}, input, input, { seed: 6 });
    expect(a[0]).toEqual(b[0]);
    expect(a[0]).not.toEqual(c[0]);
  });

  it('decays to exact zeros instead of cycling subnormal floats through the network', () => {
    const [left] = run(reverb, { decay: 0.2 }, impulse(6 * RATE, 0));
    expect(peak(left, 5 * RATE)).toBe(0);
  });

  it('reports predelay + decay as its tail', () => {
    expect(reverb.definition.tail!(reverb({ decay: 3, predelay: 0.05 }).options)).toBeCloseTo(3.05, 9);
    expect(reverb.definition.validate!(reverb({ decay: 0, width: 2 }).options).length).toBe(2);
  });
});

describe('convolution', () => {
  const mono = (ir: Float32Array): Record<string, AudioFileData> => ({ 'irs/test.wav': { sampleRate: RATE, channels: [ir] } });

  it('declares its impulse file and requires one', () => {
    expect(convolution.definition.files!(convolution({ impulse: 'irs/hall.wav' }).options)).toEqual(['irs/hall.wav']);
    expect(convolution.definition.validate!(convolution().options).some((p) => p.startsWith('impulse'))).toBe(true);
  });

  it('a unit impulse at sample k delays the input by exactly k samples', () => {
    const k = 1234;
    const input = noise(20000);
    const [left, right] = run(convolution, { impulse: 'irs/test.wav' }, input, input, { files: mono(impulse(k + 1, k)) });
    for (const out of [left, right]) {
      let error = 0;
      for (let i = 0; i < input.length; i++) error = Math.max(error, Math.abs(out[i] - (i >= k ? input[i - k] : 0)));
      expect(error).toBeLessThan(1e-6);
    }
  });

  it('a 2-tap impulse gives the exact sum of the two scaled, delayed copies', () => {
    const ir = new Float32Array(301);
    ir[0] = 0.5;
    ir[300] = -0.25;
    const input = noise(10000, 3);
    const [left] = run(convolution, { impulse: 'irs/test.wav' }, input, input, { files: mono(ir) });
    let error = 0;
    for (let i = 0; i < input.length; i++) error = Math.max(error, Math.abs(left[i] - (0.5 * input[i] - (i >= 300 ? 0.25 * input[i - 300] : 0))));
    expect(error).toBeLessThan(1e-6);
  });

  it('matches direct convolution within 1e-5 for a 5000-sample IR (stereo IR: L→L, R→R)', () => {
    const irL = noise(5000, 11, 0.02);
    const irR = noise(5000, 12, 0.02);
    const inL = noise(30000, 13);
    const inR = noise(30000, 14);
    const [left, right] = run(convolution, { impulse: 'irs/test.wav' }, inL, inR, { files: { 'irs/test.wav': { sampleRate: RATE, channels: [irL, irR] } } });
    const direct = (x: Float32Array, h: Float32Array, n: number): number => {
      let sum = 0;
      for (let k = 0; k < h.length && k <= n; k++) sum += h[k] * x[n - k];
      return sum;
    };
    let error = 0;
    for (let n = 0; n < inL.length; n++) {
      error = Math.max(error, Math.abs(left[n] - direct(inL, irL, n)), Math.abs(right[n] - direct(inR, irR, n)));
    }
    expect(error).toBeLessThan(1e-5);
    expect(partitionSize(5000)).toBeLessThan(5000);
  });

  it('applies gain in dB and predelay in samples', () => {
    const input = noise(8000);
    const [left] = run(convolution, { impulse: 'irs/test.wav', gain: -6, predelay: 0.01 }, input, input, { files: mono(impulse(1, 0)) });
    const shift = Math.round(0.01 * RATE);
    const gain = Math.pow(10, -6 / 20);
    let error = 0;
    for (let i = 0; i < input.length; i++) error = Math.max(error, Math.abs(left[i] - (i >= shift ? gain * input[i - shift] : 0)));
    expect(error).toBeLessThan(1e-6);
  });
});

describe('chorus', () => {
  it('spreads a sine into sidebands around the tone and keeps its level within ±3 dB', () => {
    const length = 4 * RATE;
    const input = sine(length, 1000);
    const [left] = run(chorus, { rate: 0.8, depth: 3, delay: 15, voices: 2 }, input);
    const size = 65536;
    const inSpectrum = spectrum(input, RATE, size);
    const outSpectrum = spectrum(left, RATE, size);
    const sidebands = (m: Float64Array) => (bandEnergy(m, RATE, size, 980, 997) + bandEnergy(m, RATE, size, 1003, 1020)) / bandEnergy(m, RATE, size, 900, 1100);
    expect(sidebands(inSpectrum)).toBeLessThan(1e-4);
    expect(sidebands(outSpectrum)).toBeGreaterThan(0.05);
    // The vibrato's deviation is depth·2π·rate·f ≈ 15 Hz: nothing spreads far beyond it.
    expect(bandEnergy(outSpectrum, RATE, size, 960, 1040) / bandEnergy(outSpectrum, RATE, size, 20, 20000)).toBeGreaterThan(0.99);
    expect(Math.abs(rmsDb(left, RATE) - rmsDb(input, RATE))).toBeLessThan(3);
  });

  it('sweeps the channels apart with spread and keeps them equal without it', () => {
    const input = noise(RATE);
    const [l0, r0] = run(chorus, { spread: 0 }, input);
    expect(l0).toEqual(r0);
    const [l1, r1] = run(chorus, { spread: 1 }, input);
    expect(correlation(l1, r1, 0, RATE)).toBeLessThan(0.95);
  });

  it('is the same for a synced rate as for its Hz, and deterministic', () => {
    const input = noise(RATE / 2);
    // '1m' at 120 bpm: a 2 s cycle = 0.5 Hz.
    const [synced] = run(chorus, { rate: '1m' }, input, input, { beatSeconds: 0.5 });
    const [hz] = run(chorus, { rate: 0.5 }, input);
    expect(synced).toEqual(hz);
  });
});

describe('flanger', () => {
  it('with the sweep frozen (depth 0) has comb notches at odd multiples of 1/(2·delay)', () => {
    const [left] = run(flanger, { depth: 0, delay: 1, feedback: 0 }, impulse(4096, 0));
    // delay 1 ms = 48 samples: notches at 500, 1500, 2500 Hz, peaks at 1000, 2000 Hz.
    for (const notch of [500, 1500, 2500, 3500]) expect(responseAt(left, notch), `${notch} Hz`).toBeLessThan(1e-4);
    for (const top of [1000, 2000, 3000]) expect(responseAt(left, top)).toBeCloseTo(1, 4);
  });

  it('feedback sharpens the comb as 0.5·(1 + z⁻ᴰ/(1 − fb·z⁻ᴰ)) predicts', () => {
    for (const fb of [0.7, -0.7]) {
      const [left] = run(flanger, { depth: 0, delay: 1, feedback: fb }, impulse(8192, 0));
      expect(responseAt(left, 1000)).toBeCloseTo(Math.abs(0.5 * (1 + 1 / (1 - fb))), 3);
      expect(responseAt(left, 500)).toBeCloseTo(Math.abs(0.5 * (1 - 1 / (1 + fb))), 3);
    }
  });

  it('moves its notches as the LFO sweeps', () => {
    const input = noise(3 * RATE);
    const difference = (depth: number): number => {
      const [left] = run(flanger, { depth, delay: 1, feedback: 0.5, rate: 0.25 }, input);
      return responseChange(input, left, 0.2, 2.2);
    };
    expect(difference(2)).toBeGreaterThan(4);
    expect(difference(0)).toBeLessThan(1); // frozen: only windowing scatter around the deep notches
  });
});

describe('phaser', () => {
  for (const stages of [4, 6, 8]) {
    it(`with depth 0 has its ${stages / 2} notches where ${stages} allpass stages predict`, () => {
      const [left] = run(phaser, { depth: 0, centre: 1000, stages, feedback: 0 }, impulse(RATE, 0));
      const notches = phaserNotches(stages, 1000, RATE);
      expect(notches.length).toBe(stages / 2);
      for (const notch of notches) expect(responseAt(left, notch), `${notch.toFixed(1)} Hz`).toBeLessThan(1e-3);
      // Unity at DC (all stages in phase) and a real notch, not just a dip, between.
      expect(responseAt(left, 5)).toBeCloseTo(1, 2);
      expect(responseAt(left, notches[0] * 0.5)).toBeGreaterThan(0.3);
    });
  }

  it('sweeps its notches with the LFO and stays deterministic', () => {
    const input = noise(3 * RATE);
    const [a] = run(phaser, { rate: 0.25, depth: 3 }, input);
    const [b] = run(phaser, { rate: 0.25, depth: 3 }, input);
    expect(a).toEqual(b);
    expect(responseChange(input, a, 0.2, 2.2)).toBeGreaterThan(3);
    const [frozen] = run(phaser, { rate: 0.25, depth: 0 }, input);
    expect(responseChange(input, frozen, 0.2, 2.2)).toBeLessThan(0.5);
  });

  it('rejects odd stage counts', () => {
    expect(phaser.definition.validate!(phaser({ stages: 5 }).options).some((p) => p.startsWith('stages'))).toBe(true);
    expect(phaser.definition.validate!(phaser().options)).toEqual([]);
  });
});
