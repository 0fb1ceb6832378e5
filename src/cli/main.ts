/**
 * The mixdown command line. `main(args)` returns the exit code:
 * 0 everything built, 1 a song failed, 2 bad usage.
 */
import { relative, resolve } from 'node:path';
import { analyseSong, DEFAULT_VARIANT } from '../pipeline/analyse.ts';
import { build, cacheDir, type BuildEvent } from '../pipeline/build.ts';
import { discoverSongs } from '../load/discover.ts';
import type { SongLoader } from '../load/loader.ts';
import { SongIrCache } from '../load/song-cache.ts';
import { toolFingerprint } from '../paths.ts';
import { formatArrangement } from './inspect.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { formatDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { parseArgs, type CommandLine } from './args.ts';
import { createBuildPrinter } from './print.ts';

const HELP = `mixdown — songs as code, rendered to stems, mix, master and MIDI

usage:
  mixdown build [song…] [options]   render every song in songs/ (or the ones named) into dist/
  mixdown inspect <song> [--variant V]   print the arrangement: tempo, meter, sections × tracks
  mixdown import-midi <file.mid> [--name ID] [--force]   write songs/<ID>/song.ts from a MIDI file
  mixdown import-dawproject <file.dawproject> [--name ID] [--force]   the same from a DAWproject
  mixdown init [dir] [--force]       write a new song project (package.json, a first song, CI, README)
  mixdown analyze <file…> [--json] [--reference REF]   loudness (BS.1770/R128), range, peaks
  mixdown watch [song…] [options]   build, then rebuild what a save changes (build's options);
                                     a song with TypeScript errors keeps its last outputs
    --serve [--port N] [--host H]    also serve dist/ (the listening room) at http://127.0.0.1:4780/
                                     and reload open pages when a master is rebuilt
  mixdown check                      type-check songs and plugins, elaborate and validate every song
  mixdown verify [song…]             render again without the cache and compare with mixdown.lock
  mixdown diff [A] [B] [song…] [--variant V] [--notes] [--json | --format md] [--save [--out DIR]] [--jobs N]
                                     what changed between two revisions (default HEAD and the
                                     working tree), two output folders or two lock files:
                                     arrangement, notes, mix parameters and sound
  mixdown cache stats                objects, actions and bytes in .mixdown/cache
  mixdown cache prune --max-size 2GB keep the most recently used entries up to a size
  mixdown clean                      remove dist/ and .mixdown/ (outputs and caches)
  mixdown help                      this text

build options:
  --no-cache     render every task again (results are still stored in the cache)
  --out DIR      write outputs under DIR instead of ./dist
  --jobs N       render up to N tasks at once in worker threads (default: the core count)
  --explain      say, for each task that rendered, which of its inputs changed
  --variant V    build only variant V ('default' is the song as written); repeatable
  --strict       fail when a master misses its loudness target or ceiling, or clips
  --json         print one JSON summary (songs, outputs, tasks with their start, seconds and
                 thread, stems phase seconds, diagnostics)
  --quiet, -q    print only errors and the summary line
  --dawproject   also write <song>.dawproject (DAWproject 1.0: tracks, buses, clips per
                 section, automation, tempo map, markers, and the stems in a muted folder)
  --remote-cache URL   also look tasks up in (and upload them to) a Bazel HTTP remote cache
                 (bazel-remote, nginx WebDAV); 'off' for none. Also mixdown.config.ts's
                 remoteCache and MIXDOWN_REMOTE_CACHE; the auth header's value comes from
                 MIXDOWN_REMOTE_CACHE_AUTH and is never printed
  --remote-cache-read-only   read from the remote cache, upload nothing (pull requests;
                 or MIXDOWN_REMOTE_CACHE_READ_ONLY=1)
  --shard I/N    build only the I-th of N deterministic parts of the songs × variants
  --require-cached   fail a song that has any task to render (a job assembling shards)

exit codes: 0 built, 1 a song failed, 2 bad usage
`;

