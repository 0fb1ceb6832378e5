import { processEffect } from '../src/ir/plugin.ts';
import { describe, expect, it } from 'vitest';
import type { DeepPartial, EffectFactory, EffectProcessContext } from '../src/ir/plugin.ts';
import { biquadMagnitudeDb, butterworthQs, designBiquad, type FilterSlope } from '../src/effects/biquad.ts';
import { eq, type EqBandOptions, eqResponseDb } from '../src/effects/eq.ts';
import { compressor, compressorStaticCurveDb } from '../src/effects/compressor.ts';
import { gate } from '../src/effects/gate.ts';
import { ducker } from '../src/effects/ducker.ts';
import { createRandom } from '../src/dsp/random.ts';
import { fft, rmsDb } from './helpers/audio.ts';

const RATE = 48000;
/** Peak level of a sine is its RMS level + 10·log10(2). */
const SINE_CREST_DB = 10 * Math.log10(2);
const SLOPES: FilterSlope[] = [12, 24, 36, 48];

type Stereo = [Float32Array, Float32Array];

interface Extra {
  sidechain?: Stereo | null;
  automation?: Record<string, Float32Array>;
  beatSeconds?: number;
}

/** Run an effect's process() in place on `channels`, the way the mix graph calls it. */
function run<O extends object>(factory: EffectFactory<O>, options: DeepPartial<O>, channels: Stereo, extra: Extra = {}): Stereo {
  const ctx: EffectProcessContext<O> = {
    sampleRate: RATE,
    options: factory(options).options,
    channels,
    sidechain: extra.sidechain ?? null,
    automation: extra.automation ?? {},
    beatSeconds: extra.beatSeconds ?? 0.5,
    seed: 1,
    readAudio() {
      throw new Error('no files');
    },
  };
  expect(factory.definition.validate?.(ctx.options) ?? []).toEqual([]);
  processEffect(factory.definition, ctx);
  return channels;
}

const amplitude = (db: number) => 10 ** (db / 20);
const seconds = (s: number) => Math.round(s * RATE);

function sine(frequency: number, duration: number, peakDb: number): Float32Array {
  const out = new Float32Array(seconds(duration));
  const a = amplitude(peakDb);
  for (let i = 0; i < out.length; i++) out[i] = a * Math.sin((2 * Math.PI * frequency * i) / RATE);
  return out;
}

/** Piecewise-constant signal: [duration, value] segments (a DC step makes per-sample gain readable). */
function steps(segments: [number, number][]): Float32Array {
  const out = new Float32Array(segments.reduce((sum, [d]) => sum + seconds(d), 0));
  let at = 0;
  for (const [d, v] of segments) {
    out.fill(v, at, at + seconds(d));
    at += seconds(d);
  }
  return out;
}

const stereo = (x: Float32Array): Stereo => [x.slice(), x.slice()];

/** Peak level (dB) of a sine segment measured by RMS over [from, to) seconds. */
const sineLevelDb = (x: Float32Array, from: number, to: number) => rmsDb(x, seconds(from), seconds(to)) + SINE_CREST_DB;

/** Gain in dB at sample i of an output against the input it came from. */
const gainDb = (out: Float32Array, input: Float32Array, i: number, delay = 0) => 20 * Math.log10(Math.abs(out[i] / input[i - delay]));

/** First index ≥ from where predicate holds, or -1. */
function firstIndex(length: number, from: number, predicate: (i: number) => boolean): number {
  for (let i = from; i < length; i++) if (predicate(i)) return i;
  return -1;
}

