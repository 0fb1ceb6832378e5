import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

describe('mixdown check', () => {
  it('type-checks songs with TypeScript and validates every song without rendering', () => {
    const project = createProject({ copy: ['tiny'] });
    const run = () => spawnSync(process.execPath, [BIN, 'check'], { cwd: project.root, encoding: 'utf8' });
    try {
      const clean = run();
      expect(clean.status, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain('checked 1 songs and 0 variants: no errors');
      // A misspelt option: a type error with file, line, column and a frame.
      const source = project.read('songs/tiny/song.ts');
      project.write('songs/tiny/song.ts', source.replace("synth({ wave: 'saw' })", "synth({ wav: 'saw' })"));
      const typo = run();
      expect(typo.status).toBe(1);
      const line = source.split('\n').findIndex((text) => text.includes("synth({ wave: 'saw' })")) + 1;
      expect(typo.stderr).toMatch(new RegExp(`songs/tiny/song\\.ts:${line}:\\d+ TS2561 Object literal may only specify known properties`));
      expect(typo.stderr).toContain(`> ${line} |`);
      // tsc keeps its incremental state in the project: a second check with nothing changed
      // still reports the error (from that state), and a fix clears it.
      expect(existsSync(join(project.root, '.mixdown', 'check', 'tsbuildinfo'))).toBe(true);
      const again = run();
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`songs/tiny/song\\.ts:${line}:\\d+ TS2561`));
      // A pitch out of range type-checks (it is a number) but fails validation.
      project.write('songs/tiny/song.ts', source.replace("{ pitch: 'A2', start: '0:0:0', length: '2n' }", "{ pitch: 130, start: '0:0:0', length: '2n' }"));
      const invalid = run();
      expect(invalid.status).toBe(1);
      expect(invalid.stderr).toMatch(/songs\/tiny\/song\.ts:\d+:\d+ MD202 track 'bass' note 0: pitch 130/);
      expect(invalid.stderr).not.toContain('TS2561');
      // Nothing was rendered.
      expect(spawnSync('ls', [join(project.root, 'dist')]).status).not.toBe(0);
    } finally {
      project.dispose();
    }
  });
});
