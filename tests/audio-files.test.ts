import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AudioFileData } from '../src/ir/plugin.ts';
import { createRandom } from '../src/dsp/random.ts';
import { AiffFormatError, decodeAiff, readExtended } from '../src/io/aiff.ts';
import { decodeAudioFile, decodeAudioFileSync, readAudioFileSync, sniffAudioFormat } from '../src/io/audio-file.ts';
import { encodeWavFloat32, encodeWavPcm } from '../src/io/wav.ts';
import { peakFrequency, rmsDb } from './helpers/audio.ts';
import { concatBytes } from '../src/io/bytes.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'mixdown-audio-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------- file builders

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** An IFF/RIFF chunk: id, size, body, and the pad byte an odd body needs. */
function chunk(id: string, body: Uint8Array, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  out.set(ascii(id), 0);
  new DataView(out.buffer).setUint32(4, body.length, littleEndian);
  out.set(body, 8);
  return out;
}

function sine(frames: number, frequency: number, rate: number, amplitude: number, phase = 0): Float32Array {
  return Float32Array.from({ length: frames }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate + phase));
}

function noise(frames: number, seed: number, amplitude = 0.9): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: frames }, () => (random() * 2 - 1) * amplitude);
}

interface Built {
  readonly bytes: Uint8Array;
  /** What a correct reader returns, at the file's own rate. */
  readonly expected: Float32Array[];
  readonly rate: number;
}

/** Quantise to a signed integer of `bits`, as a writer would (rounded, clamped). */
function toInt(x: number, bits: number): number {
  const scale = 2 ** (bits - 1);
  return Math.max(-scale, Math.min(scale - 1, Math.round(x * scale)));
}

interface WavSpec {
  readonly kind: 'int' | 'float';
  readonly bits: 8 | 16 | 24 | 32 | 64;
  readonly channels: readonly Float32Array[];
  readonly rate: number;
  readonly extensible?: boolean;
  /** An odd-sized chunk (with its pad byte) before fmt and another between fmt and data. */
  readonly oddChunks?: boolean;
}

/** A WAV file of any of the layouts the reader takes, and the samples it must read back. */
function buildWav(spec: WavSpec): Built {
  const { kind, bits, channels, rate } = spec;
  const width = bits / 8;
  const frames = channels[0].length;
  const data = new Uint8Array(frames * channels.length * width);
  const view = new DataView(data.buffer);
  const expected = channels.map(() => new Float32Array(frames));
  for (let i = 0, at = 0; i < frames; i++) {
    for (let c = 0; c < channels.length; c++, at += width) {
      const x = channels[c][i];
      if (kind === 'float') {
        if (bits === 32) view.setFloat32(at, x, true);
        else view.setFloat64(at, x, true);
        expected[c][i] = x;
        continue;
      }
      const v = toInt(x, bits);
      if (bits === 8) view.setUint8(at, v + 128);
      else if (bits === 16) view.setInt16(at, v, true);
      else if (bits === 24) {
        view.setUint8(at, v & 0xff);
        view.setUint8(at + 1, (v >> 8) & 0xff);
        view.setInt8(at + 2, v >> 16);
      } else view.setInt32(at, v, true);
      expected[c][i] = v / 2 ** (bits - 1);
    }
  }
  const tag = kind === 'float' ? 3 : 1;
  const fmt = new Uint8Array(spec.extensible ? 40 : 16);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, spec.extensible ? 0xfffe : tag, true);
  f.setUint16(2, channels.length, true);
  f.setUint32(4, rate, true);
  f.setUint32(8, rate * channels.length * width, true);
  f.setUint16(12, channels.length * width, true);
  f.setUint16(14, bits, true);
  if (spec.extensible) {
    f.setUint16(16, 22, true);
    f.setUint16(18, bits, true);
    f.setUint32(20, channels.length === 2 ? 3 : 4, true);
    f.setUint16(24, tag, true);
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  const odd = (text: string) => chunk(text.slice(0, 4), ascii(text.slice(4)), true);
  const body = concatBytes([
    ascii('WAVE'),
    ...(spec.oddChunks ? [odd('bext12345')] : []),
    chunk('fmt ', fmt, true),
    ...(spec.oddChunks ? [odd('LISTabc')] : []),
    chunk('data', data, true),
  ]);
  const bytes = concatBytes([ascii('RIFF'), new Uint8Array(4), body]);
  new DataView(bytes.buffer).setUint32(4, body.length, true);
  return { bytes, expected, rate };
}

/** IEEE 754 80-bit extended, big-endian, as AIFF stores its sample rate. */
function extended(value: number): Uint8Array {
  const out = new Uint8Array(10);
  if (value === 0) return out;
  const exponent = Math.floor(Math.log2(value));
  // value · 2^(63 − e) is an integer below 2^64 for any double: exact as a BigInt.
  const mantissa = BigInt(value * 2 ** (63 - exponent));
  const view = new DataView(out.buffer);
  view.setUint16(0, exponent + 16383, false);
  view.setBigUint64(2, mantissa, false);
  return out;
}