describe('biquad design', () => {
  it('gives the Butterworth section Qs of orders 2, 4, 6 and 8', () => {
    const expected: Record<number, number[]> = { 2: [0.7071], 4: [0.5412, 1.3066], 6: [0.5176, 0.7071, 1.9319], 8: [0.5098, 0.6013, 0.9, 2.5629] };
    for (const [order, qs] of Object.entries(expected)) {
      const got = butterworthQs(Number(order));
      expect(got.length).toBe(qs.length);
      got.forEach((q, k) => expect(q).toBeCloseTo(qs[k], 3));
    }
  });

  it('puts the cookbook shapes where they belong (analytic)', () => {
    expect(biquadMagnitudeDb(designBiquad('bell', 1000, RATE, 2, 6), 1000, RATE)).toBeCloseTo(6, 9);
    expect(biquadMagnitudeDb(designBiquad('bell', 1000, RATE, 2, -9), 1000, RATE)).toBeCloseTo(-9, 9);
    expect(biquadMagnitudeDb(designBiquad('bell', 1000, RATE, 2, 6), 50, RATE)).toBeCloseTo(0, 1);
    // A shelf is at half its gain at the corner, full gain far into the shelf, 0 dB far outside.
    const low = designBiquad('lowshelf', 200, RATE, Math.SQRT1_2, 8);
    expect(biquadMagnitudeDb(low, 200, RATE)).toBeCloseTo(4, 6);
    expect(biquadMagnitudeDb(low, 10, RATE)).toBeCloseTo(8, 1);
    expect(biquadMagnitudeDb(low, 10000, RATE)).toBeCloseTo(0, 1);
    const high = designBiquad('highshelf', 4000, RATE, Math.SQRT1_2, -6);
    expect(biquadMagnitudeDb(high, 4000, RATE)).toBeCloseTo(-3, 6);
    expect(biquadMagnitudeDb(high, 23000, RATE)).toBeCloseTo(-6, 1);
    expect(biquadMagnitudeDb(high, 100, RATE)).toBeCloseTo(0, 1);
    expect(biquadMagnitudeDb(designBiquad('notch', 1000, RATE, 4), 1000, RATE)).toBeLessThan(-200);
    expect(biquadMagnitudeDb(designBiquad('bandpass', 1000, RATE, 4), 1000, RATE)).toBeCloseTo(0, 9);
  });
});

