import { describe, expect, it } from 'vitest';
import type { SongInput } from '../src/api/song.ts';
import { drums, synth } from '../src/instruments/index.ts';
import { elaborate } from '../src/elaborate/elaborate.ts';
import type { SongIR } from '../src/ir/types.ts';
import { TempoClock } from '../src/theory/time.ts';

function ok(input: SongInput): SongIR {
  const result = elaborate(input, { id: 'a', file: 'songs/a/song.ts' });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.song;
}

function problems(input: SongInput) {
  const result = elaborate(input, { id: 'a', file: 'songs/a/song.ts' });
  return result.ok ? [] : result.diagnostics.map((d) => d.code);
}

const lead = (notes: SongInput['tracks'][string]['notes']) => ({ lead: { instrument: synth(), notes } });

describe('tempo and meter maps', () => {
  it('places bars through meter changes exactly', () => {
    // Bars 0–1 in 4/4 (3840 ticks each), bar 2 on in 7/8 (3360 ticks each).
    const song = ok({
      title: 'm',
      tempo: 120,
      meter: [
        { bar: 0, meter: [4, 4] },
        { bar: 2, meter: [7, 8] },
      ],
      tracks: lead([
        { pitch: 60, start: '2:0:0', length: '1m' },
        { pitch: 62, start: '3:6:0', length: '8n' },
        { pitch: 64, start: '1:3:0', length: '1m' },
      ]),
    });
    const byPitch = Object.fromEntries(song.tracks[0].notes.map((note) => [note.pitch, note]));
    expect(byPitch[60]).toMatchObject({ startTick: 7680, lengthTicks: 3360 });
    expect(byPitch[62]).toMatchObject({ startTick: 7680 + 3360 + 6 * 480, lengthTicks: 480 });
    // '1m' is the length of a bar where the note starts: 4/4 there.
    expect(byPitch[64]).toMatchObject({ startTick: 3840 + 2880, lengthTicks: 3840 });
    expect(song.lengthTicks).toBe(7680 + 2 * 3360);
  });

  it('converts through tempo steps and linear ramps to exact samples', () => {
    const song = ok({
      title: 't',
      tempo: [
        { at: '0:0:0', bpm: 120 },
        { at: '2:0:0', bpm: 60 },
        { at: '4:0:0', bpm: 60, ramp: 'linear' },
        { at: '6:0:0', bpm: 120 },
      ],
      tracks: lead([
        { pitch: 60, start: '1:0:0', length: '4n' },
        { pitch: 61, start: '2:0:0', length: '4n' },
        { pitch: 62, start: '4:0:0', length: '4n' },
        { pitch: 63, start: '5:0:0', length: '4n' },
      ]),
    });
    const at = (pitch: number) => song.tracks[0].notes.find((note) => note.pitch === pitch)!.startSample;
    // 120 BPM: a 4/4 bar is 2 s = 96,000 samples.
    expect(at(60)).toBe(96000);
    // Bars 2–3 at 60 BPM: 4 s each = 192,000 samples.
    expect(at(61)).toBe(192000);
    expect(at(62)).toBe(192000 + 2 * 192000);
    // The ramp 60 → 120 over bars 4–5 (7,680 ticks): t = (60 / PPQ) · (span / Δbpm) · ln(bpm / 60); one bar in, bpm = 90.
    const clock = new TempoClock(song.tempoMap);
    const rampSeconds = (60 / 960) * (7680 / 60) * Math.log(90 / 60);
    expect(clock.seconds(5 * 3840)).toBeCloseTo(12 + rampSeconds, 9);
    expect(at(63)).toBe(Math.round((12 + rampSeconds) * 48000));
    expect(clock.bpmAt(5 * 3840)).toBeCloseTo(90, 9);
  });

  it('converts seconds through the tempo map, to the nearest tick', () => {
    const tempo = [
      { at: '0:0:0', bpm: 120 },
      { at: '1:0:0', bpm: 60, ramp: 'linear' },
      { at: '3:0:0', bpm: 180 },
    ] as const;
    const song = ok({ title: 's', tempo, tracks: lead([{ pitch: 60, start: { seconds: 1 }, length: { seconds: 0.5 } }, { pitch: 61, start: { seconds: 5 }, length: '4n' }]) });
    const [first, second] = song.tracks[0].notes;
    // 120 BPM: one second is two quarters.
    expect(first).toMatchObject({ startTick: 1920, lengthTicks: 960, startSample: 48000, lengthSamples: 24000 });
    const clock = new TempoClock(song.tempoMap);
    expect(second.startTick).toBe(Math.round(clock.ticksAt(5)));
    expect(Math.abs(clock.seconds(second.startTick) - 5)).toBeLessThan(0.5 / 960);
    for (const tick of [0, 1000, 3840, 5000, 7000, 11520, 20000]) expect(clock.ticksAt(clock.seconds(tick))).toBeCloseTo(tick, 6);
    expect(problems({ title: 's', tempo: [{ at: { seconds: 1 } as never, bpm: 90 }], tracks: lead([{ pitch: 60, start: '0:0', length: '4n' }]) })).toEqual(['MD209']);
  });

  it('rejects tempo maps that do not start at zero or repeat a position', () => {
    expect(problems({ title: 't', tempo: [{ at: '1:0:0', bpm: 100 }], tracks: lead([{ pitch: 60, start: '0:0', length: '4n' }]) })).toEqual(['MD218']);
    expect(problems({ title: 't', tempo: 120, meter: [{ bar: 2, meter: [3, 4] }], tracks: lead([{ pitch: 60, start: '0:0', length: '4n' }]) })).toEqual(['MD211']);
  });
});

