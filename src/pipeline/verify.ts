/**
 * `mixdown verify`: render every locked song again, without the cache, into a scratch
 * folder, and compare each output with mixdown.lock. For a WAV that differs it says by how
 * much and where, comparing against the locked bytes when the cache still holds them.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CacheStore } from '../cache/store.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { decodeWav } from '../io/wav.ts';
import { build, cacheDir } from './build.ts';
import { lockKey, readLock, type LockFile } from './lock.ts';

export interface OutputDifference {
  readonly song: string;
  readonly path: string;
  /** What changed, in words. */
  readonly detail: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly lock: LockFile | undefined;
  readonly checked: number;
  readonly differences: readonly OutputDifference[];
  /** Songs the lock names that did not build. */
  readonly failed: readonly string[];
  /** Why they did not: the build's diagnostics for them (and any not tied to one song). */
  readonly diagnostics: readonly Diagnostic[];
}

/** How two renders of a WAV differ: first differing sample and largest difference. */
export function describeWavDifference(before: Uint8Array, after: Uint8Array): string {
  let a: ReturnType<typeof decodeWav>;
  let b: ReturnType<typeof decodeWav>;
  try {
    a = decodeWav(before);
    b = decodeWav(after);
  } catch {
    return 'bytes differ';
  }
  const parts: string[] = [];
  const frames = Math.min(a.channels[0]?.length ?? 0, b.channels[0]?.length ?? 0);
  if ((a.channels[0]?.length ?? 0) !== (b.channels[0]?.length ?? 0)) parts.push(`length ${a.channels[0]?.length ?? 0} → ${b.channels[0]?.length ?? 0} samples`);
  if (a.sampleRate !== b.sampleRate || a.channels.length !== b.channels.length || a.bitsPerSample !== b.bitsPerSample) parts.push('format changed');
  let first = -1;
  let largest = 0;
  for (let c = 0; c < Math.min(a.channels.length, b.channels.length); c++) {
    for (let i = 0; i < frames; i++) {
      const difference = Math.abs(a.channels[c][i] - b.channels[c][i]);
      if (difference > 0 && (first < 0 || i < first)) first = i;
      if (difference > largest) largest = difference;
    }
  }
  if (first >= 0) parts.push(`first differing sample ${first} (${(first / a.sampleRate).toFixed(3)} s), largest difference ${(20 * Math.log10(largest)).toFixed(1)} dBFS`);
  return parts.join('; ') || 'header bytes differ';
}

export async function verify(root: string, songs?: readonly string[]): Promise<VerifyResult> {
  const lock = readLock(root);
  if (!lock) return { ok: false, lock, checked: 0, differences: [], failed: [], diagnostics: [] };
  const scratch = join(root, '.mixdown', 'verify');
  rmSync(scratch, { recursive: true, force: true });
  const keys = Object.keys(lock.songs).filter((key) => !songs?.length || songs.includes(key.split('/')[0]));
  const songIds = [...new Set(keys.map((key) => key.split('/')[0]))];
  try {
    // Songs locked with a DAWproject export (built with --dawproject) are verified with it.
    const dawproject = keys.some((key) => Object.keys(lock.songs[key].outputs).some((path) => path.endsWith('.dawproject')));
    const result = await build({ root, songs: songIds, outDir: scratch, useCache: false, writeLock: false, jobs: 1, dawproject });
    const reports = new Map(result.songs.flatMap((song) => (song.report ? [[lockKey(song.report), song.report] as const] : [])));
    const cache = new CacheStore(cacheDir(root));
    const differences: OutputDifference[] = [];
    const failed: string[] = [];
    let checked = 0;
    for (const key of keys) {
      const report = reports.get(key);
      if (!report) {
        failed.push(key);
        continue;
      }
      const now = new Map(report.outputs.map((output) => [output.path, output]));
      for (const [path, locked] of Object.entries(lock.songs[key].outputs)) {
        checked++;
        const current = now.get(path);
        if (!current) {
          differences.push({ song: key, path, detail: 'no longer produced' });
          continue;
        }
        if (current.sha256 === locked.sha256) continue;
        const before = cache.getObject(locked.sha256);
        const after = cache.getObject(current.sha256);
        const detail = !path.endsWith('.wav') ? 'bytes differ' : before && after ? describeWavDifference(before, after) : 'differs (the locked version is no longer in the cache to compare sample by sample)';
        differences.push({ song: key, path, detail });
      }
      // A DAWproject is an export asked for by a flag: one the lock does not hold is not a new output.
      for (const path of now.keys()) if (!(path in lock.songs[key].outputs) && !path.endsWith('.dawproject')) differences.push({ song: key, path, detail: 'new output, not in the lock' });
    }
    const diagnostics = failed.length ? [...result.diagnostics, ...result.songs.filter((song) => !song.ok).flatMap((song) => song.diagnostics)] : [];
    return { ok: differences.length === 0 && failed.length === 0, lock, checked, differences, failed, diagnostics };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
