import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/dsp/random.ts';
import { decodeWav } from '../src/io/wav.ts';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** Every WAV in dist parses; every cache object's bytes hash to its name; no temp files are read as outputs. */
function checkConsistent(root: string): void {
  for (const file of filesUnder(join(root, 'dist'))) {
    if (file.endsWith('.tmp')) continue; // a killed write's leftover: never at an output's name
    if (file.endsWith('.wav')) expect(() => decodeWav(readFileSync(file)), file).not.toThrow();
    if (file.endsWith('.json')) expect(() => JSON.parse(readFileSync(file, 'utf8')), file).not.toThrow();
  }
  for (const file of filesUnder(join(root, '.mixdown', 'cache', 'objects'))) {
    if (file.endsWith('.tmp')) continue;
    expect(createHash('sha256').update(readFileSync(file)).digest('hex'), file).toBe(file.split('/').pop());
  }
}

describe('crash safety', () => {
  it('leaves whole files and a trustworthy cache when builds are killed at random moments', async () => {
    const project = createProject({ copy: ['tiny'] });
    const reference = createProject({ copy: ['tiny'] });
    try {
      expect(spawnSync(process.execPath, [BIN, 'build', '--jobs', '1'], { cwd: reference.root }).status).toBe(0);
      const random = createRandom(77);
      const source = project.read('songs/tiny/song.ts');
      for (let round = 0; round < 8; round++) {
        // Alternate between two versions of the song so kills land on both new and old outputs.
        project.write('songs/tiny/song.ts', round % 2 ? source.replace('gain: -6,', 'gain: -7,') : source);
        const child = spawn(process.execPath, [BIN, 'build', '--no-cache', '--jobs', '2'], { cwd: project.root, stdio: 'ignore' });
        const delay = 50 + Math.floor(random() * 700);
        await new Promise<void>((resolveKill) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), delay);
          child.on('exit', () => {
            clearTimeout(timer);
            resolveKill();
          });
        });
        checkConsistent(project.root);
      }
      // The next build trusts what the killed ones left, and ends exactly where a clean build does.
      project.write('songs/tiny/song.ts', source);
      const final = spawnSync(process.execPath, [BIN, 'build', '--jobs', '1'], { cwd: project.root, encoding: 'utf8' });
      expect(final.status, final.stderr).toBe(0);
      checkConsistent(project.root);
      // Temp files of killed writes are swept from the output folders.
      expect(filesUnder(join(project.root, 'dist')).filter((file) => file.endsWith('.tmp'))).toEqual([]);
      for (const file of ['master.wav', 'mix.wav', 'stems/lead.wav', 'tiny.mid']) {
        expect(project.bytes(`dist/tiny/${file}`).equals(reference.bytes(`dist/tiny/${file}`)), file).toBe(true);
      }
    } finally {
      project.dispose();
      reference.dispose();
    }
  }, 120_000);

  it('lets two builds of one project run at once, both succeeding with the same outputs', async () => {
    const project = createProject({ copy: ['tiny'] });
    try {
      const run = () =>
        new Promise<number>((resolveRun) => {
          const child = spawn(process.execPath, [BIN, 'build', '--jobs', '1'], { cwd: project.root, stdio: 'ignore' });
          child.on('exit', (code) => resolveRun(code ?? -1));
        });
      expect(await Promise.all([run(), run()])).toEqual([0, 0]);
      checkConsistent(project.root);
      const report = JSON.parse(project.read('dist/tiny/report.json'));
      for (const output of report.outputs as { path: string; sha256: string }[]) {
        expect(createHash('sha256').update(project.bytes(`dist/tiny/${output.path}`)).digest('hex'), output.path).toBe(output.sha256);
      }
    } finally {
      project.dispose();
    }
  }, 60_000);
});