type AiffCompression = 'NONE' | 'twos' | 'sowt' | 'in24' | 'in32' | 'fl32' | 'fl64';

interface AiffSpec {
  readonly compression: AiffCompression;
  /** COMM's sampleSize: 1–32 for the integer types (stored in whole bytes, left-justified). */
  readonly bits: number;
  readonly channels: readonly Float32Array[];
  readonly rate: number;
  /** Write FORM/AIFC (with FVER and a compression name); plain AIFF takes only NONE. */
  readonly aifc: boolean;
  /** SSND's offset field: bytes skipped before the first sample. */
  readonly ssndOffset?: number;
  /** An odd-sized ANNO chunk (with its pad byte) before COMM. */
  readonly oddChunk?: boolean;
  /** SSND before COMM (the spec allows any order). */
  readonly soundFirst?: boolean;
}

/** A tiny AIFF/AIFF-C writer: the test's own, independent of the reader under test. */
function buildAiff(spec: AiffSpec): Built {
  const { compression, bits, channels, rate } = spec;
  const float = compression === 'fl32' || compression === 'fl64';
  const width = compression === 'fl64' ? 8 : compression === 'fl32' || compression === 'in32' ? 4 : compression === 'in24' ? 3 : Math.ceil(bits / 8);
  const little = compression === 'sowt';
  const frames = channels[0].length;
  const offset = spec.ssndOffset ?? 0;
  const ssnd = new Uint8Array(8 + offset + frames * channels.length * width);
  const view = new DataView(ssnd.buffer);
  view.setUint32(0, offset, false);
  const expected = channels.map(() => new Float32Array(frames));
  const sampleBits = float ? width * 8 : compression === 'in24' ? 24 : compression === 'in32' ? 32 : bits;
  for (let i = 0, at = 8 + offset; i < frames; i++) {
    for (let c = 0; c < channels.length; c++, at += width) {
      const x = channels[c][i];
      if (float) {
        if (width === 4) view.setFloat32(at, x, false);
        else view.setFloat64(at, x, false);
        expected[c][i] = x;
        continue;
      }
      // Left-justified: the sample's bits at the top of its bytes, zeros below.
      const stored = toInt(x, sampleBits) * 2 ** (8 * width - sampleBits);
      const bytes: number[] = [];
      for (let b = width - 1; b >= 0; b--) bytes.push(Math.floor(stored / 2 ** (8 * b)) & 0xff);
      (little ? bytes.reverse() : bytes).forEach((byte, k) => view.setUint8(at + k, byte));
      expected[c][i] = stored / 2 ** (8 * width - 1);
    }
  }
  const name = ascii('\x0bnot compres'); // a Pascal string, padded to even (1 + 11 bytes)
  const comm = new Uint8Array(18 + (spec.aifc ? 4 + name.length : 0));
  const c = new DataView(comm.buffer);
  c.setInt16(0, channels.length, false);
  c.setUint32(2, frames, false);
  c.setInt16(6, sampleBits, false);
  comm.set(extended(rate), 8);
  if (spec.aifc) {
    comm.set(ascii(compression), 18);
    comm.set(name, 22);
  }
  const fver = new Uint8Array(4);
  new DataView(fver.buffer).setUint32(0, 0xa2805140, false);
  const commChunk = chunk('COMM', comm, false);
  const soundChunk = chunk('SSND', ssnd, false);
  const body = concatBytes([
    ascii(spec.aifc ? 'AIFC' : 'AIFF'),
    ...(spec.aifc ? [chunk('FVER', fver, false)] : []),
    ...(spec.oddChunk ? [chunk('ANNO', ascii('made by a test'.slice(0, 13)), false)] : []),
    ...(spec.soundFirst ? [soundChunk, commChunk] : [commChunk, soundChunk]),
  ]);
  const bytes = concatBytes([ascii('FORM'), new Uint8Array(4), body]);
  new DataView(bytes.buffer).setUint32(4, body.length, false);
  return { bytes, expected, rate };
}

function expectSamples(actual: readonly Float32Array[], expected: readonly Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  for (let c = 0; c < expected.length; c++) expect(Array.from(actual[c])).toEqual(Array.from(expected[c]));
}

// A short stereo test signal: a sine and noise (full scale, so the integer extremes occur).
const LEFT = (() => {
  const signal = sine(301, 1000, 44100, 0.8);
  signal[7] = 1;
  signal[8] = -1;
  return signal;
})();
const RIGHT = noise(301, 5, 1);

