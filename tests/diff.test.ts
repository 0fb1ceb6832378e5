/**
 * `mixdown diff` on a fixture git repository made here: a song committed, then changed one
 * way per commit (a moved note, a compressor ratio, a new section, a replaced sample, a
 * refactor of its code). Each change is diffed against the commit before it; the figures
 * are checked against independent readings of the two renders (the analyze module's
 * loudness, a sample-by-sample comparison written here).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStore } from '../src/cache/store.ts';
import { analyzeFile } from '../src/cli/analyze.ts';
import { parseArgs } from '../src/cli/args.ts';
import { diffCommand } from '../src/cli/diff.ts';
import { decodeWav, encodeWavPcm } from '../src/io/wav.ts';
import type { DiffResult, SongDiff } from '../src/report/diff.ts';
import { DIFF_BLOCK } from '../src/report/diff-sound.ts';
import { createProject, REPO_ROOT, type TestProject } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

const SONG = (options: { ratio?: number; chorusBass?: string; bridge?: boolean; refactor?: boolean } = {}) => {
  const verse = `[{ pitch: 'A2', start: '0:0:0', length: '4n' }, { pitch: 'C3', start: '0:2:0', length: '4n' }]`;
  const chorus = options.chorusBass ?? `[{ pitch: 'F2', start: '0:0:0', length: '4n' }, { pitch: 'G2', start: '0:2:0', length: '4n' }]`;
  const sections = options.bridge ? '{ verse: 1, bridge: 1, chorus: 1 }' : '{ verse: 1, chorus: 1 }';
  const form = options.bridge ? `['verse', 'bridge', 'chorus']` : `['verse', 'chorus']`;
  const bridge = options.bridge ? `\n        bridge: [{ pitch: 'D3', start: '0:0:0', length: '4n' }, { pitch: 'E3', start: '0:2:0', length: '4n' }],` : '';
  if (options.refactor) {
    // The same song written another way: the function form, shared settings, helpers for the parts.
    return `import { compressor, defineSong, kit, synth } from 'mixdown';

const settings = { title: 'Groove', tempo: 120, seed: 3, tail: 0.1 };
const two = (a: string, b: string) => [a, b].map((pitch, i) => ({ pitch, start: \`0:\${i * 2}:0\`, length: '4n' as const }));
const snare = (beat: number) => [{ pitch: 38, start: \`0:\${beat}:0\`, length: '8n' as const }];

export default defineSong(() => ({
  ...settings,
  sections: ${sections}, form: ${form},
  tracks: {
    bass: { instrument: synth({ wave: 'square' }), effects: [compressor({ ratio: ${options.ratio ?? 4}, threshold: -30 })], parts: { verse: two('A2', 'C3'),${bridge} chorus: ${chorus} } },
    hit: { instrument: kit({ pads: { 38: { sample: 'samples/hit.wav' } } }), parts: { verse: snare(1), chorus: snare(3) } },
  },
}));
`;
  }
  return `import { compressor, defineSong, kit, synth } from 'mixdown';

export default defineSong({
  title: 'Groove',
  tempo: 120,
  seed: 3,
  tail: 0.1,
  sections: ${sections},
  form: ${form},
  tracks: {
    bass: {
      instrument: synth({ wave: 'square' }),
      effects: [compressor({ ratio: ${options.ratio ?? 4}, threshold: -30 })],
      parts: {
        verse: ${verse},${bridge}
        chorus: ${chorus},
      },
    },
    hit: {
      instrument: kit({ pads: { 38: { sample: 'samples/hit.wav' } } }),
      parts: { verse: [{ pitch: 38, start: '0:1:0', length: '8n' }], chorus: [{ pitch: 38, start: '0:3:0', length: '8n' }] },
    },
  },
});
`;
};

/** A 0.1 s decaying sine, 16-bit. */
function hitWav(frequency: number): Uint8Array {
  const rate = 48000;
  const samples = new Float32Array(rate / 10);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * frequency * i) / rate) * Math.exp(-i / 1200);
  return encodeWavPcm([samples], rate, 16);
}

const MOVED = `[{ pitch: 'F2', start: '0:0:240', length: '4n' }, { pitch: 'G2', start: '0:2:0', length: '4n' }]`;

let project: TestProject;

