import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import toneMidi from '@tonejs/midi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, REPO_ROOT, renderedTasks, type TestProject } from './helpers/project.ts';

const { Midi } = toneMidi as unknown as { Midi: typeof import('@tonejs/midi').Midi };

const SONG = `
import { defineSong, drums, synth, grid, removeTracks, withForm, transposeSong, withTempo } from 'mixdown';

export default defineSong({
  title: 'Variants',
  tempo: [{ at: '0:0:0', bpm: 120 }, { at: '2:0:0', bpm: 120, ramp: 'linear' }, { at: '3:0:0', bpm: 90 }],
  meter: [{ bar: 0, meter: [4, 4] }, { bar: 3, meter: [3, 4] }],
  key: 'E minor',
  seed: 3,
  tail: 0,
  sections: { intro: 1, verse: 2, outro: 1 },
  form: ['intro', 'verse', 'outro'],
  tracks: {
    lead: { instrument: synth({ program: 80 }), parts: { verse: [{ pitch: 'E4', start: '0:0:0', length: '2n' }, { pitch: 'G4', start: '0:2:0', length: '2n', velocity: 90 }] } },
    bass: { instrument: synth({ wave: 'square', program: 33 }), notes: [{ pitch: 'E2', start: '0:0:0', length: '1m' }, { pitch: 'B1', start: '3:0:0', length: '2n.' }] },
    beat: { instrument: drums(), parts: { verse: grid('x...x...x...x...', 36) } },
  },
  variants: {
    instrumental: (s) => removeTracks(s, 'lead'),
    radio: (s) => withForm(s, ['verse', 'outro']),
    'up-a-tone': (s) => transposeSong(s, 2),
    faster: (s) => withTempo(s, 150),
  },
});
`;

const python = '/usr/bin/python3';
const hasMido = existsSync(python) && spawnSync(python, ['-c', 'import mido']).status === 0;

