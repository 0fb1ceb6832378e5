/**
 * `mixdown check`: everything that can be wrong before a note is rendered. TypeScript's own
 * checker (the native `tsc` of typescript 7) over the songs and plugins, then every song and
 * variant loaded, elaborated and validated. Errors print as `file:line:col code message` with
 * a code frame; the exit code is 1 when there is any.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { analyseSong } from '../pipeline/analyse.ts';
import { codeFrame, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { discoverSongs } from '../load/discover.ts';
import type { SongLoader } from '../load/loader.ts';
import { packageRoot } from '../paths.ts';

export interface CheckResult {
  readonly diagnostics: Diagnostic[];
  readonly songs: number;
  readonly variants: number;
}

const TSC_LINE = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.+)$/;

/** The project's tsconfig.json, or one mixdown writes for songs/ and plugins/ when there is none. */
function tsconfigFor(root: string): string {
  const own = join(root, 'tsconfig.json');
  if (existsSync(own)) return own;
  const generated = join(root, '.mixdown', 'check', 'tsconfig.json');
  const api = join(packageRoot(), 'src', 'index.ts');
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      types: ['node'],
      typeRoots: [join(packageRoot(), 'node_modules', '@types'), join(packageRoot(), '..', '@types')],
      paths: { mixdown: [relative(dirname(generated), api).split('\\').join('/')] },
    },
    include: [relative(dirname(generated), join(root, 'songs')) + '/**/*.ts', relative(dirname(generated), join(root, 'plugins')) + '/**/*.ts'],
  };
  writeFileAtomicSync(generated, JSON.stringify(config, null, 2));
  return generated;
}

/**
 * The native `tsc` of the typescript package mixdown depends on: the platform binary itself
 * when it is installed (typescript's own `bin/tsc` is a Node script that starts it, ~60 ms more
 * per check on Node 20), else that script under this Node.
 */
function tscCommand(): { file: string; prefix: string[] } {
  const require = createRequire(join(packageRoot(), 'package.json'));
  const typescript = dirname(require.resolve('typescript/package.json'));
  try {
    const native = createRequire(join(typescript, 'package.json')).resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`);
    const exe = join(dirname(native), 'lib', process.platform === 'win32' ? 'tsc.exe' : 'tsc');
    if (existsSync(exe)) return { file: exe, prefix: [] };
  } catch {
    // No platform package: typescript's script finds the binary its own way.
  }
  return { file: process.execPath, prefix: [join(typescript, 'bin', 'tsc')] };
}

/**
 * tsc's arguments: no output, and its incremental state kept under .mixdown/check, so a check
 * after a save re-checks only what the save changed (about half the time of a full check).
 */
function tscArguments(root: string, config: string): string[] {
  return ['-p', config, '--noEmit', '--pretty', 'false', '--incremental', '--tsBuildInfoFile', join(root, '.mixdown', 'check', 'tsbuildinfo')];
}

/** TypeScript's errors over the songs and plugins (the process blocks until tsc is done). */
export function typeCheck(root: string): Diagnostic[] {
  const config = tsconfigFor(root);
  const tsc = tscCommand();
  const run = spawnSync(tsc.file, [...tsc.prefix, ...tscArguments(root, config)], { cwd: root, encoding: 'utf8' });
  return tscDiagnostics(root, config, run.status, run.stdout, run.stderr || run.error?.message || '');
}

/** The same check without blocking this thread (watch runs it on every save). */
export function typeCheckAsync(root: string): Promise<Diagnostic[]> {
  const config = tsconfigFor(root);
  const tsc = tscCommand();
  return new Promise((resolveCheck) => {
    const child = spawn(tsc.file, [...tsc.prefix, ...tscArguments(root, config)], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => resolveCheck(tscDiagnostics(root, config, 1, '', error.message)));
    child.once('close', (status) => resolveCheck(tscDiagnostics(root, config, status, stdout, stderr)));
  });
}

/** tsc's `file(line,col): error TSnnnn: message` lines as located diagnostics with code frames. */
function tscDiagnostics(root: string, config: string, status: number | null, stdout: string, stderr: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of `${stdout}\n${stderr}`.split('\n')) {
    const match = TSC_LINE.exec(line.trim());
    if (!match) continue;
    const [, path, lineText, columnText, code, message] = match;
    // tsc prints paths relative to its working directory, the project root.
    const absolute = isAbsolute(path) ? path : resolve(root, path);
    const file = relative(root, absolute).split('\\').join('/');
    const lineNumber = Number(lineText);
    const column = Number(columnText);
    let frame: string | undefined;
    try {
      frame = codeFrame(readFileSync(absolute, 'utf8'), lineNumber, column);
    } catch {
      frame = undefined;
    }
    diagnostics.push({ code, severity: 'error', message, file, line: lineNumber, column, ...(frame ? { frame } : {}) });
  }
  if (status !== 0 && diagnostics.length === 0) {
    diagnostics.push({ code: 'MD407', severity: 'error', message: `TypeScript could not check the project: ${(stderr || stdout).trim().split('\n')[0]}`, file: relative(root, config) });
  }
  return diagnostics;
}

export async function check(root: string): Promise<CheckResult> {
  const diagnostics = typeCheck(root);
  let loader: SongLoader | undefined;
  let songs = 0;
  let variants = 0;
  const getLoader = async () => (loader ??= await (await import('../load/loader.ts')).SongLoader.create(root));
  for (const entry of discoverSongs(root)) {
    // No analysis cache: check executes and elaborates every song and variant afresh.
    const result = await analyseSong(entry.id, entry.path, getLoader);
    if (!result.ok) diagnostics.push(...result.diagnostics);
    else {
      songs++;
      variants += result.songs.length - 1;
    }
  }
  return { diagnostics, songs, variants };
}
