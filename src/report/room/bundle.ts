/**
 * The room's browser code and styles, bundled at build time with rolldown (which the
 * command's own bundle uses too) into one classic script — not a module, since browsers
 * refuse module scripts from file:// — and inlined into every page, so a page opens from
 * the file system or any static host with no network. Cached per source fingerprint under
 * node_modules/.cache/mixdown-room/ by a fingerprint of the browser sources and of uPlot's
 * version (the same whether the command runs bundled or from its sources); held in memory after that.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../../io/atomic.ts';
import { packageRoot } from '../../paths.ts';

export interface RoomAssets {
  readonly script: string;
  readonly style: string;
}

let assets: Promise<RoomAssets> | undefined;

export function roomAssets(): Promise<RoomAssets> {
  assets ??= loadAssets();
  return assets;
}

async function loadAssets(): Promise<RoomAssets> {
  const root = packageRoot();
  const browser = join(root, 'src', 'report', 'room', 'browser');
  // uPlot as Node resolves it from this package: its own node_modules, or a project's where npm hoisted it.
  const uplot = dirname(createRequire(join(root, 'package.json')).resolve('uplot/package.json'));
  const style = `${readFileSync(join(uplot, 'dist', 'uPlot.min.css'), 'utf8')}\n${readFileSync(join(browser, 'room.css'), 'utf8')}`;
  const cached = join(root, 'node_modules', '.cache', 'mixdown-room', `${browserFingerprint(root, browser, uplot)}.js`);
  try {
    return { script: readFileSync(cached, 'utf8'), style };
  } catch {
    // Not bundled yet for these sources.
  }
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({ input: join(browser, 'main.ts'), platform: 'browser', logLevel: 'silent' });
  const { output } = await bundle.generate({ format: 'iife', minify: true });
  await bundle.close();
  const script = output[0].code;
  try {
    const folder = join(cached, '..');
    mkdirSync(folder, { recursive: true });
    writeFileAtomicSync(cached, script);
    // Bundles of earlier sources are dead weight.
    for (const name of readdirSync(folder)) if (join(folder, name) !== cached && !name.endsWith('.tmp')) rmSync(join(folder, name), { force: true });
  } catch {
    // A read-only install: bundle again next time.
  }
  return { script, style };
}

/** Changes when a file the browser bundle is made of changes (size and mtime, as bin/bundle.js does), or uPlot's version. */
function browserFingerprint(root: string, browser: string, uplot: string): string {
  const hash = createHash('sha256');
  const files = [...readdirSync(browser).sort().map((name) => join(browser, name)), join(browser, '..', 'types.ts')];
  for (const file of files) {
    const stat = statSync(file);
    hash.update(`${file.slice(root.length)}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  hash.update(JSON.parse(readFileSync(join(uplot, 'package.json'), 'utf8')).version);
  return hash.digest('hex').slice(0, 16);
}
