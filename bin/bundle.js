// Bundles the command (src/cli/main.ts), the render worker (src/render/worker.ts) and the
// public API songs import (src/index.ts; sharing chunks, so one module instance) to
// plain JavaScript with rolldown (which Vite ships), cached under node_modules/.cache by a
// fingerprint of the sources. Starting from the bundle skips transforming ~60 modules on
// every run; when the cache cannot be written, callers fall back to running the sources.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else files.push(path);
  }
  return files.sort();
}

/** Changes when any source file (or this script) changes: size and mtime are enough here. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(packageRoot, 'src')), fileURLToPath(import.meta.url)]) {
    const stat = statSync(file);
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Paths of the bundled `cli.js`, `worker.js` and `api.js` (what songs import as `mixdown`), building them when missing; undefined if impossible. */
export async function bundledEntries() {
  try {
    const cacheRoot = join(packageRoot, 'node_modules', '.cache', 'mixdown');
    const print = fingerprint();
    const dir = join(cacheRoot, print);
    const entries = { cli: join(dir, 'cli.js'), worker: join(dir, 'worker.js'), api: join(dir, 'api.js'), fingerprint: print };
    if (existsSync(entries.cli) && existsSync(entries.worker) && existsSync(entries.api)) return entries;
    const { rolldown } = await import('rolldown');
    const bundle = await rolldown({
      input: { cli: join(packageRoot, 'src/cli/main.ts'), worker: join(packageRoot, 'src/render/worker.ts'), api: join(packageRoot, 'src/index.ts') },
      platform: 'node',
      // Dependencies stay imports: they resolve from this package's node_modules.
      external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && id !== 'mixdown',
      resolve: { alias: { mixdown: join(packageRoot, 'src/index.ts') } },
      logLevel: 'silent',
    });
    // Written to a temp folder and renamed: a concurrent run sees the whole bundle or none.
    const temp = `${dir}.${process.pid}.tmp`;
    await bundle.write({ dir: temp, format: 'esm', sourcemap: true });
    await bundle.close();
    mkdirSync(cacheRoot, { recursive: true });
    try {
      renameSync(temp, dir);
    } catch {
      rmSync(temp, { recursive: true, force: true }); // another process won the race
    }
    // Old bundles are dead weight once the sources moved on, but a command still running from
    // one (a long build, a watch, the other checkout sharing these node_modules) starts its
    // workers from it later: the newest few stay.
    const others = readdirSync(cacheRoot)
      .filter((name) => name !== print && !name.endsWith('.tmp'))
      .map((name) => ({ name, time: statSync(join(cacheRoot, name)).mtimeMs }))
      .sort((a, b) => b.time - a.time);
    for (const { name } of others.slice(KEPT_BUNDLES)) rmSync(join(cacheRoot, name), { recursive: true, force: true });
    return entries;
  } catch {
    return undefined;
  }
}

/** Bundles of earlier sources kept besides the current one. */
const KEPT_BUNDLES = 3;

export { packageRoot };
