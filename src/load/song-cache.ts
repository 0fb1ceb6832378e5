/**
 * The analysis cache: a song's SongIR, kept with the content hashes of every project file
 * its module graph executed. When none of them changed (and mixdown itself did not), the
 * song is not executed again — a no-op build then starts no bundler at all.
 * Songs must take their data through imports (TypeScript, JSON…) for this to hold; that is
 * the same rule that makes their builds reproducible.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic.ts';
import type { SongIR } from '../ir/types.ts';
import { projectFileDigest } from '../registry/file-store.ts';

interface Entry {
  /** Fingerprint of mixdown's own code: elaborate's output depends on it too. */
  readonly tool: string;
  /** [path relative to the project, sha256 of its content]. */
  readonly files: readonly (readonly [string, string])[];
  /** Every variant name of the song, in order; `default` is the song as written. */
  readonly all: readonly string[];
  /** The ones elaborated and stored (each IR is a file of its own). */
  readonly variants: readonly string[];
}

const DEFAULT = 'default';

/** Where a song's analysis entry lives. */
function entryPath(cacheRoot: string, id: string): string {
  return join(cacheRoot, 'songs', `${id}.json`);
}

/**
 * The project files (relative, forward slashes) a song's last analysis executed or read,
 * from its entry; empty when it has none. For `watch`, which follows them.
 */
export function analysedFiles(cacheRoot: string, id: string): string[] {
  try {
    const entry = JSON.parse(readFileSync(entryPath(cacheRoot, id), 'utf8')) as Partial<Entry>;
    return Array.isArray(entry.files) ? entry.files.map(([file]) => file) : [];
  } catch {
    return [];
  }
}

/** The songs with an analysis entry. */
export function analysedSongs(cacheRoot: string): string[] {
  try {
    return readdirSync(join(cacheRoot, 'songs'))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

export class SongIrCache {
  constructor(
    private readonly root: string,
    private readonly cacheRoot: string,
    private readonly tool: string,
  ) {}

  private path(id: string): string {
    return entryPath(this.cacheRoot, id);
  }

  private irPath(id: string, variant: string): string {
    return join(this.cacheRoot, 'songs', id, `${variant}.json`);
  }

  /**
   * The cached IRs (song first, then variants; only `wanted` ones when given) when every
   * file they came from is unchanged, else undefined.
   */
  lookup(id: string, wanted?: readonly string[]): SongIR[] | undefined {
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(this.path(id), 'utf8')) as Entry;
    } catch {
      return undefined;
    }
    if (entry.tool !== this.tool || !Array.isArray(entry.files) || entry.files.length === 0 || !Array.isArray(entry.variants)) return undefined;
    for (const [file, digest] of entry.files) {
      try {
        if (projectFileDigest(resolve(this.root, file)) !== digest) return undefined;
      } catch {
        return undefined;
      }
    }
    if (!Array.isArray(entry.all)) return undefined;
    const names = wanted?.length ? entry.all.filter((name) => wanted.includes(name)) : entry.all;
    if (!names.every((name) => entry.variants.includes(name))) return undefined;
    try {
      return names.map((name) => JSON.parse(readFileSync(this.irPath(id, name), 'utf8')) as SongIR);
    } catch {
      return undefined;
    }
  }

  store(id: string, files: readonly string[], irs: readonly SongIR[], all: readonly string[]): void {
    try {
      const hashed = files.map((file) => [relative(this.root, file).split('\\').join('/'), projectFileDigest(file)] as const);
      const variants = irs.map((ir) => ir.variant ?? DEFAULT);
      irs.forEach((ir, i) => writeFileAtomicSync(this.irPath(id, variants[i]), JSON.stringify(ir)));
      // The index goes last: it is what lookup trusts.
      const entry: Entry = { tool: this.tool, files: hashed, all, variants };
      writeFileAtomicSync(this.path(id), JSON.stringify(entry));
    } catch {
      // Only a speed-up: a song that cannot be cached is executed next time.
    }
  }
}
