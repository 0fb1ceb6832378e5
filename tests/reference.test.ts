import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/dsp/random.ts';
import { encodeWavFloat32 } from '../src/io/wav.ts';
import { matchingEq, octaveBalance, OCTAVE_BANDS, sideToMid } from '../src/master/reference.ts';
import { createProject } from './helpers/project.ts';

const RATE = 48000;
const noise = (seconds: number, seed: number, gain = 0.3) => {
  const random = createRandom(seed);
  return Float32Array.from({ length: seconds * RATE }, () => gain * (random() * 2 - 1));
};

describe('reference analysis', () => {
  it('finds white noise rising 3 dB per octave and a sine in its own band', () => {
    const white = octaveBalance([noise(10, 1)], RATE);
    for (let i = 3; i < OCTAVE_BANDS.length - 1; i++) expect(white[i] - white[i - 1], `band ${OCTAVE_BANDS[i]}`).toBeCloseTo(3.01, 0);
    const sine = Float32Array.from({ length: 5 * RATE }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / RATE));
    const balance = octaveBalance([sine], RATE);
    expect(balance[5]).toBeGreaterThan(-0.1);
    expect(Math.max(...balance.filter((_, i) => i !== 5))).toBeLessThan(-30);
  });

  it('measures width as side against mid', () => {
    const a = noise(2, 2);
    expect(sideToMid([a, a])).toBe(-Infinity);
    expect(sideToMid([a, new Float32Array(a.length)])).toBeCloseTo(0, 6);
    expect(sideToMid([a, noise(2, 3)])).toBeCloseTo(0, 0); // uncorrelated: as much side as mid
  });

  it('builds a smooth, limited matching EQ', () => {
    const { gains, bands } = matchingEq([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 12, 12, 12, 12], RATE);
    expect(gains.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(gains[5]).toBeCloseTo(3, 6); // smoothing spreads the step
    expect(gains.slice(7)).toEqual([6, 6, 6]); // limited to ±6 dB
    expect(bands.every((band) => band.type === 'bell')).toBe(true);
  });
});

describe('a master against a reference track', () => {
  it('reports deltas of loudness, range, peak, width and octave balance, and match: eq moves toward the reference', async () => {
    const song = (match: boolean) => `
import { defineSong, synth } from 'mixdown';
export default defineSong({
  title: 'Ref', tempo: 120, tail: 0,
  tracks: { pad: { instrument: synth({ wave: 'saw', filter: { cutoff: 600, envAmount: 0 } }), notes: [{ pitch: 'A2', start: '0:0', length: '4m' }, { pitch: 'E3', start: '0:0', length: '4m' }] } },
  master: { loudness: 'streaming', reference: 'refs/bright.wav'${match ? ", match: 'eq'" : ''} },
});`;
    const plain = createProject({ songs: { r: song(false) } });
    const matched = createProject({ songs: { r: song(true) } });
    try {
      for (const project of [plain, matched]) {
        project.write('refs/.keep', '');
        writeFileSync(join(project.root, 'refs/bright.wav'), encodeWavFloat32([noise(8, 5), noise(8, 6)], RATE));
        const result = await project.build();
        expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
      }
      const report = (project: typeof plain) => JSON.parse(project.read('dist/r/report.json')).master.reference;
      const before = report(plain);
      expect(before.file).toBe('refs/bright.wav');
      // The reference is white noise at -10.5 dBFS RMS per channel; the master is normalised to -14 LUFS.
      expect(before.deltas.integrated).toBeCloseTo(-14 - before.integrated, 1);
      expect(before.deltas.sideToMidDb).toBe(null); // a mono pad against uncorrelated noise: -inf side
      const high = before.bands.find((band: { hz: number }) => band.hz === 8000);
      expect(high.delta).toBeLessThan(-20); // the filtered saw has far less air than noise
      const after = report(matched);
      expect(after.bands.find((band: { hz: number }) => band.hz === 8000).matchDb).toBe(6);
      const distance = (r: { bands: { delta: number }[] }) => r.bands.reduce((sum, band) => sum + Math.abs(band.delta), 0);
      expect(distance(after)).toBeLessThan(distance(before) - 10);
      // Editing the reference file re-renders the master (its content hash is in the key).
      writeFileSync(join(matched.root, 'refs/bright.wav'), encodeWavFloat32([noise(8, 7), noise(8, 8)], RATE));
      const rebuilt = await matched.build();
      expect(rebuilt.songs[0].report!.tasks.filter((task) => task.status === 'rendered').map((task) => task.id)).toEqual(['master']);
      // A missing reference is a coded error naming the path.
      matched.write('songs/r/song.ts', song(true).replace('refs/bright.wav', 'refs/nope.wav'));
      const missing = await matched.build();
      expect(missing.songs[0].diagnostics[0]).toMatchObject({ code: 'MD224' });
      expect(missing.songs[0].diagnostics[0].message).toContain("'refs/nope.wav'");
    } finally {
      plain.dispose();
      matched.dispose();
    }
  });
});
