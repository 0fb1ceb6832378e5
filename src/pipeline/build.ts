/**
 * build(): the whole pipeline for a project — discover, load, elaborate, plan, execute,
 * emit — one song at a time so that one broken song never stops the others, and a song
 * that fails leaves its previous outputs in dist/ untouched.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { RemoteCache, type RemoteStats } from '../cache/remote.ts';
import { resolveRemoteCache, type RemoteCacheFlags } from '../cache/remote-config.ts';
import { CacheStore, type OutputRecord } from '../cache/store.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { linkOrCopyAtomicSync, writeFileAtomicSync } from '../io/atomic.ts';
import type { SongIR } from '../ir/types.ts';
import { discoverSongs } from '../load/discover.ts';
import type { SongLoader } from '../load/loader.ts';
import { SongIrCache } from '../load/song-cache.ts';
import { toolFingerprint } from '../paths.ts';
import { plan, taskPlugins, type StripParams, type Task } from '../plan/graph.ts';
import { buildReport, type SongReport } from '../report/report.ts';
import { writeRoomIndex, writeSongRooms } from '../report/room/write.ts';
import { runTask, useStore, type TaskOutput } from '../render/run-task.ts';
import { WorkerPool } from '../render/pool.ts';
import { isRegistered } from '../registry/registry.ts';
import { analyseSong, DEFAULT_VARIANT } from './analyse.ts';
import { emitSong, EmitState, ObjectMissingError, type EmitFile } from './emit.ts';
import { execute, type TaskRunner } from './execute.ts';
import type { OutputPath, TaskResult } from '../plan/outputs.ts';
import { explainTask, LastBuildRecord } from './explain.ts';
import { firstChangedFrame, writeRegionPreview, type PreviewRegion } from './preview.ts';
import { updateLock } from './lock.ts';
import { splitUnits, TimingFile, unitId, type Shard, type ShardSplit } from './shard.ts';

export interface BuildOptions {
  /** Project root: the folder holding songs/. */
  readonly root: string;
  /** Song ids to build. @default every song in songs/ */
  readonly songs?: readonly string[];
  /** Output folder. @default `<root>/dist` */
  readonly outDir?: string;
  /** Reuse cached task outputs. @default true */
  readonly useCache?: boolean;
  /** Record the outputs in mixdown.lock. @default true */
  readonly writeLock?: boolean;
  /** Fail a song whose master misses its loudness target or ceiling, or clips. @default false */
  readonly strict?: boolean;
  /** Variants to build (`'default'` is the song as written). @default all of them */
  readonly variants?: readonly string[];
  /** Tasks rendered at once (worker threads when above 1). @default the machine's core count */
  readonly jobs?: number;
  /** Progress events, for the CLI. */
  readonly onEvent?: (event: BuildEvent) => void;
  /**
   * Asked once a song is analysed: errors returned hold the song back (it fails with them, its
   * outputs stay as they were). The song renders into the cache while the answer is awaited;
   * nothing of it reaches dist/ (no preview either) before it. `watch` passes its type check.
   */
  readonly beforeRender?: (song: string, file: string) => Promise<readonly Diagnostic[]>;
  /** Also write dist/<song>/[<variant>/]<song>.dawproject (a DAWproject 1.0 zip with the stems). @default false */
  readonly dawproject?: boolean;
  /**
   * Task cache (actions and objects) to read and fill, e.g. another checkout's: `diff` builds
   * a revision extracted to a temp folder through the project's own cache. @default `<root>/.mixdown/cache`
   */
  readonly taskCache?: string;
  /**
   * Use the remote cache that mixdown.config.ts, the environment and these flags describe.
   * @default no remote cache (verify and watch build without one)
   */
  readonly remoteCache?: RemoteCacheFlags;
  /** Build only this shard's songs × variants (`--shard I/N`). @default everything */
  readonly shard?: Shard;
  /** Fail a song that has any task to render: the check of a job that assembles shards from the remote cache. @default false */
  readonly requireCached?: boolean;
  /**
   * Write dist/<song>/[<variant>/]preview.wav (the mix) the moment the mix is rendered, before
   * the master: what `watch` lets you hear first after a save. @default false
   */
  readonly preview?: boolean;
  /**
   * Worker threads kept across builds (`watch` starts them once, so every save finds them
   * running, and sends an edit's stems and buses to them); the build does not close them.
   * @default `jobs` workers of this build's own when `jobs` > 1
   */
  readonly workers?: WorkerPool;
}

