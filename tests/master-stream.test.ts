/**
 * The master in bounded memory (issue 13): every stage of the chain fed in blocks of any size
 * gives the bits of the whole-signal run (EQ, glue compressor, multiband, true-peak envelope
 * and true peak, MP3 and FLAC encoders), the overs of a master.wav read in pieces are the
 * decoded file's, and the master task of a 10-minute mix grows the process by a bounded amount
 * (a child process under --max-old-space-size, its peak RSS from getrusage).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lame from '@breezystack/lamejs';
import { createRandom as random } from '../src/dsp/random.ts';
import { describe, expect, it } from 'vitest';
import { CacheStore } from '../src/cache/store.ts';
import { resolveMultiband } from '../src/ir/master-options.ts';
import { concatBytes } from '../src/io/bytes.ts';
import { createFlacStream, encodeFlac } from '../src/io/flac.ts';
import { Mp3Stream } from '../src/io/mp3.ts';
import { decodeWav, encodeWavPcm, quantiseInt24 } from '../src/io/wav.ts';
import { analyseMaster, masterOvers } from '../src/master/analysis.ts';
import { CompressorStream } from '../src/master/compressor.ts';
import { EqStream } from '../src/master/eq.ts';
import { MultibandStream } from '../src/master/multiband.ts';
import { truePeak, truePeakEnvelope, TruePeakEnvelopeStream, TruePeakStream } from '../src/master/true-peak.ts';
import { REPO_ROOT } from './helpers/project.ts';

const RATE = 48000;

/** Stereo music-like material: tones, noise bursts, a hot stretch past full scale. */
function material(frames: number, seed: number): Float32Array[] {
  const next = random(seed);
  return [0, 1].map((c) =>
    Float32Array.from({ length: frames }, (_, i) => {
      const t = i / RATE;
      const burst = Math.floor(t * 4) % 3 === 0 ? 0.6 * (next() - 0.5) : 0;
      const hot = i > frames / 2 && i < frames / 2 + 3000 ? 1.3 : 1;
      return hot * (0.4 * Math.sin(2 * Math.PI * (220 + 110 * c) * t) + 0.2 * Math.sin(2 * Math.PI * 5100 * t) + burst);
    }),
  );
}

/** Block sizes: 1, odd, a few thousand, random. */
function blockSizes(frames: number, seed: number): number[] {
  const next = random(seed);
  const sizes: number[] = [];
  for (let done = 0; done < frames; ) {
    const size = Math.min(frames - done, [1, 63, 64, 65, 333, 4096][sizes.length % 8] ?? 1 + Math.floor(next() * 9000));
    sizes.push(size);
    done += size;
  }
  return sizes;
}

/** Run `process(blockChannels, count)` over copies of `channels` in the given block sizes; the changed copy. */
function inBlocks(channels: Float32Array[], sizes: number[], process: (block: Float32Array[], count: number) => void): Float32Array[] {
  const out = channels.map((channel) => channel.slice());
  let start = 0;
  for (const size of sizes) {
    process(out.map((channel) => channel.subarray(start, start + size)), size);
    start += size;
  }
  return out;
}

const bits = (channels: Float32Array[]) => channels.map((channel) => Buffer.from(channel.buffer, channel.byteOffset, channel.byteLength).toString('base64'));

describe('the master chain’s stages in blocks', () => {
  const signal = material(RATE * 2 + 77, 1);
  const sizes = blockSizes(signal[0].length, 2);
  const eq = [
    { type: 'highPass' as const, frequency: 30, slope: 24 as const },
    { type: 'bell' as const, frequency: 2500, gain: 2, q: 1.2 },
    { type: 'highShelf' as const, frequency: 9000, gain: -1.5 },
  ];
  const glue = { threshold: -20, ratio: 3, attack: 0.005, release: 0.1, knee: 6, makeup: 1, detection: 'rms' as const };

  it('EQ, glue compressor and multiband give the whole signal’s float32 bits in blocks of 1, 63, 64, 65, 333, 4096 and random sizes', () => {
    const whole = (make: () => { process(channels: readonly Float32Array[], count: number): void }) => inBlocks(signal, [signal[0].length], (block, count) => make().process(block, count));
    const stages: [string, () => { process(channels: readonly Float32Array[], count: number): void }][] = [
      ['eq', () => new EqStream(2, RATE, eq)],
      ['glue rms', () => new CompressorStream(2, RATE, glue)],
      ['glue peak', () => new CompressorStream(2, RATE, { ...glue, detection: 'peak', knee: 0 })],
      ['multiband', () => new MultibandStream(2, RATE, resolveMultiband({ crossovers: [180, 3000], bands: [{ threshold: -24 }, undefined, { threshold: -30, ratio: 4 }] }))],
    ];
    for (const [name, make] of stages) {
      const stream = make();
      expect(bits(inBlocks(signal, sizes, (block, count) => stream.process(block, count))), name).toEqual(bits(whole(make)));
    }
  });

  it('the true-peak envelope streamed (any threshold) and the true peak streamed equal the whole-signal functions', () => {
    for (const threshold of [0, 0.3, 0.95]) {
      const expected = truePeakEnvelope(signal, RATE, threshold);
      const stream = new TruePeakEnvelopeStream(2, RATE, signal[0].length, threshold);
      const got = new Float64Array(expected.length);
      let done = 0;
      inBlocks(signal, sizes, (block, count) => {
        stream.push(block, count, done);
        got.set(stream.from(done).subarray(0, stream.ready - done), done);
        done = stream.ready;
      });
      expect(done).toBe(expected.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), `threshold ${threshold}`).toBe(true);
    }
    const peak = new TruePeakStream(2, RATE, signal[0].length);
    inBlocks(signal, sizes, (block, count) => peak.push(block, count));
    let samplePeak = 0;
    for (const channel of signal) for (const x of channel) samplePeak = Math.max(samplePeak, Math.abs(x));
    expect(peak.result(samplePeak)).toBe(truePeak(signal, RATE));
    // Shorter than the interpolator's reach.
    const short = signal.map((channel) => channel.slice(0, 20));
    const shortStream = new TruePeakEnvelopeStream(2, RATE, 20, 0);
    shortStream.push(short, 20, 0);
    expect(Array.from(shortStream.from(0).subarray(0, shortStream.ready))).toEqual(Array.from(truePeakEnvelope(short, RATE, 0)));
  });
});

