import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import toneMidi from '@tonejs/midi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../src/io/wav.ts';
import { createProject, REPO_ROOT, renderedTasks, type TestProject } from './helpers/project.ts';

const { Midi } = toneMidi as unknown as { Midi: typeof import('@tonejs/midi').Midi };

describe('build of the tiny song', () => {
  let project: TestProject;
  beforeAll(() => {
    project = createProject({ copy: ['tiny'] });
  });
  afterAll(() => project.dispose());

  it('writes stems, mix, master, MIDI and a report', async () => {
    const result = await project.build();
    expect(result.ok).toBe(true);
    expect(renderedTasks(result, 'tiny')).toEqual(['master', 'midi', 'mix', 'stem:bass', 'stem:beat', 'stem:lead']);

    const stem = decodeWav(project.bytes('dist/tiny/stems/lead.wav'));
    expect(stem.format).toBe('float');
    expect(stem.bitsPerSample).toBe(32);
    expect(stem.sampleRate).toBe(48000);
    expect(stem.channels).toHaveLength(2);
    const master = decodeWav(project.bytes('dist/tiny/master.wav'));
    expect(master.format).toBe('pcm');
    expect(master.bitsPerSample).toBe(24);
    // Two bars at 120 BPM = 4 s, plus the longest release tail and the song's 0.25 s tail.
    expect(master.channels[0].length).toBeGreaterThan(4 * 48000);
    expect(master.channels[0].length).toBe(stem.channels[0].length);
    expect(readdirSync(join(project.root, 'dist/tiny/stems')).sort()).toEqual(['bass.wav', 'beat.wav', 'lead.wav']);

    const report = JSON.parse(project.read('dist/tiny/report.json'));
    expect(report.song).toBe('tiny');
    expect(report.sampleRate).toBe(48000);
    expect(report.lengthSamples).toBe(master.channels[0].length);
    expect(report.master.peakDb).toBeLessThanOrEqual(-1);
    const paths = report.outputs.map((output: { path: string }) => output.path).sort();
    expect(paths).toEqual(['master-16.wav', 'master.wav', 'mix.wav', 'stems/bass.wav', 'stems/beat.wav', 'stems/lead.wav', 'tiny.mid']);
    const sixteen = decodeWav(project.bytes('dist/tiny/master-16.wav'));
    expect(sixteen).toMatchObject({ format: 'pcm', bitsPerSample: 16 });
  });

  it('exports MIDI that @tonejs/midi reads back with the same notes, tempo, meter and names', () => {
    const midi = new Midi(project.bytes('dist/tiny/tiny.mid'));
    expect(midi.header.ppq).toBe(960);
    expect(midi.header.tempos[0].bpm).toBeCloseTo(120, 6);
    expect(midi.header.timeSignatures[0].timeSignature).toEqual([4, 4]);
    const named = midi.tracks.filter((track) => track.notes.length > 0);
    expect(named.map((track) => track.name)).toEqual(['lead', 'bass', 'beat']);
    const lead = named[0];
    expect(lead.notes.map((n) => [n.midi, n.ticks, n.durationTicks, Math.round(n.velocity * 127)])).toEqual([
      [69, 0, 960, 100],
      [72, 960, 960, 90],
      [76, 1920, 1920, 80],
      [69, 3840, 3840, 100],
    ]);
    expect(named[2].channel).toBe(9);
    expect(named[2].notes.map((n) => n.midi)).toEqual([36, 42, 38, 42, 36, 39, 46]);
  });

  it('renders nothing when nothing changed', async () => {
    const result = await project.build();
    expect(result.ok).toBe(true);
    expect(result.rendered).toBe(0);
    expect(result.cached).toBe(6);
  });

  it('renders nothing when only a comment changed', async () => {
    project.write('songs/tiny/song.ts', `// a new comment\n${project.read('songs/tiny/song.ts')}`);
    const result = await project.build();
    expect(result.rendered).toBe(0);
  });

  it('re-renders exactly the edited stem, the mix, the master and the MIDI after a note edit', async () => {
    const before = project.bytes('dist/tiny/stems/bass.wav');
    project.write('songs/tiny/song.ts', project.read('songs/tiny/song.ts').replace("{ pitch: 'C5', start: '0:1:0'", "{ pitch: 'D5', start: '0:1:0'"));
    const reasons: Record<string, readonly string[]> = {};
    const result = await project.build({
      onEvent: (event) => {
        if (event.type === 'task-done' && event.reasons) reasons[event.result.id] = event.reasons;
      },
    });
    expect(renderedTasks(result, 'tiny')).toEqual(['master', 'midi', 'mix', 'stem:lead']);
    // --explain's material: which input of each key changed.
    expect(reasons).toEqual({
      'stem:lead': ['notes of track lead changed'],
      mix: ['input stem:lead changed'],
      master: ['input mix changed'],
      midi: ['MIDI content (notes, names, tempo, meter) changed'],
    });
    expect(project.bytes('dist/tiny/stems/bass.wav').equals(before)).toBe(true);
  });

  it('renders everything again with useCache: false', async () => {
    const result = await project.build({ useCache: false });
    expect(result.rendered).toBe(6);
  });
});

