import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');
const hasScript = spawnSync('script', ['--version']).status === 0;

describe('command-line manners', () => {
  it('--json prints one parseable summary; --quiet only the summary line; exit codes hold', () => {
    const project = createProject({ copy: ['tiny'] });
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [BIN, ...args], { cwd: project.root, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
    try {
      const json = run(['build', '--json', '--jobs', '1']);
      expect(json.status).toBe(0);
      const summary = JSON.parse(json.stdout);
      expect(summary).toMatchObject({ ok: true, rendered: 6, cached: 0 });
      expect(summary.songs[0].outputs.map((output: { path: string }) => output.path)).toContain('master.wav');
      // The stems phase's wall time, for --jobs comparisons; none when every stem was cached.
      expect(summary.songs[0].stemsSeconds).toBeGreaterThan(0);
      // Each rendered task's own time; a cache hit has none.
      for (const task of summary.songs[0].tasks) {
        expect(task.seconds).toBeGreaterThanOrEqual(0);
        expect(task.started).toBeGreaterThanOrEqual(0);
        expect(task.worker).toBe(false); // --jobs 1: all on the main thread
      }
      const again = JSON.parse(run(['build', '--json']).stdout);
      expect(again.songs[0].stemsSeconds).toBeNull();
      for (const task of again.songs[0].tasks) expect(task).not.toHaveProperty('seconds');
      const quiet = run(['build', '-q']);
      expect(quiet.stdout.trim().split('\n')).toHaveLength(1);
      expect(quiet.stdout).toMatch(/^1 of 1 songs built, 0 tasks rendered, 6 cached/);
      // Plain lines (no escape codes) when not on a terminal, and no colours for NO_COLOR.
      const plain = run(['build'], { NO_COLOR: '1' });
      expect(plain.stdout).not.toContain('\u001b');
      project.write('songs/tiny/song.ts', project.read('songs/tiny/song.ts').replace("pitch: 'A2'", 'pitch: 300'));
      const failed = run(['build', '--json']);
      expect(failed.status).toBe(1);
      expect(JSON.parse(failed.stdout).songs[0].diagnostics[0].code).toBe('MD202');
    } finally {
      project.dispose();
    }
  });

  it.skipIf(!hasScript)('draws a progress bar with an ETA on a terminal', () => {
    const project = createProject({ copy: ['tiny'] });
    try {
      const env = { ...process.env };
      delete env.CI;
      const tty = spawnSync('script', ['-qc', `${process.execPath} ${BIN} build --jobs 1`, '/dev/null'], { cwd: project.root, encoding: 'utf8', env });
      expect(tty.stdout).toMatch(/\[#+\.*\] \d\/6 tasks ETA [\d.]+s/);
      expect(tty.stdout).toMatch(/\[#{24}\] 6\/6 tasks/);
    } finally {
      project.dispose();
    }
  });
});
