/**
 * `mixdown diff`: two sides of a project — git revisions (HEAD, a branch, a commit), the
 * working tree, two output folders or two lock files — compared song by song and variant by
 * variant. A revision is extracted with `git archive` into its own workspace under
 * .mixdown/diff/<commit>/ (the user's working tree, index and refs are never touched) and
 * built there into its own output folder through the project's task cache, so whatever
 * either side already rendered comes from the cache. A commit's files never change, so its
 * workspace is kept (with its song analysis and emitted outputs) for the next diff; the
 * most recently used few stay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CacheStore } from '../cache/store.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { discoverSongs } from '../load/discover.ts';
import { DIFF_VERSION, diffSong, oneSidedSong, type DiffResult, type DiffSide, type SongDiff, type SongSide } from '../report/diff.ts';
import type { OutputSide } from '../report/diff-sound.ts';
import type { SongReport } from '../report/report.ts';
import { writeDiffPage, type DiffReader } from '../report/room/diff-page.ts';
import { DEFAULT_VARIANT } from './analyse.ts';
import { build, cacheDir, type SongBuildResult } from './build.ts';
import type { LockFile } from './lock.ts';

export interface DiffOptions {
  /** Project root (the folder holding songs/). */
  readonly root: string;
  /** Side A: a git revision, or an output folder or lock file (a path from the project root). @default 'HEAD' */
  readonly a?: string;
  /** Side B, likewise. @default the working tree */
  readonly b?: string;
  /** Songs to compare. @default every song of either side */
  readonly songs?: readonly string[];
  /** Variants to compare (`'default'` is the song as written). @default all of them */
  readonly variants?: readonly string[];
  /** Render threads for the builds of the two sides. @default the machine's core count */
  readonly jobs?: number;
  /** Told when a side starts building (for a progress line). */
  readonly onProgress?: (message: string) => void;
}

export type DiffOutcome =
  | { readonly ok: true; readonly result: DiffResult; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly result?: DiffResult; readonly diagnostics: readonly Diagnostic[] };

type Resolved =
  | { readonly kind: 'commit'; readonly side: DiffSide; readonly commit: string; readonly prefix: string }
  | { readonly kind: 'working tree'; readonly side: DiffSide }
  | { readonly kind: 'output folder'; readonly side: DiffSide; readonly dir: string }
  | { readonly kind: 'lock file'; readonly side: DiffSide; readonly lock: LockFile };

const WORKING_TREE = 'working tree';

export async function diffProject(options: DiffOptions): Promise<DiffOutcome> {
  const root = resolve(options.root);
  const a = resolveSide(root, options.a ?? 'HEAD');
  const b: ReturnType<typeof resolveSide> = options.b === undefined ? { ok: true, side: { kind: 'working tree', side: { label: WORKING_TREE, kind: 'working tree' } } } : resolveSide(root, options.b);
  if (!a.ok || !b.ok) return { ok: false, diagnostics: [...(a.ok ? [] : a.diagnostics), ...(b.ok ? [] : b.diagnostics)] };
  const family = (side: Resolved) => (side.kind === 'commit' || side.kind === 'working tree' ? 'sources' : side.kind);
  if (family(a.side) !== family(b.side)) return { ok: false, diagnostics: [d.diffSidesMismatch(`${a.side.kind} '${a.side.side.label}'`, `${b.side.kind} '${b.side.side.label}'`)] };
  if (a.side.kind === 'output folder' && b.side.kind === 'output folder') return diffFolders(a.side, b.side, options);
  if (a.side.kind === 'lock file' && b.side.kind === 'lock file') return diffLocks(root, a.side, b.side, options);
  return diffSources(root, a.side, b.side, options);
}

// ---------------------------------------------------------------------------------------
// Resolving what was asked for.

function git(cwd: string, args: readonly string[], input?: Uint8Array) {
  return spawnSync('git', args, { cwd, input, maxBuffer: 4 * 1024 ** 3 });
}