export type BuildEvent =
  | { readonly type: 'song-start'; readonly song: string }
  | { readonly type: 'plan'; readonly song: string; readonly variant: string | null; readonly tasks: number }
  | { readonly type: 'task-start'; readonly song: string; readonly variant: string | null; readonly task: Task }
  | {
      readonly type: 'task-done';
      readonly song: string;
      readonly variant: string | null;
      readonly result: TaskResult;
      /** For a rendered task: which inputs changed since the song's last build. */
      readonly reasons?: readonly string[];
    }
  | { readonly type: 'song-done'; readonly song: string; readonly variant: string | null; readonly report: SongReport; readonly dir: string }
  | { readonly type: 'song-failed'; readonly song: string; readonly variant: string | null; readonly diagnostics: readonly Diagnostic[] }
  | { readonly type: 'warning'; readonly diagnostic: Diagnostic }
  /**
   * preview.wav was written (with `preview`), before the master: the window of the new mix
   * around the first change (`region`), as soon as the stems are rendered, then the whole mix.
   */
  | { readonly type: 'preview'; readonly song: string; readonly variant: string | null; readonly path: string; readonly region?: PreviewRegion }
  | { readonly type: 'shard'; readonly shard: Shard; readonly split: ShardSplit; readonly units: readonly string[] };

export interface SongBuildResult {
  readonly song: string;
  /** Variant name; null for the song as written. */
  readonly variant: string | null;
  /** Where its outputs went. */
  readonly dir?: string;
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
  /** Of the cached tasks, those that came from the remote cache. */
  readonly fromRemote: number;
  /** What the remote cache did, when one was in use. */
  readonly remote?: RemoteStats & { readonly url: string; readonly readOnly: boolean };
  /** With `--shard`: this shard, the split's fingerprint and what it weighed by, and its units. */
  readonly shard?: Shard & { readonly fingerprint: string; readonly by: ShardSplit['by']; readonly units: readonly string[] };
}

/**
 * Memory for outputs made in this build, so the next task need not read them back from disk.
 * Stems leave it as soon as the mix has summed them, so it rarely holds more than a few.
 */
const RECENT_OBJECTS_BYTES = 768 * 1024 * 1024;