describe('eq', () => {
  const N = 65536;
  const TEST_FREQUENCIES = [50, 100, 200, 500, 1000, 2000, 5000, 10000];

  /** Measured magnitude (dB) of the EQ at FFT bin k, from its impulse response (no window: the response has died out). */
  function measuredResponse(bands: EqBandOptions[]): Float64Array {
    const impulse = new Float32Array(N);
    impulse[0] = 1;
    const [left, right] = run(eq, { bands }, stereo(impulse));
    expect(right).toEqual(left);
    const re = Float64Array.from(left);
    const im = new Float64Array(N);
    fft(re, im);
    const db = new Float64Array(N / 2);
    for (let k = 0; k < N / 2; k++) db[k] = 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-300);
    return db;
  }

  const cases: [string, EqBandOptions[]][] = [
    ['bell +6 dB at 1 kHz, Q 1.4', [{ type: 'bell', frequency: 1000, gain: 6, q: 1.4 }]],
    ['bell -9 dB at 200 Hz, Q 0.7', [{ type: 'bell', frequency: 200, gain: -9, q: 0.7 }]],
    ['low shelf +6 dB at 150 Hz', [{ type: 'lowshelf', frequency: 150, gain: 6 }]],
    ['high shelf -8 dB at 5 kHz', [{ type: 'highshelf', frequency: 5000, gain: -8 }]],
    ['notch at 1 kHz, Q 8', [{ type: 'notch', frequency: 1000, q: 8 }]],
    ['three bands in series', [{ type: 'highpass', frequency: 40, slope: 24 }, { type: 'bell', frequency: 300, gain: -4, q: 2 }, { type: 'highshelf', frequency: 8000, gain: 3 }]],
    ...SLOPES.map((slope): [string, EqBandOptions[]] => [`high-pass ${slope} dB/oct at 300 Hz`, [{ type: 'highpass', frequency: 300, slope }]]),
    ...SLOPES.map((slope): [string, EqBandOptions[]] => [`low-pass ${slope} dB/oct at 2 kHz`, [{ type: 'lowpass', frequency: 2000, slope }]]),
  ];

  for (const [name, bands] of cases) {
    it(`measures within 0.05 dB of the analytic curve: ${name}`, () => {
      const measured = measuredResponse(bands);
      let compared = 0;
      for (const f of TEST_FREQUENCIES) {
        const k = Math.round((f * N) / RATE);
        const analytic = eqResponseDb(bands, (k * RATE) / N, RATE);
        if (analytic < -100) continue; // below the float32 output's noise floor
        compared++;
        expect(Math.abs(measured[k] - analytic), `${f} Hz: measured ${measured[k].toFixed(3)}, analytic ${analytic.toFixed(3)}`).toBeLessThan(0.05);
      }
      expect(compared).toBeGreaterThanOrEqual(5);
    });
  }

  it('makes the bell and shelves reach their set gains (measured)', () => {
    const bell = measuredResponse([{ type: 'bell', frequency: 750, gain: 6, q: 1.4 }]);
    expect(bell[1024]).toBeCloseTo(6, 2); // bin 1024 is exactly 750 Hz
    const shelf = measuredResponse([{ type: 'lowshelf', frequency: 750, gain: -10 }]);
    expect(shelf[1024]).toBeCloseTo(-5, 2);
    expect(shelf[27]).toBeCloseTo(-10, 0); // ≈ 20 Hz
    expect(shelf[27306]).toBeCloseTo(0, 1); // ≈ 20 kHz
  });

  for (const type of ['highpass', 'lowpass'] as const) {
    for (const slope of SLOPES) {
      it(`puts a ${slope} dB/oct ${type} 3.01 dB down at its corner (steady sine)`, () => {
        const corner = 1000;
        const input = sine(corner, 1, -6);
        const [out] = run(eq, { bands: [{ type, frequency: corner, slope }] }, stereo(input));
        const drop = rmsDb(out, seconds(0.5), seconds(1)) - rmsDb(input, seconds(0.5), seconds(1));
        expect(Math.abs(drop + 3.0103), `drop ${drop}`).toBeLessThan(0.02);
      });
    }
  }

  for (const slope of SLOPES) {
    it(`falls ${slope} dB/oct between one and two octaves past the corner`, () => {
      // Corners and test points on exact FFT bins (46.875 Hz × 2^m / 64...): 1500 → 750 → 375 Hz.
      const hp = measuredResponse([{ type: 'highpass', frequency: 1500, slope }]);
      const hpSlope = hp[1024] - hp[512]; // 750 Hz minus 375 Hz
      // Analog Butterworth between 2× and 4× past the corner: 10·log10((1 + 4^(2n)) / (1 + 2^(2n))), n = slope / 6.
      const n = slope / 6;
      const ideal = 10 * Math.log10((1 + 4 ** (2 * n)) / (1 + 2 ** (2 * n)));
      expect(Math.abs(hpSlope - ideal), `high-pass ${hpSlope} vs ${ideal}`).toBeLessThan(0.3);
      expect(Math.abs(hpSlope - slope)).toBeLessThan(0.5);
      const lp = measuredResponse([{ type: 'lowpass', frequency: 375, slope }]);
      const lpSlope = lp[1024] - lp[2048]; // 750 Hz minus 1500 Hz
      expect(Math.abs(lpSlope - ideal), `low-pass ${lpSlope} vs ${ideal}`).toBeLessThan(0.3);
      expect(Math.abs(lpSlope - slope)).toBeLessThan(0.5);
    });
  }

  it('leaves the signal untouched with no bands', () => {
    const input = sine(440, 0.2, -6);
    const [out] = run(eq, {}, stereo(input));
    expect(out).toEqual(input);
  });

  it('follows automated band gain at the automated region', () => {
    const input = sine(1000, 1, -20);
    const gain = new Float32Array(input.length);
    gain.fill(12, seconds(0.5));
    const bands: EqBandOptions[] = [{ type: 'bell', frequency: 1000, gain: 0, q: 1 }];
    const [out] = run(eq, { bands }, stereo(input), { automation: { 'bands.0.gain': gain } });
    expect(sineLevelDb(out, 0.1, 0.45)).toBeCloseTo(-20, 1);
    expect(sineLevelDb(out, 0.6, 0.95)).toBeCloseTo(-8, 1);
    // The change lands within a 32-sample block (plus the filter's settling) of 0.5 s.
    expect(Math.abs(out[seconds(0.5) - 64])).toBeLessThanOrEqual(amplitude(-20) * 1.01);
  });

  it('follows an automated high-pass frequency', () => {
    const input = sine(1000, 1, -20);
    const frequency = new Float32Array(input.length).fill(100);
    frequency.fill(4000, seconds(0.5));
    const bands: EqBandOptions[] = [{ type: 'highpass', frequency: 100, slope: 24 }];
    const [out] = run(eq, { bands }, stereo(input), { automation: { 'bands.0.frequency': frequency } });
    expect(sineLevelDb(out, 0.1, 0.45)).toBeCloseTo(-20 + eqResponseDb(bands, 1000, RATE), 1);
    const moved = eqResponseDb([{ ...bands[0], frequency: 4000 }], 1000, RATE);
    expect(moved).toBeLessThan(-40);
    expect(sineLevelDb(out, 0.6, 0.95)).toBeCloseTo(-20 + moved, 1);
  });

  it('fills missing or undefined band fields from the band defaults', () => {
    const bands: EqBandOptions[] = [{ type: 'highpass', frequency: 200, slope: undefined }];
    expect(eqResponseDb(bands, 200, RATE)).toBeCloseTo(-3.0103, 3);
    expect(eqResponseDb(bands, 100, RATE)).toBeCloseTo(-12.3, 1); // the 12 dB/oct default
    expect(eqResponseDb([{ gain: 5 }], 1000, RATE)).toBeCloseTo(5, 9); // a bell at 1 kHz
  });

  it('names bad bands in validate', () => {
    const problems = eq.definition.validate!(eq({ bands: [{ type: 'peak' as never, frequency: -1, slope: 18 as never }] }).options);
    expect(problems.join('\n')).toMatch(/bands\.0\.type/);
    expect(problems.join('\n')).toMatch(/bands\.0\.frequency/);
    expect(problems.join('\n')).toMatch(/bands\.0\.slope/);
  });
});