describe('variants', () => {
  let project: TestProject;
  beforeAll(() => {
    project = createProject({ songs: { v: SONG } });
  });
  afterAll(() => project.dispose());

  it('build into their own folders, sharing every task they have in common', async () => {
    const result = await project.build();
    expect(result.ok, JSON.stringify(result.diagnostics.concat(result.songs.flatMap((s) => s.diagnostics)))).toBe(true);
    const byVariant = Object.fromEntries(result.songs.map((song) => [song.variant ?? 'default', song]));
    expect(Object.keys(byVariant).sort()).toEqual(['default', 'faster', 'instrumental', 'radio', 'up-a-tone']);
    const ran = (variant: string) => (byVariant[variant].report?.tasks ?? []).filter((task) => task.status === 'rendered').map((task) => task.id).sort();
    expect(ran('default')).toEqual(['master', 'midi', 'mix', 'stem:bass', 'stem:beat', 'stem:lead']);
    // The instrumental renders no stem again: bass and beat are the song's own.
    expect(ran('instrumental')).toEqual(['master', 'midi', 'mix']);
    // Transposing leaves the drums alone, so their stem is shared.
    expect(ran('up-a-tone')).toEqual(['master', 'midi', 'mix', 'stem:bass', 'stem:lead']);
    expect(existsSync(join(project.root, 'dist/v/instrumental/stems/bass.wav'))).toBe(true);
    expect(existsSync(join(project.root, 'dist/v/instrumental/stems/lead.wav'))).toBe(false);
    expect(project.bytes('dist/v/instrumental/stems/bass.wav').equals(project.bytes('dist/v/stems/bass.wav'))).toBe(true);
    const radio = JSON.parse(project.read('dist/v/radio/report.json'));
    expect(radio.variant).toBe('radio');
    expect(radio.markers.map((marker: { name: string; bar: number }) => [marker.name, marker.bar])).toEqual([
      ['verse 1', 1],
      ['outro 1', 3],
    ]);
  });

  it('prints the arrangement with mixdown inspect', () => {
    const bin = join(REPO_ROOT, 'bin', 'mixdown.js');
    const result = spawnSync(process.execPath, [bin, 'inspect', 'v', '--variant', 'radio'], { cwd: project.root, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Variants (v, variant radio) — E minor');
    expect(result.stdout).toMatch(/bar +3 +120 BPM → ramp\n +bar +4 +90 BPM/);
    expect(result.stdout).toMatch(/bar +4 +3\/4/);
    const grid = result.stdout.split('\n');
    expect(grid.find((line) => line.includes('verse 1'))).toMatch(/verse 1 +outro 1/);
    expect(grid.find((line) => line.startsWith('lead'))).toMatch(/^lead +4 +·$/);
    expect(grid.find((line) => line.startsWith('beat'))).toMatch(/^beat +8 +·$/);
    const missing = spawnSync(process.execPath, [bin, 'inspect', 'v', '--variant', 'nope'], { cwd: project.root, encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("MD404 song 'v' has no variant 'nope'");
  });

  it('builds one variant on request, all from the cache', async () => {
    const result = await project.build({ variants: ['radio'] });
    expect(result.songs.map((song) => song.variant)).toEqual(['radio']);
    expect(renderedTasks(result, 'v')).toEqual([]);
  });

  it('exports tempo ramps, meters, key, markers, programs and notes that @tonejs/midi reads back', () => {
    const midi = new Midi(project.bytes('dist/v/v.mid'));
    expect(midi.header.timeSignatures.map((s) => [s.ticks, s.timeSignature])).toEqual([
      [0, [4, 4]],
      [3 * 3840, [3, 4]],
    ]);
    // One sharp, minor: E minor. (@tonejs/midi names the signature by its major key.)
    expect(midi.header.keySignatures.map((k) => [k.ticks, k.key, k.scale])).toEqual([[0, 'G', 'minor']]);
    // The ramp from 120 at bar 2 to 90 at bar 3 is written in steps; the file's clock agrees
    // with the audio's at the ramp's end.
    const tempos = midi.header.tempos;
    expect(tempos[0].bpm).toBeCloseTo(120, 6);
    expect(tempos.length).toBeGreaterThan(10);
    expect(midi.header.ticksToSeconds(3 * 3840)).toBeCloseTo(4 + (60 / 960) * (3840 / -30) * Math.log(90 / 120), 3);
    expect(midi.header.meta.filter((m) => m.type === 'marker').map((m) => [m.text, m.ticks])).toEqual([
      ['intro 1', 0],
      ['verse 1', 3840],
      ['outro 1', 3 * 3840],
    ]);
    const lead = midi.tracks.find((track) => track.name === 'lead')!;
    expect(lead.instrument.number).toBe(80);
    expect(lead.notes.map((n) => [n.midi, n.ticks, n.durationTicks, Math.round(n.velocity * 127)])).toEqual([
      [64, 3840, 1920, 100],
      [67, 5760, 1920, 90],
      [64, 7680, 1920, 100],
      [67, 9600, 1920, 90],
    ]);
    expect(midi.tracks.find((track) => track.name === 'beat')!.channel).toBe(9);
  });

  it.skipIf(!hasMido)('gives identical notes to an independent reader (python3-mido)', () => {
    const script = `
import json, sys, mido
f = mido.MidiFile(sys.argv[1])
out = {"type": f.type, "ppq": f.ticks_per_beat, "tracks": []}
for track in f.tracks:
    now = 0
    on = {}
    notes = []
    name = None
    meta = []
    for msg in track:
        now += msg.time
        if msg.type == "track_name": name = msg.name
        elif msg.type in ("marker", "key_signature", "time_signature"): meta.append([msg.type, now, getattr(msg, "text", None) or getattr(msg, "key", None) or [msg.numerator, msg.denominator] if msg.type != "marker" else msg.text])
        elif msg.type == "note_on" and msg.velocity > 0: on.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
        elif msg.type in ("note_off", "note_on"):
            start, velocity = on[(msg.channel, msg.note)].pop(0)
            notes.append([msg.note, start, now - start, velocity, msg.channel])
    out["tracks"].append({"name": name, "notes": sorted(notes), "meta": meta})
print(json.dumps(out))
`;
    const result = spawnSync(python, ['-c', script, join(project.root, 'dist/v/v.mid')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const mido = JSON.parse(result.stdout);
    expect(mido.type).toBe(1);
    expect(mido.ppq).toBe(960);
    const tone = new Midi(project.bytes('dist/v/v.mid'));
    const fromTone = tone.tracks.map((track) => ({
      name: track.name,
      notes: track.notes.map((n) => [n.midi, n.ticks, n.durationTicks, Math.round(n.velocity * 127), track.channel]).sort((a, b) => a[0] - b[0] || a[1] - b[1]),
    }));
    const fromMido = mido.tracks.slice(1).map((track: { name: string; notes: number[][] }) => ({ name: track.name, notes: track.notes.sort((a, b) => a[0] - b[0] || a[1] - b[1]) }));
    expect(fromMido).toEqual(fromTone);
    expect(mido.tracks[0].meta.filter((m: unknown[]) => m[0] === 'marker').map((m: unknown[]) => [m[2], m[1]])).toEqual([
      ['intro 1', 0],
      ['verse 1', 3840],
      ['outro 1', 11520],
    ]);
    expect(mido.tracks[0].meta.find((m: unknown[]) => m[0] === 'key_signature')[2]).toBe('Em');
  });
});