/** Cache location inside a project. */
export function cacheDir(root: string): string {
  return join(root, '.mixdown', 'cache');
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const root = resolve(options.root);
  const outDir = resolve(options.outDir ?? join(root, 'dist'));
  const timings = new TimingFile(root);
  const emit = (event: BuildEvent): void => {
    if (event.type === 'task-done' && event.result.status === 'rendered') timings.measured(unitId({ id: event.song, variant: event.variant }), event.result.id, event.result.seconds);
    options.onEvent?.(event);
  };
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  const all = discoverSongs(root);
  const problems: Diagnostic[] = [];
  if (all.length === 0) problems.push(d.noSongs(join(root, 'songs')));
  const wanted = options.songs?.length ? options.songs : all.map((song) => song.id);
  for (const id of wanted) if (!all.some((song) => song.id === id)) problems.push(d.unknownSong(id, all.map((song) => song.id)));
  let selected = all.filter((song) => wanted.includes(song.id));

  const taskCache = options.taskCache ?? cacheDir(root);
  const cache = new CacheStore(
    taskCache,
    (digest) => emit({ type: 'warning', diagnostic: d.cacheCorrupt({ file: taskCache }, digest) }),
    RECENT_OBJECTS_BYTES,
  );
  useStore(cache);
  const state = new EmitState(cacheDir(root));
  const songCache = new SongIrCache(root, cacheDir(root), toolFingerprint());
  // The bundler starts only when a song must actually be executed.
  let loader: SongLoader | undefined;
  const getLoader = async (): Promise<SongLoader> => {
    if (!loader) {
      // A song must run, so something changed and tasks will likely render: the workers start
      // now, loading the engine on the other core while this thread loads the song.
      pool?.start().catch(() => {});
      const { SongLoader: Loader } = await import('../load/loader.ts');
      loader = await Loader.create(root);
    }
    return loader;
  };
  const pool = options.workers ?? (jobs > 1 ? new WorkerPool(jobs) : undefined);
  // Measurements a task made on the way are shared with the remote from this thread, whichever thread rendered.
  const shared = (output: TaskOutput): TaskOutput => {
    for (const entry of output.measurements ?? []) cache.putActionToAllTiers(entry);
    return output;
  };
  // A task here may lend a free worker its side work (the master's files, while this thread limits).
  const lend = pool ? (request: Parameters<WorkerPool['lend']>[0]) => pool.lend(request) : undefined;
  const inProcess: TaskRunner = async (task, inputs, context) => shared(await runTask(task, inputs, context, undefined, lend));
  // Buses went to workers only recently: before they streamed, a bus in a worker re-read and
  // re-hashed its inputs or got copies of them, and ran 1.4–1.7× slower there (this machine's
  // two cores share one memory bus). Now a worker reads the inputs this thread vouches for
  // straight from their files: the demo's cold build at --jobs 2 took 43.5–44.2 s with buses
  // in workers against 45.9–46.2 s with buses here (alternating runs on a quiet machine).
  // Which kinds go to workers is runGraph's choice per graph (see runnerFor); project plugins
  // are registered in this thread (the song loader ran them) and loaded again by a worker.
  const pooledFor = (kinds: ReadonlySet<Task['kind']>, priority: number): TaskRunner | undefined => pool
    ? async (task, inputs, context) => {
        if (!kinds.has(task.kind)) return inProcess(task, inputs, context);
        // An input this thread knows intact on disk is read there by the worker without a
        // re-hash; one still being written travels along from memory (a copy).
        const inline = new Map<string, Uint8Array>();
        const trusted: string[] = [];
        for (const input of inputs) {
          if (cache.trustedObjectFile(input.digest)) trusted.push(input.digest);
          else {
            const bytes = cache.peekObject(input.digest);
            if (bytes) inline.set(input.digest, bytes);
          }
        }
        const output = shared(await pool.run(task, inputs, context, inline, trusted, priority));
        for (const [name, record] of Object.entries(output.outputs)) {
          const data = output.data[name];
          // A streamed output was written and hashed by the worker: trusted as is, read from disk when needed.
          if (data) cache.adopt(record, data);
          else cache.adoptFile(record);
        }
        return output;
      }
    : undefined;
  const runners = new Map<string, TaskRunner>();
  /**
   * Stems go to workers when more than one renders (starting workers costs more than it saves
   * for a single stem, the usual edit) or when the pool is already running (`watch` keeps one).
   * Buses go to workers when two or more render (two at once; a single one runs here, where
   * its inputs may still be in memory). Masters go to workers when a song's variants build
   * together (one variant's master then renders beside another's stems). `priority`: the
   * variant's index, so workers take the earliest variant's waiting tasks first.
   */
  const runnerFor = (work: { stems: number; buses: number; masterInWorker: boolean }, priority: number): TaskRunner => {
    const kinds = new Set<Task['kind']>();
    if (work.stems > 1 || options.workers) kinds.add('stem');
    if (work.buses > 1) kinds.add('bus');
    if (work.masterInWorker) kinds.add('master');
    if (!pool || kinds.size === 0) return inProcess;
    const name = `${[...kinds].sort().join()}@${priority}`;
    if (!runners.has(name)) runners.set(name, pooledFor(kinds, priority)!);
    return runners.get(name)!;
  };
  // Tasks the song's variants share, settled once for all of them (variants overlap).
  const inFlight = new Map<string, Promise<TaskResult>>();
  /** Load the project plugins a graph's tasks use when this process has not run them (the analysis came from the cache). */
  const ensurePlugins = async (tasks: readonly Task[]): Promise<void> => {
    const missing = new Set<string>();
    for (const task of tasks) for (const plugin of taskPlugins(task)) if (!isRegistered(plugin.kind, plugin.name)) missing.add(join(root, plugin.source));
    if (missing.size) await (await getLoader()).loadModules([...missing]);
  };
  const songs: SongBuildResult[] = [];
  let remote: RemoteCache | undefined;
  let shardResult: BuildResult['shard'];
  try {
    if (options.remoteCache) {
      const resolved = await resolveRemoteCache(root, options.remoteCache, process.env, async (path) => (await getLoader()).importModule(path));
      problems.push(...resolved.diagnostics);
      if (resolved.diagnostics.length) selected = [];
      if (resolved.remote) remote = new RemoteCache(resolved.remote, cache, (diagnostic) => emit({ type: 'warning', diagnostic }));
      // The listening room's measurements are shared through it too.
      cache.attachTier(remote);
    }
    // A shard analyses every song (cheap beside rendering) to split them all the same way.
    const inShard = options.shard ? await shardUnits(options.shard, selected, { root, getLoader, songCache, variants: options.variants, timings, emit }) : undefined;
    if (inShard && options.shard) shardResult = { ...options.shard, fingerprint: inShard.split.fingerprint, by: inShard.split.by, units: [...inShard.units].sort() };
    for (const entry of selected) {
      if (inShard && !inShard.songs.has(entry.id)) continue;
      emit({ type: 'song-start', song: entry.id });
      const built = await buildSong(entry.id, entry.path, {
        root,
        getLoader,
        songCache,
        lastBuild: new LastBuildRecord(cacheDir(root)),
        cache,
        state,
        outDir,
        runnerFor,
        ensurePlugins,
        inFlight,
        jobs,
        useCache: options.useCache ?? true,
        variants: options.variants,
        strict: options.strict ?? false,
        emit,
        beforeRender: options.beforeRender,
        dawproject: options.dawproject ?? false,
        remote,
        inShard: inShard?.units,
        requireCached: options.requireCached ?? false,
        preview: options.preview ?? false,
      });
      // The listening room's pages, measured while the song's files are still in memory.
      const pages = built.flatMap((result) => (result.report && result.ir && result.dir ? [{ song: result.ir, report: result.report, dir: result.dir }] : []));
      for (const diagnostic of await writeSongRooms(pages, { cache, root, outDir })) emit({ type: 'warning', diagnostic });
      cache.releaseMemory();
      for (const result of built) {
        songs.push(result);
        if (result.ok && result.report && result.dir) emit({ type: 'song-done', song: entry.id, variant: result.variant, report: result.report, dir: result.dir });
        else emit({ type: 'song-failed', song: entry.id, variant: result.variant, diagnostics: result.diagnostics });
      }
    }
    // The lock records what was built; verify builds elsewhere and must not rewrite it.
    if (options.writeLock ?? true) updateLock(root, songs.flatMap((song) => (song.ok && song.report ? [song.report] : [])));
    await writeRoomIndex(outDir);
  } finally {
    const remoteStats = await remote?.finish();
    state.save();
    cache.saveStamps();
    timings.save();
    if (!options.workers) await pool?.close();
  }
  const tasks = songs.flatMap((song) => song.report?.tasks ?? []);
  return {
    ok: problems.length === 0 && songs.every((song) => song.ok),
    songs,
    diagnostics: problems,
    rendered: tasks.filter((task) => task.status === 'rendered').length,
    cached: tasks.filter((task) => task.status === 'cached').length,
    fromRemote: tasks.filter((task) => task.remote).length,
    ...(remote ? { remote: { ...remote.stats, url: remote.settings.url, readOnly: remote.settings.readOnly } } : {}),
    ...(shardResult ? { shard: shardResult } : {}),
  };
}

