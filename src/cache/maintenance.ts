/**
 * Cache upkeep: `mixdown cache stats`, `mixdown cache prune --max-size 2GB`, `mixdown clean`.
 * Pruning keeps the most recently used actions (a hit touches its entry's mtime) and the
 * objects they name, newest first, until the size limit; everything else goes.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionEntry } from './store.ts';

export interface CacheStats {
  readonly actions: number;
  readonly objects: number;
  readonly bytes: number;
}

function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesIn(path) : [path];
  });
}

export function cacheStats(cacheRoot: string): CacheStats {
  const objects = filesIn(join(cacheRoot, 'objects')).filter((file) => !file.endsWith('.tmp'));
  return {
    actions: filesIn(join(cacheRoot, 'actions')).filter((file) => file.endsWith('.json')).length,
    objects: objects.length,
    bytes: objects.reduce((sum, file) => sum + statSync(file).size, 0),
  };
}

/** `2GB`, `500 MB`, `1.5g`, `1048576` → bytes. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const scale = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit as 'b' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(match[1]) * scale);
}

export interface PruneResult {
  readonly removedActions: number;
  readonly removedObjects: number;
  readonly freedBytes: number;
  readonly after: CacheStats;
}

export function pruneCache(cacheRoot: string, maxBytes: number): PruneResult {
  const objectPath = (digest: string) => join(cacheRoot, 'objects', digest.slice(0, 2), digest);
  const actions = filesIn(join(cacheRoot, 'actions'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file, mtime: statSync(file).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime || (a.file < b.file ? -1 : 1));
  const keep = new Set<string>();
  let kept = 0;
  let removedActions = 0;
  for (const { file } of actions) {
    let entry: ActionEntry | undefined;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as ActionEntry;
    } catch {
      entry = undefined;
    }
    const digests = entry ? Object.values(entry.outputs).map((output) => output.digest) : [];
    const extra = digests.filter((digest) => !keep.has(digest) && existsSync(objectPath(digest))).reduce((sum, digest) => sum + statSync(objectPath(digest)).size, 0);
    if (entry && kept + extra <= maxBytes) {
      kept += extra;
      for (const digest of digests) keep.add(digest);
    } else {
      rmSync(file, { force: true });
      removedActions++;
    }
  }
  let removedObjects = 0;
  let freedBytes = 0;
  for (const file of filesIn(join(cacheRoot, 'objects'))) {
    const digest = file.split('/').pop()!;
    if (keep.has(digest)) continue;
    freedBytes += statSync(file).size;
    rmSync(file, { force: true });
    removedObjects++;
  }
  return { removedActions, removedObjects, freedBytes, after: cacheStats(cacheRoot) };
}
