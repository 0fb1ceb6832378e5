import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../src/io/wav.ts';
import { bandResponseDb } from '../src/master/eq.ts';
import { gainReductionDb } from '../src/master/compressor.ts';
import { glueDefaults, resolveMultiband } from '../src/ir/master-options.ts';
import { measureLoudness } from '../src/master/loudness.ts';
import { createProject } from './helpers/project.ts';

const song = (master: string) => `
import { defineSong, drums, grid, repeat, synth } from 'mixdown';
export default defineSong({
  title: 'Master', tempo: 120, seed: 4, tail: 0.2,
  tracks: {
    beat: { instrument: drums(), notes: repeat([...grid('X...x...X...x...', 36), ...grid('....x.......x...', 38), ...grid('x.x.x.x.x.x.x.x.', 42)], 8, '1m') },
    keys: { instrument: synth({ wave: 'saw' }), gain: -10, notes: [{ pitch: 'A3', start: '0:0', length: '8m' }, { pitch: 'E4', start: '0:0', length: '8m' }] },
  },
  master: ${master},
});
`;

describe('mastering chain', () => {
  it('normalises to a loudness preset within 0.05 LU in at most two limiter passes and keeps the true peak under the ceiling', async () => {
    const project = createProject({ songs: { s: song("{ loudness: 'streaming', eq: [{ type: 'highPass', frequency: 30, slope: 24 }, { type: 'highShelf', frequency: 8000, gain: 1.5 }], compressor: { threshold: -20, ratio: 2 }, width: 1.2 }") } });
    try {
      const result = await project.build({ strict: true });
      expect(result.ok, JSON.stringify(result.songs[0].diagnostics)).toBe(true);
      const report = JSON.parse(project.read('dist/s/report.json')).master;
      // Normalisation limits once or twice, and lands within 0.05 LU (the report rounds to 0.01).
      expect(Math.abs(report.integrated + 14)).toBeLessThanOrEqual(0.05);
      expect([1, 2]).toContain(report.passes);
      expect(report.truePeakDb).toBeLessThanOrEqual(-1);
      expect(report.target).toEqual({ integrated: -14, tolerance: 0.5, ceilingDb: -1 });
      expect(report.meetsTarget).toBe(true);
      // Measured again from the file itself, independently of the report.
      for (const file of ['master.wav', 'master-16.wav']) {
        const audio = decodeWav(project.bytes(`dist/s/${file}`));
        const measured = measureLoudness(audio.channels, audio.sampleRate);
        expect(Math.abs(measured.integrated + 14), file).toBeLessThanOrEqual(0.2);
        expect(measured.truePeak, file).toBeLessThanOrEqual(-1);
      }
    } finally {
      project.dispose();
    }
  });

  it('fails --strict when the target cannot be met under the ceiling, and still writes the master', async () => {
    const project = createProject({ songs: { s: song('{ loudness: { target: -2, tolerance: 0.3, ceiling: -1 } }') } });
    try {
      const relaxed = await project.build();
      expect(relaxed.ok).toBe(true);
      const strict = await project.build({ strict: true });
      expect(strict.ok).toBe(false);
      expect(strict.songs[0].diagnostics.map((d) => d.code)).toEqual(['MD310']);
      expect(strict.songs[0].diagnostics[0].message).toMatch(/against -2 ± 0.3 LUFS under -1 dBTP/);
      const report = JSON.parse(project.read('dist/s/report.json')).master;
      expect(report.meetsTarget).toBe(false);
      expect(report.truePeakDb).toBeLessThanOrEqual(-1);
    } finally {
      project.dispose();
    }
  });

  it('writes a reproducible, dithered 16-bit master beside the 24-bit one', async () => {
    const a = createProject({ songs: { s: song("{ loudness: 'broadcast' }") } });
    const b = createProject({ songs: { s: song("{ loudness: 'broadcast' }") } });
    try {
      await a.build();
      await b.build();
      expect(a.bytes('dist/s/master-16.wav').equals(b.bytes('dist/s/master-16.wav'))).toBe(true);
      const sixteen = decodeWav(b.bytes('dist/s/master-16.wav'));
      const twentyFour = decodeWav(b.bytes('dist/s/master.wav'));
      expect(sixteen.bitsPerSample).toBe(16);
      let differs = 0;
      for (let i = 0; i < 48000; i++) {
        const difference = Math.abs(sixteen.channels[0][i] - twentyFour.channels[0][i]);
        if (difference > 0) differs++;
        // TPDF of ±1 LSB plus rounding: never more than 1.5 LSB from the 24-bit master.
        expect(difference).toBeLessThan(1.5 / 32768);
      }
      expect(differs).toBeGreaterThan(40000);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('master EQ and glue compressor', () => {
  it('bell, shelves and Butterworth slopes have their textbook response', () => {
    expect(bandResponseDb({ type: 'bell', frequency: 1000, gain: 6, q: 1 }, 48000, 1000)).toBeCloseTo(6, 2);
    expect(bandResponseDb({ type: 'bell', frequency: 1000, gain: 6, q: 1 }, 48000, 50)).toBeCloseTo(0, 1);
    expect(bandResponseDb({ type: 'highShelf', frequency: 4000, gain: 4 }, 48000, 20000)).toBeCloseTo(4, 0);
    expect(bandResponseDb({ type: 'highShelf', frequency: 4000, gain: 4 }, 48000, 4000)).toBeCloseTo(2, 1);
    for (const slope of [12, 24, 48] as const) {
      expect(bandResponseDb({ type: 'highPass', frequency: 100, slope }, 48000, 100)).toBeCloseTo(-3.01, 1);
      // Two octaves below the corner a Butterworth of order n is down 10·log10(1 + 4^(2n)) dB.
      const order = slope / 6;
      expect(bandResponseDb({ type: 'highPass', frequency: 1000, slope }, 48000, 250)).toBeCloseTo(-10 * Math.log10(1 + 16 ** order), 0);
    }
  });

  it('has the static curve of its ratio and knee', () => {
    const settings = { ...glueDefaults, threshold: -20, ratio: 4, knee: 0 };
    expect(gainReductionDb(-30, settings)).toBe(0);
    expect(gainReductionDb(-8, settings)).toBeCloseTo(-9, 9); // 12 dB over → 3 dB over: 9 dB of reduction
    const soft = { ...settings, knee: 6 };
    expect(gainReductionDb(-20, soft)).toBeCloseTo((1 / 4 - 1) * 9 / 12, 9); // half-way into the knee
  });
});

describe('multiband compressor', () => {
  const tone = (frequency: number, amplitude: number) => Float32Array.from({ length: 48000 }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / 48000));
  const rms = (x: Float32Array) => 10 * Math.log10(x.slice(24000).reduce((sum, v) => sum + v * v, 0) / 24000);

  it('sums its bands back flat when nothing is compressed (Linkwitz-Riley, phase-matched)', async () => {
    const { multibandCompress } = await import('../src/master/multiband.ts');
    for (const frequency of [60, 200, 700, 2500, 9000]) {
      const input = tone(frequency, 0.5);
      const channels = [Float32Array.from(input)];
      multibandCompress(channels, 48000, resolveMultiband({ crossovers: [200, 2500] }));
      expect(rms(channels[0]) - rms(input), `${frequency} Hz`).toBeCloseTo(0, 1);
    }
  });

  it('compresses only the band a loud tone falls in', async () => {
    const { multibandCompress } = await import('../src/master/multiband.ts');
    const settings = resolveMultiband({ bands: [{ threshold: -30, ratio: 8, attack: 0.001, knee: 0 }] });
    const low = [tone(80, 0.5)];
    const high = [tone(6000, 0.5)];
    const lowBefore = rms(low[0]);
    const highBefore = rms(high[0]);
    const [lowReduction] = multibandCompress(low, 48000, settings);
    multibandCompress(high, 48000, settings);
    expect(rms(low[0]) - lowBefore).toBeLessThan(-10);
    expect(lowReduction).toBeLessThan(-10);
    expect(rms(high[0]) - highBefore).toBeCloseTo(0, 1);
  });
});

describe('FLAC and MP3 masters', () => {
  const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

  it.skipIf(!hasFfmpeg)('writes a lossless FLAC of master.wav and an MP3 at its loudness (decoded by ffmpeg)', async () => {
    const project = createProject({ songs: { s: song("{ loudness: 'streaming', formats: ['flac', 'mp3'], mp3Bitrate: 192 }") } });
    try {
      const result = await project.build();
      expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
      const decode = (file: string, format: string) =>
        spawnSync('ffmpeg', ['-v', 'error', '-i', join(project.root, 'dist/s', file), '-f', format, '-'], { maxBuffer: 1 << 28 }).stdout as Buffer;
      const wav = decodeWav(project.bytes('dist/s/master.wav'));
      const flac = new Int32Array(new Uint8Array(decode('master.flac', 's32le')).buffer);
      expect(flac.length).toBe(wav.channels[0].length * 2);
      for (let i = 0; i < flac.length; i += 97) expect(flac[i] / 2 ** 31, `sample ${i}`).toBe(wav.channels[i % 2][Math.floor(i / 2)]);
      const mp3 = new Float32Array(new Uint8Array(decode('master.mp3', 'f32le')).buffer);
      const left = mp3.filter((_, i) => i % 2 === 0);
      const right = mp3.filter((_, i) => i % 2 === 1);
      const loudness = measureLoudness([left, right], 48000, { truePeak: false }).integrated;
      expect(Math.abs(loudness + 14)).toBeLessThan(0.5);
      // The same sources give the same encoded bytes.
      const again = createProject({ songs: { s: song("{ loudness: 'streaming', formats: ['flac', 'mp3'], mp3Bitrate: 192 }") } });
      try {
        await again.build();
        expect(again.bytes('dist/s/master.mp3').equals(project.bytes('dist/s/master.mp3'))).toBe(true);
        expect(again.bytes('dist/s/master.flac').equals(project.bytes('dist/s/master.flac'))).toBe(true);
      } finally {
        again.dispose();
      }
    } finally {
      project.dispose();
    }
  });
});
