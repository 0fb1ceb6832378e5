import { processEffect } from '../src/ir/plugin.ts';
import { describe, expect, it } from 'vitest';
import type { EffectFactory, InstrumentFactory } from '../src/ir/plugin.ts';
import { halfBandTaps, oversample, oversampleLatency, oversampleStageTaps } from '../src/effects/oversample.ts';
import { saturation } from '../src/effects/saturation.ts';
import { bitcrusher } from '../src/effects/bitcrusher.ts';
import { autoFilter, lfoValue } from '../src/effects/auto-filter.ts';
import { width } from '../src/effects/width.ts';
import { utility } from '../src/effects/utility.ts';
import { tape } from '../plugins/tape.ts';
import { granular } from '../plugins/granular.ts';
import { midiToFrequency } from '../src/theory/pitch.ts';
import type { SyncedTime } from '../src/theory/sync.ts';
import { firstNonSilent, peak, peakFrequency, rmsDb, spectrum } from './helpers/audio.ts';
import { render as renderInstrument } from './helpers/instrument.ts';

const RATE = 48000;
const FFT = 65536;

interface RunExtras {
  automation?: Record<string, Float32Array>;
  beatSeconds?: number;
  seed?: number;
}

/** Run an effect in place over [left, right], the way the mix graph calls it. */
function run<O extends object>(factory: EffectFactory<O>, options: Parameters<EffectFactory<O>>[0], left: Float32Array, right: Float32Array, extras: RunExtras = {}): void {
  const ctx = {
    sampleRate: RATE,
    options: factory(options).options,
    channels: [left, right] as const,
    sidechain: null,
    automation: extras.automation ?? {},
    beatSeconds: extras.beatSeconds ?? 0.5,
    seed: extras.seed ?? 1,
    readAudio() {
      throw new Error('no files');
    },
  };
  expect(factory.definition.validate?.(ctx.options) ?? []).toEqual([]);
  processEffect(factory.definition, ctx);
}

function sine(frequency: number, seconds: number, amplitude = 0.5, phase = 0): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / RATE + phase);
  return out;
}

/** Seeded white noise in [−amplitude, amplitude) (a local LCG: tests need no crypto quality). */
function noise(seconds: number, amplitude = 0.5, seed = 7): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = amplitude * (state / 2147483648 - 1);
  }
  return out;
}

/** Amplitude of the spectrum near `frequency` (largest bin within ±3 bins). */
function levelAt(magnitudes: Float64Array, frequency: number): number {
  const bin = Math.round((frequency * FFT) / RATE);
  let best = 0;
  for (let i = Math.max(1, bin - 3); i <= Math.min(magnitudes.length - 1, bin + 3); i++) best = Math.max(best, magnitudes[i]);
  return best;
}

/** Harmonic amplitudes 1…count of a tone at `f0`, from one FFT starting at `offset`. */
function harmonics(signal: Float32Array, f0: number, count: number, offset = 4800): number[] {
  const magnitudes = spectrum(signal, offset, FFT);
  return Array.from({ length: count }, (_, k) => ((k + 1) * f0 < RATE / 2 ? levelAt(magnitudes, (k + 1) * f0) : 0));
}

/** Total harmonic distortion (amplitude ratio, harmonics 2–10) of a tone at `f0`. */
function thd(signal: Float32Array, f0: number): number {
  const h = harmonics(signal, f0, 10);
  return Math.sqrt(h.slice(1).reduce((sum, a) => sum + a * a, 0)) / h[0];
}

const db = (ratio: number) => 20 * Math.log10(ratio);

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** |H(f)| of an FIR, f in cycles per sample of its own rate. */
function firResponse(taps: Float64Array, f: number): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < taps.length; n++) {
    re += taps[n] * Math.cos(2 * Math.PI * f * n);
    im -= taps[n] * Math.sin(2 * Math.PI * f * n);
  }
  return Math.hypot(re, im);
}

/** RMS envelope in windows of `window` samples. */
function envelope(signal: Float32Array, window: number): Float64Array {
  const out = new Float64Array(Math.floor(signal.length / window));
  for (let w = 0; w < out.length; w++) {
    let sum = 0;
    for (let i = w * window; i < (w + 1) * window; i++) sum += signal[i] * signal[i];
    out[w] = Math.sqrt(sum / window);
  }
  return out;
}

/**
 * Period (in envelope windows): the first autocorrelation maximum within [minLag, maxLag]
 * that reaches 80% of the zero-lag value (later ones are multiples of the period).
 */
