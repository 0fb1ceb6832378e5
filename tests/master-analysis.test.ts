/**
 * The listening room's master analysis as a by-product of the master task: the FFT with
 * precomputed twiddles and the streamed octave balance give the very bits of the originals
 * (kept here as they were), the streamed analyser of the float master equals the analysis of
 * the decoded 24-bit file, and a build's pages come from the master task's measurement — the
 * room decodes no master, and a page measured the old way (an older cache) is byte-identical.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRandom as random } from '../src/dsp/random.ts';
import { describe, expect, it, vi } from 'vitest';
import { fft } from '../src/dsp/fft.ts';
import { decodeWav, encodeWavPcm } from '../src/io/wav.ts';
import { analyseMaster, MasterAnalyser, QuantiseScratch } from '../src/master/analysis.ts';
import { OCTAVE_BANDS, octaveBalance, OctaveBalanceMeter } from '../src/master/reference.ts';
import { measurementKey } from '../src/cache/measurement.ts';
import { createProject } from './helpers/project.ts';

const decodes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/report/room/analysis.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/report/room/analysis.ts')>();
  return {
    ...actual,
    readAudio: (...args: Parameters<typeof actual.readAudio>) => {
      decodes.count++;
      return actual.readAudio(...args);
    },
  };
});

const RATE = 48000;

/** The FFT as it was: cos and sin of each butterfly's twiddle computed in the butterfly. */
function fftBefore(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = Math.cos(step * k);
        const wi = Math.sin(step * k);
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** The octave balance as it was: each frame windowed by an inline cosine, transformed by fftBefore. */
function octaveBalanceBefore(channels: readonly Float32Array[], sampleRate: number): number[] {
  const FRAME = 8192;
  const length = channels[0]?.length ?? 0;
  const power = new Float64Array(FRAME / 2);
  const frames = Math.max(1, Math.min(256, Math.floor((length - FRAME) / (FRAME / 2)) + 1));
  const hop = frames > 1 ? Math.floor((length - FRAME) / (frames - 1)) : 0;
  const re = new Float64Array(FRAME);
  const im = new Float64Array(FRAME);
  for (let f = 0; f < frames; f++) {
    const start = f * hop;
    for (let i = 0; i < FRAME; i++) {
      let mid = 0;
      for (const channel of channels) mid += channel[start + i] ?? 0;
      re[i] = (mid / channels.length) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME - 1)));
      im[i] = 0;
    }
    fftBefore(re, im);
    for (let k = 0; k < FRAME / 2; k++) power[k] += re[k] * re[k] + im[k] * im[k];
  }
  const binHz = sampleRate / FRAME;
  const energies = OCTAVE_BANDS.map((centre) => {
    let sum = 0;
    for (let k = Math.max(1, Math.ceil(centre / Math.SQRT2 / binHz)); k < Math.min(FRAME / 2, centre * Math.SQRT2 / binHz); k++) sum += power[k];
    return sum;
  });
  const total = energies.reduce((a, b) => a + b, 0);
  return energies.map((energy) => (energy > 0 && total > 0 ? 10 * Math.log10(energy / total) : -120));
}

const noise = (frames: number, seed: number, amplitude = 0.5) => {
  const next = random(seed);
  return Float32Array.from({ length: frames }, () => amplitude * (2 * next() - 1));
};
const tones = (frames: number, hz: readonly number[], amplitude = 0.3) =>
  Float32Array.from({ length: frames }, (_, i) => hz.reduce((sum, f, k) => sum + (amplitude / (k + 1)) * Math.sin((2 * Math.PI * f * i) / RATE), 0));

/** Feed `frames` in random block sizes through `add(from, count)`. */
function inBlocks(frames: number, seed: number, add: (from: number, count: number) => void): void {
  const next = random(seed);
  for (let from = 0; from < frames; ) {
    const count = Math.min(frames - from, 1 + Math.floor(next() * 20000));
    add(from, count);
    from += count;
  }
}

describe('the FFT with precomputed twiddles', () => {
  it('gives the same bits as the butterflies that computed cos and sin inline, at every size', () => {
    for (let n = 2; n <= 32768; n <<= 1) {
      const next = random(n);
      const re = Float64Array.from({ length: n }, () => next() - 0.5);
      const im = Float64Array.from({ length: n }, () => next() - 0.5);
      const [re0, im0] = [re.slice(), im.slice()];
      fft(re, im);
      fftBefore(re0, im0);
      expect(Buffer.from(re.buffer).equals(Buffer.from(re0.buffer)), `re, n = ${n}`).toBe(true);
      expect(Buffer.from(im.buffer).equals(Buffer.from(im0.buffer)), `im, n = ${n}`).toBe(true);
    }
  });
});

