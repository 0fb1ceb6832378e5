import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/dsp/random.ts';
import { tpdfDither } from '../src/master/dither.ts';
import { decodeWav, encodeWavFloat32, encodeWavPcm, encodeWavPcm16Dithered, encodeWavPcmInterleaved, WavFormatError } from '../src/io/wav.ts';

function noise(length: number, seed: number, amplitude = 0.9): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length }, () => (random() * 2 - 1) * amplitude);
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('WAV writing', () => {
  it('writes 32-bit float to spec: fmt (18 bytes, tag 3), fact, data', () => {
    const left = noise(1001, 1);
    const right = noise(1001, 2);
    const bytes = encodeWavFloat32([left, right], 44100);
    const v = view(bytes);
    expect(ascii(bytes, 0)).toBe('RIFF');
    expect(v.getUint32(4, true)).toBe(bytes.length - 8);
    expect(ascii(bytes, 8)).toBe('WAVE');
    expect(ascii(bytes, 12)).toBe('fmt ');
    expect(v.getUint32(16, true)).toBe(18);
    expect(v.getUint16(20, true)).toBe(3);
    expect(v.getUint16(22, true)).toBe(2);
    expect(v.getUint32(24, true)).toBe(44100);
    expect(v.getUint32(28, true)).toBe(44100 * 8);
    expect(v.getUint16(32, true)).toBe(8);
    expect(v.getUint16(34, true)).toBe(32);
    expect(v.getUint16(36, true)).toBe(0);
    expect(ascii(bytes, 38)).toBe('fact');
    expect(v.getUint32(46, true)).toBe(1001);
    expect(ascii(bytes, 50)).toBe('data');
    expect(v.getUint32(54, true)).toBe(1001 * 8);
    expect(bytes.length).toBe(58 + 1001 * 8);
    expect(v.getFloat32(58, true)).toBe(left[0]);
    expect(v.getFloat32(62, true)).toBe(right[0]);
  });

  it('round-trips float32 exactly and gives the same bytes for the same samples', () => {
    const channels = [noise(5000, 3), noise(5000, 4)];
    const bytes = encodeWavFloat32(channels, 48000);
    const decoded = decodeWav(bytes);
    expect(decoded).toMatchObject({ sampleRate: 48000, bitsPerSample: 32, format: 'float' });
    expect(Array.from(decoded.channels[0])).toEqual(Array.from(channels[0]));
    expect(Array.from(decoded.channels[1])).toEqual(Array.from(channels[1]));
    expect(Buffer.from(encodeWavFloat32(channels, 48000)).equals(Buffer.from(bytes))).toBe(true);
    // Decoding from an unaligned copy (as read from an arbitrary buffer) gives the same samples.
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    expect(Array.from(decodeWav(unaligned).channels[1])).toEqual(Array.from(channels[1]));
  });

  it('round-trips 16- and 24-bit PCM within one step, clamping and zeroing NaN', () => {
    const signal = noise(4000, 5, 0.99);
    for (const bits of [16, 24] as const) {
      const bytes = encodeWavPcm([signal], 48000, bits);
      const v = view(bytes);
      expect(v.getUint16(20, true)).toBe(1);
      expect(v.getUint16(34, true)).toBe(bits);
      expect(v.getUint16(32, true)).toBe(bits / 8);
      const decoded = decodeWav(bytes).channels[0];
      const step = 1 / 2 ** (bits - 1);
      for (let i = 0; i < signal.length; i++) expect(Math.abs(decoded[i] - signal[i])).toBeLessThanOrEqual(step / 2 + 1e-9);
    }
    const extremes = decodeWav(encodeWavPcm([Float32Array.from([2, -2, Number.NaN, 1, -1])], 48000, 24)).channels[0];
    expect(Array.from(extremes)).toEqual([(2 ** 23 - 1) / 2 ** 23, -1, 0, (2 ** 23 - 1) / 2 ** 23, -1]);
  });

  it('writes PCM headers to spec, field by field, and the same bytes for the same samples', () => {
    for (const bits of [16, 24] as const) {
      const width = bits / 8;
      const channels = [noise(1000, 11), noise(1000, 12)];
      const bytes = encodeWavPcm(channels, 44100, bits);
      const v = view(bytes);
      expect(ascii(bytes, 0)).toBe('RIFF');
      expect(v.getUint32(4, true)).toBe(bytes.length - 8);
      expect(ascii(bytes, 8)).toBe('WAVE');
      expect(ascii(bytes, 12)).toBe('fmt ');
      expect(v.getUint32(16, true)).toBe(16); // PCM: no cbSize
      expect(v.getUint16(20, true)).toBe(1); // WAVE_FORMAT_PCM
      expect(v.getUint16(22, true)).toBe(2);
      expect(v.getUint32(24, true)).toBe(44100);
      expect(v.getUint32(28, true)).toBe(44100 * 2 * width); // byte rate
      expect(v.getUint16(32, true)).toBe(2 * width); // block align
      expect(v.getUint16(34, true)).toBe(bits);
      expect(ascii(bytes, 36)).toBe('data');
      expect(v.getUint32(40, true)).toBe(1000 * 2 * width);
      expect(bytes.length).toBe(44 + 1000 * 2 * width);
      // First frame, little-endian, left then right.
      const first = Math.round(channels[0][0] * 2 ** (bits - 1));
      expect(bits === 16 ? v.getInt16(44, true) : ((v.getUint16(44, true) | (v.getInt8(46) << 16)) as number)).toBe(first);
      expect(Buffer.from(encodeWavPcm(channels, 44100, bits)).equals(Buffer.from(bytes))).toBe(true);
      // Nothing but fmt and data: no LIST/INFO, no time or host.
      expect(new TextDecoder('latin1').decode(bytes.subarray(0, 44))).not.toMatch(/LIST|INFO/);
    }
  });

  it('rounds to the nearest step (halves up, like Math.round) and clamps to [-2^(n-1), 2^(n-1) - 1]', () => {
    for (const bits of [16, 24] as const) {
      const full = 2 ** (bits - 1);
      const steps = [-3.5, -2.5, -1.5, -0.5, -0.49, 0.49, 0.5, 1.5, 2.5, 3.25, 3.75, full - 1.5, full - 0.5, full, -full, -full - 0.5];
      const decoded = decodeWav(encodeWavPcm([Float32Array.from(steps, (step) => step / full)], 48000, bits)).channels[0];
      const expected = steps.map((step) => Math.min(full - 1, Math.max(-full, Math.round(step))) + 0); // + 0: no −0
      expect(Array.from(decoded, (x) => x * full + 0)).toEqual(expected);
    }
  });

  it('encodes a 3-minute stereo float file quickly', () => {
    const frames = 48000 * 180;
    const left = new Float32Array(frames).fill(0.25);
    const right = new Float32Array(frames).fill(-0.25);
    encodeWavFloat32([left.subarray(0, 1000), right.subarray(0, 1000)], 48000); // warm up
    const start = performance.now();
    const bytes = encodeWavFloat32([left, right], 48000);
    const elapsed = performance.now() - start;
    expect(bytes.length).toBe(58 + frames * 8);
    // Typically ~50 ms here; the bound is loose so a busy machine does not fail it.
    expect(elapsed).toBeLessThan(1000);
  });

  it('pads odd-sized PCM data to an even length and counts the pad in the RIFF size', () => {
    const bytes = encodeWavPcm([new Float32Array(3)], 48000, 24);
    expect(view(bytes).getUint32(40, true)).toBe(9);
    expect(bytes.length).toBe(44 + 9 + 1);
    expect(view(bytes).getUint32(4, true)).toBe(bytes.length - 8);
  });

  it("writes the master's dithered 16-bit file inline with the same bytes as the dither source", () => {
    // Loud and quiet, clipping both ways, NaN, and a length that is not a multiple of anything.
    const make = (length: number, phase: number) =>
      Float32Array.from({ length }, (_, i) => (i === 7 ? Number.NaN : i % 997 === 0 ? 1.5 : i % 991 === 0 ? -1.5 : Math.sin(i * 0.013 + phase) * (i < length / 2 ? 0.9 : 1e-5)));
    const stereo = [make(48_013, 0), make(48_013, 1)];
    for (const [channels, seed, gain] of [[stereo, 7, 1], [stereo, 0xffffffff, 0.5], [[stereo[0]], 123, 1], [[stereo[0], stereo[1], make(48_013, 2)], 5, 1]] as const) {
      const inline = encodeWavPcm16Dithered(channels, 44100, seed, gain);
      const source = encodeWavPcm(channels, 44100, 16, gain, tpdfDither(seed));
      expect(Buffer.from(inline).equals(Buffer.from(source))).toBe(true);
    }
    // The dither is really there (not the undithered file) and depends on the seed.
    expect(Buffer.from(encodeWavPcm16Dithered(stereo, 44100, 7)).equals(Buffer.from(encodeWavPcm(stereo, 44100, 16)))).toBe(false);
    expect(Buffer.from(encodeWavPcm16Dithered(stereo, 44100, 7)).equals(Buffer.from(encodeWavPcm16Dithered(stereo, 44100, 8)))).toBe(false);
  });

  it('dithers 16-bit output with seeded TPDF noise: reproducible, and silence stays within one step', () => {
    const quiet = new Float32Array(20000);
    const a = encodeWavPcmInterleaved(quiet, 1, 48000, 16, 1, tpdfDither(9));
    const b = encodeWavPcmInterleaved(quiet, 1, 48000, 16, 1, tpdfDither(9));
    const c = encodeWavPcmInterleaved(quiet, 1, 48000, 16, 1, tpdfDither(10));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    const values = decodeWav(a).channels[0].map((x) => Math.round(x * 32768));
    expect(Math.max(...values)).toBe(1);
    expect(Math.min(...values)).toBe(-1);
    // Triangular noise of ±1 LSB: P(0) = 1/2 after rounding (values in (-0.5, 0.5)).
    const zeros = values.filter((x) => x === 0).length / values.length;
    expect(zeros).toBeGreaterThan(0.7);
    expect(zeros).toBeLessThan(0.8);
  });
});

