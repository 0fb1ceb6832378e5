import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../src/io/wav.ts';
import { createProject, type TestProject } from './helpers/project.ts';
import { firstNonSilent, peak, peakFrequency, rmsDb } from './helpers/audio.ts';

// Tempo 100 BPM: a quarter is 0.6 s = 28,800 samples; bar 1 (4/4) starts at 115,200.
const SONG = `
import { defineSong, synth } from 'mixdown';
const tone = synth({ wave: 'sine', filter: { cutoff: 15000, envAmount: 0 }, envelope: { attack: 0.01, decay: 0.01, sustain: 1, release: 0.05 } });
export default defineSong({
  title: 'Probe',
  tempo: 100,
  tail: 0,
  tracks: {
    a4: { instrument: tone, notes: [{ pitch: 'A4', start: '1:0:0', length: '2n' }] },
    soft: { instrument: tone, pan: -1, notes: [{ pitch: 'A4', start: '0:0:0', length: '4n', velocity: 40 }] },
    loud: { instrument: tone, pan: 1, notes: [{ pitch: 'A4', start: '0:0:0', length: '4n', velocity: 120 }] },
    centre: { instrument: tone, gain: -6, notes: [{ pitch: 'E5', start: { ticks: 1 }, length: '4n' }] },
  },
});
`;

describe('rendering through the whole pipeline', () => {
  let project: TestProject;
  const stem = (id: string) => decodeWav(project.bytes(`dist/probe/stems/${id}.wav`)).channels;
  beforeAll(async () => {
    project = createProject({ songs: { probe: SONG } });
    const result = await project.build();
    expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
  });
  afterAll(() => project.dispose());

  it('plays A4 at 440 Hz ± 1 Hz from the exact sample its tick maps to, silent elsewhere', () => {
    const [left, right] = stem('a4');
    expect(firstNonSilent(left)).toBe(115200 + 1); // the attack starts from zero at the start sample
    expect(peak(left, 0, 115201)).toBe(0);
    const end = 115200 + 57600 + Math.round(0.05 * 48000);
    expect(peak(left, end)).toBe(0);
    expect(Math.abs(peakFrequency(left, 48000, 115200 + 4800, 32768, 200, 2000) - 440)).toBeLessThan(1);
    expect(Array.from(right)).toEqual(Array.from(left));
  });

  it('maps one tick to the sample it falls on', () => {
    // 1 tick at 100 BPM = 0.000625 s = 30 samples.
    expect(firstNonSilent(stem('centre')[0])).toBe(30 + 1);
  });

  it('makes higher velocities louder and pans with constant power', () => {
    const [softLeft, softRight] = stem('soft');
    const [loudLeft, loudRight] = stem('loud');
    expect(peak(softRight)).toBe(0);
    expect(peak(loudLeft)).toBe(0);
    expect(rmsDb(loudRight, 4800, 24000) - rmsDb(softLeft, 4800, 24000)).toBeGreaterThan(12);
    // Centre is -3 dB per side against hard-panned, with -6 dB of fader on top.
    const [centreLeft, centreRight] = stem('centre');
    const hardPeak = peak(loudRight, 4800, 24000);
    const centrePeak = peak(centreLeft, 4800, 24000);
    expect(20 * Math.log10(centrePeak / hardPeak)).toBeCloseTo(-3.01 - 6 + 40 * Math.log10(100 / 120), 1);
    expect(Array.from(centreRight)).toEqual(Array.from(centreLeft));
  });

  it('sums stems into the mix and keeps the master under its ceiling', () => {
    const mix = decodeWav(project.bytes('dist/probe/mix.wav')).channels;
    const stems = ['a4', 'soft', 'loud', 'centre'].map(stem);
    for (const i of [1000, 20000, 130000]) {
      const expected = stems.reduce((sum, channels) => sum + channels[0][i], 0);
      expect(mix[0][i]).toBeCloseTo(expected, 6);
    }
    const master = decodeWav(project.bytes('dist/probe/master.wav')).channels;
    expect(peak(master[0])).toBeLessThanOrEqual(10 ** (-1 / 20) + 1 / 2 ** 23);
  });
});
