/**
 * The one-way rule of ARCHITECTURE.md: a folder of src/ imports only folders listed below it.
 * The order is read from ARCHITECTURE.md itself, so it is written down once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

function layerOrder(): string[] {
  const text = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const block = /<!-- layers:start -->\s*```\n([\s\S]*?)```/.exec(text);
  if (!block) throw new Error('ARCHITECTURE.md has no layers block');
  return block[1].trim().split('\n').map((line) => line.split(/\s+/)[0]);
}

/** Every import of a sibling folder, as [from folder, to folder, file]. */
function folderImports(): [string, string, string][] {
  const arrows: [string, string, string][] = [];
  for (const folder of readdirSync(src)) {
    if (!statSync(join(src, folder)).isDirectory()) continue;
    for (const file of readdirSync(join(src, folder))) {
      if (!/\.(ts|mts|mjs)$/.test(file)) continue;
      const text = readFileSync(join(src, folder, file), 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"]\.\.\/([\w-]+)\//g)) arrows.push([folder, match[1], `${folder}/${file}`]);
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
  });
});