function envelopePeriod(env: Float64Array, minLag: number, maxLag: number): number {
  const mean = env.reduce((s, v) => s + v, 0) / env.length;
  const centred = env.map((v) => v - mean);
  const corr = (lag: number) => {
    let sum = 0;
    for (let i = 0; i + lag < centred.length; i++) sum += centred[i] * centred[i + lag];
    return sum / (centred.length - lag);
  };
  const zero = corr(0);
  let best = -1;
  for (let lag = minLag; lag <= maxLag && best < 0; lag++) if (corr(lag) > 0.8 * zero && corr(lag) >= corr(lag - 1) && corr(lag) >= corr(lag + 1)) best = lag;
  if (best < 0) return NaN;
  const a = corr(best - 1);
  const b = corr(best);
  const c = corr(best + 1);
  return best + (0.5 * (a - c)) / (a - 2 * b + c);
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('oversample', () => {
  it('has half-band stages with at least 80 dB of stop band and flat pass band', () => {
    const { a, b } = oversampleStageTaps();
    // Stage A: base ↔ 2×, pass 0–0.2, stop 0.3–0.5 of the 2× rate. Stage B: pass 0–0.15, stop 0.35–0.5 of 4×.
    for (const [taps, pass, stop] of [[a, 0.2, 0.3], [b, 0.15, 0.35]] as const) {
      let worstStop = 0;
      for (let f = stop; f <= 0.5; f += 0.0002) worstStop = Math.max(worstStop, firResponse(taps, f));
      let ripple = 0;
      for (let f = 0; f <= pass; f += 0.0002) ripple = Math.max(ripple, Math.abs(db(firResponse(taps, f))));
      expect(db(worstStop)).toBeLessThan(-80); // measured: −84.8 dB (A), −86 dB (B)
      expect(ripple).toBeLessThan(0.001); // dB
      // Half-band: centre tap ½, every other tap zero.
      const centre = (taps.length - 1) / 2;
      expect(taps[centre]).toBe(0.5);
      for (let n = 0; n < taps.length; n++) if (n !== centre && (n - centre) % 2 === 0) expect(taps[n]).toBe(0);
    }
    expect(halfBandTaps(4, 8).length).toBe(15);
  });

  for (const factor of [2, 4] as const) {
    it(`${factor}×: an identity shaper returns the input sample-aligned (latency ${oversampleLatency(factor)} compensated)`, () => {
      const x = new Float32Array(RATE);
      for (let i = 0; i < x.length; i++) x[i] = 0.4 * Math.sin((2 * Math.PI * 1000 * i) / RATE) + 0.3 * Math.sin((2 * Math.PI * 7777 * i) / RATE) + 0.2 * Math.sin((2 * Math.PI * 15000 * i) / RATE);
      const y = x.slice();
      oversample(y, factor, (v) => v);
      let worst = 0;
      for (let i = 200; i < x.length - 200; i++) worst = Math.max(worst, Math.abs(y[i] - x[i]));
      expect(worst).toBeLessThan(1e-4); // ≈ 3e-5 measured: pass-band ripple, not misalignment
      // A one-sample misalignment of this signal would leave errors of ~0.2.
      // An impulse comes back centred on its own sample and symmetric (linear phase).
      const impulse = new Float32Array(4000);
      impulse[2000] = 1;
      oversample(impulse, factor, (v) => v);
      let argMax = 0;
      for (let i = 0; i < impulse.length; i++) if (Math.abs(impulse[i]) > Math.abs(impulse[argMax])) argMax = i;
      expect(argMax).toBe(2000);
      for (let k = 1; k < 60; k++) expect(Math.abs(impulse[2000 - k] - impulse[2000 + k])).toBeLessThan(1e-6);
    });
  }

  it('1× hands the signal itself to the shaper', () => {
    const x = noise(0.1);
    const y = x.slice();
    oversample(y, 1, (v) => v);
    expect(sameBits(x, y)).toBe(true);
  });

  it('4× keeps the end of the signal (the filters are flushed)', () => {
    const x = sine(1000, 0.5, 0.5);
    const y = x.slice();
    oversample(y, 4, (v) => v);
    expect(Math.abs(y[x.length - 300] - x[x.length - 300])).toBeLessThan(1e-3);
  });
});

describe('saturation', () => {
  it('raises THD with drive (tanh, 1 kHz at −6 dBFS)', () => {
    const values = [-12, 0, 6, 12, 24].map((drive) => {
      const left = sine(1000, 1.5);
      run(saturation, { drive, type: 'tanh' }, left, left.slice());
      return thd(left, 1000);
    });
    // Measured THD ratios: 0.0014, 0.021, 0.072, 0.185, 0.402.
    for (let i = 1; i < values.length; i++) expect(values[i], `THD ${values.join(', ')}`).toBeGreaterThan(values[i - 1] * 1.5);
    expect(values[0]).toBeLessThan(0.01);
    expect(values[values.length - 1]).toBeGreaterThan(0.2);
  });

  it("'tube' adds a 2nd harmonic; 'tanh' stays odd", () => {
    const measure = (type: 'tube' | 'tanh') => {
      const left = sine(1000, 1.5);
      run(saturation, { drive: 6, type }, left, left.slice());
      const [h1, h2, h3] = harmonics(left, 1000, 3);
      return { h2: db(h2 / h1), h3: db(h3 / h1) };
    };
    const tube = measure('tube');
    const tanh = measure('tanh');
    expect(tube.h2).toBeGreaterThan(-35); // measured −27.9 dB (H3 −22.2 dB)
    expect(tanh.h2).toBeLessThan(-90); // measured −198 dB: numerically nothing
    expect(tanh.h3).toBeGreaterThan(-30);
  });

  it('bias adds even harmonics to tanh and leaves no DC', () => {
    const left = sine(1000, 1.5);
    run(saturation, { drive: 6, type: 'tanh', bias: 0.3 }, left, left.slice());
    const [h1, h2] = harmonics(left, 1000, 2);
    expect(db(h2 / h1)).toBeGreaterThan(-30);
    let mean = 0;
    for (let i = RATE / 2; i < left.length; i++) mean += left[i];
    expect(Math.abs(mean / (left.length - RATE / 2))).toBeLessThan(1e-3);
    const silence = new Float32Array(RATE);
    run(saturation, { drive: 12, type: 'tube', bias: 0.3 }, silence, silence.slice());
    expect(peak(silence)).toBe(0);
  });

  it('4× oversampling keeps aliases of a hard-driven 15 kHz sine 20 dB+ lower than none', () => {
    const aliasLevel = (factor: 1 | 4, type: 'tanh' | 'hard') => {
      const left = sine(15000, 1.6, 0.9);
      run(saturation, { drive: 12, type, oversample: factor }, left, left.slice());
      const magnitudes = spectrum(left, 4800, FFT);
      const binHz = RATE / FFT;
      const fundamental = levelAt(magnitudes, 15000);
      // Below Nyquist the only harmonic of 15 kHz is 15 kHz itself: everything else is alias.
      let worst = 0;
      for (let i = Math.ceil(30 / binHz); i < magnitudes.length; i++) if (Math.abs(i * binHz - 15000) > 60) worst = Math.max(worst, magnitudes[i]);
      return db(worst / fundamental);
    };
    const tanh1 = aliasLevel(1, 'tanh');
    const tanh4 = aliasLevel(4, 'tanh');
    // Measured (strongest alias vs the fundamental): tanh −11.8 dB at 1× (the 3rd harmonic,
    // 45 kHz, folded to 3 kHz), −49.7 dB at 4× (what is left is the 13th, 195 kHz, folding
    // around the 192 kHz rate to 3 kHz: the limit of 4×, not of the filters). Hard clip:
    // −10.5 dB at 1×, −38.9 dB at 4×.
    expect(tanh1).toBeGreaterThan(-20);
    expect(tanh4).toBeLessThan(tanh1 - 20);
    expect(aliasLevel(4, 'hard')).toBeLessThan(aliasLevel(1, 'hard') - 20);
  });

  it('follows drive automation: a constant curve equals the static setting, a step changes the distortion', () => {
    const input = sine(1000, 1.5);
    const fixed = input.slice();
    run(saturation, { drive: 12 }, fixed, fixed.slice());
    const automated = input.slice();
    run(saturation, { drive: 0 }, automated, automated.slice(), { automation: { drive: new Float32Array(input.length).fill(12) } });
    let worst = 0;
    for (let i = 0; i < input.length; i++) worst = Math.max(worst, Math.abs(fixed[i] - automated[i]));
    expect(worst).toBeLessThan(1e-6);
    const step = new Float32Array(input.length * 2).fill(-12);
    step.fill(24, input.length);
    const long = sine(1000, 3);
    run(saturation, { drive: 0 }, long, long.slice(), { automation: { drive: step } });
    expect(thd(long.subarray(input.length), 1000)).toBeGreaterThan(20 * thd(long.subarray(0, input.length), 1000));
  });

  it('applies output gain and the tone low-pass', () => {
    const a = sine(1000, 1);
    const b = a.slice();
    run(saturation, { drive: 0 }, a, a.slice());
    run(saturation, { drive: 0, output: -6 }, b, b.slice());
    expect(rmsDb(b) - rmsDb(a)).toBeCloseTo(-6, 3);
    const bright = noise(1);
    const dark = bright.slice();
    run(saturation, { drive: 0, type: 'hard' }, bright, bright.slice());
    run(saturation, { drive: 0, type: 'hard', tone: 2000 }, dark, dark.slice());
    const high = (x: Float32Array) => {
      const m = spectrum(x, 0, 32768);
      let sum = 0;
      for (let i = Math.round((10000 * 32768) / RATE); i < m.length; i++) sum += m[i] * m[i];
      return sum;
    };
    expect(10 * Math.log10(high(dark) / high(bright))).toBeLessThan(-25); // 12 dB/oct, 2+ octaves above 2 kHz
  });

  it('rejects bad options', () => {
    expect(saturation.definition.validate!(saturation({ type: 'fuzz' as 'tanh', oversample: 3 as 4 }).options)).toHaveLength(2);
  });
});

describe('bitcrusher', () => {
  it('bits = 3 gives exactly 8 levels, multiples of ¼ from −1 to ¾', () => {
    const left = sine(440, 1, 1);
    run(bitcrusher, { bits: 3 }, left, left.slice());
    const levels = [...new Set(left)].sort((a, b) => a - b);
    expect(levels).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]);
  });

  it('rounds to the nearest level (error ≤ half a step) and keeps silence silent', () => {
    const input = noise(0.5, 0.9);
    const left = input.slice();
    run(bitcrusher, { bits: 6 }, left, left.slice());
    const step = 2 / 64;
    let worst = 0;
    for (let i = 0; i < input.length; i++) worst = Math.max(worst, Math.abs(left[i] - input[i]));
    expect(worst).toBeLessThanOrEqual(step / 2 + 1e-7);
    const silence = new Float32Array(1000);
    run(bitcrusher, { bits: 2 }, silence, silence.slice());
    expect(peak(silence)).toBe(0);
  });

  it('holds samples for exactly the downsample factor, fractional factors alternating', () => {
    const runs = (factor: number) => {
      const ramp = Float32Array.from({ length: 2000 }, (_, i) => i / 4000);
      run(bitcrusher, { bits: 24, downsample: factor }, ramp, ramp.slice());
      const lengths: number[] = [];
      let count = 1;
      for (let i = 1; i < ramp.length; i++) {
        if (ramp[i] === ramp[i - 1]) count++;
        else {
          lengths.push(count);
          count = 1;
        }
      }
      // The held value is the first sample of its run.
      expect(ramp[0]).toBe(0);
      return lengths;
    };
    expect(new Set(runs(4))).toEqual(new Set([4]));
    expect(runs(4)).toHaveLength(499);
    const fractional = runs(2.5);
    expect(new Set(fractional)).toEqual(new Set([2, 3]));
    expect(fractional.reduce((s, v) => s + v, 0) / fractional.length).toBeCloseTo(2.5, 2);
    expect(new Set(runs(1))).toEqual(new Set([1]));
  });

  it('dither (seeded TPDF) keeps a sub-LSB tone alive and is repeatable per seed', () => {
    // 8 bits: step 1/128; a 0.003 amplitude sine never reaches half a step.
    const quiet = sine(500, 1, 0.003);
    const plain = quiet.slice();
    run(bitcrusher, { bits: 8 }, plain, plain.slice());
    expect(peak(plain)).toBe(0);
    const dithered = quiet.slice();
    run(bitcrusher, { bits: 8, dither: true }, dithered, dithered.slice(), { seed: 5 });
    // TPDF dither makes the error independent of the signal: the tone survives under the noise.
    expect(correlation(dithered, quiet)).toBeGreaterThan(0.1);
    const spectrumLevel = harmonics(dithered, 500, 1)[0];
    expect(db(spectrumLevel / harmonics(quiet, 500, 1)[0])).toBeCloseTo(0, 0);
    const again = quiet.slice();
    run(bitcrusher, { bits: 8, dither: true }, again, again.slice(), { seed: 5 });
    expect(sameBits(again, dithered)).toBe(true);
    const other = quiet.slice();
    run(bitcrusher, { bits: 8, dither: true }, other, other.slice(), { seed: 6 });
    expect(sameBits(other, dithered)).toBe(false);
  });

  it('rejects out-of-range bits and factors', () => {
    expect(bitcrusher.definition.validate!(bitcrusher({ bits: 0, downsample: 0.5 }).options)).toHaveLength(2);
  });
});