describe('WAV reading', () => {
  function build(format: number, bits: number, channels: number, data: number[], extra: { extensible?: boolean; chunkBefore?: boolean } = {}): Uint8Array {
    const fmtSize = extra.extensible ? 40 : 16;
    const before = extra.chunkBefore ? 8 + 3 + 1 : 0; // a 3-byte LIST chunk plus its pad byte
    const bytes = new Uint8Array(12 + 8 + fmtSize + before + 8 + data.length);
    const v = view(bytes);
    const put = (at: number, text: string) => [...text].forEach((ch, i) => (bytes[at + i] = ch.charCodeAt(0)));
    put(0, 'RIFF');
    v.setUint32(4, bytes.length - 8, true);
    put(8, 'WAVE');
    put(12, 'fmt ');
    v.setUint32(16, fmtSize, true);
    v.setUint16(20, extra.extensible ? 0xfffe : format, true);
    v.setUint16(22, channels, true);
    v.setUint32(24, 8000, true);
    v.setUint32(28, 8000 * channels * (bits / 8), true);
    v.setUint16(32, channels * (bits / 8), true);
    v.setUint16(34, bits, true);
    if (extra.extensible) {
      v.setUint16(36, 22, true);
      v.setUint16(38, bits, true);
      v.setUint32(40, 3, true);
      v.setUint16(44, format, true); // sub-format GUID starts with the format tag
      put(46, '\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71'.slice(0, 14));
    }
    let at = 20 + fmtSize;
    if (extra.chunkBefore) {
      put(at, 'LIST');
      v.setUint32(at + 4, 3, true);
      at += 12;
    }
    put(at, 'data');
    v.setUint32(at + 4, data.length, true);
    bytes.set(data, at + 8);
    return bytes;
  }

  it('reads 8-bit unsigned, 32-bit integer and 64-bit float PCM', () => {
    expect(Array.from(decodeWav(build(1, 8, 1, [0, 128, 255])).channels[0])).toEqual([-1, 0, 127 / 128]);
    const int32 = new Uint8Array(new Int32Array([-(2 ** 31), 2 ** 30]).buffer);
    expect(Array.from(decodeWav(build(1, 32, 1, [...int32])).channels[0])).toEqual([-1, 0.5]);
    const float64 = new Uint8Array(new Float64Array([0.25, -0.125]).buffer);
    expect(Array.from(decodeWav(build(3, 64, 1, [...float64])).channels[0])).toEqual([0.25, -0.125]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE and skips unknown chunks with their pad byte', () => {
    const int16 = new Uint8Array(new Int16Array([16384, -16384, 8192, -8192]).buffer);
    const decoded = decodeWav(build(1, 16, 2, [...int16], { extensible: true, chunkBefore: true }));
    expect(decoded.channels.map((channel) => Array.from(channel))).toEqual([
      [0.5, 0.25],
      [-0.5, -0.25],
    ]);
    const float = new Uint8Array(new Float32Array([0.75]).buffer);
    expect(decodeWav(build(3, 32, 1, [...float], { extensible: true })).format).toBe('float');
  });

  it('reads a data chunk that comes before fmt, and ignores chunks after both', () => {
    const pcm = encodeWavPcm([Float32Array.from([0.5, -0.25, 0.125])], 8000, 16);
    // Move the 'data' chunk (header 8 bytes + 6 data) in front of 'fmt ' (24 bytes).
    const reordered = new Uint8Array(pcm.length + 10);
    reordered.set(pcm.subarray(0, 12), 0);
    reordered.set(pcm.subarray(36, 50), 12);
    reordered.set(pcm.subarray(12, 36), 26);
    reordered.set([...'junk'].map((c) => c.charCodeAt(0)), 50);
    reordered.set([2, 0, 0, 0, 9, 9], 54);
    view(reordered).setUint32(4, reordered.length - 8, true);
    expect(Array.from(decodeWav(reordered).channels[0])).toEqual([0.5, -0.25, 0.125]);
  });

  it('says what is wrong with a file it cannot read', () => {
    const valid = encodeWavPcm([noise(8, 1)], 48000, 16);
    const reject = (bytes: Uint8Array, message: RegExp) => {
      expect(() => decodeWav(bytes)).toThrow(WavFormatError);
      expect(() => decodeWav(bytes)).toThrow(message);
    };
    reject(new Uint8Array(0), /only 0 bytes/);
    reject(new TextEncoder().encode('RIFX\0\0\0\0WAVEfmt '), /RIFF\/WAVE header/);
    reject(valid.subarray(0, 50), /data chunk claims 16 bytes but the file ends after 6/);
    reject(valid.subarray(0, 30), /fmt chunk claims 16 bytes/);
    reject(valid.subarray(0, 36), /no data chunk/);
    const noChannels = valid.slice();
    view(noChannels).setUint16(22, 0, true);
    reject(noChannels, /zero channels/);
    const adpcm = valid.slice();
    view(adpcm).setUint16(20, 2, true);
    reject(adpcm, /format tag 2/);
    const twelveBit = valid.slice();
    view(twelveBit).setUint16(34, 12, true);
    reject(twelveBit, /bit depth 12/);
    const streaming = valid.slice();
    view(streaming).setUint32(40, 0xffffffff, true);
    reject(streaming, /data chunk claims 4294967295 bytes/);
  });

  it('rejects WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID', () => {
    const int16 = [...new Uint8Array(new Int16Array([100, -100]).buffer)];
    const good = build(1, 16, 1, int16, { extensible: true });
    expect(decodeWav(good).channels[0].length).toBe(2);
    const odd = good.slice();
    odd[20 + 24 + 15] ^= 0xff; // last byte of the GUID (fmt body at 20, GUID at +24)
    expect(() => decodeWav(odd)).toThrow(/sub-format/);
  });

  it('rejects truncated and corrupted files with WavFormatError only (fuzz)', () => {
    const valid = encodeWavPcm([noise(64, 7), noise(64, 8)], 48000, 16);
    const random = createRandom(2024);
    let rejected = 0;
    const attempt = (bytes: Uint8Array) => {
      try {
        decodeWav(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(WavFormatError);
        rejected++;
      }
    };
    for (let i = 0; i < 500; i++) attempt(valid.subarray(0, Math.floor(random() * valid.length)));
    for (let i = 0; i < 500; i++) {
      const copy = valid.slice();
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) copy[Math.floor(random() * 48)] = Math.floor(random() * 256);
      attempt(copy);
    }
    for (let i = 0; i < 200; i++) attempt(Uint8Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    expect(rejected).toBeGreaterThan(500);
    // The other decoding paths: float32 (aligned fast path), 24-bit stereo, extensible, 8-bit.
    const others = [
      encodeWavFloat32([noise(40, 9), noise(40, 10)], 44100),
      encodeWavPcm([noise(40, 11), noise(40, 12)], 44100, 24),
      build(1, 16, 2, [...new Uint8Array(new Int16Array([1, 2, 3, 4, 5, 6]).buffer)], { extensible: true, chunkBefore: true }),
      build(1, 8, 1, [1, 2, 3, 4, 5]),
    ];
    for (const file of others) {
      for (let i = 0; i < 250; i++) attempt(file.subarray(0, Math.floor(random() * file.length)));
      for (let i = 0; i < 250; i++) {
        const copy = file.slice();
        const flips = 1 + Math.floor(random() * 6);
        // Mostly the header, where a flip changes the structure; sometimes anywhere.
        for (let f = 0; f < flips; f++) copy[Math.floor(random() * (random() < 0.8 ? Math.min(80, copy.length) : copy.length))] = Math.floor(random() * 256);
        attempt(copy);
      }
    }
  });
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

describe.skipIf(!hasFfmpeg)('WAV files as FFmpeg reads them (skipped without ffmpeg/ffprobe)', () => {
  it('agrees on format, rate, channels, length and every sample', () => {
    const folder = mkdtempSync(join(tmpdir(), 'mixdown-wav-'));
    try {
      const channels = [noise(3001, 21), noise(3001, 22)];
      const cases = [
        { name: 'f32.wav', bytes: encodeWavFloat32(channels, 44100), codec: 'pcm_f32le' },
        { name: 's16.wav', bytes: encodeWavPcm(channels, 44100, 16), codec: 'pcm_s16le' },
        { name: 's24.wav', bytes: encodeWavPcm(channels, 44100, 24), codec: 'pcm_s24le' },
      ];
      for (const { name, bytes, codec } of cases) {
        const file = join(folder, name);
        writeFileSync(file, bytes);
        const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
        expect(probe.status, probe.stderr).toBe(0);
        const stream = JSON.parse(probe.stdout).streams[0];
        expect([stream.codec_name, Number(stream.sample_rate), stream.channels, Number(stream.duration_ts)]).toEqual([codec, 44100, 2, 3001]);
        // FFmpeg's own decode to interleaved float must equal ours bit for bit.
        const raw = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-acodec', 'pcm_f32le', '-'], { maxBuffer: 1 << 24 });
        expect(raw.status, String(raw.stderr)).toBe(0);
        const theirs = new Float32Array(raw.stdout.buffer.slice(raw.stdout.byteOffset, raw.stdout.byteOffset + raw.stdout.byteLength));
        const ours = decodeWav(bytes).channels;
        const interleaved = new Float32Array(ours[0].length * 2);
        ours[0].forEach((x, i) => (interleaved[2 * i] = x));
        ours[1].forEach((x, i) => (interleaved[2 * i + 1] = x));
        expect(Buffer.from(theirs.buffer).equals(Buffer.from(interleaved.buffer))).toBe(true);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