/**
 * The songs and units (`song`, `song/variant`) this shard builds. A song that cannot be
 * analysed stays in every shard, so each reports it.
 */
async function shardUnits(
  shard: Shard,
  songs: readonly { id: string; path: string }[],
  context: { root: string; getLoader: () => Promise<SongLoader>; songCache: SongIrCache; variants?: readonly string[]; timings: TimingFile; emit: (event: BuildEvent) => void },
): Promise<{ songs: Set<string>; units: Set<string>; split: ShardSplit }> {
  const units: { id: string; tasks: string[]; song: string }[] = [];
  const mine = new Set<string>();
  for (const entry of songs) {
    const analysed = await analyseSong(entry.id, entry.path, context.getLoader, context.songCache, context.variants);
    if (!analysed.ok) {
      mine.add(entry.id);
      continue;
    }
    for (const song of analysed.songs) {
      if (context.variants?.length && !context.variants.includes(song.variant ?? DEFAULT_VARIANT)) continue;
      units.push({ id: unitId(song), song: song.id, tasks: plan(song).tasks.map((task) => task.id) });
    }
  }
  const split = splitUnits(units, shard.count, context.timings.read());
  const chosen = units.filter((unit) => split.assignment.get(unit.id) === shard.index);
  for (const unit of chosen) mine.add(unit.song);
  context.emit({ type: 'shard', shard, split, units: chosen.map((unit) => unit.id) });
  return { songs: mine, units: new Set(chosen.map((unit) => unit.id)), split };
}