describe('autoFilter', () => {
  /** LFO period in seconds measured from the level of a filtered 2 kHz tone. */
  const measuredPeriod = (rate: SyncedTime, beatSeconds: number, shape: 'sine' | 'triangle' | 'square' | 'saw' = 'sine') => {
    const left = sine(2000, 8);
    // No resonance: the level of the tone then rises monotonically with the cutoff.
    run(autoFilter, { type: 'lowpass', frequency: 1000, depth: 2, resonance: 0, rate, shape }, left, left.slice(), { beatSeconds });
    const window = 240; // 5 ms
    const env = envelope(left, window);
    return (envelopePeriod(env, Math.round(0.1 / 0.005), Math.round(2 / 0.005)) * window) / RATE;
  };

  it("cycles once per '2n' at beatSeconds 0.5 (1 s) and follows the tempo", () => {
    expect(measuredPeriod('2n', 0.5)).toBeCloseTo(1, 2);
    // Each ≈ 0.3% of the expected period, the resolution of 5 ms envelope windows.
    expect(measuredPeriod('2n', 0.375)).toBeCloseTo(0.75, 2);
    expect(measuredPeriod('4n.', 0.5)).toBeCloseTo(0.75, 2);
    expect(measuredPeriod(0.6, 0.5, 'triangle')).toBeCloseTo(0.6, 2);
    expect(measuredPeriod('2n', 0.5, 'square')).toBeCloseTo(1, 2);
  });

  it('starts a sine LFO at 0 rising: the cutoff peaks a quarter cycle in', () => {
    const left = sine(2000, 2);
    run(autoFilter, { frequency: 1000, depth: 2, rate: 1, resonance: 0 }, left, left.slice());
    const env = envelope(left, 240);
    let argMax = 0;
    for (let i = 0; i < 200; i++) if (env[i] > env[argMax]) argMax = i;
    expect(Math.abs((argMax * 240 + 120) / RATE - 0.25)).toBeLessThan(0.06);
    expect(lfoValue('triangle', 0)).toBeCloseTo(0, 12);
    expect(lfoValue('triangle', 0.25)).toBeCloseTo(1, 12);
    expect(lfoValue('saw', 0)).toBe(-1);
  });

  it('moves left and right in opposition with stereoPhase 0.5', () => {
    const left = sine(2000, 3);
    const right = left.slice();
    run(autoFilter, { frequency: 1000, depth: 2, rate: 1, stereoPhase: 0.5 }, left, right);
    expect(correlation(envelope(left, 480).map((v, i, a) => v - a.reduce((s, x) => s + x, 0) / a.length), envelope(right, 480).map((v, i, a) => v - a.reduce((s, x) => s + x, 0) / a.length))).toBeLessThan(-0.9);
  });

  it('filters by type: a fixed high-pass at 1 kHz cuts 100 Hz by ~40 dB and passes 8 kHz', () => {
    const low = sine(100, 1);
    const high = sine(8000, 1);
    run(autoFilter, { type: 'highpass', frequency: 1000, depth: 0, resonance: 0 }, low, low.slice());
    run(autoFilter, { type: 'highpass', frequency: 1000, depth: 0, resonance: 0 }, high, high.slice());
    expect(rmsDb(low, RATE / 2) - rmsDb(sine(100, 1), RATE / 2)).toBeLessThan(-38); // 12 dB/oct × 3.3 oct
    expect(rmsDb(high, RATE / 2) - rmsDb(sine(8000, 1), RATE / 2)).toBeGreaterThan(-0.1);
    const band = sine(1000, 1);
    run(autoFilter, { type: 'bandpass', frequency: 1000, depth: 0, resonance: 0.5 }, band, band.slice());
    const off = sine(4000, 1);
    run(autoFilter, { type: 'bandpass', frequency: 1000, depth: 0, resonance: 0.5 }, off, off.slice());
    // Band-pass peak over 2 octaves up: √(1 + Q²·(4 − ¼)²) with Q = 1/k.
    const k = Math.SQRT2 * 0.5 + 0.05 * 0.5;
    expect(rmsDb(band, RATE / 2) - rmsDb(off, RATE / 2)).toBeCloseTo(db(Math.sqrt(1 + (3.75 / k) ** 2)), 0);
  });

  it('follows frequency automation exactly like the static setting', () => {
    const a = noise(1);
    const b = a.slice();
    run(autoFilter, { frequency: 3000 }, a, a.slice());
    run(autoFilter, { frequency: 500 }, b, b.slice(), { automation: { frequency: new Float32Array(a.length).fill(3000) } });
    expect(sameBits(a, b)).toBe(true);
  });
});

