/**
 * emit: copy task outputs from the object store into dist/<song>/, each file by temp file
 * + rename, so a killed build leaves every file either the previous good one or the new
 * one. A file whose recorded digest, size and mtime still match is left alone, which is
 * what makes a no-op build cheap.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CacheStore } from '../cache/store.ts';
import { isOrphanTemp, writeFileAtomicSync } from '../io/atomic.ts';

/** A cache object needed for an output was missing or failed its digest check. */
export class ObjectMissingError extends Error {
  constructor(readonly path: string) {
    super(`cache object for ${path} is missing or corrupt`);
  }
}

export interface EmitFile {
  /** Path relative to the song's output folder, e.g. `stems/bass.wav`. */
  readonly path: string;
  readonly digest: string;
}

interface EmittedRecord {
  readonly digest: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Remembers what was last written where; lives in the cache folder, never in outputs. */
export class EmitState {
  private readonly file: string;
  private readonly records: Record<string, EmittedRecord>;

  constructor(cacheRoot: string) {
    this.file = join(cacheRoot, 'emitted.json');
    let records: Record<string, EmittedRecord> = {};
    try {
      records = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, EmittedRecord>;
    } catch {
      records = {};
    }
    this.records = records;
  }

  isCurrent(path: string, digest: string): boolean {
    const record = this.records[path];
    if (!record || record.digest !== digest) return false;
    try {
      const stat = statSync(path);
      return stat.size === record.size && stat.mtimeMs === record.mtimeMs;
    } catch {
      return false;
    }
  }

  remember(path: string, digest: string): void {
    const stat = statSync(path);
    this.records[path] = { digest, size: stat.size, mtimeMs: stat.mtimeMs };
  }

  save(): void {
    writeFileAtomicSync(this.file, JSON.stringify(this.records));
  }
}

/**
 * Write the files of one song into `dir`. Stems and bus stems no longer produced (a removed track or bus) are
 * deleted after the new files are in place.
 */
export function emitSong(dir: string, files: readonly EmitFile[], cache: CacheStore, state: EmitState): void {
  for (const file of files) {
    const target = resolve(dir, file.path);
    if (state.isCurrent(target, file.digest)) continue;
    if (!cache.copyObjectTo(file.digest, target)) throw new ObjectMissingError(file.path);
    state.remember(target, file.digest);
  }
  const stemFolders = [join(dir, 'stems'), join(dir, 'buses')];
  const wanted = new Set(files.map((file) => resolve(dir, file.path)));
  for (const folder of [dir, ...stemFolders]) {
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      const path = resolve(folder, name);
      if (stemFolders.includes(folder) && (name.endsWith('.wav') || name.endsWith('.flac')) && !wanted.has(path)) rmSync(path, { force: true });
      else if (isOrphanTemp(name)) rmSync(path, { force: true });
    }
  }
}
