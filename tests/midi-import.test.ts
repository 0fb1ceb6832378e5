import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import toneMidi from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import { encodeMidi, type MidiParams } from '../src/io/midi.ts';
import { createProject, REPO_ROOT, renderedTasks } from './helpers/project.ts';

const { Midi } = toneMidi as unknown as { Midi: typeof import('@tonejs/midi').Midi };

/** A two-track file written at PPQ 480, to exercise rescaling to 960. */
function riffFile(transposeBy = 0): Uint8Array {
  const midi = new Midi();
  midi.header.setTempo(100);
  midi.header.timeSignatures.push({ ticks: 0, timeSignature: [4, 4] });
  midi.header.name = 'Riff';
  const bass = midi.addTrack();
  bass.name = 'Bass Line';
  bass.instrument.number = 33;
  // Bar 0: E2 on 1 and 3; bar 1: G2 on 1 (a bit late, for quantising); bar 2: A2.
  for (const [pitch, ticks] of [
    [40, 0],
    [40, 960],
    [43, 1920 + 30],
    [45, 3840],
  ])
    bass.addNote({ midi: pitch + transposeBy, ticks, durationTicks: 480, velocity: 100 / 127 });
  const kit = midi.addTrack();
  kit.name = 'Kit';
  kit.channel = 9;
  kit.addNote({ midi: 36, ticks: 0, durationTicks: 120, velocity: 1 });
  return new Uint8Array(midi.toArray());
}

describe('MIDI clips in songs', () => {
  it('take a track and a bar range, transposed and quantised, and rebuild when the file changes', async () => {
    const project = createProject({
      songs: {
        clip: [
          "import { defineSong, midiClip, synth } from 'mixdown';",
          'export default defineSong({',
          "  title: 'Clip', tempo: 100, tail: 0,",
          '  tracks: {',
          "    bass: { instrument: synth(), notes: midiClip('songs/clip/riff.mid', { track: 'Bass Line', bars: [1, 3], transpose: 12, quantize: '16n' }) },",
          "    whole: { instrument: synth(), notes: midiClip(new URL('./riff.mid', import.meta.url)) },",
          '  },',
          '});',
        ].join('\n'),
      },
    });
    try {
      project.write('songs/clip/riff.mid', '');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(project.root, 'songs/clip/riff.mid'), riffFile());
      const result = await project.build();
      expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
      const midi = new Midi(project.bytes('dist/clip/clip.mid'));
      const notes = (name: string) => midi.tracks.find((track) => track.name === name)!.notes.map((n) => [n.midi, n.ticks, n.durationTicks]);
      // Bars 1–2 of the file (PPQ 480 → 960), moved to start at 0, up an octave, snapped to 16ths.
      expect(notes('bass')).toEqual([
        [55, 0, 960],
        [57, 3840, 960],
      ]);
      expect(notes('whole')).toEqual([
        [40, 0, 960],
        [40, 1920, 960],
        [43, 3900, 960],
        [45, 7680, 960],
      ]);
      expect((await project.build()).rendered).toBe(0);
      // Editing only the .mid file re-runs the song.
      writeFileSync(join(project.root, 'songs/clip/riff.mid'), riffFile(2));
      expect(renderedTasks(await project.build(), 'clip')).toEqual(['master', 'midi', 'mix', 'stem:bass', 'stem:whole']);
    } finally {
      project.dispose();
    }
  });

  it('reports a missing file at the line that asked for it', async () => {
    const project = createProject({
      songs: {
        missing: ["import { defineSong, midiClip, synth } from 'mixdown';", '', "export default defineSong({ title: 'x', tempo: 90, tracks: { a: { instrument: synth(), notes: midiClip('nope.mid') } } });"].join('\n'),
      },
    });
    try {
      const [diagnostic] = (await project.build()).songs[0].diagnostics;
      expect(diagnostic).toMatchObject({ code: 'MD102', file: 'songs/missing/song.ts', line: 3 });
      expect(diagnostic.message).toContain("midiClip: cannot read 'nope.mid'");
    } finally {
      project.dispose();
    }
  });
});

describe('mixdown import-midi', () => {
  it('writes a formatted, typed song module that builds to the same notes', async () => {
    const params: MidiParams = {
      title: "Imported 'Tune'",
      ppq: 960,
      tempoMap: [
        { tick: 0, bpm: 96, rampToNext: false },
        { tick: 7680, bpm: 120, rampToNext: false },
      ],
      meterMap: [
        { tick: 0, bar: 0, numerator: 4, denominator: 4 },
        { tick: 7680, bar: 2, numerator: 6, denominator: 8 },
      ],
      key: { sharps: 0, minor: false },
      markers: [],
      tracks: [
        { name: 'Lead Synth', program: 81, drums: false, notes: [{ pitch: 61, velocity: 90, startTick: 480, lengthTicks: 720 }, { pitch: 73, velocity: 127, startTick: 7680, lengthTicks: 480 }] },
        { name: 'Drums', program: null, drums: true, notes: [{ pitch: 38, velocity: 64, startTick: 960, lengthTicks: 240 }] },
      ],
    };
    const project = createProject();
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(project.root, 'tune.mid'), encodeMidi(params));
      const bin = join(REPO_ROOT, 'bin', 'mixdown.js');
      const imported = spawnSync(process.execPath, [bin, 'import-midi', 'tune.mid'], { cwd: project.root, encoding: 'utf8' });
      expect(imported.status, imported.stderr).toBe(0);
      expect(imported.stdout.trim()).toBe('wrote songs/tune/song.ts');
      const source = project.read('songs/tune/song.ts');
      expect(source).toContain("import { defineSong, drums, synth } from 'mixdown';");
      expect(source).toContain("title: 'Imported \\'Tune\\'',");
      expect(source).toContain('meter: [\n    { bar: 0, meter: [4, 4] },\n    { bar: 2, meter: [6, 8] },\n  ],');
      expect(source).toContain("{ pitch: 'C#4', start: { ticks: 480 }, length: { ticks: 720 }, velocity: 90 },");
      expect(source).toContain("'lead-synth': {\n      name: 'Lead Synth',\n      instrument: synth({ program: 81 }),");
      const again = spawnSync(process.execPath, [bin, 'import-midi', 'tune.mid'], { cwd: project.root, encoding: 'utf8' });
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('pass --force');

      const result = await project.build();
      expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
      const original = new Midi(encodeMidi(params));
      const rebuilt = new Midi(project.bytes('dist/tune/tune.mid'));
      const summary = (midi: InstanceType<typeof Midi>) => midi.tracks.map((t) => [t.name, t.channel, t.notes.map((n) => [n.midi, n.ticks, n.durationTicks, n.velocity])]);
      expect(summary(rebuilt)).toEqual(summary(original));
      expect(rebuilt.header.tempos.map((t) => [t.ticks, t.bpm])).toEqual(original.header.tempos.map((t) => [t.ticks, t.bpm]));
      expect(rebuilt.header.timeSignatures.map((t) => [t.ticks, t.timeSignature])).toEqual(original.header.timeSignatures.map((t) => [t.ticks, t.timeSignature]));
    } finally {
      project.dispose();
    }
  });
});
