/**
 * load: the only stage that runs user code. songs/<name>/song.ts and whatever it imports
 * (shared helpers, plugins/) are bundled into one script and run here (module-runner.ts), with
 * `mixdown` being this command's own API. Syntax and runtime errors come back as diagnostics
 * with the song file and line.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { framePosition } from '../api/caller.ts';
import type { SongDefinition, SongInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { codeFrame, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { packageRoot } from '../paths.ts';
import { pluginSources, type PluginCode } from '../registry/registry.ts';
import { ModuleRunner } from './module-runner.ts';


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
  /** The project modules the last load ran and what each imports. */
  private lastImports: ReadonlyMap<string, readonly string[]> = new Map();

  private constructor(
    /** The project root songs are loaded from. */
    readonly root: string,
    private readonly runner: ModuleRunner,
  ) {}

  static async create(root: string): Promise<SongLoader> {
    return new SongLoader(root, await ModuleRunner.create(root));
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
    // A fresh run per song: shared helpers run again, and each song's list of files is
    // exactly its own module graph.
    try {
      exports = await this.run(absoluteFile);
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
    return this.run(path);
  }

  /** Execute project modules (plugins) outside a song, so their definitions are registered here. */
  async loadModules(paths: readonly string[]): Promise<void> {
    for (const path of paths) await this.run(path);
  }

  /** Run `entry` and the project files it imports, remembering its module graph. */
  private async run(entry: string): Promise<Record<string, unknown>> {
    const { exports, imports } = await this.runner.run(entry);
    this.lastImports = imports;
    return exports;
  }

  /**
   * Each project plugin's module and a hash over it and every project file it imports,
   * read from the module graph the last load ran: edit the plugin (or a helper it
   * imports) and exactly the tasks that use it get new keys.
   */
  private pluginCode(): PluginCode {
    const codes = new Map<string, { source: string; code: string }>();
    for (const [name, path] of pluginSources()) {
      if (!this.lastImports.has(path)) continue;
      const closure = new Set<string>([path]);
      const queue = [path];
      while (queue.length) {
        for (const dep of this.lastImports.get(queue.shift()!) ?? []) {
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

  /** Files of the project that the last load ran (node_modules and mixdown itself excluded). */
  private projectFiles(): string[] {
    const files = new Set<string>();
    for (const path of this.lastImports.keys()) {
      if (!isAbsolute(path) || !path.startsWith(this.root) || path.includes('/node_modules/') || !existsSync(path)) continue;
      files.add(path);
    }
    return [...files].sort();
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
    for (const stackLine of stack.split('\n')) {
      const frame = framePosition(stackLine);
      if (!frame || frame.path.includes('/node_modules/') || frame.path.startsWith(ownSource)) continue;
      if (!frame.path.startsWith(this.root)) continue;
      candidates.push(frame);
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
