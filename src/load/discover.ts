/** Finds the songs of a project: every songs/<id>/song.ts, in name order. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface SongEntry {
  readonly id: string;
  /** Absolute path of song.ts. */
  readonly path: string;
}

export function discoverSongs(root: string): SongEntry[] {
  const songsDir = join(root, 'songs');
  if (!existsSync(songsDir)) return [];
  return readdirSync(songsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(songsDir, entry.name, 'song.ts')))
    .map((entry) => ({ id: entry.name, path: join(songsDir, entry.name, 'song.ts') }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