function resolveSide(root: string, spec: string): { ok: true; side: Resolved } | { ok: false; diagnostics: Diagnostic[] } {
  const path = resolve(root, spec);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) return { ok: true, side: { kind: 'output folder', side: { label: spec, kind: 'output folder' }, dir: path } };
    try {
      const lock = JSON.parse(readFileSync(path, 'utf8')) as LockFile;
      if (lock.lockfileVersion === 1 && lock.songs && typeof lock.songs === 'object') return { ok: true, side: { kind: 'lock file', side: { label: spec, kind: 'lock file' }, lock } };
    } catch {
      // Not a lock file: reported below.
    }
    return { ok: false, diagnostics: [d.unknownRevision(spec, 'a file that is not a mixdown.lock')] };
  }
  const inside = git(root, ['rev-parse', '--show-prefix']);
  if (inside.error || inside.status !== 0) {
    const detail = inside.error ? `git could not run (${inside.error.message})` : `${root} is not in a git repository`;
    return { ok: false, diagnostics: [d.diffNeedsGit(root, detail)] };
  }
  const found = git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${spec}^{commit}`]);
  if (found.status !== 0) return { ok: false, diagnostics: [d.unknownRevision(spec, 'git knows no such commit, branch or tag, and no such file exists')] };
  const commit = found.stdout.toString().trim();
  return { ok: true, side: { kind: 'commit', side: { label: spec, kind: 'commit', commit }, commit, prefix: inside.stdout.toString().trim() } };
}

/** Revision workspaces kept under .mixdown/diff/ (the most recently used). */
const KEPT_WORKSPACES = 4;

function workspaces(root: string): string {
  return join(root, '.mixdown', 'diff');
}

/**
 * The project as it was at a commit: `git archive` of the project's folder piped into tar,
 * once per commit (a marker written last says the extraction is whole). node_modules is
 * linked from the project (songs may import packages).
 */
function extract(root: string, side: Extract<Resolved, { kind: 'commit' }>): string {
  const workspace = join(workspaces(root), side.commit);
  const into = join(workspace, 'project');
  const marker = join(workspace, 'extracted');
  if (existsSync(marker)) {
    // Used now: kept longest by the pruning below.
    utimesSync(workspace, new Date(), new Date());
    return into;
  }
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const tree = side.prefix ? `${side.commit}:${side.prefix.replace(/\/$/, '')}` : side.commit;
  const archive = git(root, ['archive', '--format=tar', tree]);
  // A project folder that did not exist at that commit is a project without songs.
  if (archive.status === 0) {
    const unpacked = spawnSync('tar', ['-x', '-f', '-', '-C', into], { input: archive.stdout, maxBuffer: 64 * 1024 ** 2 });
    if (unpacked.status !== 0) throw new Error(`tar could not unpack ${side.side.label}: ${unpacked.stderr?.toString().trim() || unpacked.error?.message}`);
  }
  if (existsSync(join(root, 'node_modules')) && !existsSync(join(into, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'), 'dir');
  writeFileAtomicSync(marker, `${side.commit}\n`);
  pruneWorkspaces(root);
  return into;
}

/** Keep the most recently used revision workspaces (the working tree's output folder stays). */
function pruneWorkspaces(root: string): void {
  const dir = workspaces(root);
  const commits = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[0-9a-f]{40,64}$/.test(entry.name))
    .map((entry) => ({ path: join(dir, entry.name), used: statSync(join(dir, entry.name)).mtimeMs }))
    .sort((x, y) => y.used - x.used);
  for (const old of commits.slice(KEPT_WORKSPACES)) rmSync(old.path, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Sources: build each side (through the project's task cache) and compare.

interface BuiltSide {
  readonly side: DiffSide;
  readonly songs: ReadonlySet<string>;
  readonly results: readonly SongBuildResult[];
  /** Output folder of the build. */
  readonly outDir: string;
  readonly failed: readonly Diagnostic[];
}

async function diffSources(root: string, a: Resolved, b: Resolved, options: DiffOptions): Promise<DiffOutcome> {
  const rootOf = (side: Resolved) => (side.kind === 'commit' ? extract(root, side) : root);
  const distOf = (side: Resolved) => join(workspaces(root), side.kind === 'commit' ? side.commit : 'working-tree', 'dist');
  const rootA = rootOf(a);
  const rootB = rootOf(b);
  const songsA = new Set(discoverSongs(rootA).map((song) => song.id));
  const songsB = new Set(discoverSongs(rootB).map((song) => song.id));
  const problems: Diagnostic[] = [];
  const named = options.songs?.length ? [...options.songs] : [...new Set([...songsA, ...songsB])].sort();
  for (const song of named) {
    if (songsA.has(song) || songsB.has(song)) {
      if (options.songs?.length && !(songsA.has(song) && songsB.has(song))) {
        problems.push(songsA.has(song) ? d.songMissingOnSide(song, sideName(b.side), sideName(a.side)) : d.songMissingOnSide(song, sideName(a.side), sideName(b.side)));
      }
    } else problems.push(d.unknownSong(song, [...new Set([...songsA, ...songsB])].sort()));
  }
  if (problems.length) return { ok: false, diagnostics: problems };
  const both = named.filter((song) => songsA.has(song) && songsB.has(song));
  const builtA = await buildSide(rootA, a.side, songsA, both, distOf(a), root, options);
  // The same revision on both sides: one build serves both.
  const builtB = a.kind === 'commit' && b.kind === 'commit' && a.commit === b.commit ? { ...builtA, side: b.side } : await buildSide(rootB, b.side, songsB, both, distOf(b), root, options);
  const diagnostics = [...builtA.failed, ...builtB.failed];
  const songs: SongDiff[] = [];
  for (const song of named) {
    if (!songsA.has(song)) songs.push(oneSidedSong(song, null, 'added'));
    else if (!songsB.has(song)) songs.push(oneSidedSong(song, null, 'removed'));
    else songs.push(...pairVariants(song, builtA, builtB, options, diagnostics));
  }
  const result: DiffResult = { diffVersion: DIFF_VERSION, a: a.side, b: b.side, songs };
  return diagnostics.length ? { ok: false, result, diagnostics } : { ok: true, result, diagnostics };
}

const sideName = (side: DiffSide) => (side.kind === 'commit' ? `revision '${side.label}'` : side.kind === 'working tree' ? 'the working tree' : `'${side.label}'`);

async function buildSide(sideRoot: string, side: DiffSide, present: ReadonlySet<string>, songs: readonly string[], outDir: string, projectRoot: string, options: DiffOptions): Promise<BuiltSide> {
  if (!songs.length) return { side, songs: present, results: [], outDir, failed: [] };
  options.onProgress?.(`building ${sideName(side)}: ${songs.join(', ')}`);
  const result = await build({ root: sideRoot, songs, outDir, writeLock: false, jobs: options.jobs, variants: options.variants, taskCache: cacheDir(projectRoot) });
  const failed: Diagnostic[] = [];
  for (const song of result.songs) {
    // None of the asked-for variants on this side: the pairing says which side lacks them.
    if (song.ok || song.diagnostics.every((diagnostic) => diagnostic.code === 'MD404')) continue;
    const cause = song.diagnostics[0];
    // The causes first (as the build would print them), then which side they belong to.
    failed.push(...song.diagnostics.map((diagnostic) => ({ ...diagnostic, message: `${sideName(side)}: ${diagnostic.message}` })));
    if (cause) failed.push(d.songFailsAtRevision(song.song, sideName(side), cause));
  }
  return { side, songs: present, results: result.songs, outDir, failed };
}

function pairVariants(song: string, a: BuiltSide, b: BuiltSide, options: DiffOptions, diagnostics: Diagnostic[]): SongDiff[] {
  const ofSong = (side: BuiltSide) => side.results.filter((result) => result.song === song);
  // A song that failed on either side has its diagnostics already; nothing to compare.
  const lacksVariants = (result: SongBuildResult) => result.diagnostics.every((diagnostic) => diagnostic.code === 'MD404');
  if ([...ofSong(a), ...ofSong(b)].some((result) => !result.ok && !lacksVariants(result))) return [];
  const resultsA = ofSong(a).filter((result) => result.ok);
  const resultsB = ofSong(b).filter((result) => result.ok);
  const name = (result: SongBuildResult) => result.variant ?? DEFAULT_VARIANT;
  const wanted = options.variants?.length ? options.variants : undefined;
  const variants = [...new Set([...resultsA.map(name), ...resultsB.map(name)])].filter((variant) => !wanted || wanted.includes(variant));
  for (const variant of wanted ?? []) {
    if (variants.includes(variant)) continue;
    diagnostics.push(d.unknownVariant(song, variant, [...new Set([...resultsA.map(name), ...resultsB.map(name)])]));
  }
  const diffs: SongDiff[] = [];
  for (const variant of variants) {
    const x = resultsA.find((result) => name(result) === variant);
    const y = resultsB.find((result) => name(result) === variant);
    const label = variant === DEFAULT_VARIANT ? null : variant;
    if (!x) diffs.push(oneSidedSong(song, label, 'added'));
    else if (!y) diffs.push(oneSidedSong(song, label, 'removed'));
    else diffs.push(compareSong(song, label, builtSide(x), builtSide(y)));
  }
  return diffs;
}

/** The two sides each compared song came from, so --save can read their audio for the diff page. */
const comparedSides = new WeakMap<SongDiff, { readonly a: SongSide; readonly b: SongSide }>();

function compareSong(song: string, variant: string | null, a: SongSide, b: SongSide): SongDiff {
  const diff = diffSong(song, variant, a, b);
  comparedSides.set(diff, { a, b });
  return diff;
}

function builtSide(result: SongBuildResult): SongSide {
  return { ir: result.ir, report: result.report, outputs: outputsOf(result.report!), read: (path) => readFileSync(join(result.dir!, path)) };
}

function outputsOf(report: Pick<SongReport, 'outputs'>): Map<string, OutputSide> {
  return new Map(report.outputs.map((output) => [output.path, { sha256: output.sha256, bytes: output.bytes }]));
}

// ---------------------------------------------------------------------------------------
// Output folders: report.json and the files beside it.

interface FolderSong {
  readonly song: string;
  readonly variant: string | null;
  readonly dir: string;
  readonly report: SongReport;
}

/** Every report.json in a folder: the folder itself (one song's), dist/<song>/ and dist/<song>/<variant>/. */
function folderSongs(dir: string): FolderSong[] {
  const found: FolderSong[] = [];
  const visit = (folder: string, depth: number) => {
    const reportPath = join(folder, 'report.json');
    if (existsSync(reportPath)) {
      try {
        const report = JSON.parse(readFileSync(reportPath, 'utf8')) as SongReport;
        if (typeof report.song === 'string' && Array.isArray(report.outputs)) found.push({ song: report.song, variant: report.variant ?? null, dir: folder, report });
      } catch {
        // Not a mixdown report: skipped.
      }
    }
    if (depth === 0) return;
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      if (entry.isDirectory() && entry.name !== 'stems' && entry.name !== 'buses') visit(join(folder, entry.name), depth - 1);
    }
  };
  visit(dir, 2);
  return found;
}

function diffFolders(a: Extract<Resolved, { kind: 'output folder' }>, b: Extract<Resolved, { kind: 'output folder' }>, options: DiffOptions): DiffOutcome {
  const songsA = folderSongs(a.dir);
  const songsB = folderSongs(b.dir);
  for (const [side, songs] of [[a, songsA], [b, songsB]] as const) {
    if (!songs.length) return { ok: false, diagnostics: [d.unknownRevision(side.side.label, 'a folder with no report.json in it or in its song folders')] };
  }
  return pairEntries(
    a.side,
    b.side,
    songsA.map((entry) => ({ ...entry, side: folderSide(entry) })),
    songsB.map((entry) => ({ ...entry, side: folderSide(entry) })),
    options,
  );
}

function folderSide(entry: FolderSong): SongSide {
  return { report: entry.report, outputs: outputsOf(entry.report), read: (path) => readIfPresent(join(entry.dir, path)) };
}

function readIfPresent(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Lock files: digests, and the bytes themselves when the project's cache still holds them.

function diffLocks(root: string, a: Extract<Resolved, { kind: 'lock file' }>, b: Extract<Resolved, { kind: 'lock file' }>, options: DiffOptions): DiffOutcome {
  const cache = new CacheStore(cacheDir(root));
  const entries = (lock: LockFile) =>
    Object.entries(lock.songs).map(([key, entry]) => {
      const [song, variant] = key.split('/');
      const outputs = new Map(Object.entries(entry.outputs).map(([path, output]) => [path, { sha256: output.sha256, bytes: output.bytes }]));
      const side: SongSide = { outputs, read: (_path, output) => cache.getObject(output.sha256) ?? undefined };
      return { song, variant: variant ?? null, side };
    });
  return pairEntries(a.side, b.side, entries(a.lock), entries(b.lock), options);
}

function pairEntries(
  a: DiffSide,
  b: DiffSide,
  entriesA: readonly { song: string; variant: string | null; side: SongSide }[],
  entriesB: readonly { song: string; variant: string | null; side: SongSide }[],
  options: DiffOptions,
): DiffOutcome {
  const key = (entry: { song: string; variant: string | null }) => `${entry.song}/${entry.variant ?? ''}`;
  const selected = (entry: { song: string; variant: string | null }) =>
    (!options.songs?.length || options.songs.includes(entry.song)) && (!options.variants?.length || options.variants.includes(entry.variant ?? DEFAULT_VARIANT));
  const diagnostics: Diagnostic[] = [];
  for (const song of options.songs ?? []) {
    const inA = entriesA.some((entry) => entry.song === song);
    const inB = entriesB.some((entry) => entry.song === song);
    if (!inA && !inB) diagnostics.push(d.unknownSong(song, [...new Set([...entriesA, ...entriesB].map((entry) => entry.song))].sort()));
    else if (!inA || !inB) diagnostics.push(d.songMissingOnSide(song, `'${(inA ? b : a).label}'`, `'${(inA ? a : b).label}'`));
  }
  if (diagnostics.length) return { ok: false, diagnostics };
  const byKey = new Map(entriesA.filter(selected).map((entry) => [key(entry), entry]));
  const keys = [...new Set([...entriesA, ...entriesB].filter(selected).map(key))].sort();
  const songs = keys.map((id) => {
    const x = byKey.get(id);
    const y = entriesB.find((entry) => key(entry) === id);
    const [song, variant] = [(x ?? y)!.song, (x ?? y)!.variant];
    return !x ? oneSidedSong(song, variant, 'added') : !y ? oneSidedSong(song, variant, 'removed') : compareSong(song, variant, x.side, y.side);
  });
  return { ok: true, result: { diffVersion: DIFF_VERSION, a, b, songs }, diagnostics };
}

/**
 * Write each song's diff as JSON for the listening room, and its page: `<outDir>/<song>/diff.json`
 * and `diff.html` (with the two sides' masters beside it, see report/room/diff-page.ts), or
 * `<outDir>/<song>/<variant>/…` for a variant. Returns the paths written, relative to `root`.
 */
export async function saveDiffs(root: string, outDir: string, result: DiffResult): Promise<string[]> {
  const written: string[] = [];
  for (const song of result.songs) {
    const dir = join(outDir, song.song, ...(song.variant ? [song.variant] : []));
    const path = join(dir, 'diff.json');
    writeFileAtomicSync(path, `${JSON.stringify({ diffVersion: result.diffVersion, a: result.a, b: result.b, ...song }, null, 2)}\n`);
    written.push(relative(root, path).split('\\').join('/'));
    // A result compared in this process can read its sides' audio; any other gets a page without playback.
    const sides = comparedSides.get(song);
    const read: DiffReader = (side, path, output) => {
      try {
        return sides?.[side].read(path, output);
      } catch {
        return undefined; // Gone since the comparison: that side plays nothing.
      }
    };
    for (const file of await writeDiffPage(dir, result, song, read)) written.push(relative(root, join(dir, file)).split('\\').join('/'));
  }
  return written;
}