function git(...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: project.root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function commit(tag: string): void {
  git('add', '-A');
  git('commit', '-q', '-m', tag);
  git('tag', tag);
}

async function diff(...args: string[]) {
  const command = parseArgs(['diff', ...args]);
  if (command.name !== 'diff') throw new Error('not a diff command');
  return diffCommand(project.root, { ...command, jobs: 1 });
}

async function diffJson(...args: string[]): Promise<DiffResult> {
  const output = await diff(...args, '--json');
  expect(output.diagnostics).toEqual([]);
  return JSON.parse(output.stdout) as DiffResult;
}

/** An output's bytes from the project's cache, by digest: both sides were built through it. */
function render(sha256: string): Uint8Array {
  const bytes = new CacheStore(join(project.root, '.mixdown', 'cache')).getObject(sha256);
  if (!bytes) throw new Error(`no object ${sha256}`);
  return bytes;
}

/** The analyze module's figures for a render (written to a file as `mixdown analyze` reads one). */
async function analyzed(sha256: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mixdown-diff-analyze-'));
  try {
    writeFileSync(join(dir, 'render.wav'), render(sha256));
    return await analyzeFile(join(dir, 'render.wav'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** First and last differing sample of two WAVs, compared here sample by sample. */
function differingSpan(a: Uint8Array, b: Uint8Array): { first: number; last: number; length: number } {
  const x = decodeWav(a);
  const y = decodeWav(b);
  const length = Math.max(x.channels[0].length, y.channels[0].length);
  let first = -1;
  let last = -1;
  for (let i = 0; i < length; i++) {
    for (let c = 0; c < x.channels.length; c++) {
      if ((x.channels[c][i] ?? 0) !== (y.channels[c][i] ?? 0)) {
        if (first < 0) first = i;
        last = i;
      }
    }
  }
  return { first, last, length };
}

async function expectSoundAgainstAnalyze(song: SongDiff, path: string): Promise<void> {
  const output = song.sound.find((entry) => entry.path === path)!;
  expect(output.status).toBe('changed');
  const [before, after] = await Promise.all([analyzed(output.a!.sha256), analyzed(output.b!.sha256)]);
  const delta = (x: number | null, y: number | null) => (x !== null && y !== null ? Math.round((y - x) * 100) / 100 : null);
  expect(output.audio!.integrated).toEqual({ a: before.integrated, b: after.integrated, delta: delta(before.integrated, after.integrated) });
  expect(output.audio!.shortTermMax).toEqual({ a: before.shortTermMax, b: after.shortTermMax, delta: delta(before.shortTermMax, after.shortTermMax) });
  // The differing range, to the block, from a comparison made here.
  const span = differingSpan(render(output.a!.sha256), render(output.b!.sha256));
  const start = Math.floor(span.first / DIFF_BLOCK) * DIFF_BLOCK;
  expect(output.audio!.ranges[0].startSample).toBe(start);
  expect(output.audio!.ranges.at(-1)!.endSample).toBe(Math.min(span.length, (Math.floor(span.last / DIFF_BLOCK) + 1) * DIFF_BLOCK));
}

beforeAll(() => {
  project = createProject({ songs: { groove: SONG() } });
  project.write('.gitignore', 'dist/\n.mixdown/\nnode_modules\n');
  project.write('samples/.keep', '');
  writeFileSync(join(project.root, 'samples', 'hit.wav'), hitWav(440));
  git('init', '-q', '-b', 'main');
  commit('base');
  project.write('songs/groove/song.ts', SONG({ chorusBass: MOVED }));
  commit('moved');
  project.write('songs/groove/song.ts', SONG({ chorusBass: MOVED, ratio: 6 }));
  commit('ratio');
  project.write('songs/groove/song.ts', SONG({ chorusBass: MOVED, ratio: 6, bridge: true }));
  commit('bridge');
  writeFileSync(join(project.root, 'samples', 'hit.wav'), hitWav(660));
  commit('sample');
  project.write('songs/groove/song.ts', SONG({ chorusBass: MOVED, ratio: 6, bridge: true, refactor: true }));
  commit('refactor');
  project.write('songs/groove/song.ts', `throw new Error('half-written');\n`);
  commit('broken');
  project.write('songs/groove/song.ts', SONG({ chorusBass: MOVED, ratio: 6, bridge: true }));
  commit('fixed');
  project.write(
    'songs/groove/song.ts',
    SONG({ chorusBass: MOVED, ratio: 6, bridge: true })
      .replace("import { compressor, defineSong, kit, synth } from 'mixdown';", "import { compressor, defineSong, kit, removeTracks, synth } from 'mixdown';")
      .replace(/\n}\);\n$/, "\n  variants: { dry: (song) => removeTracks(song, 'hit') },\n});\n"),
  );
  commit('variant');
  // The working tree is the last commit.
}, 60_000);

afterAll(() => project?.dispose());

/** The text up to the sound section: arrangement, notes and mix, exactly. */
const musicPart = (text: string) => text.split('\n  sound\n')[0];

const sha12 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

describe('mixdown diff between revisions', () => {
  it('a moved note: the note and section named, the bass stem differing from its block on, loudness as analyze measures it', async () => {
    const output = await diff('base', 'moved');
    expect(output.code).toBe(0);
    const [base, moved] = [git('rev-parse', 'base'), git('rev-parse', 'moved')];
    expect(musicPart(output.stdout)).toBe(
      [`mixdown diff base (${base.slice(0, 12)}) → moved (${moved.slice(0, 12)})`, '', 'groove: changed; 5 of 6 outputs differ', '  notes', '    chorus 1, bass: 1 note moved by +1/16'].join('\n'),
    );
    expect(output.stdout).toContain('\n    master-16.wav: changed (compared by digest only)\n    groove.mid: changed (compared by digest only)\n    unchanged: stems/hit.wav\n');
    const result = await diffJson('base', 'moved');
    expect(result.a).toEqual({ label: 'base', kind: 'commit', commit: base });
    expect(result.b).toEqual({ label: 'moved', kind: 'commit', commit: moved });
    const [song] = result.songs;
    expect(song).toMatchObject({ song: 'groove', variant: null, status: 'changed', musicalChange: true, arrangement: [], mix: [] });
    expect(song.notes).toEqual([
      {
        section: 'chorus 1',
        track: 'bass',
        added: 0,
        removed: 0,
        moved: [{ byTicks: 240, by: '+1/16', count: 1 }],
        transposed: [],
        lengthChanged: 0,
        velocityChanged: 0,
        summary: '1 note moved by +1/16',
        notes: [
          {
            kind: 'moved',
            a: { pitch: 'F2', midi: 41, start: '1:0:0', startTick: 3840, length: '1/4', lengthTicks: 960, velocity: 100 },
            b: { pitch: 'F2', midi: 41, start: '1:0:240', startTick: 4080, length: '1/4', lengthTicks: 960, velocity: 100 },
            detail: '+1/16',
          },
        ],
      },
    ]);
    expect(song.sound.map((entry) => [entry.path, entry.status])).toEqual([
      ['stems/bass.wav', 'changed'],
      ['stems/hit.wav', 'unchanged'],
      ['mix.wav', 'changed'],
      ['master.wav', 'changed'],
      ['master-16.wav', 'changed'],
      ['groove.mid', 'changed'],
    ]);
    // The chorus starts at bar 1 (2.0 s, sample 96000): the first differing block is the one holding it.
    const bass = song.sound[0];
    expect(bass.audio!.ranges[0]).toMatchObject({ startSample: 93 * DIFF_BLOCK, start: 1.984, from: '0:3:929' });
    await expectSoundAgainstAnalyze(song, 'stems/bass.wav');
    await expectSoundAgainstAnalyze(song, 'master.wav');
    const hit = song.sound[1];
    expect(hit.a).toEqual(hit.b);
    expect(hit.audio).toBeUndefined();
  }, 60_000);

  it('a changed compressor ratio: the parameter by its path, only the bass stem and what it feeds differ', async () => {
    const output = await diff('moved', 'ratio');
    expect(musicPart(output.stdout).split('\n').slice(2)).toEqual(['groove: changed; 4 of 6 outputs differ', '  mix', '    tracks.bass.effects.compressor.ratio: 4 → 6']);
    expect(output.stdout).toContain('\n    unchanged: stems/hit.wav, groove.mid\n');
    const [song] = (await diffJson('moved', 'ratio')).songs;
    expect(song.mix).toEqual([{ path: 'tracks.bass.effects.compressor.ratio', a: 4, b: 6 }]);
    expect(song.notes).toEqual([]);
    await expectSoundAgainstAnalyze(song, 'stems/bass.wav');
    await expectSoundAgainstAnalyze(song, 'mix.wav');
    // More compression, less level: the figures say so.
    expect(song.sound[0].audio!.integrated.delta).toBeLessThan(0);
  }, 60_000);

  it('a new section: form, length and section listed, its notes added, the sections after it unchanged', async () => {
    const output = await diff('ratio', 'bridge', '--notes');
    expect(musicPart(output.stdout).split('\n').slice(2)).toEqual([
      'groove: changed; 6 of 6 outputs differ',
      '  arrangement',
      '    length: 2 bars → 3 bars',
      '    rendered length: 6.100 s → 8.100 s',
      '    form: verse chorus → verse bridge chorus',
      '    section bridge: added (1 bar)',
      '  notes',
      '    bridge 1, bass: 2 notes added',
      '      added   D3 at 1:0:0, length 1/4, velocity 100',
      '      added   E3 at 1:2:0, length 1/4, velocity 100',
    ]);
    const [song] = (await diffJson('ratio', 'bridge')).songs;
    expect(song.arrangement).toEqual([
      { path: 'length', a: '2 bars', b: '3 bars' },
      { path: 'rendered length', a: '6.100 s', b: '8.100 s' },
      { path: 'form', a: 'verse chorus', b: 'verse bridge chorus' },
      { path: 'section bridge', b: '1 bar' },
    ]);
    const bass = song.sound.find((entry) => entry.path === 'stems/bass.wav')!;
    expect(bass.audio!.lengths).toEqual({ a: 6.1 * 48000, b: 8.1 * 48000 });
    // The verse is untouched: nothing differs before the bridge's block.
    expect(bass.audio!.ranges[0].startSample).toBe(93 * DIFF_BLOCK);
    await expectSoundAgainstAnalyze(song, 'stems/bass.wav');
    await expectSoundAgainstAnalyze(song, 'master.wav');
  }, 60_000);

  it('a changed sample file: the file by its content hash, only the stem that plays it re-rendered (Markdown)', async () => {
    const [before, after] = [sha12(hitWav(440)), sha12(hitWav(660))];
    const output = await diff('bridge', 'sample', '--format', 'md');
    const [bridge, sample] = [git('rev-parse', 'bridge'), git('rev-parse', 'sample')];
    expect(output.stdout.split('\n**Sound**\n')[0]).toBe(
      [
        `## mixdown diff: \`bridge (${bridge.slice(0, 12)})\` → \`sample (${sample.slice(0, 12)})\``,
        '',
        '### groove',
        '',
        'Changed; 4 of 6 outputs differ.',
        '',
        '**Mix**',
        '',
        `- \`tracks.hit.instrument.files.samples/hit.wav\`: ${before} → ${after}`,
        '',
      ].join('\n'),
    );
    expect(output.stdout).toContain('\n| output | differs | largest difference | integrated | short-term max | octave bands |\n|---|---|---|---|---|---|\n| `stems/hit.wav` | 0.491–0.619 s (0:0:942–0:1:228), 5.483–5.611 s (2:2:927–2:3:212) |');
    expect(output.stdout).toContain('\nUnchanged: `stems/bass.wav`, `groove.mid`\n');
    const [song] = (await diffJson('bridge', 'sample')).songs;
    // The snare hits at 0:1:0 (0.5 s) and, in the chorus, 2:3:0 (5.5 s): two ranges, each to the block.
    expect(song.sound[1].audio!.ranges.map((range) => [range.startSample, range.endSample])).toEqual([
      [23 * DIFF_BLOCK, 29 * DIFF_BLOCK],
      [257 * DIFF_BLOCK, 263 * DIFF_BLOCK],
    ]);
    await expectSoundAgainstAnalyze(song, 'stems/hit.wav');
  }, 60_000);

  it('a refactor of the song code with the same SongIR: no musical change, identical digests', async () => {
    const output = await diff('sample', 'refactor');
    const [sample, refactor] = [git('rev-parse', 'sample'), git('rev-parse', 'refactor')];
    expect(output.stdout).toBe(`mixdown diff sample (${sample.slice(0, 12)}) → refactor (${refactor.slice(0, 12)})\n\ngroove: no musical change; all 6 outputs identical\n`);
    const [song] = (await diffJson('sample', 'refactor')).songs;
    expect(song).toMatchObject({ status: 'unchanged', musicalChange: false, arrangement: [], notes: [], mix: [] });
    expect(song.sound).toHaveLength(6);
    for (const entry of song.sound) {
      expect(entry.status).toBe('unchanged');
      expect(entry.a!.sha256).toBe(entry.b!.sha256);
    }
  }, 60_000);

  it('saves diff.json per song for a page to render, the same data as --json', async () => {
    const output = await diff('base', 'moved', '--json', '--save');
    expect(output.messages).toEqual(['wrote dist/groove/diff.json', 'wrote dist/groove/diff-a.wav', 'wrote dist/groove/diff-b.wav', 'wrote dist/groove/diff.html']);
    const result = JSON.parse(output.stdout) as DiffResult;
    const saved = JSON.parse(project.read('dist/groove/diff.json'));
    expect(saved).toEqual({ diffVersion: 1, a: result.a, b: result.b, ...result.songs[0] });
  }, 60_000);
});

describe('revision workspaces', () => {
  it('extracts a commit once, keeps the four most recently used, and leaves git alone', async () => {
    const list = () => readdirSync(join(project.root, '.mixdown', 'diff')).filter((name) => name !== 'working-tree').sort();
    await diff('base', 'moved');
    await diff('ratio', 'bridge');
    await diff('sample', 'refactor');
    const [base, moved, ratio, bridge, sample, refactor] = ['base', 'moved', 'ratio', 'bridge', 'sample', 'refactor'].map((tag) => git('rev-parse', tag));
    expect(list()).toEqual([bridge, ratio, refactor, sample].sort());
    // Used again: served from its workspace, nothing extracted or rendered anew.
    const marker = join(project.root, '.mixdown', 'diff', refactor, 'extracted');
    const before = statSync(marker).mtimeMs;
    expect((await diff('sample', 'refactor')).code).toBe(0);
    expect(statSync(marker).mtimeMs).toBe(before);
    expect(readFileSync(marker, 'utf8')).toBe(`${refactor}\n`);
    expect([base, moved].some((commit) => list().includes(commit))).toBe(false);
    expect(git('worktree', 'list').split('\n')).toHaveLength(1);
    expect(git('status', '--porcelain')).toBe('');
  }, 90_000);
});

describe('mixdown diff of variants', () => {
  it('a variant on one side only is listed as added; --variant picks what is compared', async () => {
    const all = await diffJson('fixed', 'variant');
    expect(all.songs.map((song) => [song.song, song.variant, song.status, song.musicalChange])).toEqual([
      ['groove', null, 'unchanged', false],
      ['groove', 'dry', 'added', null],
    ]);
    const only = await diff('fixed', 'variant', '--variant', 'dry');
    expect(only.code).toBe(0);
    expect(only.stdout.split('\n').slice(2)).toEqual(['groove (variant dry): added (not in A)', '']);
    const none = await diff('fixed', 'variant', '--variant', 'wet');
    expect(none.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.message])).toEqual([['MD404', "song 'groove' has no variant 'wet'"]]);
  }, 60_000);
});

describe('mixdown diff: bad input', () => {
  it('an unknown revision is MD420 naming it (exit 2)', async () => {
    const output = await diff('nosuch');
    expect(output.code).toBe(2);
    expect(output.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['MD420']);
    expect(output.diagnostics[0].message).toContain("'nosuch'");
    expect(output.stdout).toBe('');
  });

  it('a song missing on one side is MD421 naming the song and the side; unnamed, it is listed as added', async () => {
    project.write('songs/extra/song.ts', SONG().replace("title: 'Groove'", "title: 'Extra'"));
    try {
      const named = await diff('base', 'extra');
      expect(named.code).toBe(1);
      expect(named.diagnostics).toMatchObject([{ code: 'MD421', song: 'extra', message: "diff: song 'extra' is not in revision 'base' (it is in the working tree)" }]);
      const all = JSON.parse((await diff('variant', '--json')).stdout) as DiffResult;
      expect(all.b).toEqual({ label: 'working tree', kind: 'working tree' });
      expect(all.songs.map((song) => [song.song, song.variant, song.status])).toEqual([
        ['extra', null, 'added'],
        ['groove', null, 'unchanged'],
        ['groove', 'dry', 'unchanged'],
      ]);
    } finally {
      rmSync(join(project.root, 'songs', 'extra'), { recursive: true, force: true });
    }
  }, 60_000);

  it('a revision whose song does not load is MD422 naming the song and the revision, after the cause', async () => {
    const output = await diff('broken', 'fixed');
    expect(output.code).toBe(1);
    expect(output.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['MD102', 'MD422']);
    expect(output.diagnostics[0]).toMatchObject({ file: 'songs/groove/song.ts', line: 1, message: "revision 'broken': song 'groove' threw while loading: half-written" });
    expect(output.diagnostics[1].message).toBe("diff: song 'groove' does not build at revision 'broken': MD102 song 'groove' threw while loading: half-written");
  }, 60_000);
});

describe('mixdown diff of output folders and lock files', () => {
  it('compares two builds by their outputs, and two lock files through the cache', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'mixdown-diff-sides-'));
    try {
      expect((await project.build({ outDir: join(scratch, 'one') })).ok).toBe(true);
      cpSync(join(project.root, 'mixdown.lock'), join(scratch, 'one.lock'));
      project.write('songs/groove/song.ts', SONG({ chorusBass: MOVED, ratio: 8, bridge: true }));
      expect((await project.build({ outDir: join(scratch, 'two') })).ok).toBe(true);
      cpSync(join(project.root, 'mixdown.lock'), join(scratch, 'two.lock'));

      const folders = await diffJson(join(scratch, 'one'), join(scratch, 'two'));
      expect(folders.a.kind).toBe('output folder');
      const [song] = folders.songs;
      expect(song).toMatchObject({ song: 'groove', variant: null, status: 'changed', musicalChange: null, notes: [], mix: [] });
      // report.json knows the arrangement (unchanged here); the sound comes from the files.
      expect(song.arrangement).toEqual([]);
      expect(song.sound.filter((entry) => entry.status === 'changed').map((entry) => entry.path)).toEqual(['stems/bass.wav', 'mix.wav', 'master.wav', 'master-16.wav']);
      await expectSoundAgainstAnalyze(song, 'stems/bass.wav');

      const locks = await diffJson(join(scratch, 'one.lock'), join(scratch, 'two.lock'));
      expect(locks.a.kind).toBe('lock file');
      // Lock files list outputs sorted by path; the cache still holds both renders, so the comparison is the same.
      const sorted = [...song.sound].sort((x, y) => (x.path < y.path ? -1 : 1));
      expect([...locks.songs[0].sound].sort((x, y) => (x.path < y.path ? -1 : 1))).toEqual(sorted);

      const mixed = await diff(join(scratch, 'one'), join(scratch, 'two.lock'));
      expect(mixed.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['MD424']);
    } finally {
      spawnSync('git', ['checkout', '--', 'songs'], { cwd: project.root });
      rmSync(join(project.root, 'mixdown.lock'), { force: true });
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('mixdown diff on the command line', () => {
  it('compares HEAD with the working tree by default, and exits 2 for an unknown revision', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'diff', ...args], { cwd: project.root, encoding: 'utf8' });
    project.write('songs/groove/song.ts', project.read('songs/groove/song.ts').replace("wave: 'square'", "wave: 'saw'"));
    try {
      const changed = run('--jobs', '1');
      expect(changed.status, changed.stderr).toBe(0);
      expect(musicPart(changed.stdout).split('\n').slice(2)).toEqual(['groove: changed; 4 of 6 outputs differ', '  mix', '    tracks.bass.instrument.wave: square → saw']);
      expect(changed.stderr).toContain("building revision 'HEAD': groove");
      const unknown = run('no-such-branch');
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain("MD420 diff: 'no-such-branch' is not a revision");
      // The working tree and the git repository are as they were.
      expect(spawnSync('git', ['status', '--porcelain'], { cwd: project.root, encoding: 'utf8' }).stdout).toBe(' M songs/groove/song.ts\n');
    } finally {
      spawnSync('git', ['checkout', '--', 'songs'], { cwd: project.root });
    }
  }, 90_000);
});