describe('the octave balance', () => {
  const cases: [string, Float32Array[]][] = [
    ['stereo noise, 5 s (overlapping frames)', [noise(5 * RATE, 1), noise(5 * RATE, 2, 0.3)]],
    ['mono tones, 2 s', [tones(2 * RATE, [55, 440, 3520])]],
    ['stereo tones and noise, 60 s (256 frames, spread)', [tones(60 * RATE, [31.5, 1000, 12000]), noise(60 * RATE, 3, 0.1)]],
    ['shorter than a frame (padded with silence)', [noise(5000, 4), tones(5000, [200])]],
    ['exactly one frame', [noise(8192, 5), noise(8192, 6)]],
    ['silence', [new Float32Array(RATE), new Float32Array(RATE)]],
  ];
  for (const [name, channels] of cases) {
    it(`has the original's numbers exactly, whole and fed in blocks: ${name}`, () => {
      const expected = octaveBalanceBefore(channels, RATE);
      expect(octaveBalance(channels, RATE)).toStrictEqual(expected);
      const length = channels[0].length;
      const meter = new OctaveBalanceMeter(channels.length, RATE, length);
      inBlocks(length, 7, (from, count) => meter.add(channels.map((channel) => channel.subarray(from, from + count)), count));
      expect(meter.result()).toStrictEqual(expected);
    });
  }
});

describe('the master analysis of the float master, as master.wav stores it', () => {
  /** A master with loud and quiet stretches; at level 1, samples past full scale (clamped in the file) and an over of a −1 dBTP ceiling near 2 s. */
  function master(seconds: number, level: number): Float32Array[] {
    const frames = Math.round(seconds * RATE) + 123;
    const envelope = (i: number) => (i < RATE ? 0.05 : 1) * level;
    const left = Float32Array.from(tones(frames, [80, 1234, 5000]), (x, i) => x * envelope(i));
    const right = Float32Array.from(noise(frames, 9, 0.4), (x, i) => x * envelope(i));
    if (level === 1) for (let i = 2 * RATE; i < 2 * RATE + 200; i++) left[i] = 1.2 * Math.sin(i * 2.5);
    // Samples the file rounds to zero from below, and a NaN (written as 0).
    for (let i = 100; i < 150; i++) right[i] = -1e-9;
    right[151] = NaN;
    return [left, right];
  }
  for (const [name, level, underCeiling] of [
    ['hot, with overs (the envelope computed)', 1, false],
    ['quiet, under the ceiling (no envelope)', 0.3, true],
  ] as const) {
    it(`streamed in blocks equals the analysis of the decoded 24-bit file: ${name}`, () => {
      const channels = master(6.5, level);
      const length = channels[0].length;
      const decoded = decodeWav(encodeWavPcm(channels, RATE, 24)).channels as Float32Array[];
      const expected = analyseMaster(decoded, RATE, 650, -1, true, false);
      if (!underCeiling) expect(expected.overs.length).toBeGreaterThan(0);
      expect(expected.bands).toHaveLength(OCTAVE_BANDS.length);
      const analyser = new MasterAnalyser(2, RATE, length, { buckets: 650, ceilingDb: -1, bands: true, underCeiling });
      const scratch = new QuantiseScratch();
      const block = 480 * 37;
      for (let from = 0; from < length; from += block) {
        const count = Math.min(block, length - from);
        analyser.addQuantised(channels.map((channel) => channel.subarray(from, from + count)), count, scratch);
      }
      expect(JSON.stringify(analyser.result())).toBe(JSON.stringify(expected));
    });
  }

  it('quantises each sample exactly as master.wav stores it, halves, clamps, NaN and −0 included', () => {
    // Every float32 k ± ½ LSB of 24 bits (the rounding's edge), past the clamps, tiny values of both signs, NaN, −0 and noise.
    const values: number[] = [NaN, -0, 0, 1e-30, -1e-30, 1, -1, 1.5, -1.5, 0.99999994, -0.99999994];
    for (let k = -4000; k <= 4000; k++) values.push((k + 0.5) / 8388608, k / 8388608);
    for (let k = 8388600; k < 8388608; k++) values.push((k + 0.5) / 8388608, -(k + 0.5) / 8388608);
    const noise = random(11);
    while (values.length % 480 !== 0 || values.length < 48000) values.push(noise() * 2 - 1);
    const channel = Float32Array.from(values);
    const analyser = new MasterAnalyser(1, RATE, channel.length, { buckets: 10, ceilingDb: 0, bands: false, underCeiling: true });
    const scratch = new QuantiseScratch();
    analyser.addQuantised([channel], channel.length, scratch);
    const quantised = scratch.reserve(1, channel.length)[0];
    const stored = decodeWav(encodeWavPcm([channel], RATE, 24)).channels[0];
    const differing = [...channel.keys()].filter((i) => !Object.is(quantised[i], stored[i]));
    expect(differing.map((i) => [channel[i], quantised[i], stored[i]])).toEqual([]);
  });

  it('takes blocks only on the loudness meter’s 10 ms steps', () => {
    const analyser = new MasterAnalyser(1, RATE, RATE, { buckets: 400, ceilingDb: 0, bands: false, underCeiling: true });
    analyser.add([new Float32Array(1000)], 1000);
    expect(() => analyser.add([new Float32Array(1000)], 1000)).toThrow(RangeError);
  });
});