export async function main(args: readonly string[]): Promise<number> {
  let command: CommandLine;
  try {
    command = parseArgs(args);
  } catch (error) {
    printDiagnostics([(error as { diagnostic: Diagnostic }).diagnostic ?? d.badFlag('arguments', String(error))]);
    return 2;
  }
  if (command.name === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.name === 'inspect') return inspect(command.song, command.variant);
  if (command.name === 'analyze') return analyze(command.files, command.json, command.reference);
  if (command.name === 'verify') return verifyCommand(command.songs);
  if (command.name === 'diff') {
    const { diffCommand } = await import('./diff.ts');
    const output = await diffCommand(process.cwd(), command, (message) => process.stderr.write(`${message}\n`));
    printDiagnostics(output.diagnostics);
    process.stdout.write(output.stdout);
    for (const message of output.messages) process.stderr.write(`${message}\n`);
    return output.code;
  }
  if (command.name === 'check') {
    const { check } = await import('./check.ts');
    const result = await check(process.cwd());
    printDiagnostics(result.diagnostics);
    process.stdout.write(`checked ${result.songs} songs and ${result.variants} variants: ${result.diagnostics.length ? `${result.diagnostics.length} errors` : 'no errors'}\n`);
    return result.diagnostics.length ? 1 : 0;
  }
  if (command.name === 'cache-stats' || command.name === 'cache-prune' || command.name === 'clean') return maintain(command);
  if (command.name === 'import-midi' || command.name === 'import-dawproject') {
    const midi = command.name === 'import-midi';
    try {
      // ts-morph (a whole TypeScript) loads only for these commands, not on every build.
      const importFile = midi ? (await import('./import-midi.ts')).importMidi : (await import('./import-dawproject.ts')).importDawproject;
      const written = importFile(process.cwd(), resolve(command.file), { name: command.song, force: command.force });
      process.stdout.write(`wrote ${written}\n`);
      return 0;
    } catch (error) {
      const where = { file: command.file, song: command.song ?? '' };
      const detail = error instanceof Error ? error.message : String(error);
      printDiagnostics([midi ? d.badMidiFile(where, command.file, detail) : d.badDawproject(where, command.file, detail)]);
      return 1;
    }
  }
  if (command.name === 'init') {
    const { initProject } = await import('./init.ts');
    const result = initProject(resolve(command.dir), { force: command.force });
    if (!result.ok) {
      printDiagnostics([result.diagnostic]);
      return 1;
    }
    process.stdout.write(`wrote a song project in ${command.dir}: ${result.files.join(', ')}\nnext: cd ${command.dir} && npm install && npm start\n`);
    return 0;
  }
  if (command.name === 'watch') return watchCommand(command);
  const tty = Boolean(process.stdout.isTTY) && !process.env.CI;
  const printer = createBuildPrinter(process.stdout, { explain: command.explain, quiet: command.quiet || command.json, tty });
  const timings = new BuildTimings();
  const result = await build({
    root: process.cwd(),
    songs: command.songs,
    outDir: command.outDir ? resolve(command.outDir) : undefined,
    useCache: command.useCache,
    jobs: command.jobs,
    variants: command.variants,
    strict: command.strict,
    dawproject: command.dawproject,
    remoteCache: command.remoteCache,
    shard: command.shard,
    requireCached: command.requireCached,
    onEvent: (event) => {
      timings.record(event);
      printer.event(event);
    },
  });
  printDiagnostics(result.diagnostics);
  if (command.json) process.stdout.write(`${JSON.stringify(jsonSummary(result, timings), null, 2)}\n`);
  else printer.summary(result);
  // Bad usage: a command-line error, or a project config (MD325) that cannot be used.
  const usage = (code: string) => code.startsWith('MD4') || code === 'MD325';
  return result.ok ? 0 : result.diagnostics.some((diagnostic) => usage(diagnostic.code)) && result.songs.length === 0 ? 2 : 1;
}