interface SongBuildContext {
  readonly root: string;
  readonly getLoader: () => Promise<SongLoader>;
  readonly songCache: SongIrCache;
  readonly lastBuild: LastBuildRecord;
  readonly cache: CacheStore;
  readonly state: EmitState;
  readonly outDir: string;
  readonly runnerFor: (work: { stems: number; buses: number; masterInWorker: boolean }, priority: number) => TaskRunner;
  readonly ensurePlugins: (tasks: readonly Task[]) => Promise<void>;
  readonly inFlight: Map<string, Promise<TaskResult>>;
  /** This variant's place among the song's variants being built: its tasks' turn for a worker (lower first). */
  readonly priority?: number;
  /** The song's variants build together: masters render in workers too. */
  readonly masterInWorker?: boolean;
  readonly jobs: number;
  readonly useCache: boolean;
  readonly variants?: readonly string[];
  readonly strict: boolean;
  readonly emit: (event: BuildEvent) => void;
  readonly beforeRender?: BuildOptions['beforeRender'];
  /** This song's beforeRender answer, once asked (buildSong asks). */
  readonly hold?: Hold;
  readonly dawproject: boolean;
  readonly remote?: RemoteCache;
  /** The units (`song`, `song/variant`) of this shard, when sharding. */
  readonly inShard?: ReadonlySet<string>;
  readonly requireCached: boolean;
  readonly preview: boolean;
}

async function buildSong(id: string, path: string, context: SongBuildContext): Promise<SongBuildResult[]> {
  const analysed = await analyseSong(id, path, context.getLoader, context.songCache, context.variants);
  if (!analysed.ok) return [{ song: id, variant: null, ok: false, diagnostics: analysed.diagnostics }];
  // Asked now, answered while the song renders: the check (watch's tsc) is off the critical path.
  const hold = new Hold(context.beforeRender?.(id, analysed.songs[0]?.file ?? path));
  const wanted = context.variants;
  const selected = analysed.songs.filter((song) => (!wanted?.length || wanted.includes(song.variant ?? DEFAULT_VARIANT)) && (!context.inShard || context.inShard.has(unitId(song))));
  if (selected.length === 0) {
    // Asked only for variants this song does not have: say so rather than build nothing.
    const known = (await analyseSong(id, path, context.getLoader, context.songCache)) as { ok: true; songs: SongIR[] };
    return [{ song: id, variant: null, ok: false, diagnostics: [d.unknownVariant(id, (wanted ?? []).join(', '), known.songs.map((song) => song.variant ?? DEFAULT_VARIANT))] }];
  }
  // The variants build together: their graphs share the workers, which take the earliest
  // variant's waiting tasks first, and the tasks they share render once. Their events are
  // passed on in variant order, as if they had run one after another.
  const events = new OrderedEvents(context.emit);
  const masterInWorker = selected.length > 1 && context.jobs > 1;
  const settled = await Promise.allSettled(
    selected.map((song, index) => buildVariant(song, { ...context, hold, emit: events.emitter(index), priority: index, masterInWorker }).finally(() => events.finish(index))),
  );
  // A held-back song fails once, with the errors that held it (not once per variant).
  if ((await hold.wait()).length) return [{ song: id, variant: null, ok: false, diagnostics: hold.errors }];
  // Every variant has finished (none is left running while the build winds up); then the first failure, if any.
  return settled.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  });
}

