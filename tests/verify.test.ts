import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

describe('mixdown.lock and mixdown verify', () => {
  it('locks every output, verifies a clean re-render, and explains a difference', () => {
    const project = createProject({ copy: ['tiny'] });
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: project.root, encoding: 'utf8' });
    try {
      expect(run('verify').stderr).toContain('MD406');
      expect(run('build', '--jobs', '1').status).toBe(0);
      const lockText = project.read('mixdown.lock');
      const lock = JSON.parse(lockText);
      expect(Object.keys(lock.songs)).toEqual(['tiny']);
      expect(Object.keys(lock.songs.tiny.outputs).sort()).toEqual(['master-16.wav', 'master.wav', 'mix.wav', 'stems/bass.wav', 'stems/beat.wav', 'stems/lead.wav', 'tiny.mid']);
      expect(lock.songs.tiny.master.integrated).toBeLessThan(0);
      // A rebuild leaves the lock byte-identical.
      run('build');
      expect(project.read('mixdown.lock')).toBe(lockText);

      const clean = run('verify');
      expect(clean.status, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain('verified: all 7 locked outputs are byte-identical');

      // Sources that now render differently from what was locked: a quieter lead.
      project.write('songs/tiny/song.ts', project.read('songs/tiny/song.ts').replace('gain: -6,', 'gain: -6.5,'));
      const changed = run('verify');
      expect(changed.status).toBe(1);
      expect(changed.stdout).toMatch(/DIFFERS {2}tiny: stems\/lead\.wav — first differing sample \d+ \([\d.]+ s\), largest difference -\d+\.\d dBFS/);
      expect(changed.stdout).toMatch(/DIFFERS {2}tiny: master\.wav/);
      expect(changed.stdout).not.toMatch(/stems\/bass\.wav/);
      expect(changed.stdout).toMatch(/verify failed: \d+ outputs differ/);
      // verify never touches dist/ or the lock.
      expect(project.read('mixdown.lock')).toBe(lockText);

      // A song that no longer builds: verify says which, and why (the build's own error).
      project.write('songs/tiny/song.ts', project.read('songs/tiny/song.ts').replace("title: 'Tiny',", "title: 'Tiny',\n  tempo: ,"));
      const broken = run('verify');
      expect(broken.status).toBe(1);
      expect(broken.stdout).toContain('FAILED   tiny: did not build');
      expect(broken.stderr).toMatch(/songs\/tiny\/song\.ts:\d+:\d+ MD101 song 'tiny' could not be compiled/);
    } finally {
      project.dispose();
    }
  });
});
