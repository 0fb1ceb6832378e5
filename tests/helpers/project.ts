/** Temporary song projects for end-to-end tests: a folder with songs/ that build() runs in. */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type BuildResult } from '../../src/pipeline/build.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestProject {
  readonly root: string;
  write(path: string, text: string): void;
  read(path: string): string;
  bytes(path: string): Buffer;
  build(options?: Partial<BuildOptions>): Promise<BuildResult>;
  dispose(): void;
}

/** A fresh project. `songs` maps song ids to song.ts sources; `copy` names songs/ of this repo to copy in. */
export function createProject(options: { songs?: Record<string, string>; copy?: string[] } = {}): TestProject {
  const root = mkdtempSync(join(tmpdir(), 'mixdown-test-'));
  mkdirSync(join(root, 'songs'), { recursive: true });
  for (const id of options.copy ?? []) cpSync(join(REPO_ROOT, 'songs', id), join(root, 'songs', id), { recursive: true });
  const project: TestProject = {
    root,
    write(path, text) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    },
    read: (path) => readFileSync(join(root, path), 'utf8'),
    bytes: (path) => readFileSync(join(root, path)),
    build: (buildOptions = {}) => build({ root, jobs: 1, ...buildOptions }),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const [id, source] of Object.entries(options.songs ?? {})) project.write(`songs/${id}/song.ts`, source);
  return project;
}

/** Which task ids rendered (not cached) in a build, for one song. */
export function renderedTasks(result: BuildResult, song: string): string[] {
  const report = result.songs.find((entry) => entry.song === song)?.report;
  return (report?.tasks ?? []).filter((task) => task.status === 'rendered').map((task) => task.id).sort();
}

/** sha256 of every file under the project's dist/ whose name `include` accepts, by path relative to the project. */
export function distDigests(root: string, include: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (include(name)) out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(join(root, 'dist'));
  return out;
}