/**
 * A song's beforeRender answer, awaited only where something would be published: the song's
 * tasks render meanwhile, and once it holds the song back no further task starts.
 */
class Hold {
  /** The errors that hold the song back: empty until answered, and when it is not held. */
  errors: readonly Diagnostic[] = [];
  private readonly answer: Promise<readonly Diagnostic[]>;
  answered = false;

  constructor(question: Promise<readonly Diagnostic[]> | undefined) {
    this.answer = (question ?? Promise.resolve([])).then((errors) => {
      this.errors = errors;
      this.answered = true;
      return errors;
    });
  }

  /** The song's errors, when answered. */
  wait(): Promise<readonly Diagnostic[]> {
    return this.answer;
  }
}

/** Events of overlapping variants, passed on in variant order: a later one's are held until the earlier ones finish. */
class OrderedEvents {
  private active = 0;
  private readonly held = new Map<number, BuildEvent[]>();
  private readonly finished = new Set<number>();

  constructor(private readonly emit: (event: BuildEvent) => void) {}

  emitter(index: number): (event: BuildEvent) => void {
    return (event) => {
      if (index === this.active) this.emit(event);
      else this.held.set(index, [...(this.held.get(index) ?? []), event]);
    };
  }

  finish(index: number): void {
    this.finished.add(index);
    while (this.finished.has(this.active)) {
      this.active++;
      for (const event of this.held.get(this.active) ?? []) this.emit(event);
      this.held.delete(this.active);
    }
  }
}

/** Render and emit one song or variant: dist/<song>/ for the song as written, dist/<song>/<variant>/ for a variant. */
async function buildVariant(song: SongIR, context: SongBuildContext): Promise<SongBuildResult> {
  const graph = plan(song, { dawproject: context.dawproject });
  context.emit({ type: 'plan', song: song.id, variant: song.variant, tasks: graph.tasks.length });
  const paths = outputPaths(song, graph.tasks);
  const dir = song.variant ? join(context.outDir, song.id, song.variant) : join(context.outDir, song.id);
  const recordName = song.variant ? `${song.id}~${song.variant}` : song.id;
  try {
    let results = await runGraph(graph, song, context, context.useCache, recordName, dir);
    await context.cache.flush();
    // A song its check holds back publishes nothing (buildSong reports it).
    if ((await context.hold?.wait())?.length) return { song: song.id, variant: song.variant, ok: false, diagnostics: context.hold!.errors, ir: song };
    try {
      emitSong(dir, emitFiles(results, paths), context.cache, context.state);
    } catch (error) {
      if (!(error instanceof ObjectMissingError)) throw error;
      // An object failed its digest check between planning and emitting: it was deleted,
      // so running the graph again re-renders exactly what is missing.
      // Not through the shared results either: one of them named the deleted object.
      results = await runGraph(graph, song, { ...context, inFlight: new Map() }, true, recordName, dir);
      await context.cache.flush();
      emitSong(dir, emitFiles(results, paths), context.cache, context.state);
    }
    context.lastBuild.write(recordName, graph.tasks);
    const report = buildReport(song, results, paths);
    writeFileAtomicSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    // --strict: a delivery check. The outputs are written either way, to be listened to.
    const delivery = context.strict ? deliveryProblems(song, report) : [];
    return { song: song.id, variant: song.variant, ok: delivery.length === 0, diagnostics: delivery, report, ir: song, dir };
  } catch (error) {
    if (error instanceof MixdownError) return { song: song.id, variant: song.variant, ok: false, diagnostics: error.diagnostics, ir: song };
    throw error;
  }
}

