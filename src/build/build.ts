/**
 * build(): the whole pipeline for a project — discover, load, elaborate, plan, execute,
 * emit — one song at a time so that one broken song never stops the others, and a song
 * that fails leaves its previous outputs in dist/ untouched.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { CacheStore } from '../cache/store.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { elaborate } from '../ir/elaborate.ts';
import type { SongIR } from '../ir/types.ts';
import { discoverSongs } from '../load/discover.ts';
import type { SongLoader } from '../load/loader.ts';
import { SongIrCache } from '../load/song-cache.ts';
import { toolFingerprint } from '../paths.ts';
import { plan, type Task } from '../plan/graph.ts';
import { buildReport, type SongReport } from '../report/report.ts';
import { runTask, useStore } from '../render/run-task.ts';
import { WorkerPool } from '../render/pool.ts';
import { emitSong, EmitState, ObjectMissingError, type EmitFile } from './emit.ts';
import { execute, type TaskResult, type TaskRunner } from './execute.ts';
import { explainTask, LastBuildRecord } from './explain.ts';

export interface BuildOptions {
  /** Project root: the folder holding songs/. */
  readonly root: string;
  /** Song ids to build. @default every song in songs/ */
  readonly songs?: readonly string[];
  /** Output folder. @default `<root>/dist` */
  readonly outDir?: string;
  /** Reuse cached task outputs. @default true */
  readonly useCache?: boolean;
  /** Tasks rendered at once (worker threads when above 1). @default the machine's core count */
  readonly jobs?: number;
  /** Progress events, for the CLI. */
  readonly onEvent?: (event: BuildEvent) => void;
}

export type BuildEvent =
  | { readonly type: 'song-start'; readonly song: string }
  | { readonly type: 'task-start'; readonly song: string; readonly task: Task }
  | {
      readonly type: 'task-done';
      readonly song: string;
      readonly result: TaskResult;
      /** For a rendered task: which inputs changed since the song's last build. */
      readonly reasons?: readonly string[];
    }
  | { readonly type: 'song-done'; readonly song: string; readonly report: SongReport; readonly dir: string }
  | { readonly type: 'song-failed'; readonly song: string; readonly diagnostics: readonly Diagnostic[] }
  | { readonly type: 'warning'; readonly diagnostic: Diagnostic };

export interface SongBuildResult {
  readonly song: string;
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly report?: SongReport;
  readonly ir?: SongIR;
}

export interface BuildResult {
  readonly ok: boolean;
  readonly songs: readonly SongBuildResult[];
  /** Diagnostics not tied to one song (unknown song name, no songs). */
  readonly diagnostics: readonly Diagnostic[];
  readonly rendered: number;
  readonly cached: number;
}

/** Memory for stems made in this build, so the mix need not read them back from disk. */
const RECENT_OBJECTS_BYTES = 768 * 1024 * 1024;

/** Cache location inside a project. */
export function cacheDir(root: string): string {
  return join(root, '.mixdown', 'cache');
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const root = resolve(options.root);
  const outDir = resolve(options.outDir ?? join(root, 'dist'));
  const emit = options.onEvent ?? (() => {});
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  const all = discoverSongs(root);
  const problems: Diagnostic[] = [];
  if (all.length === 0) problems.push(d.noSongs(join(root, 'songs')));
  const wanted = options.songs?.length ? options.songs : all.map((song) => song.id);
  for (const id of wanted) if (!all.some((song) => song.id === id)) problems.push(d.unknownSong(id, all.map((song) => song.id)));
  const selected = all.filter((song) => wanted.includes(song.id));

  const cache = new CacheStore(
    cacheDir(root),
    (digest) => emit({ type: 'warning', diagnostic: d.cacheCorrupt({ file: cacheDir(root) }, digest) }),
    RECENT_OBJECTS_BYTES,
  );
  useStore(cache);
  const state = new EmitState(cacheDir(root));
  const songCache = new SongIrCache(root, cacheDir(root), toolFingerprint());
  // The bundler starts only when a song must actually be executed.
  let loader: SongLoader | undefined;
  const getLoader = async (): Promise<SongLoader> => {
    if (!loader) {
      const { SongLoader: Loader } = await import('../load/loader.ts');
      loader = await Loader.create(root);
    }
    return loader;
  };
  const pool = jobs > 1 ? new WorkerPool(jobs) : undefined;
  const inProcess: TaskRunner = async (task, inputs, context) => runTask(task, inputs, context);
  // Stems (the heavy, independent tasks) go to workers; the mix, master and MIDI run here,
  // reading the stems from memory.
  const pooled: TaskRunner | undefined = pool
    ? async (task, inputs, context) => {
        if (task.kind !== 'stem') return inProcess(task, inputs, context);
        const output = await pool.run(task, inputs, context);
        for (const [name, record] of Object.entries(output.outputs)) cache.adopt(record, output.data[name]);
        return output;
      }
    : undefined;
  // Starting workers costs more than it saves for a single stem (the usual edit).
  const runnerFor = (stemsToRender: number): TaskRunner => (pooled && stemsToRender > 1 ? pooled : inProcess);
  const songs: SongBuildResult[] = [];
  try {
    for (const entry of selected) {
      emit({ type: 'song-start', song: entry.id });
      const result = await buildSong(entry.id, entry.path, { getLoader, songCache, lastBuild: new LastBuildRecord(cacheDir(root)), cache, state, outDir, runnerFor, jobs, useCache: options.useCache ?? true, emit });
      songs.push(result);
      cache.releaseMemory();
      if (result.ok && result.report) emit({ type: 'song-done', song: entry.id, report: result.report, dir: join(outDir, entry.id) });
      else emit({ type: 'song-failed', song: entry.id, diagnostics: result.diagnostics });
    }
  } finally {
    state.save();
    cache.saveStamps();
    await loader?.close();
    await pool?.close();
  }
  const tasks = songs.flatMap((song) => song.report?.tasks ?? []);
  return {
    ok: problems.length === 0 && songs.every((song) => song.ok),
    songs,
    diagnostics: problems,
    rendered: tasks.filter((task) => task.status === 'rendered').length,
    cached: tasks.filter((task) => task.status === 'cached').length,
  };
}

