/**
 * The musical half of `mixdown diff` on SongIRs elaborated here (no audio, no git):
 * notes matched per section occurrence, mix parameters by path, arrangement labels.
 */
import { describe, expect, it } from 'vitest';
import { lfo, point } from '../src/api/automation.ts';
import type { NoteInput, SongInput } from '../src/api/song.ts';
import { compressor, eq, reverb } from '../src/effects/index.ts';
import { drums, fm, synth } from '../src/instruments/index.ts';
import { elaborate } from '../src/elaborate/elaborate.ts';
import type { SongIR } from '../src/ir/types.ts';
import { formatDiffText } from '../src/report/diff-format.ts';
import { diffMusic } from '../src/report/diff-music.ts';

function ir(input: SongInput): SongIR {
  const result = elaborate(input, { id: 't', file: 'songs/t/song.ts', text: '' });
  if (!result.ok) throw new Error(result.diagnostics.map((diagnostic) => diagnostic.message).join('\n'));
  return result.song;
}

const eighths = (pitches: readonly string[], offset = 0) => pitches.map((pitch, i) => ({ pitch: pitch as NoteInput['pitch'], start: { ticks: i * 480 + offset }, length: '8n' as const }));

function song(overrides: Partial<SongInput> = {}, bassNotes = eighths(['A1', 'A1', 'C2', 'D2', 'E2', 'G2', 'A2', 'A1'])): SongInput {
  return {
    title: 'T',
    tempo: 120,
    sections: { verse: 1, chorus: 1 },
    form: ['verse', 'chorus', 'chorus'],
    tracks: {
      bass: { instrument: synth({ wave: 'saw' }), parts: { verse: bassNotes, chorus: bassNotes } },
      beat: { instrument: drums(), parts: { verse: [{ pitch: 36, start: '0:0:0', length: '8n' }] } },
    },
    ...overrides,
  } as SongInput;
}

describe('notes per track and section occurrence', () => {
  it('groups moves by distance, counts additions, and leaves the other occurrences alone', () => {
    const base = song();
    const pitches = ['A1', 'A1', 'C2', 'D2', 'E2', 'G2', 'A2', 'A1'];
    // The second chorus: six notes a sixteenth late, the other two where they were, and two more.
    const extra: NoteInput[] = [
      { pitch: 'E3', start: '0:3:0', length: '16n' },
      { pitch: 'E3', start: '0:3:240', length: '16n' },
    ];
    const changed = [...eighths(pitches.slice(0, 6), 240), ...eighths(pitches).slice(6), ...extra];
    const b = song({
      tracks: {
        ...base.tracks,
        bass: { instrument: synth({ wave: 'saw' }), parts: { verse: eighths(pitches), chorus: eighths(pitches), 'chorus@2': changed } },
      },
    });
    const diff = diffMusic(ir(base), ir(b));
    expect(diff.arrangement).toEqual([]);
    expect(diff.mix).toEqual([]);
    expect(diff.notes.map((group) => `${group.section}, ${group.track}: ${group.summary}`)).toEqual(['chorus 2, bass: 6 notes moved by +1/16, 2 added']);
    expect(diff.notes[0].notes.filter((change) => change.kind === 'added').map((change) => change.b)).toEqual([
      { pitch: 'E3', midi: 52, start: '2:3:0', startTick: 11 * 960, length: '1/16', lengthTicks: 240, velocity: 100 },
      { pitch: 'E3', midi: 52, start: '2:3:240', startTick: 11 * 960 + 240, length: '1/16', lengthTicks: 240, velocity: 100 },
    ]);
  });

  it('names pitch, length and velocity changes, and removals', () => {
    const a = song({}, [
      { pitch: 'A1', start: '0:0:0', length: '8n' },
      { pitch: 'C2', start: '0:1:0', length: '8n' },
      { pitch: 'D2', start: '0:2:0', length: '8n', velocity: 100 },
      { pitch: 'E2', start: '0:3:0', length: '8n' },
    ] as never);
    const b = song({}, [
      { pitch: 'A1', start: '0:0:0', length: '4n' },
      { pitch: 'D2', start: '0:1:0', length: '8n' },
      { pitch: 'D2', start: '0:2:0', length: '8n', velocity: 90 },
    ] as never);
    const diff = diffMusic(ir(a), ir(b));
    expect(diff.notes.map((group) => `${group.section}, ${group.track}: ${group.summary}`)).toEqual([
      'verse 1, bass: 1 note changed pitch by +2, 1 changed length, 1 changed velocity, 1 removed',
      'chorus 1, bass: 1 note changed pitch by +2, 1 changed length, 1 changed velocity, 1 removed',
      'chorus 2, bass: 1 note changed pitch by +2, 1 changed length, 1 changed velocity, 1 removed',
    ]);
    expect(diff.notes[0].notes.map((change) => change.detail ?? change.kind)).toEqual(['length 1/8 → 1/4', 'pitch C2 → D2 (+2)', 'velocity 100 → 90', 'removed']);
  });

  it('a section inserted before others: only its notes are new', () => {
    const a = song({ form: ['verse', 'chorus'] });
    const plain = song();
    const b = song({
      sections: { verse: 1, break: 2, chorus: 1 },
      form: ['verse', 'break', 'chorus'],
      tracks: { ...plain.tracks, beat: { instrument: drums(), parts: { verse: [{ pitch: 36, start: '0:0:0', length: '8n' }], break: [{ pitch: 38, start: '1:0:0', length: '8n' }] } } },
    });
    const diff = diffMusic(ir(a), ir(b));
    expect(diff.notes.map((group) => `${group.section}, ${group.track}: ${group.summary}`)).toEqual(['break 1, beat: 1 note added']);
    expect(diff.arrangement.map((change) => change.path)).toEqual(['length', 'rendered length', 'form', 'section break']);
  });
});

