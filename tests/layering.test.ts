/**
 * The one-way rule of ARCHITECTURE.md: a folder of src/ imports only folders listed below it.
 * The order is read from ARCHITECTURE.md itself, so it is written down once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

function layerOrder(): string[] {
  const text = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const block = /<!-- layers:start -->\s*```\n([\s\S]*?)```/.exec(text);
  if (!block) throw new Error('ARCHITECTURE.md has no layers block');
  return block[1].trim().split('\n').map((line) => line.split(/\s+/)[0]);
}

/** Files of a folder and of the folders inside it (report/room/…): they belong to the top folder's layer. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

/** Every import of a sibling folder, as [from folder, to folder, file]. */
function folderImports(): [string, string, string][] {
  const arrows: [string, string, string][] = [];
  for (const folder of readdirSync(src)) {
    if (!statSync(join(src, folder)).isDirectory()) continue;
    for (const file of filesUnder(join(src, folder))) {
      if (!/\.(ts|mts|mjs)$/.test(file)) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"]((?:\.\.\/)+[\w-]+)\//g)) {
        const to = relative(src, resolve(dirname(file), match[1])).split(sep)[0];
        if (to !== folder && !to.startsWith('..')) arrows.push([folder, to, relative(src, file).split(sep).join('/')]);
      }
    }
  }
  return arrows;
}

describe('the one-way import rule', () => {
  const order = layerOrder();
  const arrows = folderImports();

  it('lists every folder of src/ exactly once', () => {
    const folders = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory());
    expect([...order].sort()).toEqual([...folders].sort());
  });

  it('has no import that runs back up the list', () => {
    const upward = arrows.filter(([from, to]) => order.indexOf(to) < order.indexOf(from)).map(([from, to, file]) => `${file} → ${to}/ (${from} is below ${to})`);
    expect(upward).toEqual([]);
  });

  it('keeps paths.ts free of folder imports', () => {
    expect(readFileSync(join(src, 'paths.ts'), 'utf8')).not.toMatch(/from '\.\/[\w-]+\//);
  });

  it('sees the arrows it checks (a rule over no imports would pass vacuously)', () => {
    expect(arrows.length).toBeGreaterThan(100);
    expect(arrows).toContainEqual(['render', 'plan', 'render/run-task.ts']);
    // Files in a folder's own subfolders are checked as that folder.
    expect(arrows).toContainEqual(['report', 'master', 'report/room/analysis.ts']);
  });
});
