import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

describe('mixdown watch', () => {
  it('rebuilds what a save changes, holds back a song with a type or syntax error, and reports save-to-master time', async () => {
    const project = createProject({ copy: ['tiny'] });
    const child = spawn(process.execPath, [BIN, 'watch', '--jobs', '1'], { cwd: project.root, env: { ...process.env, CI: 'true' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    /** Wait until `pattern` has appeared `count` times in the output (bounded). */
    const waitFor = async (pattern: RegExp, count: number) => {
      const deadline = Date.now() + 30_000;
      while ((output.match(new RegExp(pattern.source, 'g')) ?? []).length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${output}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
    };
    try {
      await waitFor(/watching songs/, 1);
      expect(output).toMatch(/6 tasks rendered/);
      const source = project.read('songs/tiny/song.ts');
      project.write('songs/tiny/song.ts', source.replace("{ pitch: 'C5', start: '0:1:0'", "{ pitch: 'D5', start: '0:1:0'"));
      await waitFor(/watching songs/, 2);
      expect(output).toMatch(/4 tasks rendered, 2 cached/);
      expect(output).toMatch(/rebuilt \d+\.\d\ds after the save/);
      // The new mix was audible first: written as preview.wav before the master, and it is the mix.
      const rebuild = output.slice(output.indexOf('watching songs'));
      const preview = /preview (\d+\.\d\d)s after the save: dist\/tiny\/preview\.wav \(tiny, the whole mix; master follows\)/.exec(rebuild);
      const master = /rebuilt (\d+\.\d\d)s after the save/.exec(rebuild);
      expect(preview, rebuild).not.toBeNull();
      expect(rebuild.indexOf(preview![0])).toBeLessThan(rebuild.indexOf(master![0]));
      expect(Number(preview![1])).toBeLessThanOrEqual(Number(master![1]));
      expect(project.bytes('dist/tiny/preview.wav').equals(project.bytes('dist/tiny/mix.wav'))).toBe(true);
      const goodMaster = project.bytes('dist/tiny/master.wav');
      // A type error that would still run: TypeScript's error with its code frame, and the
      // song is not rebuilt (its last good outputs stay).
      project.write('songs/tiny/song.ts', `${source}\nconst typo: number = 'loud';\nvoid typo;\n`);
      await waitFor(/watching songs/, 3);
      expect(output).toMatch(/songs\/tiny\/song\.ts:\d+:\d+ TS2322/);
      expect(output).toMatch(/const typo: number = 'loud'/);
      expect(output).toMatch(/MD106 song 'tiny' was not rebuilt: 1 TypeScript error in its files/);
      expect(project.bytes('dist/tiny/master.wav').equals(goodMaster)).toBe(true);
      // A type error with a change that renders: the song renders into the cache while
      // TypeScript checks, but nothing reaches dist/ — no preview, the outputs as they were.
      const goodPreview = project.bytes('dist/tiny/preview.wav');
      project.write('songs/tiny/song.ts', `${source.replace("{ pitch: 'C5', start: '0:1:0'", "{ pitch: 'E5', start: '0:1:0'")}\nconst typo: number = 'loud';\nvoid typo;\n`);
      await waitFor(/watching songs/, 4);
      expect(output.slice(output.lastIndexOf('TS2322'))).toMatch(/MD106 song 'tiny' was not rebuilt/);
      expect(project.bytes('dist/tiny/master.wav').equals(goodMaster)).toBe(true);
      expect(project.bytes('dist/tiny/preview.wav').equals(goodPreview)).toBe(true);
      project.write('songs/tiny/song.ts', source.replace("title: 'Tiny',", "title: 'Tiny',\n  tempo: ,"));
      await waitFor(/watching songs/, 5);
      expect(output).toMatch(/MD101/);
      expect(project.bytes('dist/tiny/master.wav').equals(goodMaster)).toBe(true);
      project.write('songs/tiny/song.ts', source);
      await waitFor(/watching songs/, 6);
      expect(output.slice(output.lastIndexOf('MD101'))).toMatch(/1 of 1 songs built/);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolveExit) => child.once('exit', resolveExit));
      project.dispose();
    }
  }, 90_000);
});
