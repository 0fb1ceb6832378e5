/**
 * load: the only stage that runs user code. vite-node executes songs/<name>/song.ts and
 * whatever it imports (shared helpers, plugins/), with `mixdown` resolved to this package's
 * source. Syntax and runtime errors come back as diagnostics with the song file and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViteDevServer } from 'vite';
import type { ViteNodeRunner } from 'vite-node/client';
import type { SongDefinition, SongInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { codeFrame, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { packageRoot, publicApiPath } from '../paths.ts';
import { createViteRunner } from './vite-runner.mjs';
import { createHash } from 'node:crypto';
import { pluginSources, type PluginCode } from '../registry/registry.ts';


export interface LoadedSong {
  readonly ok: true;
  readonly id: string;
  /** Song file relative to the project root. */
  readonly file: string;
  readonly source: string;
  readonly input: SongInput;
  /** Absolute paths of the project files the song's module graph executed (song, helpers, plugins). */
  readonly files: readonly string[];
  /** Project plugins the song's modules defined, with their module and code hash (for task keys). */
  readonly pluginCode: PluginCode;
}

export interface FailedSong {
  readonly ok: false;
  readonly id: string;
  readonly file: string;
  readonly diagnostic: Diagnostic;
}

export class SongLoader {
  private constructor(
    /** The project root songs are loaded from. */
    readonly root: string,
    private readonly server: ViteDevServer,
    private readonly runner: ViteNodeRunner,
  ) {}

  static async create(root: string): Promise<SongLoader> {
    const { server, runner } = await createViteRunner({ root, alias: { mixdown: publicApiPath() }, cacheDir: resolve(root, '.mixdown/vite') });
    return new SongLoader(root, server, runner);
  }

  /**
   * Forget every module's transform, so the next load reads the files again: the vite server
   * runs without a file watcher, and a loader kept across builds (`watch`) must see the saves.
   */
  refresh(): void {
    this.server.moduleGraph.invalidateAll();
  }