describe('mix and arrangement by path', () => {
  it('lists every changed parameter, added and removed effects, sends, routing, automation and master', () => {
    const { bass, beat } = song().tracks;
    const a = song({
      key: 'A minor',
      buses: { verb: { effects: [reverb({ decay: 2 })] } },
      master: { compressor: { threshold: -16, ratio: 1.5 } },
      tracks: { bass: { ...bass, effects: [eq({ bands: [{ type: 'highpass', frequency: 35 }] }), compressor({ ratio: 4 })], sends: [{ to: 'verb', level: -18 }] }, beat },
    });
    const b = song({
      tempo: 124,
      key: 'C major',
      buses: { verb: { effects: [reverb({ decay: 3 })] }, drums: {} },
      master: { compressor: { threshold: -16, ratio: 2 }, loudness: 'streaming' },
      tracks: {
        bass: {
          ...bass,
          instrument: fm(),
          effects: [compressor({ ratio: 6 }), eq({ bands: [{ type: 'highpass', frequency: 40 }] })],
          sends: [{ to: 'verb', level: -12, pre: true }],
          automation: { gain: [point('0:0:0', -12), point('1:0:0', 0, 'linear')], 'fx.compressor.threshold': lfo('1m', -30, -20) },
        },
        beat: { ...beat, output: 'drums', gain: -3 },
      },
    });
    const diff = diffMusic(ir(a), ir(b));
    expect(diff.arrangement).toEqual([
      { path: 'key', a: 'A minor', b: 'C major' },
      { path: 'tempo at 0:0:0', a: '120 bpm', b: '124 bpm' },
      { path: 'rendered length', a: '9.020 s', b: '9.826 s' },
    ]);
    const lines = diff.mix.map((change) => ('a' in change && 'b' in change ? `${change.path}: ${change.a} → ${change.b}` : 'a' in change ? `${change.path}: removed` : `${change.path}: added (${change.b})`));
    expect(lines).toEqual([
      // Another instrument: its options are not compared with the old one's.
      'tracks.bass.instrument: synth → fm',
      'tracks.bass.midi.program: 81 → 4',
      'tracks.bass.effects: eq, compressor → compressor, eq',
      'tracks.bass.effects.eq.bands.0.frequency: 35 → 40',
      'tracks.bass.effects.compressor.ratio: 4 → 6',
      'tracks.bass.sends.verb.level: -18 → -12',
      'tracks.bass.sends.verb.pre: false → true',
      'tracks.bass.automation.gain: added (2 points: -12 @0.000s linear, 0 @1.935s linear)',
      'tracks.bass.automation.fx.compressor.threshold: added (lfo sine -30–-20, period 1.935s)',
      'tracks.beat.gain: 0 → -3',
      'tracks.beat.output: master → drums',
      'buses.verb.effects.reverb.decay: 2 → 3',
      'buses.drums: added (bus)',
      'master.loudness: off → on',
      'master.loudness.target: added (-14)',
      'master.loudness.tolerance: added (0.5)',
      'master.loudness.ceilingDb: added (-1)',
      'master.limiter: off → on',
      'master.limiter.ceilingDb: added (-1)',
      'master.limiter.release: added (0.05)',
      'master.limiter.lookahead: added (0.0015)',
      'master.compressor.ratio: 1.5 → 2',
    ]);
    // An added bus is one line, not one per field.
    expect(lines.filter((line) => line.startsWith('buses.drums.'))).toEqual([]);
  });

  it('prints a song whose SongIRs are equal as no musical change', () => {
    const a = ir(song());
    const text = formatDiffText({
      diffVersion: 1,
      a: { label: 'HEAD', kind: 'commit', commit: '0123456789abcdef0123' },
      b: { label: 'working tree', kind: 'working tree' },
      songs: [{ song: 't', variant: null, status: 'unchanged', musicalChange: false, ...diffMusic(a, a), sound: [] }],
    });
    expect(text).toBe('mixdown diff HEAD (0123456789ab) → working tree\n\nt: no musical change; all 0 outputs identical\n');
  });
});