describe('a song that imports a helper module', () => {
  it('re-renders when the helper changes, even though the song file did not', async () => {
    const project = createProject({
      songs: {
        helper: [
          "import { defineSong, synth } from 'mixdown';",
          "import { riff } from './riff.ts';",
          "export default defineSong({ title: 'h', tempo: 120, tail: 0, tracks: { a: { instrument: synth(), notes: riff }, b: { instrument: synth(), notes: [{ pitch: 40, start: '0:0', length: '4n' }] } } });",
        ].join('\n'),
      },
    });
    try {
      project.write('songs/helper/riff.ts', "export const riff = [{ pitch: 'A3', start: '0:0', length: '4n' }] as const;\n");
      expect((await project.build()).rendered).toBe(5);
      expect((await project.build()).rendered).toBe(0);
      project.write('songs/helper/riff.ts', "export const riff = [{ pitch: 'B3', start: '0:0', length: '4n' }] as const;\n");
      const result = await project.build();
      expect(renderedTasks(result, 'helper')).toEqual(['master', 'midi', 'mix', 'stem:a']);
    } finally {
      project.dispose();
    }
  });
});

describe('reproducibility', () => {
  it('gives byte-identical outputs in two fresh projects, with 1 and with 2 jobs', async () => {
    const a = createProject({ copy: ['tiny'] });
    const b = createProject({ copy: ['tiny'] });
    try {
      expect((await a.build({ jobs: 1 })).ok).toBe(true);
      expect((await b.build({ jobs: 2 })).ok).toBe(true);
      const files = ['master.wav', 'mix.wav', 'stems/lead.wav', 'stems/bass.wav', 'stems/beat.wav', 'tiny.mid', 'report.json'];
      for (const file of files) expect(a.bytes(`dist/tiny/${file}`).equals(b.bytes(`dist/tiny/${file}`)), file).toBe(true);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('buses, sends and sidechains at any parallelism', () => {
  // Three buses fed by one stem, one keyed by another stem: at --jobs 2 the stems render in
  // workers (the key travels from the main thread's memory), the buses here.
  const song = `import { compressor, defineSong, delay, reverb, synth, utility } from 'mixdown';
export default defineSong({
  title: 'Lanes',
  tempo: 120,
  tail: 0.5,
  tracks: {
    keys: {
      instrument: synth({ wave: 'saw' }),
      output: 'glue',
      sends: [{ to: 'hall', level: -6 }, { to: 'echo', level: -9 }, { to: 'crush', level: -3 }],
      notes: [{ pitch: 'C4', start: '0:0', length: '4n' }, { pitch: 'G4', start: '0:2', length: '4n' }, { pitch: 'E4', start: '1:0', length: '2n' }],
    },
    kick: { instrument: synth({ wave: 'sine' }), output: 'glue', notes: [{ pitch: 'C2', start: '0:0', length: '8n' }, { pitch: 'C2', start: '1:0', length: '8n' }] },
  },
  buses: {
    hall: { output: 'glue', effects: [reverb({ decay: 1.2 })] },
    echo: { output: 'glue', effects: [delay({ time: '8n', feedback: 0.4 })] },
    crush: { output: 'glue', effects: [compressor({ threshold: -30, ratio: 4 }, { sidechain: 'kick' }), utility({ gain: -6 })] },
    glue: { effects: [compressor({ threshold: -18, ratio: 2 })] },
  },
});
`;

  it('renders byte-identically to one thread, and says which tasks ran in a worker', async () => {
    const one = createProject({ songs: { lanes: song } });
    const two = createProject({ songs: { lanes: song } });
    try {
      expect((await one.build({ jobs: 1 })).ok).toBe(true);
      const inWorker: string[] = [];
      const result = await two.build({ jobs: 2, onEvent: (event) => event.type === 'task-done' && event.result.inWorker && inWorker.push(event.result.id) });
      expect(result.ok).toBe(true);
      // Stems and buses (two or more render); the mix and master stay in this thread (one variant).
      expect(inWorker.sort()).toEqual(['bus:crush', 'bus:echo', 'bus:glue', 'bus:hall', 'stem:keys', 'stem:kick']);
      const files = ['buses/hall.wav', 'buses/echo.wav', 'buses/crush.wav', 'buses/glue.wav', 'mix.wav', 'master.wav'];
      for (const file of files) expect(one.bytes(`dist/lanes/${file}`).equals(two.bytes(`dist/lanes/${file}`)), file).toBe(true);
    } finally {
      one.dispose();
      two.dispose();
    }
  });
});

describe('a broken song', () => {
  it('reports a syntax error with file and line, keeps earlier outputs, and still builds the other songs', async () => {
    const project = createProject({ copy: ['tiny'] });
    try {
      expect((await project.build()).ok).toBe(true);
      const goodMaster = project.bytes('dist/tiny/master.wav');
      project.write('songs/other/song.ts', "import { defineSong } from 'mixdown';\nexport default defineSong({ title: 'x', tempo: 120, tracks: {} });\n");
      const broken = project.read('songs/tiny/song.ts').replace("title: 'Tiny',", "title: 'Tiny',\n  tempo: ,");
      project.write('songs/tiny/song.ts', broken);
      const result = await project.build();
      expect(result.ok).toBe(false);
      const tiny = result.songs.find((song) => song.song === 'tiny')!;
      expect(tiny.ok).toBe(false);
      expect(tiny.diagnostics[0].code).toBe('MD101');
      expect(tiny.diagnostics[0].file).toBe('songs/tiny/song.ts');
      const brokenLine = broken.split('\n').findIndex((line) => line.includes('tempo: ,')) + 1;
      expect(tiny.diagnostics[0].line).toBe(brokenLine);
      expect(project.bytes('dist/tiny/master.wav').equals(goodMaster)).toBe(true);
      // The other song was still loaded and elaborated (and rejected for being empty).
      const other = result.songs.find((song) => song.song === 'other')!;
      expect(other.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['MD201']);
    } finally {
      project.dispose();
    }
  });

  it('reports a runtime error with the line that threw', async () => {
    const source = [
      "import { defineSong, synth } from 'mixdown';",
      'const notes = [];',
      "if (notes.length === 0) throw new Error('no notes yet');",
      "export default defineSong({ title: 'x', tempo: 120, tracks: { a: { instrument: synth(), notes } } });",
    ].join('\n');
    const project = createProject({ songs: { thrower: source } });
    try {
      const result = await project.build();
      const [diagnostic] = result.songs[0].diagnostics;
      expect(diagnostic.code).toBe('MD102');
      expect(diagnostic.message).toContain('no notes yet');
      expect(diagnostic.file).toBe('songs/thrower/song.ts');
      expect(diagnostic.line).toBe(3);
      expect(existsSync(join(project.root, 'dist/thrower'))).toBe(false);
    } finally {
      project.dispose();
    }
  });
});

describe('the command line', () => {
  it('builds, prints each task, and exits 1 when a song fails', async () => {
    const { spawnSync } = await import('node:child_process');
    const project = createProject({ copy: ['tiny'] });
    const bin = join(REPO_ROOT, 'bin', 'mixdown.js');
    try {
      const first = spawnSync(process.execPath, [bin, 'build', '--jobs', '1'], { cwd: project.root, encoding: 'utf8' });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/rendered\s+stem:lead/);
      expect(first.stdout).toMatch(/1 of 1 songs built, 6 tasks rendered, 0 cached/);
      const second = spawnSync(process.execPath, [bin, 'build', 'tiny'], { cwd: project.root, encoding: 'utf8' });
      expect(second.stdout).toMatch(/cached\s+master/);
      expect(second.stdout).toMatch(/0 tasks rendered, 6 cached/);
      project.write('songs/tiny/song.ts', project.read('songs/tiny/song.ts').replace("pitch: 'A2'", 'pitch: 200'));
      const failed = spawnSync(process.execPath, [bin, 'build', '--out', 'elsewhere'], { cwd: project.root, encoding: 'utf8' });
      expect(failed.status).toBe(1);
      expect(failed.stderr).toMatch(/songs\/tiny\/song\.ts:\d+:\d+ MD202 track 'bass' note 0: pitch 200 is outside MIDI's 0–127/);
      const usage = spawnSync(process.execPath, [bin, 'build', '--jobs', 'zero'], { cwd: project.root, encoding: 'utf8' });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain('MD402');
      expect(readFileSync(join(project.root, 'dist/tiny/master.wav')).length).toBeGreaterThan(0);
    } finally {
      project.dispose();
    }
  });
});