  /** Execute one song module and return its value, or a located diagnostic. */
  async load(id: string, absoluteFile: string): Promise<LoadedSong | FailedSong> {
    const file = relative(this.root, absoluteFile).split('\\').join('/');
    let source = '';
    try {
      source = readFileSync(absoluteFile, 'utf8');
    } catch {
      // A missing file surfaces below as a load error with the same path.
    }
    let exports: Record<string, unknown>;
    // A fresh module cache per song: shared helpers run again, and each song's list of
    // files is exactly its own module graph.
    this.runner.moduleCache.clear();
    try {
      exports = (await this.runner.executeFile(absoluteFile)) as Record<string, unknown>;
    } catch (error) {
      return { ok: false, id, file, diagnostic: this.describeError(error, id, file, absoluteFile) };
    }
    const definition = exports.default as SongDefinition | undefined;
    if (definition === undefined) return { ok: false, id, file, diagnostic: d.songNoExport({ file, song: id }) };
    let input: unknown;
    try {
      input = typeof definition === 'function' ? definition({ id }) : definition;
    } catch (error) {
      return { ok: false, id, file, diagnostic: this.describeError(error, id, file, absoluteFile) };
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, id, file, diagnostic: d.songNotObject({ file, song: id }, Array.isArray(input) ? 'an array' : typeof input) };
    }
    return { ok: true, id, file, source, input: input as SongInput, files: this.projectFiles(), pluginCode: this.pluginCode() };
  }

  /** Execute one project module (the project config file) and return its exports. */
  async importModule(path: string): Promise<Record<string, unknown>> {
    return (await this.runner.executeFile(path)) as Record<string, unknown>;
  }

  /** Execute project modules (plugins) outside a song, so their definitions are registered here. */
  async loadModules(paths: readonly string[]): Promise<void> {
    for (const path of paths) await this.runner.executeFile(path);
  }

  /**
   * Each project plugin's module and a hash over it and every project file it imports,
   * read from the module graph the last load executed: edit the plugin (or a helper it
   * imports) and exactly the tasks that use it get new keys.
   */
  private pluginCode(): PluginCode {
    const cache = this.runner.moduleCache as unknown as Map<string, { imports?: Set<string> }>;
    const normal = (key: string) => (key.startsWith('/@fs/') ? key.slice(4) : key);
    const entries = new Map<string, { imports?: Set<string> }>();
    for (const [key, entry] of cache) entries.set(normal(key), entry);
    const codes = new Map<string, { source: string; code: string }>();
    for (const [name, path] of pluginSources()) {
      if (!entries.has(path)) continue;
      const closure = new Set<string>([path]);
      const queue = [path];
      while (queue.length) {
        for (const next of entries.get(queue.shift()!)?.imports ?? []) {
          const dep = normal(next);
          if (closure.has(dep) || !dep.startsWith(this.root) || dep.includes('/node_modules/') || !existsSync(dep)) continue;
          closure.add(dep);
          queue.push(dep);
        }
      }
      const hash = createHash('sha256');
      for (const file of [...closure].sort()) hash.update(relative(this.root, file)).update('\0').update(readFileSync(file)).update('\0');
      codes.set(name, { source: relative(this.root, path).split('\\').join('/'), code: hash.digest('hex') });
    }
    return (kind, name) => codes.get(`${kind}:${name}`) ?? null;
  }

  /** Files of the project that the last load executed (node_modules and mixdown itself excluded). */
  private projectFiles(): string[] {
    const files = new Set<string>();
    for (const key of this.runner.moduleCache.keys()) {
      const path = key.startsWith('/@fs/') ? key.slice(4) : key;
      if (!isAbsolute(path) || !path.startsWith(this.root) || path.includes('/node_modules/') || !existsSync(path)) continue;
      files.add(path);
    }
    return [...files].sort();
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  /** Turn a compile or runtime error into a diagnostic pointing into the user's files. */
  private describeError(error: unknown, id: string, file: string, absoluteFile: string): Diagnostic {
    type Located = { message?: string; loc?: { file?: string; line?: number; column?: number }; frame?: string; id?: string; stack?: string };
    const outer = error as Located & { errors?: Located[] };
    // Vite 8 (Oxc/Rolldown) reports parse errors as a list with their own locations.
    const err: Located = outer?.errors?.find((inner) => inner?.loc?.line !== undefined) ?? outer;
    const message = firstLine(stripAnsi(err?.message ?? String(error)));
    if (err?.loc?.line !== undefined || err?.frame) {
      // A transform (syntax) error: Vite/Oxc give the location directly.
      const where = this.located(err.loc?.file ?? err.id ?? absoluteFile, err.loc?.line, err.loc?.column !== undefined ? err.loc.column + 1 : undefined);
      return d.songSyntax({ ...where, song: id }, stripLocation(message));
    }
    const frame = this.userFrame(err?.stack ?? '', absoluteFile);
    return d.songRuntime({ ...(frame ?? { file }), song: id }, message);
  }

  private located(path: string, line?: number, column?: number): { file: string; line?: number; column?: number; frame?: string } {
    const absolute = isAbsolute(path) ? path : resolve(this.root, path);
    const file = relative(this.root, absolute).split('\\').join('/');
    if (line === undefined) return { file };
    let frame: string | undefined;
    try {
      frame = codeFrame(readFileSync(absolute, 'utf8'), line, column ?? 1);
    } catch {
      frame = undefined;
    }
    return { file, line, column, ...(frame ? { frame } : {}) };
  }

  /** The first stack frame inside the project (not node_modules, not mixdown's own src/). */
  private userFrame(stack: string, songFile: string): ReturnType<SongLoader['located']> | undefined {
    const ownSource = resolve(packageRoot(), 'src');
    const candidates: { path: string; line: number; column: number }[] = [];
    for (const match of stack.matchAll(/(?:\(|at )((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)/g)) {
      const path = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
      if (path.includes('/node_modules/') || path.startsWith(ownSource)) continue;
      if (!path.startsWith(this.root)) continue;
      candidates.push({ path, line: Number(match[2]), column: Number(match[3]) });
    }
    const best = candidates.find((candidate) => candidate.path === songFile) ?? candidates[0];
    return best ? this.located(best.path, best.line, best.column) : undefined;
  }
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

function stripLocation(message: string): string {
  return message.replace(/^\[[^\]]+\]\s*/, '').replace(/\s*\(\d+:\d+\)\s*$/, '');
}