function printDiagnostics(list: readonly Diagnostic[]): void {
  for (const diagnostic of list) process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
}

async function inspect(id: string, variant: string | undefined): Promise<number> {
  const root = process.cwd();
  const songs = discoverSongs(root);
  const entry = songs.find((song) => song.id === id);
  if (!entry) {
    printDiagnostics([d.unknownSong(id, songs.map((song) => song.id))]);
    return 1;
  }
  let loader: SongLoader | undefined;
  const getLoader = async () => (loader ??= await (await import('../load/loader.ts')).SongLoader.create(root));
  const analysed = await analyseSong(id, entry.path, getLoader, new SongIrCache(root, cacheDir(root), toolFingerprint()), variant ? [variant] : undefined);
  if (!analysed.ok) {
    printDiagnostics(analysed.diagnostics);
    return 1;
  }
  const song = analysed.songs.find((candidate) => (candidate.variant ?? DEFAULT_VARIANT) === (variant ?? DEFAULT_VARIANT));
  if (!song) {
    printDiagnostics([d.unknownVariant(id, variant ?? DEFAULT_VARIANT, analysed.songs.map((candidate) => candidate.variant ?? DEFAULT_VARIANT))]);
    return 1;
  }
  process.stdout.write(formatArrangement(song));
  return 0;
}

async function analyze(files: readonly string[], json: boolean, referencePath: string | undefined): Promise<number> {
  const { analyzeFile, formatAnalysis } = await import('./analyze.ts');
  // Every failure names the file it came from.
  const named = async (file: string) => {
    try {
      return await analyzeFile(resolve(file));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(message.includes(file) ? message : `${file}: ${message}`);
    }
  };
  try {
    const reference = referencePath ? await named(referencePath) : undefined;
    const results = [];
    for (const file of files) results.push({ ...(await named(file)), file });
    if (json) process.stdout.write(`${JSON.stringify({ files: results, ...(reference ? { reference: { ...reference, file: referencePath } } : {}) }, null, 2)}\n`);
    else for (const result of results) process.stdout.write(`${formatAnalysis(result, reference)}\n`);
    return 0;
  } catch (error) {
    printDiagnostics([d.unreadableAudio(error instanceof Error ? error.message : String(error))]);
    return 1;
  }
}

async function maintain(command: Extract<CommandLine, { name: 'cache-stats' | 'cache-prune' | 'clean' }>): Promise<number> {
  const root = process.cwd();
  const { cacheStats, parseSize, pruneCache } = await import('../cache/maintenance.ts');
  const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (command.name === 'clean') {
    const { rmSync } = await import('node:fs');
    rmSync(resolve(root, 'dist'), { recursive: true, force: true });
    rmSync(resolve(root, '.mixdown'), { recursive: true, force: true });
    process.stdout.write('removed dist/ and .mixdown/\n');
    return 0;
  }
  if (command.name === 'cache-stats') {
    const stats = cacheStats(cacheDir(root));
    process.stdout.write(`${stats.actions} actions, ${stats.objects} objects, ${megabytes(stats.bytes)} in ${cacheDir(root)}\n`);
    return 0;
  }
  const maxBytes = parseSize(command.maxSize);
  if (maxBytes === undefined) {
    printDiagnostics([d.badFlag('--max-size', `'${command.maxSize}' is not a size; write 2GB, 500MB or a number of bytes`)]);
    return 2;
  }
  const result = pruneCache(cacheDir(root), maxBytes);
  process.stdout.write(
    `removed ${result.removedActions} actions and ${result.removedObjects} objects (${megabytes(result.freedBytes)}); ${result.after.objects} objects, ${megabytes(result.after.bytes)} left\n`,
  );
  return 0;
}