const SONG = `import { defineSong, drums, GM_DRUMS, synth } from 'mixdown';

export default defineSong({
  title: 'Analysis',
  tempo: 128,
  seed: 5,
  tail: 0.5,
  sections: { a: 2, b: 2 },
  form: ['a', 'b'],
  tracks: {
    keys: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 3000 } }),
      gain: -4,
      parts: {
        a: [{ pitch: 'C4', start: '0:0:0', length: '1m' }, { pitch: 'G4', start: '1:0:0', length: '1m' }],
        b: [{ pitch: 'E4', start: '0:0:0', length: '2m' }, { pitch: 'C5', start: '1:2:0', length: '2n' }],
      },
    },
    beat: {
      instrument: drums(),
      parts: { b: [{ pitch: GM_DRUMS.kick, start: '0:0:0', length: '8n' }, { pitch: GM_DRUMS.snare, start: '0:2:0', length: '8n' }, { pitch: GM_DRUMS.kick, start: '1:0:0', length: '8n' }] },
    },
  },
  master: { loudness: 'streaming', formats: ['flac'] },
  variants: { hot: (s) => ({ ...s, master: { ceiling: 0 } }) },
});
`;

describe('a build’s listening room', () => {
  it('reads the master analysis the master task made, in this thread or a worker (no master decoded); a page measured from the decoded file, as for an older cache, is byte-identical', async () => {
    const project = createProject({ songs: { tune: SONG } });
    try {
      decodes.count = 0;
      const first = await project.build();
      expect(first.ok).toBe(true);
      expect(decodes.count).toBe(0);
      const pages = ['dist/tune/room.json', 'dist/tune/hot/room.json'];
      const before = pages.map((page) => project.read(page));
      // The pages' master curves are the file's: measured here from the decoded master.wav.
      for (const [i, folder] of ['dist/tune', 'dist/tune/hot'].entries()) {
        const room = JSON.parse(before[i]);
        const decoded = decodeWav(project.bytes(`${folder}/master.wav`));
        const analysis = analyseMaster(decoded.channels as Float32Array[], decoded.sampleRate, room.master.peaks.min.length, room.loudness.ceilingDb, true);
        expect(room.loudness.momentary).toEqual(analysis.momentary);
        expect(room.loudness.shortTerm).toEqual(analysis.shortTerm);
        expect(room.loudness.overs).toEqual(analysis.overs);
        expect(room.master.peaks).toEqual(analysis.peaks);
        expect(room.spectrum.master).toEqual(analysis.bands);
        // The page's key is the one the master task stored under.
        const key = measurementKey('room-master', { digest: JSON.parse(project.read(`${folder}/report.json`)).outputs.find((o: { path: string }) => o.path === 'master.wav').sha256, buckets: room.master.peaks.min.length, ceilingDb: room.loudness.ceilingDb, bands: true }).key;
        expect(actionFiles(project.root).some((file) => file.endsWith(`${key}.json`))).toBe(true);
      }
      // With workers (a variant's master runs in one), the measurement comes back from there.
      const pooled = createProject({ songs: { tune: SONG } });
      try {
        expect((await pooled.build({ jobs: 2 })).ok).toBe(true);
        expect(decodes.count).toBe(0);
        expect(pages.map((page) => pooled.read(page))).toEqual(before);
      } finally {
        pooled.dispose();
      }
      // A master from a cache without the measurement: the room decodes it, the same page.
      for (const file of actionFiles(project.root)) if (JSON.parse(readFileSync(file, 'utf8')).kind === 'room-master') rmSync(file);
      for (const page of pages) rmSync(join(project.root, page));
      const second = await project.build();
      expect(second.ok).toBe(true);
      expect(decodes.count).toBe(2);
      expect(pages.map((page) => project.read(page))).toEqual(before);
    } finally {
      project.dispose();
    }
  }, 120_000);
});

/** Every action entry file under the project's cache. */
function actionFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.includes(`${join('actions', '')}`) && entry.name.endsWith('.json')) found.push(path);
    }
  };
  walk(join(root, '.mixdown'));
  return found;
}