function deliveryProblems(song: SongIR, report: SongReport): Diagnostic[] {
  const where = { file: song.file, song: song.id };
  const { master } = report;
  const label = song.variant ? `${song.id} (variant ${song.variant})` : song.id;
  const problems: Diagnostic[] = [];
  if (master.target && !master.meetsTarget) problems.push(d.missedLoudness(where, label, master.integrated, master.truePeakDb, master.target));
  if (!master.target && (master.peakDb ?? -Infinity) >= 0) problems.push(d.masterClips(where, label, master.peakDb ?? 0));
  return problems;
}

async function runGraph(graph: ReturnType<typeof plan>, song: SongIR, context: SongBuildContext, useCache: boolean, recordName: string, dir: string): Promise<Map<string, TaskResult>> {
  const previous = context.lastBuild.read(recordName);
  const byId = new Map(graph.tasks.map((task) => [task.id, task]));
  const { remote } = context;
  // Local cache first, then the remote: its hits are verified and stored locally before anything looks.
  if (useCache && remote) await remote.prefetch(graph.tasks);
  if (context.requireCached) {
    const missing = graph.tasks.filter((task) => !(useCache && context.cache.getAction(task.key)));
    if (missing.length) throw new MixdownError(d.mustRender({ file: song.file, song: song.id }, unitId(song), missing.map((task) => task.id)));
  }
  const marked = (result: TaskResult): TaskResult => (remote?.cameFromRemote(result.key) && result.status === 'cached' ? { ...result, remote: true } : result);
  const stemsToRender = graph.tasks.filter((task) => task.kind === 'stem' && !(useCache && context.cache.getAction(task.key))).length;
  const busesToRender = graph.tasks.filter((task) => task.kind === 'bus' && !(useCache && context.cache.getAction(task.key))).length;
  const runner = context.runnerFor({ stems: stemsToRender, buses: busesToRender, masterInWorker: context.masterInWorker ?? false }, context.priority ?? 0);
  const toRender = graph.tasks.filter((task) => !(useCache && context.cache.getAction(task.key)));
  const pluginsReady = context.ensurePlugins(toRender);
  const run: TaskRunner = async (task, inputs, taskContext) => {
    await pluginsReady;
    // Held back while its earlier tasks rendered: nothing more of it starts.
    if (context.hold?.errors.length) throw new MixdownError(context.hold.errors);
    return runner(task, inputs, taskContext);
  };
  // watch: once the stems are in, the window of the new mix around the first change is
  // rendered and written as preview.wav while the buses render (the whole mix follows).
  const mixTask = graph.tasks.find((task) => task.kind === 'mix');
  const stemIds = graph.tasks.filter((task) => task.kind === 'stem').map((task) => task.id);
  const regionWanted =
    context.preview && mixTask !== undefined && busesToRender > 0 && Object.keys(previous).length > 0 && !(useCache && context.cache.getAction(mixTask.key));
  const records = new Map<string, Readonly<Record<string, OutputRecord>>>();
  let regionPreview: Promise<void> | undefined;
  const previewRegion = async () => {
    // The project plugins the buses to render use are loaded here too.
    await pluginsReady;
    // Not once the whole mix is there (a song whose buses were quick): it is the better preview.
    if (mixTask && records.has(mixTask.id)) return;
    const changedAt = firstChangedFrame(graph, previous, records, context.cache);
    if (changedAt === undefined) return;
    // Only a song its check lets through is heard.
    if ((await context.hold?.wait())?.length) return;
    const path = join(dir, 'preview.wav');
    const region = writeRegionPreview(graph, records, changedAt, context.cache, { song: song.id, file: song.file, projectRoot: context.root }, path);
    if (region) context.emit({ type: 'preview', song: song.id, variant: song.variant, path, region });
  };
  const results = await execute(graph, {
    cache: context.cache,
    useCache,
    inFlight: context.inFlight,
    jobs: context.jobs,
    run,
    // --no-cache renders every task from frame 0 too: no resuming from an earlier render.
    context: { song: song.id, file: song.file, cacheRoot: context.cache.root, projectRoot: context.root, resume: useCache },
    onCorrupt: (digest) => context.emit({ type: 'warning', diagnostic: d.cacheCorrupt({ file: context.cache.root }, digest) }),
    onStart: (task) => context.emit({ type: 'task-start', song: song.id, variant: song.variant, task }),
    onDone: (result) => {
      records.set(result.id, result.outputs);
      if (regionWanted && !regionPreview && stemIds.every((id) => records.has(id))) {
        // After the tasks this result lets start have gone to their workers.
        regionPreview = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => {
            mkdirSync(dir, { recursive: true });
            return previewRegion();
          })
          // A preview that cannot be made is no error of the build: the whole mix follows.
          .catch(() => {});
      }
      // Written here, synchronously, so it lands before the master task starts (after the
      // song's check, when that is still running: only a song it lets through is heard).
      if (result.kind === 'mix' && result.status === 'rendered' && context.preview) {
        const publish = () => {
          if (writePreview(context.cache, result.outputs.audio.digest, join(dir, 'preview.wav'))) context.emit({ type: 'preview', song: song.id, variant: song.variant, path: join(dir, 'preview.wav') });
        };
        if (!context.hold || context.hold.answered) {
          if (!context.hold?.errors.length) publish();
        } else void context.hold.wait().then((errors) => errors.length === 0 && publish());
      }
      if (result.status === 'rendered') remote?.push({ key: result.key, kind: result.kind, outputs: result.outputs, meta: result.meta, inputs: byId.get(result.id)!.inputs });
      context.emit({
        type: 'task-done',
        song: song.id,
        variant: song.variant,
        result: marked(result),
        ...(result.status === 'rendered' ? { reasons: explainTask(byId.get(result.id)!, previous[result.id], useCache) } : {}),
      });
    },
  });
  await regionPreview;
  return remote ? new Map([...results].map(([id, result]) => [id, marked(result)])) : results;
}