async function verifyCommand(songs: readonly string[]): Promise<number> {
  const { verify } = await import('../pipeline/verify.ts');
  const result = await verify(process.cwd(), songs);
  if (!result.lock) {
    printDiagnostics([d.noLock()]);
    return 1;
  }
  for (const difference of result.differences) process.stdout.write(`DIFFERS  ${difference.song}: ${difference.path} — ${difference.detail}\n`);
  for (const song of result.failed) process.stdout.write(`FAILED   ${song}: did not build\n`);
  // Why: the build's own errors for those songs.
  printDiagnostics(result.diagnostics);
  process.stdout.write(
    result.ok ? `verified: all ${result.checked} locked outputs are byte-identical\n` : `verify failed: ${result.differences.length} outputs differ, ${result.failed.length} songs failed\n`,
  );
  return result.ok ? 0 : 1;
}

/**
 * Wall times for the --json summary, this machine's and printed only, never written into an
 * output: each song's stems phase (first stem started → last stem finished, what `--jobs`
 * changes) and each rendered task's start, own time and thread (a worker or the main thread).
 */
class BuildTimings {
  private readonly spans = new Map<string, { first: number; last: number }>();
  private readonly tasks = new Map<string, { started: number; seconds: number; worker: boolean; resumedFrom?: number }>();
  private readonly starts = new Map<string, number>();
  private readonly origin = performance.now();

  record(event: BuildEvent): void {
    if (event.type !== 'task-start' && event.type !== 'task-done') return;
    const key = `${event.song}\u0000${event.variant ?? ''}`;
    if (event.type === 'task-start') this.starts.set(`${key}\u0000${event.task.id}`, performance.now());
    if (event.type === 'task-done' && event.result.status === 'rendered') {
      const id = `${key}\u0000${event.result.id}`;
      const started = ((this.starts.get(id) ?? performance.now()) - this.origin) / 1000;
      const resumed = event.result.resumedFrom;
      this.tasks.set(id, { started, seconds: event.result.seconds, worker: event.result.inWorker === true, ...(resumed ? { resumedFrom: resumed } : {}) });
    }
    const kind = event.type === 'task-start' ? event.task.kind : event.result.kind;
    if (kind !== 'stem' || (event.type === 'task-done' && event.result.status !== 'rendered')) return;
    const span = this.spans.get(key) ?? { first: Infinity, last: 0 };
    if (event.type === 'task-start') span.first = Math.min(span.first, performance.now());
    else span.last = Math.max(span.last, performance.now());
    this.spans.set(key, span);
  }

  /** Stems phase seconds, or null when no stem rendered. */
  stemsSeconds(song: string, variant: string | null): number | null {
    const span = this.spans.get(`${song}\u0000${variant ?? ''}`);
    return span && span.last > span.first ? Math.round(span.last - span.first) / 1000 : null;
  }

  /**
   * A rendered task's start (seconds since the command started) and own seconds, to the
   * millisecond, whether a worker rendered it, and for a bus resumed from a checkpoint of its
   * last render the source frame it rendered from; undefined for a cache hit.
   */
  task(song: string, variant: string | null, id: string): { started: number; seconds: number; worker: boolean; resumedFrom?: number } | undefined {
    const found = this.tasks.get(`${song}\u0000${variant ?? ''}\u0000${id}`);
    const ms = (seconds: number) => Math.round(seconds * 1000) / 1000;
    return found && { started: ms(found.started), seconds: ms(found.seconds), worker: found.worker, ...(found.resumedFrom ? { resumedFrom: found.resumedFrom } : {}) };
  }
}