describe('compressor', () => {
  it('has the Giannoulis soft-knee static curve', () => {
    const o = { threshold: -20, ratio: 4, knee: 6, makeup: 0 };
    expect(compressorStaticCurveDb(-30, o)).toBe(-30);
    expect(compressorStaticCurveDb(-23, o)).toBe(-23);
    expect(compressorStaticCurveDb(-20, o)).toBeCloseTo(-20 - (0.75 * 9) / 12, 12);
    expect(compressorStaticCurveDb(-17, o)).toBeCloseTo(-19.25, 12);
    expect(compressorStaticCurveDb(0, o)).toBeCloseTo(-15, 12);
    expect(compressorStaticCurveDb(0, { ...o, makeup: 4 })).toBeCloseTo(-11, 12);
    expect(compressorStaticCurveDb(-20.5, { ...o, knee: 0 })).toBe(-20.5);
  });

  for (const detection of ['peak', 'rms'] as const) {
    it(`follows the static curve on steady sines, knee included (${detection})`, () => {
      const options = { threshold: -20, ratio: 4, knee: 6, makeup: 3, detection };
      for (const level of [-40, -26, -23, -21, -20, -19, -17, -14, -8, -2]) {
        const input = sine(1000, 1, level);
        const [out] = run(compressor, options, stereo(input));
        const measured = sineLevelDb(out, 0.5, 1);
        const expected = compressorStaticCurveDb(level, { ...options });
        expect(Math.abs(measured - expected), `${level} dB in: ${measured.toFixed(3)} out, expected ${expected.toFixed(3)}`).toBeLessThan(0.25);
        expect(Math.abs(measured - expected)).toBeLessThan(0.05);
      }
    });
  }

  /** A DC key stepping loud then quiet, and a constant input whose output is the gain itself. */
  function stepResponse(options: DeepPartial<Parameters<typeof compressor>[0]>) {
    const key = steps([[0.5, 0.001], [0.5, 0.5], [1, 0.001]]);
    const input = new Float32Array(key.length).fill(0.1);
    const [out] = run(compressor, { threshold: -30, ratio: 4, knee: 0, ...options }, stereo(input), { sidechain: stereo(key) });
    const gain = (i: number) => gainDb(out, input, i);
    return { gain, length: key.length };
  }

  it('reaches 63% of a step in gain reduction in `attack` seconds', () => {
    for (const attack of [0.005, 0.02, 0.05]) {
      const { gain, length } = stepResponse({ attack, release: 0.2 });
      const target = 0.75 * (20 * Math.log10(0.5) + 30); // ≈ −18 dB
      const step = seconds(0.5);
      expect(gain(step - 1)).toBeCloseTo(0, 6);
      const at = firstIndex(length, step, (i) => gain(i) <= -(1 - 1 / Math.E) * target);
      const measured = (at - step) / RATE;
      expect(Math.abs(measured - attack) / attack, `attack ${attack}: ${measured}`).toBeLessThan(0.1);
      expect(gain(seconds(0.99))).toBeCloseTo(-target, 2);
    }
  });

  it('recovers 63% in `release` seconds once the detector window lets go', () => {
    for (const release of [0.05, 0.2]) {
      const window = 0.01;
      const { gain, length } = stepResponse({ attack: 0.005, release, window });
      const target = 0.75 * (20 * Math.log10(0.5) + 30);
      const drop = seconds(1);
      // The peak detector still holds the loud key for `window` seconds.
      expect(gain(drop + seconds(window) - 2)).toBeCloseTo(-target, 2);
      const at = firstIndex(length, drop, (i) => gain(i) >= -target / Math.E);
      const measured = (at - drop - seconds(window)) / RATE;
      expect(Math.abs(measured - release) / release, `release ${release}: ${measured}`).toBeLessThan(0.1);
    }
  });

  it('brings the gain down before the transient with lookahead, without delaying the audio', () => {
    const lookahead = 0.005;
    const delay = seconds(lookahead);
    const input = steps([[0.25, 0.01], [0.25, 0.5]]);
    const options = { threshold: -20, ratio: 10, knee: 0, attack: 0.001, release: 0.1, lookahead };
    const [out] = run(compressor, options, stereo(input));
    expect(out.length).toBe(input.length);
    // Aligned with its input: no latency, so a dry/wet blend cannot comb-filter.
    expect(out[1000]).toBe(input[1000]);
    const transient = seconds(0.25);
    const target = 0.9 * (20 * Math.log10(0.5) + 20);
    // The gain at sample i comes from key sample i + delay: it starts falling `delay` samples
    // before the transient and is fully down when it arrives.
    expect(gainDb(out, input, transient - delay - 1)).toBeCloseTo(0, 6);
    expect(gainDb(out, input, transient - delay + 10)).toBeLessThan(-0.1 * target);
    expect(gainDb(out, input, transient - 1)).toBeLessThan(-0.99 * target);
    // So the transient never overshoots the static curve by more than 0.1 dB.
    const ceiling = amplitude(compressorStaticCurveDb(20 * Math.log10(0.5), { ...options, makeup: 0 }) + 0.1);
    for (let i = transient; i < transient + seconds(0.05); i++) expect(out[i]).toBeLessThan(ceiling);
    expect(gainDb(out, input, transient)).toBeLessThan(-0.99 * target);
    // Without lookahead the first sample of the transient goes through at full level.
    const [plain] = run(compressor, { ...options, lookahead: 0 }, stereo(input));
    expect(gainDb(plain, input, transient)).toBeGreaterThan(-0.1 * target);
    expect(plain[transient]).toBeGreaterThan(2 * ceiling);
  });

  it('compresses a quiet input keyed from a loud sidechain by the static gain', () => {
    const input = sine(1000, 1, -40);
    const key = sine(100, 1, -6);
    const options = { threshold: -20, ratio: 4, knee: 0 };
    const [keyed] = run(compressor, options, stereo(input), { sidechain: stereo(key) });
    const expected = -40 + (compressorStaticCurveDb(-6, { ...options, makeup: 0 }) + 6);
    expect(expected).toBeCloseTo(-50.5, 9);
    expect(Math.abs(sineLevelDb(keyed, 0.5, 1) - expected)).toBeLessThan(0.25);
    const [alone] = run(compressor, options, stereo(input));
    expect(Math.abs(sineLevelDb(alone, 0.5, 1) + 40)).toBeLessThan(0.01);
  });

  it('links the stereo channels: a loud left turns the right down too', () => {
    const left = sine(1000, 1, -6);
    const right = sine(1000, 1, -40);
    const [, out] = run(compressor, { threshold: -20, ratio: 4, knee: 0 }, [left, right]);
    expect(Math.abs(sineLevelDb(out, 0.5, 1) + 50.5)).toBeLessThan(0.25);
  });

  it('follows automated threshold in the automated region', () => {
    const input = sine(1000, 1, -16);
    const threshold = new Float32Array(input.length).fill(-10);
    threshold.fill(-30, seconds(0.5));
    const options = { threshold: -10, ratio: 4, knee: 0, attack: 0.002, release: 0.1 };
    const [out] = run(compressor, options, stereo(input), { automation: { threshold } });
    expect(sineLevelDb(out, 0.1, 0.5)).toBeCloseTo(-16, 2);
    expect(sineLevelDb(out, 0.55, 1)).toBeCloseTo(-16 - 10.5, 1);
    // The reduction starts at 0.5 s, not before.
    for (let i = seconds(0.5) - 480; i < seconds(0.5); i++) expect(out[i]).toBe(input[i]);
    expect(gainDb(out, input, seconds(0.5) + seconds(0.01) + 12)).toBeLessThan(-10.5 * 0.99);
  });

  it('follows automated makeup and ratio', () => {
    const input = sine(1000, 1, -10);
    const makeup = new Float32Array(input.length);
    makeup.fill(6, seconds(0.5));
    const ratio = new Float32Array(input.length).fill(1);
    ratio.fill(2, seconds(0.5));
    const [out] = run(compressor, { threshold: -20, ratio: 1, knee: 0, attack: 0.001 }, stereo(input), { automation: { makeup, ratio } });
    expect(sineLevelDb(out, 0.1, 0.5)).toBeCloseTo(-10, 2);
    expect(sineLevelDb(out, 0.6, 1)).toBeCloseTo(-10 - 5 + 6, 1);
  });
});

