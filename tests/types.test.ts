import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/project.ts';

it('types reject misspelt options, bare-number times, unknown pitch names and units (tsc)', () => {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(REPO_ROOT, 'tests/types/tsconfig.json')], { encoding: 'utf8' });
  // Every @ts-expect-error in tests/types/song-types.ts must meet an error: an unused one is TS2578.
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
});

it('type-checks the whole project: sources, songs and tests (npm run check)', () => {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(REPO_ROOT, 'tsconfig.json')], { encoding: 'utf8' });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
});
