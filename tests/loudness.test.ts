/**
 * The meter against signals built from the EBU Tech 3341 and Tech 3342 test definitions
 * (1 kHz sines at stated levels and durations, synthesised here), within their tolerances.
 */
import { describe, expect, it } from 'vitest';
import { highPassFilter, shelvingFilter } from '../src/master/k-weighting.ts';
import { measureLoudness } from '../src/master/loudness.ts';

/** Concatenated 1 kHz sine segments, each [dBFS peak, seconds], phase-continuous. */
function tones(segments: readonly (readonly [number, number])[], sampleRate = 48000, frequency = 1000): Float32Array {
  const total = segments.reduce((sum, [, seconds]) => sum + Math.round(seconds * sampleRate), 0);
  const out = new Float32Array(total);
  let i = 0;
  for (const [db, seconds] of segments) {
    const amplitude = Math.pow(10, db / 20);
    for (const end = i + Math.round(seconds * sampleRate); i < end; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  }
  return out;
}

const stereo = (signal: Float32Array) => [signal, signal];

describe('K-weighting', () => {
  it('matches the coefficients BS.1770-4 publishes for 48 kHz', () => {
    const shelf = shelvingFilter(48000);
    expect(shelf.b0).toBeCloseTo(1.53512485958697, 10);
    expect(shelf.b1).toBeCloseTo(-2.69169618940638, 10);
    expect(shelf.b2).toBeCloseTo(1.19839281085285, 10);
    expect(shelf.a1).toBeCloseTo(-1.69065929318241, 10);
    expect(shelf.a2).toBeCloseTo(0.73248077421585, 10);
    const highPass = highPassFilter(48000);
    expect(highPass.a1).toBeCloseTo(-1.99004745483398, 10);
    expect(highPass.a2).toBeCloseTo(0.99007225036621, 10);
  });
});

describe('EBU Tech 3341 (loudness meters)', () => {
  const integrated = (channels: Float32Array[], rate = 48000) => measureLoudness(channels, rate, { truePeak: false }).integrated;

  it('case 1: stereo 1 kHz at -23 dBFS reads -23.0 LUFS integrated, momentary and short-term', () => {
    const report = measureLoudness(stereo(tones([[-23, 20]])), 48000, { truePeak: false });
    expect(Math.abs(report.integrated + 23)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.momentaryMax + 23)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.shortTermMax + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 2: -33 dBFS reads -33.0', () => {
    expect(Math.abs(integrated(stereo(tones([[-33, 20]]))) + 33)).toBeLessThanOrEqual(0.1);
  });

  it('case 3: -36/-23/-36 dBFS reads -23.0 (relative gate)', () => {
    expect(Math.abs(integrated(stereo(tones([[-36, 10], [-23, 60], [-36, 10]]))) + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 4: -72/-36/-23/-36/-72 dBFS reads -23.0 (absolute and relative gates)', () => {
    expect(Math.abs(integrated(stereo(tones([[-72, 10], [-36, 10], [-23, 60], [-36, 10], [-72, 10]]))) + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 5: -26/-20/-26 dBFS (20 s, 20.1 s, 20 s) reads -23.0', () => {
    expect(Math.abs(integrated(stereo(tones([[-26, 20], [-20, 20.1], [-26, 20]]))) + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 6: 5.0 channels at -28/-28/-24/-30/-30 dBFS read -23.0 (surround weights)', () => {
    const channels = [-28, -28, -24, -30, -30].map((db) => tones([[db, 20]]));
    expect(Math.abs(integrated(channels) + 23)).toBeLessThanOrEqual(0.1);
    // The same with an LFE channel in 5.1 order, which must not count.
    const withLfe = [channels[0], channels[1], channels[2], tones([[-10, 20]]), channels[3], channels[4]];
    expect(Math.abs(integrated(withLfe) + 23)).toBeLessThanOrEqual(0.1);
  });

  it('measures the same at 44.1 kHz and 96 kHz (coefficients derived for the rate)', () => {
    for (const rate of [44100, 96000]) expect(Math.abs(integrated(stereo(tones([[-23, 20]], rate)), rate) + 23), String(rate)).toBeLessThanOrEqual(0.1);
  });

  it('reads silence as -Infinity and a 6 dB louder copy as 6.0 LU louder', () => {
    expect(integrated(stereo(new Float32Array(48000 * 5)))).toBe(-Infinity);
    const quiet = tones([[-30, 10]], 48000, 440);
    const loud = quiet.map((x) => x * 2);
    expect(integrated(stereo(loud)) - integrated(stereo(quiet))).toBeCloseTo(20 * Math.log10(2), 2);
  });
});

describe('EBU Tech 3341 (momentary and short-term)', () => {
  const report = (signal: Float32Array) => measureLoudness(stereo(signal), 48000, { truePeak: false });

  it('case 9: -20 dBFS 1.34 s / -30 dBFS 1.66 s, repeated: short-term stays at -23.0', () => {
    const signal = tones(Array.from({ length: 5 }, () => [[-20, 1.34], [-30, 1.66]] as const).flat());
    const shortTerm = report(signal).shortTerm;
    // Every full 3 s window from the first one on holds one period.
    for (let i = 0; i < shortTerm.length; i++) expect(Math.abs(shortTerm[i] + 23), `window ${i}`).toBeLessThanOrEqual(0.1);
  });

  it('case 10: 3 s bursts at -23 dBFS at shifting offsets read a short-term maximum of -23.0', () => {
    for (let i = 0; i < 20; i++) {
      const signal = tones([[-200, 0.15 * i + 0.013], [-23, 3], [-200, 1]]);
      expect(Math.abs(report(signal).shortTermMax + 23), `burst ${i}`).toBeLessThanOrEqual(0.1);
    }
  });

  it('case 12: -20 dBFS 0.18 s / -30 dBFS 0.22 s, repeated: momentary stays at -23.0', () => {
    const signal = tones(Array.from({ length: 25 }, () => [[-20, 0.18], [-30, 0.22]] as const).flat());
    for (const value of report(signal).momentary) expect(Math.abs(value + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 13: 0.4 s bursts at -23 dBFS at shifting offsets read a momentary maximum of -23.0', () => {
    for (let i = 0; i < 20; i++) {
      const signal = tones([[-200, 0.02 * i + 0.007], [-23, 0.4], [-200, 1]]);
      expect(Math.abs(report(signal).momentaryMax + 23), `burst ${i}`).toBeLessThanOrEqual(0.1);
    }
  });
});

describe('EBU Tech 3341 (true peak, cases 15–19: +0.2/−0.4 dB)', () => {
  /** Stereo sine at frequency fs/divisor with a phase offset (degrees) and a peak amplitude. */
  const case_ = (rate: number, divisor: number, phase: number, amplitude: number) => {
    const signal = Float32Array.from({ length: rate }, (_, i) => amplitude * Math.sin((2 * Math.PI * i) / divisor + (phase * Math.PI) / 180));
    return measureLoudness([signal, signal], rate).truePeak;
  };
  const cases: [string, number, number, number, number][] = [
    ['15: fs/4, 0°, 0.5', 4, 0, 0.5, -6],
    ['16: fs/4, 45°, 0.5', 4, 45, 0.5, -6],
    ['17: fs/6, 60°, 0.5', 6, 60, 0.5, -6],
    ['18: fs/8, 67.5°, 0.5', 8, 67.5, 0.5, -6],
    ['19: fs/4, 45°, 1.41', 4, 45, 1.41, 3],
  ];
  for (const rate of [48000, 44100, 96000]) {
    for (const [name, divisor, phase, amplitude, expected] of cases) {
      it(`case ${name} at ${rate / 1000} kHz reads ${expected} dBTP`, () => {
        const measured = case_(rate, divisor, phase, amplitude);
        expect(measured - expected).toBeLessThanOrEqual(0.2);
        expect(measured - expected).toBeGreaterThanOrEqual(-0.4);
      });
    }
  }
});

describe('true peak', () => {
  it('sees the inter-sample peak of a sine at fs/4 sampled 45° off its crest', () => {
    for (const rate of [48000, 44100]) {
      const amplitude = Math.pow(10, -6 / 20);
      const signal = Float32Array.from({ length: rate }, (_, i) => amplitude * Math.sin((Math.PI / 2) * i + Math.PI / 4));
      const report = measureLoudness([signal], rate);
      // Every sample sits at ±0.707 of the crest: sample peak -9.01 dBFS, true peak -6.0 dBTP.
      expect(report.samplePeak).toBeCloseTo(-9.01, 1);
      expect(report.truePeak - -6).toBeLessThanOrEqual(0.2);
      expect(report.truePeak - -6).toBeGreaterThanOrEqual(-0.4);
    }
  });

  it('equals the sample peak for a low tone sampled at its crest', () => {
    const report = measureLoudness([tones([[-6, 1]], 48000, 250)], 48000);
    expect(report.truePeak).toBeGreaterThanOrEqual(report.samplePeak - 1e-9);
    expect(Math.abs(report.truePeak + 6)).toBeLessThanOrEqual(0.2);
  });
});

describe('EBU Tech 3342 (loudness range)', () => {
  const range = (segments: [number, number][]) => measureLoudness(stereo(tones(segments)), 48000, { truePeak: false }).range;
  it('case 1: -20 then -30 dBFS reads 10 LU', () => expect(Math.abs(range([[-20, 20], [-30, 20]]) - 10)).toBeLessThanOrEqual(1));
  it('case 2: -20 then -15 dBFS reads 5 LU', () => expect(Math.abs(range([[-20, 20], [-15, 20]]) - 5)).toBeLessThanOrEqual(1));
  it('case 3: -40 then -20 dBFS reads 20 LU', () => expect(Math.abs(range([[-40, 20], [-20, 20]]) - 20)).toBeLessThanOrEqual(1));
  it('case 4: -50/-35/-20/-35/-50 dBFS reads 15 LU', () =>
    expect(Math.abs(range([[-50, 20], [-35, 20], [-20, 20], [-35, 20], [-50, 20]]) - 15)).toBeLessThanOrEqual(1));
});
