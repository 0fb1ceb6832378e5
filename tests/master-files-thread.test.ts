/**
 * The master's files and room analysis written by other threads (master-files-thread.ts):
 * the same objects, measurements and facts as when the master task writes them itself, with
 * two workers, one or none free; a worker that fails or dies is an error of the master task,
 * never a hang or a half-written output.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheStore } from '../src/cache/store.ts';
import { createRandom } from '../src/dsp/random.ts';
import { encodeWavFloat32 } from '../src/io/wav.ts';
import type { MasterIR } from '../src/ir/types.ts';
import { lentMasterFiles, serveMasterFiles, type LendWorker, type MasterFilesService } from '../src/render/master-files-thread.ts';
import { mixSource, streamMaster } from '../src/render/master-task.ts';

const RATE = 48000;

/** Temp files left anywhere in a store (spools, objects being written). */
function temps(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).filter((name) => name.endsWith('.tmp'));
}

/** A 4-second stereo mix: noise bursts loud enough that the limiter works. */
function mix(): Uint8Array {
  const random = createRandom(7);
  const channels = [new Float32Array(4 * RATE), new Float32Array(4 * RATE)];
  for (let i = 0; i < channels[0].length; i++) {
    const burst = Math.floor(i / 6000) % 3 === 0 ? 0.9 : 0.2;
    channels[0][i] = burst * (random() * 2 - 1);
    channels[1][i] = burst * (random() * 2 - 1) * 0.8;
  }
  return encodeWavFloat32(channels, RATE);
}

const SETTINGS: MasterIR = {
  ceilingDb: -1,
  loudness: { target: -12, tolerance: 0.5, ceilingDb: -1 },
  limiter: null,
  eq: [],
  compressor: null,
  multiband: null,
  width: 1,
  dither: true,
  reference: null,
  match: null,
  formats: ['flac', 'mp3'],
  mp3Bitrate: 192,
};

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Master the test mix into a fresh store; `lend` as the build's pool would give (in this thread, over real MessagePorts). */
async function masterWith(lend?: LendWorker, root = mkdtempSync(join(tmpdir(), 'mixdown-master-files-'))) {
  roots.push(root);
  const cache = new CacheStore(root);
  const bytes = mix();
  const record = cache.putObject(bytes);
  const source = mixSource(record, cache, bytes, () => bytes);
  const streamed = await streamMaster(source, SETTINGS, 1234, RATE, cache, lend ? lentMasterFiles(lend, cache, root) : undefined);
  const objects = Object.fromEntries(Object.entries(streamed.outputs).map(([name, output]) => [name, output.digest]));
  const incoming = temps(root);
  return { streamed, objects, incoming, cache };
}

/** A lender with `free` workers, each served here over a MessageChannel port exactly as worker.ts serves one. */
function lender(free: number, serve = serveMasterFiles) {
  const lent: MasterFilesService['part'][] = [];
  const lend: LendWorker = (request) => {
    if (lent.length >= free) return undefined;
    lent.push(request.part);
    const store = new CacheStore(request.cacheRoot);
    return serve(request.port, store, request.spec, request.part);
  };
  return { lend, lent };
}

describe('the master’s files in other threads', () => {
  it('gives the same files, analysis and facts with two workers, one or none free', async () => {
    const alone = await masterWith();
    expect(alone.streamed.facts.passes).toBeGreaterThanOrEqual(1);
    expect(Object.keys(alone.objects).sort()).toEqual(['audio', 'audio16', 'flac', 'mp3']);
    for (const free of [2, 1, 0]) {
      const { lend, lent } = lender(free);
      const lentOut = await masterWith(lend);
      expect(lent.slice(0, 2)).toEqual(['files', 'analysis'].slice(0, free));
      expect(lentOut.objects).toEqual(alone.objects);
      expect(lentOut.streamed.measurements).toEqual(alone.streamed.measurements);
      expect(lentOut.streamed.facts.gainDb).toBe(alone.streamed.facts.gainDb);
      expect(lentOut.streamed.facts.loudness.integrated).toBe(alone.streamed.facts.loudness.integrated);
      // Every object the workers wrote is in the store, read back whole and checked.
      for (const digest of Object.values(lentOut.objects)) expect(lentOut.cache.getObject(digest)).toBeDefined();
      expect(lentOut.incoming).toEqual([]);
    }
  });

  it('fails the master with the worker’s error, leaving no temp files', async () => {
    // The analysis worker fails on its second block; the files worker is a real one.
    const broken: typeof serveMasterFiles = (port, cache, spec, part) => {
      if (part === 'files') return serveMasterFiles(port, cache, spec, part);
      return new Promise<void>((resolve) => {
        let blocks = 0;
        port.on('message', () => {
          if (++blocks < 2) return port.postMessage({ type: 'ack' });
          port.postMessage({ type: 'error', message: 'analysis: out of range' });
          port.close();
          resolve();
        });
      });
    };
    const root = mkdtempSync(join(tmpdir(), 'mixdown-master-files-'));
    await expect(masterWith(lender(2, broken).lend, root)).rejects.toThrow(/master files \(worker\): analysis: out of range/);
    expect(temps(root)).toEqual([]);
  });

  it('fails the master, not hangs, when a worker dies mid-master', async () => {
    let blocks = 0;
    const lend: LendWorker = (request) => {
      if (request.part !== 'files') return undefined;
      // A worker that takes blocks and then exits: the pool's promise rejects, the port goes quiet.
      return new Promise<void>((_, reject) => {
        request.port.on('message', () => {
          if (++blocks === 3) {
            request.port.close();
            reject(new Error('worker exited with code 1'));
          } else request.port.postMessage({ type: 'ack' });
        });
      });
    };
    await expect(masterWith(lend)).rejects.toThrow(/worker exited with code 1/);
  });
});
