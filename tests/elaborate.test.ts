import { describe, expect, it } from 'vitest';
import type { SongInput } from '../src/api/song.ts';
import { drums, synth } from '../src/instruments/index.ts';
import { elaborate } from '../src/elaborate/elaborate.ts';
import type { SongIR } from '../src/ir/types.ts';
import { plan } from '../src/plan/graph.ts';

const FILE = 'songs/t/song.ts';
const SOURCE = [
  "import { defineSong, synth } from 'mixdown';", // 1
  'export default defineSong({', // 2
  "  title: 'T',", // 3
  '  tempo: 120,', // 4
  '  tracks: {', // 5
  '    lead: {', // 6
  '      instrument: synth(),', // 7
  "      output: 'master',", // 8
  '    },', // 9
  '    bass: {', // 10
  "      output: 'drum-bus',", // 11
  '    },', // 12
  '  },', // 13
  '});', // 14
].join('\n');

function song(overrides: Partial<SongInput> = {}): SongInput {
  return {
    title: 'T',
    tempo: 120,
    tracks: {
      lead: { instrument: synth(), notes: [{ pitch: 'A4', start: '0:0:0', length: '4n' }] },
      bass: { instrument: synth({ wave: 'square' }), notes: [{ pitch: 'A2', start: '0:2:0', length: '2n' }] },
    },
    ...overrides,
  };
}

function ok(input: SongInput): SongIR {
  const result = elaborate(input, { id: 't', file: FILE, text: SOURCE });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.song;
}

function problems(input: SongInput) {
  const result = elaborate(input, { id: 't', file: FILE, text: SOURCE });
  if (result.ok) throw new Error('expected diagnostics');
  return result.diagnostics;
}

describe('elaborate', () => {
  it('resolves times to ticks and samples, exactly', () => {
    const ir = ok(
      song({
        tempo: 90,
        tracks: {
          lead: {
            instrument: synth(),
            notes: [
              { pitch: 'C#3', start: '1:2:120', length: '8t' },
              { pitch: 60, start: { beats: 3 }, length: { ticks: 1 } },
              { pitch: 'Bb4', start: { bars: 2 }, length: '4n.' },
            ],
          },
        },
      }),
    );
    // Notes come out sorted by start: the { beats: 3 } note is first.
    const [second, first, third] = ir.tracks[0].notes;
    expect(first).toMatchObject({ pitch: 49, startTick: 3840 + 1920 + 120, lengthTicks: 320 });
    // 90 BPM: a quarter is 2/3 s = 32,000 samples at 48 kHz.
    expect(second).toMatchObject({ pitch: 60, startTick: 2880, startSample: 96000, lengthTicks: 1, lengthSamples: 33 });
    expect(first.startSample).toBe(Math.round(((3840 + 1920 + 120) / 960) * 32000));
    expect(third).toMatchObject({ pitch: 70, startTick: 7680, lengthTicks: 1440 });
    expect(ir.tracks[0].notes.map((note) => note.startTick)).toEqual([2880, 5880, 7680]);
  });

  it('counts beats in the meter’s unit: an eighth in 6/8', () => {
    const ir = ok(song({ meter: [6, 8], tracks: { a: { instrument: synth(), notes: [{ pitch: 60, start: '1:3:0', length: '1m' }] } } }));
    expect(ir.tracks[0].notes[0]).toMatchObject({ startTick: 2880 + 3 * 480, lengthTicks: 2880 });
    expect(ir.lengthTicks).toBe(3 * 2880);
  });

  it('ends the song at the bar after the last note plus the release tail and the song tail', () => {
    const ir = ok(song({ tail: 0.5 }));
    expect(ir.lengthTicks).toBe(3840);
    const release = synth.definition.tail(synth().options);
    expect(ir.lengthSamples).toBe(96000 + Math.ceil((release + 0.5) * 48000));
  });

  it('derives per-track seeds from the song seed and the track id only', () => {
    const a = ok(song({ seed: 1 }));
    const b = ok(song({ seed: 1, tracks: { extra: { instrument: drums(), notes: [{ pitch: 36, start: '0:0', length: '8n' }] }, ...song().tracks } }));
    const c = ok(song({ seed: 2 }));
    const seedOf = (ir: SongIR, id: string) => ir.tracks.find((track) => track.id === id)!.seed;
    expect(seedOf(b, 'lead')).toBe(seedOf(a, 'lead'));
    expect(seedOf(a, 'lead')).not.toBe(seedOf(a, 'bass'));
    expect(seedOf(c, 'lead')).not.toBe(seedOf(a, 'lead'));
  });

  it('is plain JSON', () => {
    const ir = ok(song());
    expect(JSON.parse(JSON.stringify(ir))).toEqual(ir);
  });
});