const WAV_FIXTURES: Record<string, WavSpec> = {
  'wav pcm 8': { kind: 'int', bits: 8, channels: [LEFT, RIGHT], rate: 44100 },
  'wav pcm 16': { kind: 'int', bits: 16, channels: [LEFT, RIGHT], rate: 44100, oddChunks: true },
  'wav pcm 24 mono': { kind: 'int', bits: 24, channels: [LEFT], rate: 48000 },
  'wav pcm 24 stereo': { kind: 'int', bits: 24, channels: [LEFT, RIGHT], rate: 96000, oddChunks: true },
  'wav pcm 24 three channels': { kind: 'int', bits: 24, channels: [LEFT, RIGHT, LEFT], rate: 48000 },
  'wav pcm 32': { kind: 'int', bits: 32, channels: [LEFT, RIGHT], rate: 44100 },
  'wav float 32': { kind: 'float', bits: 32, channels: [LEFT, RIGHT], rate: 44100, oddChunks: true },
  'wav float 64': { kind: 'float', bits: 64, channels: [LEFT, RIGHT], rate: 22050 },
  'wav extensible pcm 24': { kind: 'int', bits: 24, channels: [LEFT, RIGHT], rate: 48000, extensible: true, oddChunks: true },
  'wav extensible pcm 32': { kind: 'int', bits: 32, channels: [LEFT], rate: 48000, extensible: true },
  'wav extensible float 32': { kind: 'float', bits: 32, channels: [LEFT, RIGHT], rate: 44100, extensible: true },
};

const AIFF_FIXTURES: Record<string, AiffSpec> = {
  'aiff 8': { compression: 'NONE', bits: 8, channels: [LEFT, RIGHT], rate: 22050, aifc: false },
  'aiff 12 (left-justified)': { compression: 'NONE', bits: 12, channels: [LEFT], rate: 8000, aifc: false, oddChunk: true },
  'aiff 16': { compression: 'NONE', bits: 16, channels: [LEFT, RIGHT], rate: 44100, aifc: false, oddChunk: true },
  'aiff 20 sound first': { compression: 'NONE', bits: 20, channels: [LEFT, RIGHT], rate: 48000, aifc: false, soundFirst: true },
  'aiff 24 offset': { compression: 'NONE', bits: 24, channels: [LEFT, RIGHT], rate: 44100, aifc: false, ssndOffset: 5 },
  'aiff 32': { compression: 'NONE', bits: 32, channels: [LEFT, RIGHT], rate: 192000, aifc: false },
  'aifc NONE 16': { compression: 'NONE', bits: 16, channels: [LEFT, RIGHT], rate: 44100, aifc: true },
  'aifc twos 24': { compression: 'twos', bits: 24, channels: [LEFT, RIGHT], rate: 44100, aifc: true, oddChunk: true },
  'aifc sowt 16': { compression: 'sowt', bits: 16, channels: [LEFT, RIGHT], rate: 44100, aifc: true },
  'aifc sowt 24': { compression: 'sowt', bits: 24, channels: [LEFT, RIGHT], rate: 48000, aifc: true, ssndOffset: 3 },
  'aifc in24': { compression: 'in24', bits: 24, channels: [LEFT], rate: 48000, aifc: true },
  'aifc in32': { compression: 'in32', bits: 32, channels: [LEFT, RIGHT], rate: 48000, aifc: true },
  'aifc fl32': { compression: 'fl32', bits: 32, channels: [LEFT, RIGHT], rate: 44100, aifc: true, oddChunk: true },
  'aifc fl64': { compression: 'fl64', bits: 64, channels: [LEFT, RIGHT], rate: 11025, aifc: true },
  'aifc fl32 fractional rate': { compression: 'fl32', bits: 32, channels: [LEFT], rate: 22254.545454545456, aifc: true },
};

/** Decoded audio is well formed: channels of one length, finite, not absurdly large. */
function expectWellFormed(audio: AudioFileData, rate: number, inputBytes: number): void {
  expect(audio.sampleRate).toBe(rate);
  expect(audio.channels.length).toBeGreaterThan(0);
  const frames = audio.channels[0].length;
  let total = 0;
  for (const channel of audio.channels) {
    expect(channel).toBeInstanceOf(Float32Array);
    expect(channel.length).toBe(frames);
    for (let i = 0; i < channel.length; i++) if (!Number.isFinite(channel[i])) expect.fail(`sample ${i} is ${channel[i]}`);
    total += channel.length;
  }
  // Output is bounded by the bytes really present (at most a sample a byte, × the rate
  // ratio of 48 kHz over the 1 kHz floor), never by what a header claims.
  expect(total).toBeLessThanOrEqual(inputBytes * 48 + 48);
}

// ---------------------------------------------------------------- decoding

describe('decoding WAV', () => {
  for (const [name, spec] of Object.entries(WAV_FIXTURES)) {
    it(`reads ${name} exactly`, async () => {
      const { bytes, expected, rate } = buildWav(spec);
      const sync = decodeAudioFileSync(bytes, 'x.wav', rate);
      expect(sync.sampleRate).toBe(rate);
      expectSamples(sync.channels, expected);
      expectSamples((await decodeAudioFile(bytes, 'x.wav', rate)).channels, expected);
      // The format comes from the bytes, not the name.
      expectSamples((await decodeAudioFile(bytes, 'misnamed.mp3', rate)).channels, expected);
      expectSamples(readAudioFileSync(bytes, 'x.wav').channels, expected);
    });
  }

  it("reads a streamed file whose data size is 0xFFFFFFFF (ffmpeg's `-f wav -`) to the end", () => {
    const { bytes, expected, rate } = buildWav(WAV_FIXTURES['wav pcm 16']);
    const streamed = bytes.slice();
    const view = new DataView(streamed.buffer);
    view.setUint32(4, 0xffffffff, true);
    const dataAt = streamed.length - LEFT.length * 4 - 8;
    expect(String.fromCharCode(...streamed.subarray(dataAt, dataAt + 4))).toBe('data');
    view.setUint32(dataAt + 4, 0xffffffff, true);
    expectSamples(decodeAudioFileSync(streamed, 'x.wav', rate).channels, expected);
    // Cut mid-frame, as a killed stream is: the whole frames that are there.
    const cut = decodeAudioFileSync(streamed.subarray(0, streamed.length - 3), 'x.wav', rate);
    expect(cut.channels[0].length).toBe(LEFT.length - 1);
  });
});