describe('width', () => {
  const pair = () => [noise(0.5, 0.5, 1), noise(0.5, 0.5, 2)] as const;
  const midSide = (l: Float32Array, r: Float32Array) => [l.map((v, i) => (v + r[i]) / 2), l.map((v, i) => (v - r[i]) / 2)] as const;
  const energy = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);

  it('width 0 makes L and R exactly equal; width 1 leaves the bits alone', () => {
    const [l, r] = pair();
    run(width, { width: 0 }, l, r);
    expect(sameBits(l, r)).toBe(true);
    const [l1, r1] = pair();
    const [l2, r2] = pair();
    run(width, { width: 1 }, l2, r2);
    expect(sameBits(l1, l2) && sameBits(r1, r2)).toBe(true);
  });

  it('scales the side energy by width² and leaves the mid alone', () => {
    const [l0, r0] = pair();
    const [mid0, side0] = midSide(l0, r0);
    for (const w of [0.5, 1.5, 2]) {
      const [l, r] = pair();
      run(width, { width: w }, l, r);
      const [mid, side] = midSide(l, r);
      expect(energy(side) / energy(side0)).toBeCloseTo(w * w, 5);
      let worst = 0;
      for (let i = 0; i < mid.length; i++) worst = Math.max(worst, Math.abs(mid[i] - mid0[i]));
      expect(worst).toBeLessThan(1e-7);
    }
  });

  it('bass mono removes the side below the crossover and keeps it above', () => {
    const sideAt = (frequency: number) => {
      const l = sine(frequency, 1, 0.5);
      const r = l.map((v) => -v);
      run(width, { bassMono: 150 }, l, r);
      return rmsDb(midSide(l, r)[1], RATE / 2) - rmsDb(sine(frequency, 1, 0.5), RATE / 2);
    };
    expect(sideAt(40)).toBeLessThan(-40); // LR4: 24 dB/oct, ~1.9 oct below
    expect(Math.abs(sideAt(5000))).toBeLessThan(0.05);
    // The mid passes untouched.
    const l = sine(40, 0.5);
    const r = l.slice();
    run(width, { bassMono: 150, width: 1.5 }, l, r);
    expect(sameBits(l, r)).toBe(true);
    expect(rmsDb(l) - rmsDb(sine(40, 0.5))).toBeCloseTo(0, 5);
  });

  it('follows width automation per sample', () => {
    const [l, r] = pair();
    const [l0, r0] = pair();
    const curve = Float32Array.from({ length: l.length }, (_, i) => (2 * i) / l.length);
    run(width, { width: 1 }, l, r, { automation: { width: curve } });
    expect(l[0]).toBe(r[0]);
    const i = 18000;
    const side = (l0[i] - r0[i]) / 2;
    expect((l[i] - r[i]) / 2).toBeCloseTo(side * curve[i], 6);
  });
});

