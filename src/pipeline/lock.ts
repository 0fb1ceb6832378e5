/**
 * mixdown.lock: what a build produced, per song/variant and output — sha256, size — plus
 * each master's duration and loudness. Meant to be committed: `mixdown verify` renders
 * again without the cache and compares. Sorted keys and no times, so an unchanged build
 * leaves the file byte-identical.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { canonicalJson } from '../ir/hash.ts';
import type { SongReport } from '../report/report.ts';

export interface LockEntry {
  readonly durationSeconds: number;
  readonly master: { readonly integrated: number | null; readonly truePeakDb: number | null };
  readonly outputs: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
}

export interface LockFile {
  readonly lockfileVersion: 1;
  /** `song` for the song as written, `song/variant` for a variant. */
  readonly songs: Readonly<Record<string, LockEntry>>;
}

export const LOCK_FILE = 'mixdown.lock';

export function lockKey(report: Pick<SongReport, 'song' | 'variant'>): string {
  return report.variant ? `${report.song}/${report.variant}` : report.song;
}

export function readLock(root: string): LockFile | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(root, LOCK_FILE), 'utf8')) as LockFile;
    return lock.lockfileVersion === 1 && lock.songs ? lock : undefined;
  } catch {
    return undefined;
  }
}

export function lockEntry(report: SongReport): LockEntry {
  return {
    durationSeconds: report.durationSeconds,
    master: { integrated: report.master.integrated, truePeakDb: report.master.truePeakDb },
    outputs: Object.fromEntries(report.outputs.map((output) => [output.path, { sha256: output.sha256, bytes: output.bytes }])),
  };
}

/** Merge this build's songs into the lock (songs not built this time keep their entries). */
export function updateLock(root: string, reports: readonly SongReport[]): void {
  const previous = readLock(root)?.songs ?? {};
  const songs: Record<string, LockEntry> = { ...previous };
  for (const report of reports) songs[lockKey(report)] = lockEntry(report);
  const lock: LockFile = { lockfileVersion: 1, songs };
  // Canonical JSON, re-indented: stable key order, readable diffs in review.
  writeFileAtomicSync(join(root, LOCK_FILE), `${JSON.stringify(JSON.parse(canonicalJson(lock)), null, 2)}\n`);
}