describe('gate', () => {
  it('attenuates by `range` below the threshold and passes above it', () => {
    const options = { threshold: -40, ratio: 100, range: -60 };
    const [quiet] = run(gate, options, stereo(sine(1000, 1, -50)));
    expect(Math.abs(sineLevelDb(quiet, 0.5, 1) - (-50 - 60))).toBeLessThan(0.5);
    const [loud] = run(gate, options, stereo(sine(1000, 1, -30)));
    expect(Math.abs(sineLevelDb(loud, 0.5, 1) + 30)).toBeLessThan(0.01);
  });

  it('expands below the threshold by (ratio − 1) dB per dB', () => {
    const [out] = run(gate, { threshold: -40, ratio: 2, range: -80, hysteresis: 0 }, stereo(sine(1000, 1, -50)));
    expect(Math.abs(sineLevelDb(out, 0.5, 1) + 60)).toBeLessThan(0.25);
  });

  it('stays open inside the hysteresis band and closes without it', () => {
    const input = sine(1000, 1, -30);
    input.subarray(seconds(0.5)).forEach((v, i, a) => (a[i] = v * amplitude(-11.5)));
    const options = { threshold: -40, ratio: 100, range: -60, hold: 0.01, release: 0.02 };
    const [held] = run(gate, { ...options, hysteresis: 3 }, stereo(input));
    expect(sineLevelDb(held, 0.7, 1)).toBeCloseTo(-41.5, 1);
    const [closed] = run(gate, { ...options, hysteresis: 0 }, stereo(input));
    expect(sineLevelDb(closed, 0.7, 1)).toBeLessThan(-41.5 - 55);
  });

  it('holds, then releases, and opens in `attack` seconds (63%)', () => {
    const key = steps([[0.3, 0.001], [0.3, 0.1], [0.6, 0.0001]]);
    const input = new Float32Array(key.length).fill(0.1);
    const options = { threshold: -40, ratio: 100, range: -80, attack: 0.005, hold: 0.05, release: 0.05 };
    const [out] = run(gate, options, stereo(input), { sidechain: stereo(key) });
    const gain = (i: number) => gainDb(out, input, i);
    expect(gain(seconds(0.3) - 1)).toBeCloseTo(-80, 3);
    const open = firstIndex(key.length, seconds(0.3), (i) => gain(i) >= -80 / Math.E);
    expect(Math.abs((open - seconds(0.3)) / RATE - 0.005) / 0.005).toBeLessThan(0.1);
    // Key drops at 0.6 s: the detector window (10 ms) and the hold (50 ms) keep it open.
    expect(gain(seconds(0.6 + 0.01 + 0.05) - 5)).toBeGreaterThan(-0.01);
    const closing = firstIndex(key.length, seconds(0.6), (i) => gain(i) <= -80 * (1 - 1 / Math.E));
    expect(Math.abs((closing - seconds(0.66)) / RATE - 0.05) / 0.05).toBeLessThan(0.1);
    expect(gain(key.length - 1)).toBeCloseTo(-80, 2);
  });
});