describe('sections, form and parts', () => {
  const base: SongInput = {
    title: 'Form',
    tempo: 120,
    key: 'A minor',
    sections: { intro: 2, verse: 4, chorus: 2 },
    form: ['intro', 'verse', 'chorus', 'verse', 'chorus'],
    tracks: {
      bass: {
        instrument: synth(),
        parts: {
          // One bar, looped through each 4-bar verse.
          verse: [{ pitch: 'A2', start: '0:0:0', length: '2n' }],
          chorus: { notes: [{ pitch: 'F2', start: '0:0:0', length: '4n' }], length: '2n' },
          'chorus@2': [{ pitch: 'G2', start: '0:0:0', length: '1m' }],
        },
      },
      beat: { instrument: drums(), notes: [{ pitch: 36, start: '0:0:0', length: '8n' }] },
    },
  };

  it('lays out the form in bars and ticks, with a marker per occurrence', () => {
    const song = ok(base);
    expect(song.sections.map((s) => [s.name, s.occurrence, s.startBar, s.bars])).toEqual([
      ['intro', 1, 0, 2],
      ['verse', 1, 2, 4],
      ['chorus', 1, 6, 2],
      ['verse', 2, 8, 4],
      ['chorus', 2, 12, 2],
    ]);
    expect(song.markers.map((m) => [m.name, m.tick, m.seconds])).toEqual([
      ['intro 1', 0, 0],
      ['verse 1', 7680, 4],
      ['chorus 1', 23040, 12],
      ['verse 2', 30720, 16],
      ['chorus 2', 46080, 24],
    ]);
    expect(song.lengthTicks).toBe(14 * 3840);
    expect(song.key).toMatchObject({ tonic: 'A', mode: 'minor', sharps: 0, minor: true });
  });

  it('loops short parts, gives an occurrence its own part, and leaves other sections silent', () => {
    const notes = ok(base).tracks[0].notes.map((n) => [n.pitch, n.startTick / 3840, n.lengthTicks]);
    const verse = (bar: number) => [45, bar, 1920];
    expect(notes).toEqual([
      verse(2),
      verse(3),
      verse(4),
      verse(5),
      // chorus 1: a half-bar part looped four times over two bars
      [41, 6, 960],
      [41, 6.5, 960],
      [41, 7, 960],
      [41, 7.5, 960],
      verse(8),
      verse(9),
      verse(10),
      verse(11),
      // chorus 2 has its own part, one bar looped twice
      [43, 12, 3840],
      [43, 13, 3840],
    ]);
  });

  it('cuts a note that runs past its section', () => {
    const song = ok({ ...base, tracks: { bass: { instrument: synth(), parts: { intro: [{ pitch: 40, start: '1:2:0', length: '1m' }] } } } });
    expect(song.tracks[0].notes.map((n) => [n.startTick, n.lengthTicks])).toEqual([[3840 + 1920, 1920]]);
  });

  it('names unknown sections in the form and in parts', () => {
    expect(problems({ ...base, form: ['intro', 'bridge'] })).toEqual(['MD219']);
    expect(problems({ ...base, tracks: { bass: { instrument: synth(), parts: { brdige: [{ pitch: 40, start: '0:0', length: '4n' }] } } } })).toEqual(['MD219']);
    expect(problems({ ...base, sections: { intro: 0 } , form: ['intro'] })).toEqual(['MD220']);
  });
});

describe('humanize', () => {
  const song = (extra: SongInput['tracks'] = {}): SongInput => ({
    title: 'h',
    tempo: 120,
    seed: 5,
    tracks: {
      ...extra,
      hats: { instrument: drums(), humanize: { timing: 30, velocity: 12 }, notes: Array.from({ length: 16 }, (_, i) => ({ pitch: 42, start: { ticks: i * 240 }, length: '16n' as const })) },
      keys: { instrument: synth(), humanize: { timing: 30, velocity: 12 }, notes: Array.from({ length: 16 }, (_, i) => ({ pitch: 42, start: { ticks: i * 240 }, length: '16n' as const })) },
    },
  });
  const notesOf = (ir: SongIR, id: string) => ir.tracks.find((t) => t.id === id)!.notes.map((n) => [n.startTick, n.velocity]);

  it('is stable across runs, differs per track, and does not move when a track is added', () => {
    const a = ok(song());
    expect(notesOf(ok(song()), 'hats')).toEqual(notesOf(a, 'hats'));
    expect(notesOf(a, 'hats')).not.toEqual(notesOf(a, 'keys'));
    const straight = Array.from({ length: 16 }, (_, i) => [i * 240, 100]);
    expect(notesOf(a, 'hats')).not.toEqual(straight);
    notesOf(a, 'hats').forEach(([tick, velocity], i) => {
      expect(Math.abs(tick - i * 240)).toBeLessThanOrEqual(30);
      expect(Math.abs(velocity - 100)).toBeLessThanOrEqual(12);
    });
    const withExtra = ok(song({ bass: { instrument: synth(), humanize: { timing: 30 }, notes: [{ pitch: 40, start: '0:0', length: '1m' }] } }));
    expect(notesOf(withExtra, 'hats')).toEqual(notesOf(a, 'hats'));
    expect(notesOf(withExtra, 'keys')).toEqual(notesOf(a, 'keys'));
  });
});
