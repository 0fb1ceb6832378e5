/** Command-line parsing: a small hand-written parser, since there are few flags and each needs a coded error. */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from './serve.ts';
import type { RemoteCacheFlags } from '../cache/remote-config.ts';
import { parseShard, type Shard } from '../pipeline/shard.ts';

export type CommandLine =
  | { readonly name: 'help' }
  | { readonly name: 'inspect'; readonly song: string; readonly variant?: string }
  | { readonly name: 'import-midi'; readonly file: string; readonly song?: string; readonly force: boolean }
  | { readonly name: 'import-dawproject'; readonly file: string; readonly song?: string; readonly force: boolean }
  | { readonly name: 'init'; readonly dir: string; readonly force: boolean }
  | { readonly name: 'analyze'; readonly files: string[]; readonly json: boolean; readonly reference?: string }
  | { readonly name: 'cache-stats' }
  | { readonly name: 'cache-prune'; readonly maxSize: string }
  | { readonly name: 'clean' }
  | { readonly name: 'verify'; readonly songs: string[] }
  | { readonly name: 'check' }
  | {
      readonly name: 'diff';
      /** Sides and songs as given: up to two sides (revisions, output folders, lock files) first, then songs. */
      readonly positionals: string[];
      /** Songs named after `--` (never read as revisions). */
      readonly songs: string[];
      /** Variants to compare; empty for all. */
      readonly variants: string[];
      /** Print the result as JSON. */
      readonly json: boolean;
      /** Output format of the printed result. @default 'text' */
      readonly format: 'text' | 'md';
      /** List every changed note. */
      readonly notes: boolean;
      /** Also write each song's diff as <out>/<song>/[<variant>/]diff.json. */
      readonly save: boolean;
      /** Folder --save writes into. @default ./dist */
      readonly outDir?: string;
      /** Render threads for the two sides' builds. */
      readonly jobs?: number;
    }
  | {
      readonly name: 'build' | 'watch';
      readonly songs: string[];
      readonly useCache: boolean;
      readonly outDir?: string;
      readonly jobs?: number;
      /** Print, for each task that rendered, which of its inputs changed. */
      readonly explain: boolean;
      /** Variants to build; empty for all. */
      readonly variants: string[];
      /** Fail songs whose master misses its loudness target, or clips. */
      readonly strict: boolean;
      /** Print one JSON summary on stdout instead of progress lines. */
      readonly json: boolean;
      /** Print only errors and the summary line. */
      readonly quiet: boolean;
      /** Also write <song>.dawproject beside the MIDI file. */
      readonly dawproject: boolean;
      /** `watch --serve`: serve dist/ (the listening room) and push reloads. Undefined when not asked. */
      readonly serve?: {
        /** TCP port; 0 picks a free one. @default 4780 */
        readonly port: number;
        /** Address to bind. @default '127.0.0.1' */
        readonly host: string;
      };
      /** `--remote-cache URL`, `--remote-cache-read-only` (over mixdown.config.ts and the environment). */
      readonly remoteCache: RemoteCacheFlags;
      /** `--shard I/N` (build only): build the I-th of N parts of the songs × variants. */
      readonly shard?: Shard;
      /** `--require-cached` (build only): fail a song that has anything to render. */
      readonly requireCached: boolean;
    };