describe('ducker', () => {
  const burstStarts = [0.25, 1.25, 2.25];
  const burst = 0.1;

  function kickAndBass(): { kick: Float32Array; bass: Float32Array } {
    const kick = new Float32Array(seconds(3));
    const thump = sine(60, burst, -6);
    for (const start of burstStarts) kick.set(thump, seconds(start));
    return { kick, bass: sine(110, 3, -12) };
  }

  it('ducks the bass by `amount` during the kick and recovers after the release', () => {
    const { kick, bass } = kickAndBass();
    const options = { amount: 10, threshold: -30, attack: 0.005, hold: 0.02, release: 0.1 };
    const [out] = run(ducker, options, stereo(bass), { sidechain: stereo(kick) });
    for (const start of burstStarts) {
      const during = rmsDb(out, seconds(start + 0.03), seconds(start + burst)) - rmsDb(bass, seconds(start + 0.03), seconds(start + burst));
      expect(Math.abs(during + 10), `burst at ${start}: ${during}`).toBeLessThan(0.5);
      const recovered = start + burst + 0.01 + 0.02 + 0.5;
      const end = Math.min(3, start + 1);
      const after = rmsDb(out, seconds(recovered), seconds(end)) - rmsDb(bass, seconds(recovered), seconds(end));
      expect(Math.abs(after), `after burst at ${start}: ${after}`).toBeLessThan(0.1);
    }
    const before = rmsDb(out, 0, seconds(0.25)) - rmsDb(bass, 0, seconds(0.25));
    expect(before).toBeCloseTo(0, 6);
  });

  it('takes a tempo-synced release', () => {
    const { kick } = kickAndBass();
    const flat = new Float32Array(kick.length).fill(0.1);
    // '8n' at 0.5 s per beat is 0.25 s.
    const [out] = run(ducker, { amount: 12, threshold: -30, attack: 0.002, hold: 0, release: '8n' }, stereo(flat), { sidechain: stereo(kick), beatSeconds: 0.5 });
    const end = seconds(burstStarts[0] + burst);
    const recovered = firstIndex(kick.length, end, (i) => gainDb(out, flat, i) >= -12 / Math.E);
    // Measured from when the 10 ms peak detector lets go of the burst's last crest.
    const measured = (recovered - end) / RATE - 0.01;
    expect(Math.abs(measured - 0.25) / 0.25).toBeLessThan(0.1);
  });

  it('ducks on its own input without a sidechain', () => {
    const input = sine(200, 1, -6);
    const [out] = run(ducker, { amount: 6, threshold: -20 }, stereo(input));
    expect(sineLevelDb(out, 0.5, 1)).toBeCloseTo(-12, 1);
  });
});