describe('validation errors', () => {
  it('rejects a pitch out of range, naming song, track, note and line', () => {
    const [problem] = problems(song({ tracks: { lead: { instrument: synth(), notes: [{ pitch: 128, start: '0:0', length: '4n' }] } } }));
    expect(problem).toMatchObject({ code: 'MD202', file: FILE, line: 6, song: 't', track: 'lead' });
    expect(problem.message).toBe("track 'lead' note 0: pitch 128 is outside MIDI's 0–127");
    expect(problem.frame).toContain('> 6 |     lead: {');
  });

  it('rejects names that are not pitches and velocities out of range', () => {
    const list = problems(
      song({
        tracks: {
          lead: {
            instrument: synth(),
            notes: [
              { pitch: 'H4' as never, start: '0:0', length: '4n' },
              { pitch: 'C4', start: '0:0', length: '4n', velocity: 0 },
            ],
          },
        },
      }),
    );
    expect(list.map((p) => p.code)).toEqual(['MD203', 'MD208']);
  });

  it('rejects zero and negative lengths and unreadable times', () => {
    const list = problems(
      song({
        tracks: {
          lead: {
            instrument: synth(),
            notes: [
              { pitch: 60, start: '0:0', length: { ticks: 0 } },
              { pitch: 60, start: '0:0', length: { beats: -1 } },
              { pitch: 60, start: 4 as never, length: '4n' },
              { pitch: 60, start: '0:0', length: '3n' as never },
            ],
          },
        },
      }),
    );
    expect(list.map((p) => p.code)).toEqual(['MD204', 'MD204', 'MD209', 'MD209']);
    expect(list[2].message).toContain('a bare number has no unit');
  });

  it('rejects an unknown output with the list of outputs', () => {
    const list = problems(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, output: 'drum-bus' } } }));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ code: 'MD206', track: 'bass', line: 11 });
    expect(list[0].message).toBe("track 'bass' outputs to unknown 'drum-bus'");
    expect(list[0].hint).toBe("use 'master' or a bus: (no buses declared)");
  });

  it('rejects an empty song', () => {
    expect(problems(song({ tracks: {} })).map((p) => p.code)).toEqual(['MD201']);
    expect(problems(song({ tracks: { a: { instrument: synth(), notes: [] } } })).map((p) => p.code)).toEqual(['MD201']);
  });

  it('rejects unknown instrument options and wrongly typed ones', () => {
    const bad = { ...synth(), options: { ...synth().options, wav: 'saw', level: 'loud' } };
    const list = problems(song({ tracks: { lead: { instrument: bad, notes: [{ pitch: 60, start: '0:0', length: '4n' }] } } }));
    expect(list.map((p) => p.code).sort()).toEqual(['MD214', 'MD217']);
    expect(list.find((p) => p.code === 'MD214')!.message).toBe("track 'lead': instrument 'synth' has no option 'wav'");
  });

  it('rejects bad song settings all at once', () => {
    const list = problems({ ...song(), title: '', tempo: 0, meter: [4, 3] as never, sampleRate: 22050 as never });
    expect(list.map((p) => p.code)).toEqual(['MD216', 'MD211', 'MD210', 'MD215']);
  });

  it('rejects track ids that cannot name a stem file', () => {
    const list = problems(song({ tracks: { 'a/b': song().tracks.lead } }));
    expect(list.map((p) => p.code)).toEqual(['MD212']);
  });
});

describe('plan', () => {
  it('gives every task a key that changes only with its own inputs', () => {
    const base = plan(ok(song()));
    const louder = plan(ok(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, gain: -3 } } })));
    const keys = (graph: typeof base) => Object.fromEntries(graph.tasks.map((task) => [task.id, task.key]));
    const a = keys(base);
    const b = keys(louder);
    expect(b['stem:lead']).toBe(a['stem:lead']);
    expect(b['stem:bass']).not.toBe(a['stem:bass']);
    expect(b.mix).not.toBe(a.mix);
    expect(b.master).not.toBe(a.master);
    expect(b.midi).toBe(a.midi);
    const bass = louder.tasks.find((task) => task.id === 'stem:bass')!;
    const baseBass = base.tasks.find((task) => task.id === 'stem:bass')!;
    const changed = Object.keys(bass.inputs).filter((name) => bass.inputs[name] !== baseBass.inputs[name]);
    expect(changed).toEqual(['fader']);
  });

  it('orders tasks so that every task comes after what it reads', () => {
    const graph = plan(ok(song()));
    const seen = new Set<string>();
    for (const task of graph.tasks) {
      for (const dep of task.deps) expect(seen.has(dep)).toBe(true);
      seen.add(task.id);
    }
  });
});