describe('decoding AIFF and AIFF-C', () => {
  for (const [name, spec] of Object.entries(AIFF_FIXTURES)) {
    it(`reads ${name} exactly`, async () => {
      const { bytes, expected, rate } = buildAiff(spec);
      const decoded = decodeAiff(bytes);
      expect(decoded.sampleRate).toBe(rate);
      expectSamples(decoded.channels, expected);
      if (Number.isInteger(rate)) {
        expectSamples(decodeAudioFileSync(bytes, 'x.aif', rate).channels, expected);
        expectSamples((await decodeAudioFile(bytes, 'x.aiff', rate)).channels, expected);
      }
      expectSamples(readAudioFileSync(bytes, 'no-extension').channels, expected);
    });
  }

  it('reads 80-bit extended sample rates exactly', () => {
    const read = (bytes: number[]) => readExtended(new DataView(Uint8Array.from(bytes).buffer), 0);
    // The bytes Apple's and ffmpeg's writers emit for the common rates.
    expect(read([0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0])).toBe(44100);
    expect(read([0x40, 0x0e, 0xbb, 0x80, 0, 0, 0, 0, 0, 0])).toBe(48000);
    expect(read([0x40, 0x10, 0xbb, 0x80, 0, 0, 0, 0, 0, 0])).toBe(192000);
    expect(read([0x40, 0x0d, 0xad, 0xdd, 0x17, 0x45, 0xd1, 0x74, 0x5d, 0x17])).toBeCloseTo(22254.545454545, 6);
    expect(read([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(0);
    expect(read([0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(Infinity);
    expect(read([0x7f, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1])).toBeNaN();
    for (const rate of [8000, 11025, 22050, 32000, 44100, 88200, 96000, 176400, 352800, 1234.5]) {
      expect(readExtended(new DataView(extended(rate).buffer), 0)).toBe(rate);
    }
  });

  it.skipIf(!HAS_FFMPEG)("agrees with ffmpeg's AIFF writer (16-bit, 24-bit, AIFC float)", () => {
    const source = join(scratch, 'agree.wav');
    const channels = [sine(4410, 440, 44100, 0.7), noise(4410, 21, 0.7)];
    writeFileSync(source, encodeWavFloat32(channels, 44100));
    const cases: [string, string[], number][] = [
      ['s16.aiff', ['-c:a', 'pcm_s16be'], 1 / 32768],
      ['s24.aiff', ['-c:a', 'pcm_s24be'], 1 / 8388608],
      ['f32.aif', ['-c:a', 'pcm_f32be'], 0],
    ];
    for (const [file, codec, step] of cases) {
      const target = join(scratch, file);
      const run = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', source, ...codec, target]);
      expect(run.status, String(run.stderr)).toBe(0);
      const decoded = decodeAudioFileSync(readFileSync(target), file, 44100);
      expect(decoded.channels.length).toBe(2);
      for (let c = 0; c < 2; c++) {
        expect(decoded.channels[c].length).toBe(4410);
        let worst = 0;
        for (let i = 0; i < 4410; i++) worst = Math.max(worst, Math.abs(decoded.channels[c][i] - channels[c][i]));
        // Within one quantisation step of the source (exact for float).
        expect(worst, file).toBeLessThanOrEqual(step);
      }
    }
  });
});

describe('decoding at another rate', () => {
  const FREQUENCY = 997;
  const SOURCE_RATE = 44100;
  const source = sine(2 * SOURCE_RATE, FREQUENCY, SOURCE_RATE, 0.5);
  const check = (decoded: AudioFileData, reference: Float32Array, levelTolerance: number) => {
    expect(decoded.sampleRate).toBe(48000);
    const [left] = decoded.channels;
    expect(Math.abs(left.length - 96000)).toBeLessThanOrEqual(4096); // lossy codecs pad by a frame or two
    const pitch = peakFrequency(left, 48000, 8192, 65536, 500, 2000);
    expect(Math.abs(pitch - FREQUENCY), `${pitch} Hz`).toBeLessThan(0.2);
    // Level over the middle (away from the resampler's edges): the source's, ±0.1 dB.
    const level = rmsDb(left, 20000, 76000);
    const expectedLevel = rmsDb(reference, 20000, 76000);
    expect(Math.abs(level - expectedLevel), `${level} vs ${expectedLevel} dB`).toBeLessThan(levelTolerance);
  };

  it('keeps the pitch and level of a sine from a 44.1 kHz WAV and AIFF decoded at 48 kHz', async () => {
    const wav = encodeWavPcm([source], SOURCE_RATE, 24);
    const aiff = buildAiff({ compression: 'NONE', bits: 24, channels: [source], rate: SOURCE_RATE, aifc: false }).bytes;
    for (const [bytes, name] of [
      [wav, 'sine.wav'],
      [aiff, 'sine.aiff'],
    ] as const) {
      const decoded = await decodeAudioFile(bytes, name, 48000);
      expect(decoded.channels[0].length).toBe(96000);
      check(decoded, source, 0.1);
      expectSamples(decodeAudioFileSync(bytes, name, 48000).channels, decoded.channels);
    }
    // And the level is −9.03 dBFS RMS (a 0.5 sine), not merely equal to the source's.
    expect(Math.abs(rmsDb((await decodeAudioFile(wav, 'sine.wav', 48000)).channels[0], 20000, 76000) - (20 * Math.log10(0.5) - 3.0103))).toBeLessThan(0.1);
  });

  it.skipIf(!HAS_FFMPEG)('keeps them through FLAC, MP3, Ogg Vorbis and AAC too (decoded by node-web-audio-api)', async () => {
    const wavPath = join(scratch, 'sine.wav');
    writeFileSync(wavPath, encodeWavPcm([source], SOURCE_RATE, 24));
    for (const [file, codec, tolerance] of [
      ['sine.flac', ['-c:a', 'flac'], 0.1],
      ['sine.mp3', ['-c:a', 'libmp3lame', '-b:a', '192k'], 0.5], // lossy: measured 0.28 dB low
      ['sine.ogg', ['-c:a', 'libvorbis', '-q:a', '6'], 0.2],
      ['sine.aac', ['-c:a', 'aac', '-b:a', '192k', '-f', 'adts'], 0.5],
    ] as const) {
      const target = join(scratch, file);
      const run = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', wavPath, ...codec, target]);
      if (run.status !== 0 && /Unknown encoder/.test(String(run.stderr))) continue; // an ffmpeg built without that encoder
      expect(run.status, String(run.stderr)).toBe(0);
      const bytes = readFileSync(target);
      const decoded = await decodeAudioFile(bytes, file, 48000);
      // Lossy codecs delay the signal; compare the level against the decoded sine's own ideal.
      check(decoded, sine(96000, FREQUENCY, 48000, 0.5), tolerance);
      expect(() => decodeAudioFileSync(bytes, file, 48000)).toThrow(/convert it to WAV/);
    }
  });
});

describe('round trips', () => {
  const fixtures = [
    ...Object.entries(WAV_FIXTURES).map(([name, spec]) => [name, buildWav(spec)] as const),
    ...Object.entries(AIFF_FIXTURES)
      .filter(([, spec]) => Number.isInteger(spec.rate))
      .map(([name, spec]) => [name, buildAiff(spec)] as const),
  ];
  it('writes every decoded fixture with the WAV encoders and reads it back equal', async () => {
    for (const [name, { bytes, rate }] of fixtures) {
      const decoded = await decodeAudioFile(bytes, name, rate);
      const float = decodeAudioFileSync(encodeWavFloat32(decoded.channels, rate), 'back.wav', rate);
      expectSamples(float.channels, decoded.channels);
      // Integer sources of 16 or 24 bits survive the PCM encoder of their own depth exactly.
      const bits = /\b(8|12|16)\b/.test(name) ? 16 : /\b(20|24)\b/.test(name) || name.includes('in24') ? 24 : 0;
      if (bits && !name.includes('float') && !name.includes('fl')) {
        const pcm = decodeAudioFileSync(encodeWavPcm(decoded.channels, rate, bits as 16 | 24), 'back.wav', rate);
        expectSamples(pcm.channels, decoded.channels);
      }
    }
  });
});

describe('errors', () => {
  it('says what is wrong, in an Error, for every kind of bad input', async () => {
    const wav = buildWav(WAV_FIXTURES['wav pcm 16']).bytes;
    const aiff = buildAiff(AIFF_FIXTURES['aifc sowt 16']).bytes;
    const cases: [Uint8Array, string, RegExp][] = [
      [new Uint8Array(0), 'x.wav', /only 0 bytes/],
      [new Uint8Array(0), 'x.flac', /empty/],
      [ascii('hello, this is not audio at all, just text'), 'x.bin', /not a recognised audio format/],
      [ascii('hello, this is not audio at all, just text'), 'x.wav', /RIFF\/WAVE header/],
      [ascii('hello, this is not audio at all, just text'), 'x.aif', /FORM\/AIFF/],
      [wav.subarray(0, 100), 'x.wav', /data chunk claims \d+ bytes but the file ends/],
      [aiff.subarray(0, 200), 'x.aif', /SSND chunk claims \d+ bytes but the file ends/],
    ];
    const withRate = (rate: number) => {
      const copy = wav.slice();
      new DataView(copy.buffer).setUint32(12 + 14 + 8 + 4, rate, true); // after RIFF, the odd bext chunk, fmt's header, its tag and channels
      return copy;
    };
    cases.push([withRate(1), 'x.wav', /sample rate of 1 Hz is outside/]);
    cases.push([withRate(0xffffffff), 'x.wav', /sample rate of 4294967295 Hz is outside/]);
    const noChannels = buildAiff(AIFF_FIXTURES['aiff 16']).bytes;
    new DataView(noChannels.buffer).setInt16(12 + 22 + 8, 0, false); // COMM body after the ANNO chunk
    cases.push([noChannels, 'x.aif', /0 channels/]);
    const ulaw = buildAiff(AIFF_FIXTURES['aifc sowt 16']).bytes;
    ulaw.set(ascii('ulaw'), 12 + 12 + 8 + 18);
    cases.push([ulaw, 'x.aifc', /compression type 'ulaw'/]);
    const lyingFrames = aiff.slice();
    new DataView(lyingFrames.buffer).setUint32(12 + 12 + 8 + 2, 0xfffffff0, false);
    cases.push([lyingFrames, 'x.aifc', /COMM says 4294967280 frames but SSND holds only 301/]);
    const nan = buildWav({ kind: 'float', bits: 32, channels: [Float32Array.of(0, Number.NaN, 0)], rate: 48000 }).bytes;
    cases.push([nan, 'x.wav', /sample 1 of channel 1 is NaN/]);
    const infinite = buildAiff({ compression: 'fl64', bits: 64, channels: [Float32Array.of(0.5)], rate: 48000, aifc: true }).bytes;
    new DataView(infinite.buffer).setFloat64(infinite.length - 8, 1e300, false);
    cases.push([infinite, 'x.aif', /sample 0 of channel 1 is 1e\+300/]);
    for (const [bytes, name, message] of cases) {
      const error = await decodeAudioFile(bytes, name, 48000).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, `${name}: ${message}`).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      if (!/flac|bin/.test(name)) expect(() => decodeAudioFileSync(bytes, name, 48000)).toThrow(message);
    }
    expect(() => decodeAudioFileSync(ascii('fLaC\0\0\0\x22'), 'x.flac', 48000)).toThrow(/FLAC audio cannot be read here/);
    await expect(decodeAudioFile(ascii('\0\0\0\x20ftypM4A \0\0\0\0'), 'x.m4a', 48000)).rejects.toThrow(/MP4\/M4A audio is not read/);
    await expect(decodeAudioFile(ascii('garbage bytes'), 'x.xyz', 48000)).rejects.toThrow(/not a recognised audio format \(for a '.xyz' file\)/);
    expect(() => decodeAudioFileSync(ascii('just text'), 'x.txt', 48000)).toThrow(/not a WAV or AIFF file/);
    await expect(decodeAudioFile(wav, 'x.wav', 0)).rejects.toThrow(/rate must be a whole number/);
    expect(() => decodeAiff(ascii('FORM\0\0\0\x04AIFF'))).toThrow(AiffFormatError);
  });

  it('refuses lying metadata sizes before the compressed decoder can allocate them', async () => {
    // A valid STREAMINFO (4096-sample blocks, 44.1 kHz, stereo, 16-bit), then a comment
    // block whose vendor length claims 2 GiB (Symphonia would allocate it).
    const streamInfo = Uint8Array.of(0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0x0a, 0xc4, 0x42, 0xf0, 0, 0, 0, 0, ...new Uint8Array(16));
    const comment = Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0);
    const flac = concatBytes([ascii('fLaC'), Uint8Array.of(0x00, 0, 0, 34), streamInfo, Uint8Array.of(0x84, 0, 0, comment.length), comment, new Uint8Array(64)]);
    await expect(decodeAudioFile(flac, 'x.flac', 48000)).rejects.toThrow(/vendor string claims 2147483647 bytes/);
    const longBlock = concatBytes([ascii('fLaC'), Uint8Array.of(0x00, 0, 0, 34), streamInfo, Uint8Array.of(0x86, 0x59, 0xba, 0x0b), new Uint8Array(64)]);
    await expect(decodeAudioFile(longBlock, 'x.flac', 48000)).rejects.toThrow(/block \(type 6\) claims 5880331 bytes but the file ends after 64/);
    const badRate = streamInfo.slice();
    badRate.set([0, 0, 0x10], 10); // 1 Hz
    await expect(decodeAudioFile(concatBytes([ascii('fLaC'), Uint8Array.of(0x80, 0, 0, 34), badRate]), 'x.flac', 48000)).rejects.toThrow(/FLAC sample rate of 1 Hz/);
    // An ID3v2.3 tag whose TXXX frame claims 2 GiB, in front of MPEG frames.
    const frame = concatBytes([ascii('TXXX'), Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0, 0), new Uint8Array(20)]);
    const mp3 = concatBytes([ascii('ID3'), Uint8Array.of(3, 0, 0, 0, 0, 0, frame.length), frame, Uint8Array.of(0xff, 0xfb, 0x90, 0x64), new Uint8Array(400)]);
    const started = performance.now();
    await expect(decodeAudioFile(mp3, 'x.mp3', 48000)).rejects.toThrow(/ID3 frame "TXXX" claims 2147483647 bytes/);
    const tagTooLong = mp3.slice();
    tagTooLong.set([0x7f, 0x7f, 0x7f, 0x7f], 6);
    await expect(decodeAudioFile(tagTooLong, 'x.mp3', 48000)).rejects.toThrow(/ID3 tag claims 268435455 bytes/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('recognises formats by their first bytes', () => {
    expect(sniffAudioFormat(buildWav(WAV_FIXTURES['wav pcm 16']).bytes)).toBe('wav');
    expect(sniffAudioFormat(buildAiff(AIFF_FIXTURES['aiff 16']).bytes)).toBe('aiff');
    expect(sniffAudioFormat(buildAiff(AIFF_FIXTURES['aifc fl32']).bytes)).toBe('aiff');
    expect(sniffAudioFormat(ascii('fLaC\0\0\0\x22'))).toBe('flac');
    expect(sniffAudioFormat(ascii('OggS\0\x02'))).toBe('ogg');
    expect(sniffAudioFormat(ascii('ID3\x04\0\0'))).toBe('mp3');
    expect(sniffAudioFormat(Uint8Array.of(0xff, 0xfb, 0x90, 0x64))).toBe('mp3');
    expect(sniffAudioFormat(ascii('\0\0\0\x20ftypM4A '))).toBe('mp4');
    expect(sniffAudioFormat(Uint8Array.of(0xff, 0xf1, 0x50, 0x80))).toBe('aac');
    expect(sniffAudioFormat(ascii('RIFF\0\0\0\0AVI '))).toBeUndefined();
    expect(sniffAudioFormat(new Uint8Array(2))).toBeUndefined();
  });
});

// ---------------------------------------------------------------- fuzzing

/**
 * Per-input bound: decoding a few kB must never run away (a size field read as 4 GB of frames
 * takes minutes or runs out of memory), whatever the bytes say. Generous, because it catches
 * runaways, not slowness: a loaded 2-core CI machine took 2–3 s for inputs that take 0.2 s alone.
 */
const BOUND_MS = 10_000;

interface FuzzTally {
  decoded: number;
  rejected: number;
  slowest: number;
}

/** Decode once (async, and sync where it applies): finite, well-formed samples, or an Error. */
async function attempt(bytes: Uint8Array, name: string, tally: FuzzTally, sync: boolean): Promise<void> {
  const started = performance.now();
  try {
    expectWellFormed(await decodeAudioFile(bytes, name, 48000), 48000, bytes.length);
    tally.decoded++;
  } catch (error) {
    if (!(error instanceof Error) || error.name === 'AssertionError') throw error;
    expect(error.message.length).toBeGreaterThan(8);
    tally.rejected++;
  }
  if (sync) {
    try {
      expectWellFormed(decodeAudioFileSync(bytes, name, 48000), 48000, bytes.length);
    } catch (error) {
      if (!(error instanceof Error) || error.name === 'AssertionError') throw error;
    }
  }
  const elapsed = performance.now() - started;
  tally.slowest = Math.max(tally.slowest, elapsed);
  expect(elapsed, `${name}, ${bytes.length} bytes`).toBeLessThan(BOUND_MS);
}

/** The offsets of every chunk-size field of a RIFF (little-endian) or IFF (big-endian) file. */
function sizeFields(bytes: Uint8Array, littleEndian: boolean): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = [4];
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    fields.push(offset + 4);
    const size = view.getUint32(offset + 4, littleEndian);
    offset += 8 + size + (size % 2);
  }
  return fields;
}

/** Truncations, byte flips, lying chunk sizes and header fields, all from one seed. */
async function fuzz(bytes: Uint8Array, name: string, seed: number, options: { littleEndian?: boolean; sync: boolean; rounds?: number }): Promise<FuzzTally> {
  const random = createRandom(seed);
  const tally: FuzzTally = { decoded: 0, rejected: 0, slowest: 0 };
  const rounds = options.rounds ?? 150;
  // Truncated at many offsets: every byte of the header, then spread over the rest.
  for (let cut = 0; cut < Math.min(bytes.length, 80); cut++) await attempt(bytes.subarray(0, cut), name, tally, options.sync);
  for (let i = 0; i < rounds; i++) await attempt(bytes.subarray(0, Math.floor(random() * bytes.length)), name, tally, options.sync);
  // Random bytes flipped: mostly in the header, where a flip changes the structure.
  for (let i = 0; i < rounds * 2; i++) {
    const copy = bytes.slice();
    const flips = 1 + Math.floor(random() * 8);
    for (let f = 0; f < flips; f++) copy[Math.floor(random() * (random() < 0.7 ? Math.min(96, copy.length) : copy.length))] = Math.floor(random() * 256);
    await attempt(copy, name, tally, options.sync);
  }
  if (options.littleEndian !== undefined) {
    // Lying chunk sizes: every size field set to each of the usual lies.
    const fields = sizeFields(bytes, options.littleEndian);
    for (const field of fields) {
      for (const lie of [0, 1, 3, 7, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, Math.floor(random() * 0xffffffff), Math.floor(random() * 4096)]) {
        const copy = bytes.slice();
        new DataView(copy.buffer).setUint32(field, lie, options.littleEndian);
        await attempt(copy, name, tally, options.sync);
      }
    }
    // Lying header fields (channels, frames, rate, bits…): 16- and 32-bit words after each chunk header.
    for (let i = 0; i < rounds; i++) {
      const copy = bytes.slice();
      const view = new DataView(copy.buffer);
      const at = 12 + Math.floor(random() * 60);
      if (random() < 0.5) view.setUint16(at, [0, 1, 0xffff, 0x8000, Math.floor(random() * 0x10000)][Math.floor(random() * 5)], options.littleEndian);
      else view.setUint32(at, [0, 1, 0xffffffff, 0x7fffffff, Math.floor(random() * 0xffffffff)][Math.floor(random() * 5)], options.littleEndian);
      await attempt(copy, name, tally, options.sync);
    }
  }
  return tally;
}

describe('fuzzing: every input decodes to finite samples or throws an Error, quickly', () => {
  const small = [sine(200, 1000, 44100, 0.8), noise(200, 77, 0.8)];
  for (const [name, spec] of Object.entries(WAV_FIXTURES)) {
    it(`survives a mangled ${name}`, async () => {
      const { bytes } = buildWav({ ...spec, channels: spec.channels.map((_, c) => small[c % 2]) });
      const tally = await fuzz(bytes, 'fuzz.wav', 101 + name.length, { littleEndian: true, sync: true, rounds: 60 });
      expect(tally.rejected).toBeGreaterThan(50);
      expect(tally.decoded).toBeGreaterThan(10);
    }, 60000);
  }
  for (const [name, spec] of Object.entries(AIFF_FIXTURES)) {
    it(`survives a mangled ${name}`, async () => {
      const { bytes } = buildAiff({ ...spec, channels: spec.channels.map((_, c) => small[c % 2]) });
      const tally = await fuzz(bytes, 'fuzz.aif', 202 + name.length, { littleEndian: false, sync: true, rounds: 60 });
      expect(tally.rejected).toBeGreaterThan(50);
      expect(tally.decoded).toBeGreaterThan(10);
    }, 60000);
  }

  it('survives random garbage of many sizes under every name', async () => {
    const random = createRandom(303);
    const tally: FuzzTally = { decoded: 0, rejected: 0, slowest: 0 };
    for (const name of ['g.wav', 'g.aiff', 'g.flac', 'g.mp3', 'g.ogg', 'g.bin']) {
      for (const size of [0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 16, 31, 44, 64, 100, 255, 256, 1000, 4096, 65536]) {
        const bytes = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
        await attempt(bytes, name, tally, true);
        // Garbage behind each real magic number, so every reader's header parser sees it.
        for (const magic of ['RIFF\0\0\0\0WAVE', 'FORM\0\0\0\0AIFF', 'FORM\0\0\0\0AIFC', 'fLaC', 'OggS', 'ID3\x04', '\xff\xfb']) {
          const prefixed = concatBytes([Uint8Array.from(magic, (c) => c.charCodeAt(0)), bytes]);
          await attempt(prefixed, name, tally, true);
        }
      }
    }
    expect(tally.rejected).toBeGreaterThan(500);
  }, 120000);

  it.skipIf(!HAS_FFMPEG)('survives mangled FLAC, MP3, Ogg and AAC files made by ffmpeg', async () => {
    const wavPath = join(scratch, 'fuzz-source.wav');
    writeFileSync(wavPath, encodeWavPcm([sine(11025, 440, 44100, 0.6), noise(11025, 9, 0.3)], 44100, 16));
    for (const [file, codec] of [
      ['fuzz.flac', ['-c:a', 'flac']],
      ['fuzz.mp3', ['-c:a', 'libmp3lame', '-b:a', '128k']],
      ['fuzz.ogg', ['-c:a', 'libvorbis']],
      ['fuzz.aac', ['-c:a', 'aac', '-f', 'adts']],
    ] as const) {
      const target = join(scratch, file);
      const run = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', wavPath, ...codec, target]);
      if (run.status !== 0 && /Unknown encoder/.test(String(run.stderr))) continue;
      expect(run.status, String(run.stderr)).toBe(0);
      const bytes = new Uint8Array(readFileSync(target));
      expectWellFormed(await decodeAudioFile(bytes, file, 48000), 48000, bytes.length);
      const tally = await fuzz(bytes, file, 404 + file.length, { sync: false, rounds: 80 });
      expect(tally.rejected, file).toBeGreaterThan(0);
      // FLAC: a lying STREAMINFO (block sizes, rate, channel count, total samples).
      if (file.endsWith('.flac')) {
        const random = createRandom(505);
        for (let i = 0; i < 150; i++) {
          const copy = bytes.slice();
          copy[8 + Math.floor(random() * 34)] = [0, 0xff, Math.floor(random() * 256)][Math.floor(random() * 3)];
          await attempt(copy, file, tally, false);
        }
      }
    }
  }, 120000);
});
