/**
 * `mixdown watch [song…]`: build, then rebuild on every save of a song, a helper it imports,
 * a plugin, or a file a song reads (MIDI clip, reference track). The analysis cache re-runs
 * only the songs whose files changed and the task cache re-renders only what their keys
 * say; a broken song prints its error and the last good outputs stay. Before each build
 * TypeScript checks the songs and plugins (the native tsc, a few hundred ms, beside the
 * loading): a song with a type error in its own files or in one it imports is not rendered
 * — its last good outputs stay — and fails with the errors (code frames) and MD106. Each rebuild reports the time from the
 * save to the new master.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { build, cacheDir, type BuildOptions, type BuildResult } from '../build/build.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { typeCheckAsync } from './check.ts';

/** Changes closer together than this are one save (editors write in several steps). */
const SETTLE_MS = 120;

/** Files whose change can change TypeScript's verdict (sources, JSON modules, tsconfig). */
const TYPESCRIPT_INPUT = /\.(?:[cm]?tsx?|json)$/;

/** Project files the songs' analysis depends on, from the analysis cache (modules and read files). */
function dependencyFiles(root: string): string[] {
  const dir = join(cacheDir(root), 'songs');
  const files = new Set<string>();
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      const entry = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { files?: [string, string][] };
      for (const [file] of entry.files ?? []) files.add(resolve(root, file));
    }
  } catch {
    // No cache yet: the folders below are watched anyway.
  }
  return [...files];
}

/** The project files one song's module graph executed, from the analysis cache (its own folder always counts). */
function songFiles(root: string, id: string): Set<string> {
  const files = new Set<string>();
  try {
    const entry = JSON.parse(readFileSync(join(cacheDir(root), 'songs', `${id}.json`), 'utf8')) as { files?: [string, string][] };
    for (const [file] of entry.files ?? []) files.add(file.split('\\').join('/'));
  } catch {
    // Not analysed yet: its folder below still counts.
  }
  return files;
}

export interface WatchOptions extends BuildOptions {
  /** Type-check songs and plugins before each build; a song with type errors keeps its last outputs. @default true */
  readonly typeCheck?: boolean;
  /** Called after a build with the type errors that belong to no song it built (a plugin no song uses…). */
  readonly onTypeErrors?: (errors: readonly Diagnostic[]) => void;
  /** Called after every build with what it did and, for rebuilds, seconds from the save. */
  readonly onBuild?: (result: BuildResult, secondsSinceSave: number | null) => void;
}

export async function watchProject(options: WatchOptions): Promise<{ close(): Promise<void> }> {
  const root = resolve(options.root);
  let building = false;
  let pending: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let burstStart: number | null = null;
  /** Whether a TypeScript source changed since the last type check (a sample's save needs none). */
  let sourcesChanged = true;
  let lastCheck: Promise<Diagnostic[]> = Promise.resolve([]);

  const runBuild = async (savedAt: number | null) => {
    building = true;
    try {
      // tsc runs beside the build's loading and analysis; a song waits for it only before rendering.
      if (sourcesChanged && (options.typeCheck ?? true)) lastCheck = typeCheckAsync(root);
      sourcesChanged = false;
      const checking = lastCheck;
      const assigned = new Set<Diagnostic>();
      const beforeRender = async (song: string, file: string): Promise<Diagnostic[]> => {
        const own = songFiles(root, song);
        const errors = (await checking).filter((error) => error.file && (error.file.startsWith(`songs/${song}/`) || own.has(error.file)));
        for (const error of errors) assigned.add(error);
        return errors.length ? [...errors, d.heldBackByTypeErrors({ file, song }, errors.length)] : [];
      };
      const result = await build({ ...options, beforeRender });
      // A song that failed before rendering (a syntax error) reported its own error already.
      const failed = result.songs.filter((song) => !song.ok).map((song) => song.song);
      const ownedByFailed = (error: Diagnostic) => failed.some((song) => error.file?.startsWith(`songs/${song}/`) || songFiles(root, song).has(error.file ?? ''));
      const others = (await checking).filter((error) => !assigned.has(error) && !ownedByFailed(error));
      if (others.length) options.onTypeErrors?.(others);
      options.onBuild?.(result, savedAt === null ? null : (performance.now() - savedAt) / 1000);
      watcher.add(dependencyFiles(root));
    } finally {
      building = false;
      if (pending !== null) {
        const next = pending;
        pending = null;
        void runBuild(next);
      }
    }
  };

  const watcher = chokidarWatch([join(root, 'songs'), join(root, 'plugins')], {
    ignoreInitial: true,
    ignored: (path: string) => path.includes('/node_modules/') || path.includes('/.mixdown/') || path.includes('/dist/'),
  });
  const onChange = (path: string) => {
    if (TYPESCRIPT_INPUT.test(path)) sourcesChanged = true;
    // The save time is the first change of a burst; a save during a build queues one more.
    burstStart ??= performance.now();
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const savedAt = burstStart!;
      burstStart = null;
      if (building) pending ??= savedAt;
      else void runBuild(savedAt);
    }, SETTLE_MS);
  };
  watcher.on('add', onChange).on('change', onChange).on('unlink', onChange);
  await new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));
  await runBuild(null);
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
