/**
 * `mixdown watch [song…]`: build, then rebuild on every save of a song, a helper it imports,
 * a plugin, or a file a song reads (MIDI clip, reference track). The analysis cache re-runs
 * only the songs whose files changed and the task cache re-renders only what their keys
 * say; a broken song prints its error and the last good outputs stay. Before each build
 * TypeScript checks the songs and plugins (the native tsc, incremental, beside the loading and
 * rendering): a song with a type error in its own files or in one it imports publishes nothing
 * — its last good outputs stay — and fails with the errors (code frames) and MD106. Each rebuild
 * writes dist/<song>/preview.wav first as the window of the new mix around the change (once
 * the changed stems are rendered, while the buses render), then as the whole new mix the moment
 * it is rendered, then the master, and reports the time from the save to each.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { WorkerPool } from '../render/pool.ts';
import { build, cacheDir, type BuildOptions, type BuildResult } from '../pipeline/build.ts';
import type { PreviewRegion } from '../pipeline/preview.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { analysedFiles, analysedSongs } from '../load/song-cache.ts';
import { typeCheckAsync } from './check.ts';

/** Changes closer together than this are one save (editors write in several steps, milliseconds apart). */
const SETTLE_MS = 50;

/** Files whose change can change TypeScript's verdict (sources, JSON modules, tsconfig). */
const TYPESCRIPT_INPUT = /\.(?:[cm]?tsx?|json)$/;

/** Project files the songs' analysis depends on, from the analysis cache (modules and read files). */
function dependencyFiles(root: string): string[] {
  const files = new Set<string>();
  for (const id of analysedSongs(cacheDir(root))) for (const file of analysedFiles(cacheDir(root), id)) files.add(resolve(root, file));
  return [...files];
}

/** Whether a project file (relative) belongs to a song: in its folder, or in its last analysis's module graph. */
function belongsTo(root: string, song: string): (file: string | undefined) => boolean {
  const graph = new Set(analysedFiles(cacheDir(root), song));
  return (file) => file !== undefined && (file.startsWith(`songs/${song}/`) || graph.has(file));
}

export interface WatchOptions extends BuildOptions {
  /** Type-check songs and plugins before each build; a song with type errors keeps its last outputs. @default true */
  readonly typeCheck?: boolean;
  /** Called after a build with the type errors that belong to no song it built (a plugin no song uses…). */
  readonly onTypeErrors?: (errors: readonly Diagnostic[]) => void;
  /**
   * Called when a rebuild writes preview.wav, with seconds from the save: first the window of the
   * new mix around the change (`region`, while the buses render), then the whole mix, before the master.
   */
  readonly onPreview?: (song: string, variant: string | null, path: string, secondsSinceSave: number, region?: PreviewRegion) => void;
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
  // One pool for the whole session, started at once: a save's stems and buses find workers running.
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  const workers = options.workers ?? (jobs > 1 ? new WorkerPool(jobs) : undefined);
  const started = workers?.start().catch(() => {});

  const runBuild = async (savedAt: number | null) => {
    building = true;
    try {
      // tsc runs beside the build; a song waits for it only before publishing (preview, dist/).
      if (sourcesChanged && (options.typeCheck ?? true)) lastCheck = typeCheckAsync(root);
      sourcesChanged = false;
      const checking = lastCheck;
      const assigned = new Set<Diagnostic>();
      const beforeRender = async (song: string, file: string): Promise<Diagnostic[]> => {
        const owns = belongsTo(root, song);
        const errors = (await checking).filter((error) => owns(error.file));
        for (const error of errors) assigned.add(error);
        return errors.length ? [...errors, d.heldBackByTypeErrors({ file, song }, errors.length)] : [];
      };
      // The mix is written as preview.wav as soon as it is rendered: audible before the master.
      const onEvent: BuildOptions['onEvent'] = (event) => {
        if (event.type === 'preview' && savedAt !== null) options.onPreview?.(event.song, event.variant, event.path, (performance.now() - savedAt) / 1000, event.region);
        options.onEvent?.(event);
      };
      const result = await build({ preview: true, ...options, ...(workers ? { workers } : {}), beforeRender, onEvent });
      // A song that failed before rendering (a syntax error) reported its own error already.
      const failed = result.songs.filter((song) => !song.ok).map((song) => belongsTo(root, song.song));
      const others = (await checking).filter((error) => !assigned.has(error) && !failed.some((owns) => owns(error.file)));
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
    // Events as they happen: chokidar's `atomic` holds an unlink back 100 ms (to report an
    // editor's delete-and-rename as a change), which would split one save into two here.
    atomic: false,
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
      await started;
      if (!options.workers) await workers?.close();
    },
  };
}