describe('the master’s encoders in blocks', () => {
  const signal = material(RATE + 1234, 3);
  const sizes = blockSizes(signal[0].length, 4);

  it('MP3: the same bytes as LAME fed the whole song in 1,152-frame chunks', () => {
    // The encoder as it was: the whole song to 16 bits, then chunk by chunk.
    const toInt16 = (channel: Float32Array) => Int16Array.from(channel, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))));
    const [left, right] = signal.map(toInt16);
    const encoder = new lame.Mp3Encoder(2, RATE, 192);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < left.length; i += 1152) parts.push(Uint8Array.from(encoder.encodeBuffer(left.subarray(i, i + 1152), right.subarray(i, i + 1152))));
    parts.push(Uint8Array.from(encoder.flush()));
    const stream = new Mp3Stream(2, RATE, 192);
    inBlocks(signal, sizes, (block, count) => stream.push(block, count));
    expect(Buffer.from(stream.finish()).equals(Buffer.from(concatBytes(parts)))).toBe(true);
  });

  it('FLAC: pushed in blocks, the same bytes as encoded whole', async () => {
    const interleaved = new Int32Array(signal[0].length * 2);
    signal.forEach((channel, c) => quantiseInt24(channel, interleaved, c, 2));
    const whole = await encodeFlac(interleaved, 2, RATE, 24);
    const stream = await createFlacStream(2, RATE, 24);
    let start = 0;
    for (const size of sizes) {
      stream.push(interleaved.slice(2 * start, 2 * (start + size)));
      start += size;
    }
    expect(Buffer.from(stream.finish()).equals(Buffer.from(whole))).toBe(true);
  });
});

describe('the overs of a master.wav read in pieces', () => {
  it('are the overs of the decoded file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mixdown-master-overs-'));
    try {
      const cache = new CacheStore(root);
      // 8 s: the 24-bit file spans several 1 MiB pieces, frames split across them.
      const signal = material(RATE * 8 + 5, 5);
      const record = cache.putObject(encodeWavPcm(signal, RATE, 24));
      await cache.flush([record.digest]);
      const decoded = decodeWav(cache.getObject(record.digest)!).channels as Float32Array[];
      const expected = analyseMaster(decoded, RATE, 800, -1, false).overs;
      expect(expected.length).toBeGreaterThan(3);
      expect(masterOvers(cache, record.digest, -1)).toEqual(expected);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the master task’s memory', () => {
  it('masters a 10-minute mix (EQ, glue, multiband, loudness target, dither) in a process that grows by under 120 MB, under --max-old-space-size=128', () => {
    const root = mkdtempSync(join(tmpdir(), 'mixdown-master-memory-'));
    try {
      const run = spawnSync(process.execPath, ['--max-old-space-size=128', join(REPO_ROOT, 'bin', 'run-ts.js'), 'tests/helpers/master-memory.ts', root, '600'], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const figures = JSON.parse(run.stdout.trim().split('\n').pop()!);
      // The song-long way held the mix, the chain's signal and its envelope and the files (≈ 1.3 GB for 10 minutes).
      expect(figures.maxRssMb - figures.rssBeforeMb).toBeLessThan(120);
      expect(Math.abs(figures.integrated + 14)).toBeLessThan(0.05);
      expect(figures.masterBytes).toBe(44 + 600 * RATE * 6);
      expect(figures.outputs).toEqual(['audio', 'audio16']);
      // The spool (a temp file) is gone.
      expect(readdirSync(join(root, 'objects')).filter((name) => name.startsWith('incoming.'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
