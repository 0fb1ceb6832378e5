/**
 * Files a song reads while it loads, other than modules (a MIDI clip, later samples): the
 * loader records them so the analysis cache re-runs the song when one changes. Kept on
 * globalThis because song code runs in the loader's own module graph.
 */
import { isAbsolute, resolve } from 'node:path';
import { projectFileDigest } from './file-store.ts';
import { fileURLToPath } from 'node:url';

interface LoadState {
  files: Set<string>;
  /** The project being loaded: relative paths in songs are relative to it. */
  root: string;
}

const KEY = Symbol.for('mixdown.load-state');
const host = globalThis as { [KEY]?: LoadState };

function state(): LoadState {
  return (host[KEY] ??= { files: new Set(), root: process.cwd() });
}

/** Start recording for a project: forgets what earlier loads recorded. */
export function beginLoad(root: string): void {
  host[KEY] = { files: new Set(), root };
}

/** What was recorded since beginLoad. */
export function recordedFiles(): string[] {
  return [...state().files].sort();
}

/** Resolve a path a song gave (relative to the project, absolute, or a file: URL) and record it. */
export function useProjectFile(path: string | URL): string {
  const absolute = path instanceof URL || path.startsWith('file:') ? fileURLToPath(path) : isAbsolute(path) ? path : resolve(state().root, path);
  state().files.add(absolute);
  return absolute;
}

/** Record a file a plugin declared (a sample, an impulse response) and return its content hash, for task keys. */
export function hashProjectFile(path: string): string {
  return projectFileDigest(useProjectFile(path));
}

/** What went wrong reading a project file, in a user's words. */
export function fileErrorDetail(error: unknown): string {
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 'no such file';
  return error instanceof Error ? error.message : String(error);
}