/** The mix as preview.wav: from memory when this thread holds it, else linked from its file; false when neither is ready. */
function writePreview(cache: CacheStore, digest: string, path: string): boolean {
  const bytes = cache.peekObject(digest);
  if (bytes) {
    writeFileAtomicSync(path, bytes);
    return true;
  }
  const file = cache.trustedObjectFile(digest);
  if (!file) return false;
  linkOrCopyAtomicSync(file, path);
  return true;
}

/** A stem's file: the float `audio` as .wav, or the `file` output the song's stem format made. */
function stemPath(task: string, folder: string, id: string, format: StripParams['stemFormat']): OutputPath {
  if (!format) return { task, output: 'audio', path: `${folder}/${id}.wav` };
  return { task, output: 'file', path: `${folder}/${id}.${format === 'flac' ? 'flac' : 'wav'}` };
}

function outputPaths(song: SongIR, tasks: readonly Task[]): OutputPath[] {
  const paths: OutputPath[] = [];
  for (const task of tasks) {
    if (task.kind === 'stem') paths.push(stemPath(task.id, 'stems', task.params.trackId, task.params.stemFormat));
    else if (task.kind === 'bus') paths.push(stemPath(task.id, 'buses', task.params.busId, task.params.stemFormat));
    else if (task.kind === 'mix') paths.push({ task: task.id, output: 'audio', path: 'mix.wav' });
    else if (task.kind === 'master') {
      paths.push({ task: task.id, output: 'audio', path: 'master.wav' });
      if (task.params.settings.dither) paths.push({ task: task.id, output: 'audio16', path: 'master-16.wav' });
      for (const format of task.params.settings.formats) paths.push({ task: task.id, output: format, path: `master.${format}` });
    } else if (task.kind === 'midi') paths.push({ task: task.id, output: 'midi', path: `${song.id}.mid` });
    else if (task.kind === 'dawproject') paths.push({ task: task.id, output: 'dawproject', path: `${song.id}.dawproject` });
  }
  return paths;
}

function emitFiles(results: ReadonlyMap<string, TaskResult>, paths: readonly OutputPath[]): EmitFile[] {
  return paths.map(({ task, output, path }) => ({ path, digest: results.get(task)!.outputs[output].digest }));
}
