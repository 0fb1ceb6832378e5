import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SongInput } from '../src/api/song.ts';
import { SongLoader } from '../src/load/loader.ts';
import { createProject, REPO_ROOT } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

/**
 * A song that needs what a module system gives: a helper in another folder that reads a file
 * beside itself through import.meta.url, a CommonJS package, a package that is an ES module
 * only, and top-level await. Its bass has one note per source, so a wrong answer shows.
 */
function moduleProject() {
  const project = createProject({
    songs: {
      mods: [
        "import { defineSong, synth } from 'mixdown';",
        "import { pitchesBesideMe } from '../../lib/pitches.ts';",
        "import cjsPitch from 'cjs-pitch';",
        "import { esmPitch } from 'esm-only-pitch';",
        "const late = await Promise.resolve('C3');",
        'const pitches = [...pitchesBesideMe(), cjsPitch, esmPitch, late];',
        "export default defineSong({ title: 'Mods', tempo: 120, tracks: { bass: { instrument: synth(), notes: pitches.map((pitch, i) => ({ pitch, start: `${i}:0:0`, length: '4n' })) } } });",
      ].join('\n'),
    },
  });
  project.write(
    'lib/pitches.ts',
    [
      "import { readFileSync } from 'node:fs';",
      "export function pitchesBesideMe(): string[] {",
      "  return JSON.parse(readFileSync(new URL('./pitches.json', import.meta.url), 'utf8')) as string[];",
      '}',
    ].join('\n'),
  );
  project.write('lib/pitches.json', '["A2", "B2"]');
  project.write('node_modules/cjs-pitch/package.json', '{ "name": "cjs-pitch", "main": "index.js" }');
  project.write('node_modules/cjs-pitch/index.js', "module.exports = 'D3';\n");
  project.write('node_modules/esm-only-pitch/package.json', '{ "name": "esm-only-pitch", "type": "module", "exports": { "import": "./index.js" } }');
  project.write('node_modules/esm-only-pitch/index.js', "export const esmPitch = 'E3';\n");
  return project;
}

/** The pitches of a loaded song's bass, as written. */
function bassPitches(input: SongInput): unknown[] {
  return (input.tracks.bass?.notes ?? []).map((note) => note.pitch);
}

describe('the song loader', () => {
  it('runs a song with helpers, packages of both kinds, import.meta and top-level await', async () => {
    const project = moduleProject();
    const loader = await SongLoader.create(project.root);
    try {
      const loaded = await loader.load('mods', join(project.root, 'songs/mods/song.ts'));
      expect(loaded.ok, JSON.stringify(!loaded.ok && loaded.diagnostic)).toBe(true);
      if (!loaded.ok) return;
      expect(bassPitches(loaded.input)).toEqual(['A2', 'B2', 'D3', 'E3', 'C3']);
      // Run as an ES module (top-level await) from a file that is gone once imported.
      expect(readdirSync(join(project.root, '.mixdown/load/songs/mods')).filter((name) => name.endsWith('.mjs'))).toEqual([]);
      // The song's files are its own project modules, not the packages.
      expect(loaded.files.map((file) => file.slice(project.root.length + 1))).toEqual(['lib/pitches.ts', 'songs/mods/song.ts']);
      // Loaded again after an edit of the helper's data: the new values, not a kept module.
      project.write('lib/pitches.json', '["G2"]');
      const again = await loader.load('mods', join(project.root, 'songs/mods/song.ts'));
      expect(again.ok && bassPitches(again.input)).toEqual(['G2', 'D3', 'E3', 'C3']);
    } finally {
      project.dispose();
    }
  });

  it('runs the same song from the command (the bundled loader)', () => {
    const project = moduleProject();
    try {
      const run = spawnSync(process.execPath, [BIN, 'inspect', 'mods'], { cwd: project.root, encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/bass/);
    } finally {
      project.dispose();
    }
  });

  it('points a missing import and an error thrown in a helper at the line in the project file', async () => {
    const project = createProject({
      songs: {
        missing: ["import { defineSong } from 'mixdown';", "import { nothing } from './not-there.ts';", "export default defineSong({ title: 'x', tempo: 120, tracks: { a: { notes: nothing } } });"].join('\n'),
        thrower: ["import { defineSong } from 'mixdown';", "import { pitches } from '../../lib/throws.ts';", "export default defineSong({ title: 'x', tempo: 120, tracks: { a: { notes: pitches() } } });"].join('\n'),
        early: ["import { defineSong } from 'mixdown';", "import { ready } from '../../lib/early.ts';", "export default defineSong({ title: 'x', tempo: 120, tracks: { a: { notes: ready } } });"].join('\n'),
      },
    });
    project.write('lib/throws.ts', ['// a helper that fails when called', 'export function pitches(): never {', "  const reason: string = 'no pitches here';", '  throw new Error(reason);', '}'].join('\n'));
    project.write('lib/early.ts', ['// a helper that fails as it is imported', "const reason: string = 'not ready';", 'export const ready: never[] = [];', 'if (ready.length === 0) throw new Error(reason);'].join('\n'));
    const loader = await SongLoader.create(project.root);
    try {
      const missing = await loader.load('missing', join(project.root, 'songs/missing/song.ts'));
      expect(missing.ok).toBe(false);
      if (missing.ok) return;
      expect([missing.diagnostic.code, missing.diagnostic.file, missing.diagnostic.line]).toEqual(['MD101', 'songs/missing/song.ts', 2]);
      expect(missing.diagnostic.message).toContain('not-there.ts');
      const thrower = await loader.load('thrower', join(project.root, 'songs/thrower/song.ts'));
      expect(thrower.ok).toBe(false);
      if (thrower.ok) return;
      expect(thrower.diagnostic.code).toBe('MD102');
      expect(thrower.diagnostic.message).toContain('no pitches here');
      // The song's own line that called the helper (the song's frame is preferred).
      expect([thrower.diagnostic.file, thrower.diagnostic.line]).toEqual(['songs/thrower/song.ts', 3]);
      // A helper that throws as it is imported: its own file and line, through the bundle's source map.
      const early = await loader.load('early', join(project.root, 'songs/early/song.ts'));
      expect(!early.ok && [early.diagnostic.code, early.diagnostic.file, early.diagnostic.line]).toEqual(['MD102', 'lib/early.ts', 4]);
      // The command says the same.
      const run = spawnSync(process.execPath, [BIN, 'check'], { cwd: project.root, encoding: 'utf8' });
      expect(run.stderr).toMatch(/songs\/thrower\/song\.ts:3:\d+ MD102 .*no pitches here/);
      expect(run.stderr).toMatch(/lib\/early\.ts:4:\d+ MD102 .*not ready/);
      expect(run.stderr).toMatch(/songs\/missing\/song\.ts:2:\d+ MD101 .*not-there\.ts/);
    } finally {
      project.dispose();
    }
  });
});