describe('utility', () => {
  /** The stereo balance law: unity at centre, the far side down along the constant-power curve. */
  const expectedGains = (pan: number) => {
    const angle = ((pan + 1) * Math.PI) / 4;
    return [pan <= 0 ? 1 : Math.SQRT2 * Math.cos(angle), pan >= 0 ? 1 : Math.SQRT2 * Math.sin(angle)];
  };

  it('balances along the constant-power curve: unity at centre, exact silence at the far side', () => {
    for (const pan of [-1, -0.5, 0, 0.3, 1]) {
      const l = new Float32Array(16).fill(0.5);
      const r = new Float32Array(16).fill(0.5);
      run(utility, { pan }, l, r);
      const [gl, gr] = expectedGains(pan);
      expect(l[5]).toBeCloseTo(0.5 * gl, 7);
      expect(r[5]).toBeCloseTo(0.5 * gr, 7);
    }
    // Half right: left at √2·cos(3π/8) = −5.33 dB, right untouched.
    const l = new Float32Array(4).fill(0.5);
    const r = new Float32Array(4).fill(0.5);
    run(utility, { pan: 0.5 }, l, r);
    expect(db(l[0] / 0.5)).toBeCloseTo(-5.33, 2);
    expect(r[0]).toBe(0.5);
    const hard = [new Float32Array(4).fill(0.5), new Float32Array(4).fill(0.5)];
    run(utility, { pan: -1 }, hard[0], hard[1]);
    expect([hard[0][0], hard[1][0]]).toEqual([0.5, 0]);
  });

  it('is bit-transparent at its defaults and applies gain exactly (+6.0206 dB doubles every sample)', () => {
    const input = noise(0.2, 0.4);
    const [l0, r0] = [input.slice(), input.slice()];
    run(utility, {}, l0, r0);
    expect(sameBits(l0, input) && sameBits(r0, input)).toBe(true);
    const [l, r] = [input.slice(), input.slice()];
    run(utility, { gain: 20 * Math.log10(2) }, l, r);
    const doubled = input.map((v) => 2 * v);
    expect(sameBits(l, doubled) && sameBits(r, doubled)).toBe(true);
  });

  it('inverts polarity exactly, swaps and folds to mono', () => {
    const a = noise(0.1, 0.5, 3);
    const b = noise(0.1, 0.5, 4);
    const [il, ir] = [a.slice(), b.slice()];
    run(utility, { invertLeft: true }, il, ir);
    expect(sameBits(il, a.map((v) => -v))).toBe(true);
    expect(sameBits(ir, b)).toBe(true);
    const [jl, jr] = [a.slice(), b.slice()];
    run(utility, { invertRight: true }, jl, jr);
    expect(sameBits(jr, b.map((v) => -v)) && sameBits(jl, a)).toBe(true);
    const [sl, sr] = [a.slice(), b.slice()];
    run(utility, { swap: true }, sl, sr);
    expect(sameBits(sl, b) && sameBits(sr, a)).toBe(true);
    const [ml, mr] = [a.slice(), b.slice()];
    run(utility, { mono: true }, ml, mr);
    expect(sameBits(ml, mr)).toBe(true);
    expect(sameBits(ml, a.map((v, i) => (v + b[i]) / 2))).toBe(true);
  });

  it('follows gain and pan automation per sample', () => {
    const input = new Float32Array(4800).fill(0.25);
    const l = input.slice();
    const r = input.slice();
    const gain = Float32Array.from({ length: input.length }, (_, i) => -24 + (24 * i) / input.length);
    const pan = Float32Array.from({ length: input.length }, (_, i) => -1 + (2 * i) / input.length);
    run(utility, {}, l, r, { automation: { gain, pan } });
    for (const i of [0, 1000, 2400, 4000, 4799]) {
      const [gl, gr] = expectedGains(pan[i]);
      const g = Math.pow(10, gain[i] / 20);
      expect(l[i]).toBeCloseTo(0.25 * g * gl, 6);
      expect(r[i]).toBeCloseTo(0.25 * g * gr, 6);
    }
    expect(r[0]).toBe(0);
  });
});