describe('determinism', () => {
  it('renders the same bytes twice for every effect', () => {
    const random = createRandom(7);
    const noise = new Float32Array(seconds(0.5)).map(() => (random() * 2 - 1) * 0.5);
    const key = sine(80, 0.5, -3);
    const runs: [EffectFactory<object>, object][] = [
      [eq as unknown as EffectFactory<object>, { bands: [{ type: 'highpass', frequency: 80, slope: 48 }, { type: 'bell', frequency: 2500, gain: 4, q: 2 }] }],
      [compressor as unknown as EffectFactory<object>, { threshold: -20, detection: 'rms', lookahead: 0.002 }],
      [gate as unknown as EffectFactory<object>, { threshold: -10 }],
      [ducker as unknown as EffectFactory<object>, {}],
    ];
    for (const [factory, options] of runs) {
      const a = run(factory, options, stereo(noise), { sidechain: stereo(key) });
      const b = run(factory, options, stereo(noise), { sidechain: stereo(key) });
      expect(Buffer.from(a[0].buffer).equals(Buffer.from(b[0].buffer))).toBe(true);
      expect(Buffer.from(a[1].buffer).equals(Buffer.from(b[1].buffer))).toBe(true);
      expect(Buffer.from(a[0].buffer).equals(Buffer.from(noise.buffer))).toBe(false);
    }
  });
});