/** The machine-readable build summary: what each song made, which tasks ran (and how long they took), what failed. */
function jsonSummary(result: Awaited<ReturnType<typeof build>>, timings: BuildTimings) {
  return {
    ok: result.ok,
    rendered: result.rendered,
    cached: result.cached,
    fromRemote: result.fromRemote,
    /** What the remote cache did (hits, misses, bytes each way), or null without one. */
    remote: result.remote ?? null,
    /** With --shard: this shard, the split's fingerprint, what it weighed by, and its units. */
    shard: result.shard ?? null,
    diagnostics: result.diagnostics,
    songs: result.songs.map((song) => ({
      song: song.song,
      variant: song.variant,
      ok: song.ok,
      dir: song.dir ?? null,
      diagnostics: song.diagnostics,
      master: song.report?.master ?? null,
      outputs: song.report?.outputs ?? [],
      tasks: (song.report?.tasks ?? []).map((task) => {
        const timing = timings.task(song.song, song.variant, task.id);
        return timing ? { ...task, ...timing } : task;
      }),
      /** Wall seconds from the first stem starting to the last finishing (this machine's, not an output). */
      stemsSeconds: timings.stemsSeconds(song.song, song.variant),
    })),
  };
}

async function watchCommand(command: Extract<CommandLine, { name: 'build' | 'watch' }>): Promise<number> {
  const { watchProject } = await import('./watch.ts');
  const outDir = command.outDir ? resolve(command.outDir) : resolve('dist');
  let server: import('./serve.ts').RoomServer | undefined;
  if (command.serve) {
    const { serveRoom } = await import('./serve.ts');
    const { host, port } = command.serve;
    try {
      server = await serveRoom({ dir: outDir, host, port });
    } catch (error) {
      printDiagnostics([d.cannotServe(`${host}:${port}`, error instanceof Error ? error.message : String(error))]);
      return 1;
    }
    process.stdout.write(`listening room: serving ${outDir} at ${server.url}\n`);
  }
  // One printer per build, made at its first event: its clock starts with the build, not after the last one.
  let printer: ReturnType<typeof createBuildPrinter> | undefined;
  const current = () => (printer ??= createBuildPrinter(process.stdout, { explain: command.explain, quiet: command.quiet }));
  const watcher = await watchProject({
    root: process.cwd(),
    songs: command.songs,
    outDir: command.outDir ? resolve(command.outDir) : undefined,
    useCache: true,
    jobs: command.jobs,
    variants: command.variants,
    strict: command.strict,
    dawproject: command.dawproject,
    onEvent: (event) => current().event(event),
    // Type errors in files no built song uses (a song's own are among its diagnostics).
    onTypeErrors: (errors) => printDiagnostics(errors),
    onPreview: (song, variant, path, seconds, region) => {
      const which = variant ? `${song}, variant ${variant}` : song;
      const clock = (at: number) => `${Math.floor(at / 60)}:${(at % 60).toFixed(1).padStart(4, '0')}`;
      if (region) {
        process.stdout.write(
          `preview ${seconds.toFixed(2)}s after the save: ${relative(process.cwd(), path)} (${which}: ${clock(region.fromSeconds)}–${clock(region.toSeconds)}, the change at ${clock(region.changedAtSeconds)}; the whole mix follows)\n`,
        );
      } else process.stdout.write(`preview ${seconds.toFixed(2)}s after the save: ${relative(process.cwd(), path)} (${which}, the whole mix; master follows)\n`);
    },
    onBuild: (result, seconds) => {
      // Open pages of a song whose master (or a variant's) was rebuilt reload, keeping their playhead.
      for (const song of result.songs) if (song.report?.tasks.some((task) => task.id === 'master' && task.status === 'rendered')) server?.notify({ song: song.song, variant: song.variant });
      printDiagnostics(result.diagnostics);
      current().summary(result);
      printer = undefined;
      if (seconds !== null) {
        // A new master only when every song built; otherwise the last good outputs stay.
        if (result.ok) process.stdout.write(`rebuilt ${seconds.toFixed(2)}s after the save (save → new master)\n`);
        else process.stdout.write(`failed ${seconds.toFixed(2)}s after the save (the failed songs keep their last good outputs)\n`);
      }
      process.stdout.write('watching songs/ and plugins/ (Ctrl-C to stop)\n');
    },
  });
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  await watcher.close();
  await server?.close();
  return 0;
}