describe('tape (project plugin)', () => {
  const clean = { wow: 0, flutter: 0 };

  it('is unity gain for quiet signals away from the head bump', () => {
    const left = sine(1000, 1, Math.pow(10, -30 / 20));
    run(tape, clean, left, left.slice());
    expect(Math.abs(rmsDb(left, RATE / 2) - rmsDb(sine(1000, 1, Math.pow(10, -30 / 20)), RATE / 2))).toBeLessThan(0.3);
  });

  it('distorts more with more drive, and more for loud signals than quiet ones', () => {
    const values = [0, 6, 12, 18].map((drive) => {
      const left = sine(1000, 1.5, 0.5);
      run(tape, { ...clean, drive }, left, left.slice());
      return thd(left, 1000);
    });
    for (let i = 1; i < values.length; i++) expect(values[i], values.join(', ')).toBeGreaterThan(values[i - 1] * 1.5);
    const quiet = sine(1000, 1.5, 0.02);
    run(tape, { ...clean, drive: 12 }, quiet, quiet.slice());
    expect(thd(quiet, 1000)).toBeLessThan(values[2] / 10);
  });

  it('boosts the head bump by its gain', () => {
    for (const headBump of [3, 6]) {
      const left = sine(80, 2, 0.01);
      run(tape, { ...clean, headBump }, left, left.slice());
      expect(rmsDb(left, RATE) - rmsDb(sine(80, 2, 0.01), RATE)).toBeCloseTo(headBump, 0);
    }
  });

  /** Interpolated upward zero crossings, in samples. */
  const crossings = (x: Float32Array) => {
    const out: number[] = [];
    for (let i = 1; i < x.length; i++) if (x[i - 1] < 0 && x[i] >= 0) out.push(i - 1 + x[i - 1] / (x[i - 1] - x[i]));
    return out;
  };

  it('wobbles the pitch by about the wow depth', () => {
    const centsRange = (wow: number) => {
      const left = sine(1000, 4, 0.1);
      run(tape, { wow, flutter: 0 }, left, left.slice(), { seed: 3 });
      // Frequency from zero-crossing counts in 50 ms windows.
      const at = crossings(left);
      const cents: number[] = [];
      for (let c = 0; c + 50 < at.length; c += 50) cents.push(1200 * Math.log2((50 * RATE) / (at[c + 50] - at[c]) / 1000));
      return Math.max(...cents) - Math.min(...cents);
    };
    expect(centsRange(0)).toBeLessThan(0.5);
    // Peak-to-peak of ±20 cents (two components that rarely peak together, seen through 50 ms windows).
    const wobbled = centsRange(20);
    expect(wobbled).toBeGreaterThan(10);
    expect(wobbled).toBeLessThan(45);
  });

  it('moves the signal in time around its own position, not behind it (no latency)', () => {
    const input = sine(100, 10, 0.1);
    const left = input.slice();
    run(tape, { wow: 5, flutter: 0, headBump: 0 }, left, left.slice(), { seed: 3 });
    const before = crossings(input);
    const after = crossings(left);
    const offsets = before.slice(5, -5).map((c, n) => after[n + 5] - c);
    const mean = offsets.reduce((s, v) => s + v, 0) / offsets.length;
    const largest = Math.max(...offsets.map(Math.abs));
    // Wow of 5 cents swings the read position by tens of samples (under a half-period of 240);
    // a causal delay line would sit that far behind on average.
    expect(largest).toBeGreaterThan(5);
    expect(largest).toBeLessThan(120);
    expect(Math.abs(mean)).toBeLessThan(0.3 * largest);
  });

  it('adds hiss at its level only when asked, and is deterministic per seed', () => {
    const silence = new Float32Array(RATE);
    run(tape, {}, silence, silence.slice());
    expect(peak(silence)).toBe(0);
    const hiss = new Float32Array(RATE);
    run(tape, { hiss: -60 }, hiss, hiss.slice());
    expect(rmsDb(hiss)).toBeGreaterThan(-63); // the 15 kHz loss takes ~1.5 dB of white noise
    expect(rmsDb(hiss)).toBeLessThan(-59.5);
    const render = (seed: number) => {
      const l = sine(440, 1, 0.5);
      const r = sine(660, 1, 0.5);
      run(tape, { hiss: -70 }, l, r, { seed });
      return [l, r];
    };
    const [a1, a2] = render(9);
    const [b1, b2] = render(9);
    expect(sameBits(a1, b1) && sameBits(a2, b2)).toBe(true);
    expect(sameBits(render(10)[0], a1)).toBe(false);
  });
});