export class UsageError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function parseArgs(args: readonly string[]): CommandLine {
  const [name = 'build', ...rest] = args;
  if (name === 'help' || name === '--help' || name === '-h') return { name: 'help' };
  if (name === 'inspect') return parseInspect(rest);
  if (name === 'import-midi' || name === 'import-dawproject') return parseImport(name, rest);
  if (name === 'init') return parseInit(rest);
  if (name === 'analyze' || name === 'analyse') return parseAnalyze(rest);
  if (name === 'check') {
    if (rest.length) throw new UsageError(d.badFlag(rest[0], 'check takes no arguments'));
    return { name: 'check' };
  }
  if (name === 'diff') return parseDiff(rest);
  if (name === 'verify') {
    const flag = rest.find((arg) => arg.startsWith('-'));
    if (flag) throw new UsageError(d.badFlag(flag, 'unknown option'));
    return { name: 'verify', songs: [...rest] };
  }
  if (name === 'clean') {
    if (rest.length) throw new UsageError(d.badFlag(rest[0], 'clean takes no arguments'));
    return { name: 'clean' };
  }
  if (name === 'cache') {
    const [sub, ...more] = rest;
    if (sub === 'stats' && more.length === 0) return { name: 'cache-stats' };
    if (sub === 'prune') {
      const index = more.indexOf('--max-size');
      const inline = more.find((arg) => arg.startsWith('--max-size='));
      const maxSize = inline ? inline.slice('--max-size='.length) : index >= 0 ? more[index + 1] : undefined;
      if (!maxSize) throw new UsageError(d.badFlag('cache prune', 'needs --max-size, e.g. --max-size 2GB'));
      return { name: 'cache-prune', maxSize };
    }
    throw new UsageError(d.badFlag(`cache ${sub ?? ''}`.trim(), "use 'cache stats' or 'cache prune --max-size SIZE'"));
  }
  if (name !== 'build' && name !== 'watch') throw new UsageError(d.badFlag(name, 'unknown command'));
  const songs: string[] = [];
  let useCache = true;
  const shared: SharedFlags = { variants: [] };
  let explain = false;
  let strict = false;
  let json = false;
  let quiet = false;
  let dawproject = false;
  // Assigned inside the walk below: typed here, not narrowed from their first values.
  let serve = false as boolean;
  let port: number | undefined;
  let host: string | undefined;
  let remoteUrl: string | undefined;
  let remoteReadOnly = false as boolean;
  let shard: Shard | undefined;
  let requireCached = false as boolean;
  eachArg(rest, (arg, value) => {
    if (arg === '--no-cache') useCache = false;
    else if (arg === '--explain') explain = true;
    else if (arg === '--strict') strict = true;
    else if (arg === '--json') json = true;
    else if (arg === '--quiet' || arg === '-q') quiet = true;
    else if (arg === '--dawproject') dawproject = true;
    else if (arg === '--serve') serve = true;
    else if (arg === '--host' || arg.startsWith('--host=')) host = arg === '--host' ? value() : arg.slice('--host='.length);
    else if (arg === '--port' || arg.startsWith('--port=')) {
      const text = arg === '--port' ? value() : arg.slice('--port='.length);
      port = Number(text);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(d.badFlag('--port', `'${text}' is not a port (0–65535)`));
    } else if (sharedFlag(arg, value, shared)) return;
    else if (arg === '--remote-cache') remoteUrl = value();
    else if (arg.startsWith('--remote-cache=')) remoteUrl = arg.slice('--remote-cache='.length);
    else if (arg === '--remote-cache-read-only') remoteReadOnly = true;
    else if (arg === '--require-cached') requireCached = true;
    else if (arg === '--shard' || arg.startsWith('--shard=')) {
      const text = arg === '--shard' ? value() : arg.slice('--shard='.length);
      shard = parseShard(text);
      if (!shard) throw new UsageError(d.badFlag('--shard', `'${text}' is not I/N with 1 ≤ I ≤ N, e.g. 1/4`));
      if (name !== 'build') throw new UsageError(d.badFlag('--shard', 'only build takes it'));
    } else if (arg.startsWith('-') && arg !== '-q') throw new UsageError(d.badFlag(arg, 'unknown option'));
    else songs.push(arg);
  });
  if ((serve || port !== undefined || host !== undefined) && name !== 'watch') throw new UsageError(d.badFlag(serve ? '--serve' : port !== undefined ? '--port' : '--host', 'only `mixdown watch` serves'));
  if ((port !== undefined || host !== undefined) && !serve) throw new UsageError(d.badFlag(port !== undefined ? '--port' : '--host', 'needs --serve'));
  const { variants, outDir, jobs } = shared;
  const remoteCache: RemoteCacheFlags = { ...(remoteUrl !== undefined ? { url: remoteUrl } : {}), ...(remoteReadOnly ? { readOnly: true } : {}) };
  return {
    name, songs, useCache, outDir, jobs, explain, variants, strict, json, quiet, dawproject, remoteCache, requireCached,
    ...(shard ? { shard } : {}),
    ...(serve ? { serve: { port: port ?? DEFAULT_PORT, host: host ?? DEFAULT_HOST } } : {}),
  };
}

function parseInspect(rest: readonly string[]): CommandLine {
  let song: string | undefined;
  let variant: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--variant') {
      variant = rest[++i];
      if (!variant) throw new UsageError(d.badFlag('--variant', 'needs a value'));
    } else if (arg.startsWith('--variant=')) variant = arg.slice('--variant='.length);
    else if (arg.startsWith('-')) throw new UsageError(d.badFlag(arg, 'unknown option'));
    else if (song) throw new UsageError(d.badFlag(arg, 'inspect takes one song'));
    else song = arg;
  }
  if (!song) throw new UsageError(d.badFlag('inspect', 'name the song: mixdown inspect <song>'));
  return { name: 'inspect', song, variant };
}