interface SongBuildContext {
  readonly getLoader: () => Promise<SongLoader>;
  readonly songCache: SongIrCache;
  readonly lastBuild: LastBuildRecord;
  readonly cache: CacheStore;
  readonly state: EmitState;
  readonly outDir: string;
  readonly runnerFor: (stemsToRender: number) => TaskRunner;
  readonly jobs: number;
  readonly useCache: boolean;
  readonly emit: (event: BuildEvent) => void;
}

async function buildSong(id: string, path: string, context: SongBuildContext): Promise<SongBuildResult> {
  let song = context.songCache.lookup(id);
  if (!song) {
    const loaded = await (await context.getLoader()).load(id, path);
    if (!loaded.ok) return { song: id, ok: false, diagnostics: [loaded.diagnostic] };
    const elaborated = elaborate(loaded.input, { id, file: loaded.file, text: loaded.source });
    if (!elaborated.ok) return { song: id, ok: false, diagnostics: elaborated.diagnostics };
    song = elaborated.song;
    context.songCache.store(id, loaded.files, song);
  }
  const graph = plan(song);
  const paths = outputPaths(song, graph.tasks);
  const dir = join(context.outDir, id);
  try {
    let results = await runGraph(graph, song, context, context.useCache);
    try {
      emitSong(dir, emitFiles(results, paths), context.cache, context.state);
    } catch (error) {
      if (!(error instanceof ObjectMissingError)) throw error;
      // An object failed its digest check between planning and emitting: it was deleted,
      // so running the graph again re-renders exactly what is missing.
      results = await runGraph(graph, song, context, true);
      emitSong(dir, emitFiles(results, paths), context.cache, context.state);
    }
    context.lastBuild.write(id, graph.tasks);
    const report = buildReport(song, results, paths);
    writeFileAtomicSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    return { song: id, ok: true, diagnostics: [], report, ir: song };
  } catch (error) {
    if (error instanceof MixdownError) return { song: id, ok: false, diagnostics: error.diagnostics, ir: song };
    throw error;
  }
}

function runGraph(graph: ReturnType<typeof plan>, song: SongIR, context: SongBuildContext, useCache: boolean) {
  const previous = context.lastBuild.read(song.id);
  const byId = new Map(graph.tasks.map((task) => [task.id, task]));
  const stemsToRender = graph.tasks.filter((task) => task.kind === 'stem' && !(useCache && context.cache.getAction(task.key))).length;
  return execute(graph, {
    cache: context.cache,
    useCache,
    jobs: context.jobs,
    run: context.runnerFor(stemsToRender),
    context: { song: song.id, file: song.file, cacheRoot: context.cache.root },
    onCorrupt: (digest) => context.emit({ type: 'warning', diagnostic: d.cacheCorrupt({ file: context.cache.root }, digest) }),
    onStart: (task) => context.emit({ type: 'task-start', song: song.id, task }),
    onDone: (result) =>
      context.emit({
        type: 'task-done',
        song: song.id,
        result,
        ...(result.status === 'rendered' ? { reasons: explainTask(byId.get(result.id)!, previous[result.id], useCache) } : {}),
      }),
  });
}

/** Where each task's output lands inside dist/<song>/. */
function outputPaths(song: SongIR, tasks: readonly Task[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const task of tasks) {
    if (task.kind === 'stem') paths.set(task.id, `stems/${task.params.trackId}.wav`);
    else if (task.kind === 'mix') paths.set(task.id, 'mix.wav');
    else if (task.kind === 'master') paths.set(task.id, 'master.wav');
    else if (task.kind === 'midi') paths.set(task.id, `${song.id}.mid`);
  }
  return paths;
}

function emitFiles(results: ReadonlyMap<string, TaskResult>, paths: ReadonlyMap<string, string>): EmitFile[] {
  return [...paths].map(([taskId, path]) => ({ path, digest: Object.values(results.get(taskId)!.outputs)[0].digest }));
}