describe('granular (project plugin)', () => {
  /** Velocity 100, notes 2 s long unless given. */
  function render(options: Parameters<InstrumentFactory<object>>[0], notes: { pitch: number; start?: number; length?: number }[], seconds = 3, seed = 1) {
    return renderInstrument(granular as unknown as InstrumentFactory<object>, options, notes.map((note) => ({ length: 2 * RATE, ...note })), seconds, { seed });
  }

  /**
   * Pitch of a grain cloud: the power-weighted mean frequency of the strongest spectral hump
   * in [lo, hi] (±15 Hz around its peak bin), from a Welch average of half-overlapping
   * 16384-sample Hann frames. A single FFT's peak wanders within the hump, as grains
   * of random phase make it a noise-like band ~1/grainSize wide.
   */
  function cloudPitch(signal: Float32Array, from: number, lo: number, hi: number): number {
    const size = 16384;
    const power = new Float64Array(size / 2);
    for (let offset = from; offset + size <= signal.length; offset += size / 2) spectrum(signal, offset, size).forEach((m, i) => (power[i] += m * m));
    const binHz = RATE / size;
    let best = Math.ceil(lo / binHz);
    for (let i = best; i <= hi / binHz; i++) if (power[i] > power[best]) best = i;
    let weighted = 0;
    let total = 0;
    for (let i = best - Math.round(15 / binHz); i <= best + Math.round(15 / binHz); i++) {
      weighted += power[i] * i * binHz;
      total += power[i];
    }
    return weighted / total;
  }

  it("sounds at the note's pitch", () => {
    for (const pitch of [57, 64]) {
      const expected = midiToFrequency(pitch);
      const [left] = render({}, [{ pitch, length: 4 * RATE }], 4);
      const measured = cloudPitch(left, 4800, expected * 0.7, expected * 1.3);
      expect(Math.abs(measured - expected), `${pitch}: ${measured} Hz`).toBeLessThan(1);
      // The fundamental is the strongest partial, not a harmonic.
      expect(Math.abs(cloudPitch(left, 4800, 50, 5000) - expected)).toBeLessThan(1);
      // Without spray or jitter the grains overlap-add back into the source: a sharp line.
      const [exact] = render({ spray: 0, pitchJitter: 0 }, [{ pitch, length: 3 * RATE }], 3);
      expect(Math.abs(peakFrequency(exact, RATE, 4800, FFT, expected * 0.7, expected * 1.3) - expected)).toBeLessThan(0.2);
    }
  });

  it('is silent before note-on and after the release, and sounds between', () => {
    const start = 12000;
    const length = RATE / 2;
    const [left, right] = render({ release: 0.2 }, [{ pitch: 60, start, length }], 2);
    expect(peak(left, 0, start)).toBe(0);
    expect(peak(right, 0, start)).toBe(0);
    expect(firstNonSilent(left)).toBeGreaterThanOrEqual(start);
    expect(rmsDb(left, start + 4800, start + length)).toBeGreaterThan(-40);
    const end = start + length + Math.round(0.2 * RATE);
    expect(peak(left, end)).toBe(0);
  });

  it('renders the same bits for the same seed and a different cloud for another', () => {
    const notes = [{ pitch: 60 }, { pitch: 67, start: 2400 }];
    const [a1, a2] = render({}, notes, 2, 11);
    const [b1, b2] = render({}, notes, 2, 11);
    expect(sameBits(a1, b1) && sameBits(a2, b2)).toBe(true);
    const [c1] = render({}, notes, 2, 12);
    expect(sameBits(a1, c1)).toBe(false);
    expect(correlation(a1.subarray(RATE / 2, RATE), c1.subarray(RATE / 2, RATE))).toBeLessThan(0.9);
  });

  it('spreads grains across the stereo field only when asked', () => {
    const [l0, r0] = render({ spread: 0 }, [{ pitch: 60 }], 1);
    expect(sameBits(l0, r0)).toBe(true);
    const [l1, r1] = render({ spread: 1 }, [{ pitch: 60 }], 1);
    expect(correlation(l1, r1)).toBeLessThan(0.95);
  });
});
