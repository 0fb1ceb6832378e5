/**
 * Runs project modules (songs, the project config, plugins) in this thread: each run bundles
 * the module with the project files it imports (module-bundle.ts) and executes the bundle
 * afresh, so shared helpers run again and every run starts from a clean module state. Used by
 * the song loader and by render workers that need a project plugin.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { publicApiPath } from '../paths.ts';
import { API_GLOBAL, bundleModule, type ModuleBundle } from './module-bundle.ts';

/** A module's exports and the project module graph its run executed. */
export interface ModuleRun {
  readonly exports: Record<string, unknown>;
  /** Every module the run executed and the modules each imports (absolute paths). */
  readonly imports: ReadonlyMap<string, readonly string[]>;
}

/** Node's CommonJS module internals a bundle runs through (as require hooks use them). */
interface CommonJsModule {
  filename: string;
  paths: string[];
  exports: Record<string, unknown>;
  _compile(code: string, filename: string): void;
}
const CommonJs = Module as unknown as { new (id: string): CommonJsModule; _nodeModulePaths(from: string): string[] };

export class ModuleRunner {
  /** ES-module bundles run so far: each run is a new instance. */
  private esmRuns = 0;

  private constructor(
    private readonly root: string,
    /** The names `mixdown` exports. */
    private readonly apiExports: readonly string[],
  ) {}

  static async create(root: string): Promise<ModuleRunner> {
    // The command's own API module (the bundle's, or src/index.ts from source): songs share it.
    const api = (await import(publicApiPath())) as Record<string, unknown>;
    (globalThis as Record<symbol, unknown>)[API_GLOBAL] = api;
    // Stack traces through the bundles' inline source maps: errors and plugin sources point at
    // the project's own files and lines.
    process.setSourceMapsEnabled(true);
    return new ModuleRunner(root, Object.keys(api));
  }

  /** Bundle `entry` with the project files it imports and run it. */
  async run(entry: string): Promise<ModuleRun> {
    // The script's name (frames of rolldown's own helpers show it): under .mixdown/load.
    const script = join(this.root, '.mixdown', 'load', relative(this.root, entry).replace(/\.[cm]?[jt]sx?$/, '') + '.js');
    let bundle = await bundleModule(entry, script, this.apiExports);
    if (bundle.format === 'cjs') {
      try {
        return { exports: runCommonJs(bundle, script, entry), imports: bundle.imports };
      } catch (error) {
        // A package that is an ES module only cannot be required (Node 20). Its require comes
        // before any project code in the bundle, so nothing has run yet: run it as an ES module.
        if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
        bundle = await bundleModule(entry, script, this.apiExports, 'esm');
      }
    }
    return { exports: await this.runEsModule(bundle, script), imports: bundle.imports };
  }

  /**
   * An ES-module bundle, imported from a file beside the script name (Node runs ES modules only
   * from files), which is removed once imported (Node has read it and its source map). Node
   * keeps every ES module it ran, so each run of such a module stays in memory until the
   * process ends — only modules that need it (top-level await, ES-only packages) do.
   */
  private async runEsModule(bundle: ModuleBundle, script: string): Promise<Record<string, unknown>> {
    // This process's own name: another one running the same project never meets it.
    const file = script.replace(/\.js$/, `.${process.pid}.${++this.esmRuns}.mjs`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bundle.code);
    try {
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } finally {
      rmSync(file, { force: true });
    }
  }
}

/** A CommonJS bundle run as a module named `script`, its packages resolved from `entry`'s folder. */
function runCommonJs(bundle: ModuleBundle, script: string, entry: string): Record<string, unknown> {
  const module = new CommonJs(script);
  module.filename = script;
  module.paths = CommonJs._nodeModulePaths(dirname(entry));
  module._compile(bundle.code, script);
  return module.exports;
}
