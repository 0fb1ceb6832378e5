import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSize } from '../src/cache/maintenance.ts';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

describe('cache maintenance', () => {
  it('reads sizes', () => {
    expect(parseSize('2GB')).toBe(2 * 1024 ** 3);
    expect(parseSize('500 mb')).toBe(500 * 1024 ** 2);
    expect(parseSize('1.5k')).toBe(1536);
    expect(parseSize('12')).toBe(12);
    expect(parseSize('lots')).toBeUndefined();
  });

  it('reports stats, prunes to a size keeping what the last build used, and cleans', async () => {
    const project = createProject({ copy: ['tiny'] });
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: project.root, encoding: 'utf8' });
    try {
      expect(run('build', '--jobs', '1').status).toBe(0);
      // An older version of one stem, then the current one again: the old objects are the least recently used.
      const source = project.read('songs/tiny/song.ts');
      project.write('songs/tiny/song.ts', source.replace('gain: -6,', 'gain: -7,'));
      expect(run('build', '--jobs', '1').status).toBe(0);
      project.write('songs/tiny/song.ts', source);
      expect(run('build', '--jobs', '1').stdout).toMatch(/0 tasks rendered/);
      const stats = run('cache', 'stats');
      expect(stats.status).toBe(0);
      const [, actions, objects] = /(\d+) actions, (\d+) objects/.exec(stats.stdout)!.map(Number);
      // 6 tasks and the listening room's 4 measurements (3 stems' peaks, the master), then
      // stem:lead, mix and master again, with the lead's peaks and the master's measurement.
      expect(actions).toBe(15);
      expect(objects).toBe(17); // 7 outputs + 4 measurements, then the lead stem, mix, master, master-16 and 2 measurements again
      // Room for the current build only (~9.7 MB): everything the last build used survives.
      const pruned = run('cache', 'prune', '--max-size', '10MB');
      expect(pruned.status, pruned.stderr).toBe(0);
      expect(pruned.stdout).toMatch(/removed 3 actions and 4 objects/);
      expect(run('build', '--jobs', '1').stdout).toMatch(/0 tasks rendered, 6 cached/);
      expect(run('cache', 'prune', '--max-size', 'lots').status).toBe(2);
      expect(run('clean').status).toBe(0);
      expect(existsSync(join(project.root, 'dist'))).toBe(false);
      expect(existsSync(join(project.root, '.mixdown'))).toBe(false);
    } finally {
      project.dispose();
    }
  });
});