function parseInit(rest: readonly string[]): CommandLine {
  let dir: string | undefined;
  let force = false;
  for (const arg of rest) {
    if (arg === '--force') force = true;
    else if (arg.startsWith('-')) throw new UsageError(d.badFlag(arg, 'unknown option'));
    else if (dir) throw new UsageError(d.badFlag(arg, 'init takes one folder'));
    else dir = arg;
  }
  return { name: 'init', dir: dir ?? '.', force };
}

function parseImport(name: 'import-midi' | 'import-dawproject', rest: readonly string[]): CommandLine {
  const example = name === 'import-midi' ? '<file.mid>' : '<file.dawproject>';
  let file: string | undefined;
  let song: string | undefined;
  let force = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--name') {
      song = rest[++i];
      if (!song) throw new UsageError(d.badFlag('--name', 'needs a value'));
    } else if (arg === '--force') force = true;
    else if (arg.startsWith('-')) throw new UsageError(d.badFlag(arg, 'unknown option'));
    else if (file) throw new UsageError(d.badFlag(arg, `${name} takes one file`));
    else file = arg;
  }
  if (!file) throw new UsageError(d.badFlag(name, `name the file: mixdown ${name} ${example} [--name song]`));
  return name === 'import-midi' ? { name, file, song, force } : { name, file, song, force };
}

function parseAnalyze(rest: readonly string[]): CommandLine {
  const files: string[] = [];
  let json = false;
  let reference: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') json = true;
    else if (arg === '--reference') {
      reference = rest[++i];
      if (!reference) throw new UsageError(d.badFlag('--reference', 'needs a file'));
    } else if (arg.startsWith('-')) throw new UsageError(d.badFlag(arg, 'unknown option'));
    else files.push(arg);
  }
  if (!files.length) throw new UsageError(d.badFlag('analyze', 'name at least one audio file'));
  return { name: 'analyze', files, json, reference };
}

/**
 * Each argument in turn, with a reader for the value after it (`--out DIR`); a visit that
 * returns false ends the walk.
 */
function eachArg(rest: readonly string[], visit: (arg: string, value: () => string, index: number) => boolean | void): void {
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = (): string => {
      const next = rest[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(d.badFlag(arg, 'needs a value'));
      return next;
    };
    if (visit(arg, value, i) === false) return;
  }
}

/** What build, watch and diff read alike: --variant V (repeatable), --out DIR, --jobs N. */
interface SharedFlags {
  readonly variants: string[];
  outDir?: string;
  jobs?: number;
}

/** Read a shared flag into `into`; false for any other argument. */
function sharedFlag(arg: string, value: () => string, into: SharedFlags): boolean {
  if (arg === '--variant') into.variants.push(value());
  else if (arg.startsWith('--variant=')) into.variants.push(arg.slice('--variant='.length));
  else if (arg === '--out') into.outDir = value();
  else if (arg.startsWith('--out=')) into.outDir = arg.slice('--out='.length);
  else if (arg === '--jobs' || arg.startsWith('--jobs=')) into.jobs = parseJobs(arg === '--jobs' ? value() : arg.slice('--jobs='.length));
  else return false;
  return true;
}

function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(d.badFlag('--jobs', `'${text}' is not a whole number of at least 1`));
  return jobs;
}

function parseDiff(rest: readonly string[]): CommandLine {
  const positionals: string[] = [];
  const songs: string[] = [];
  const shared: SharedFlags = { variants: [] };
  let json = false;
  let format = 'text' as 'text' | 'md';
  let notes = false;
  let save = false;
  eachArg(rest, (arg, value, index) => {
    if (arg === '--') {
      songs.push(...rest.slice(index + 1));
      return false;
    }
    if (arg === '--json') json = true;
    else if (arg === '--notes') notes = true;
    else if (arg === '--save') save = true;
    else if (sharedFlag(arg, value, shared)) return true;
    else if (arg === '--format' || arg.startsWith('--format=')) {
      const text = arg === '--format' ? value() : arg.slice('--format='.length);
      if (text !== 'md' && text !== 'text') throw new UsageError(d.badFlag('--format', `'${text}' is not a format; use md or text`));
      format = text;
    } else if (arg.startsWith('-')) throw new UsageError(d.badFlag(arg, 'unknown option'));
    else positionals.push(arg);
    return true;
  });
  if (json && format === 'md') throw new UsageError(d.badFlag('--json', 'choose --json or --format md, not both'));
  return { name: 'diff', positionals, songs, variants: shared.variants, json, format, notes, save, outDir: shared.outDir, jobs: shared.jobs };
}
