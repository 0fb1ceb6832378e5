import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SongInput } from '../src/api/song.ts';
import { compressor, ducker, utility } from '../src/effects/index.ts';
import { drums, GM_DRUMS, synth } from '../src/instruments/index.ts';
import { decodeWav } from '../src/io/wav.ts';
import { elaborate } from '../src/elaborate/elaborate.ts';
import { plan, type StemTask } from '../src/plan/graph.ts';
import { renderStem } from '../src/render/stem.ts';
import { fromDb } from '../src/dsp/levels.ts';
import { createProject, renderedTasks, type TestProject } from './helpers/project.ts';
import { rmsDb } from './helpers/audio.ts';

const FILE = 'songs/t/song.ts';

function song(overrides: Partial<SongInput> = {}): SongInput {
  return {
    title: 'T',
    tempo: 120,
    tail: 0.1,
    tracks: {
      kick: { instrument: drums(), notes: [{ pitch: GM_DRUMS.kick, start: '0:0:0', length: '8n' }] },
      bass: { instrument: synth({ wave: 'sine' }), notes: [{ pitch: 'A2', start: '0:0:0', length: '1m' }] },
    },
    ...overrides,
  };
}

function problems(input: SongInput) {
  const result = elaborate(input, { id: 't', file: FILE });
  return result.ok ? [] : result.diagnostics;
}

describe('mix graph validation', () => {
  it('names an unknown bus in an output and in a send', () => {
    const list = problems(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, output: 'drums', sends: [{ to: 'verb' }] } } }));
    expect(list.map((p) => [p.code, p.message])).toEqual([
      ['MD206', "track 'bass' outputs to unknown 'drums'"],
      ['MD233', "track 'bass' sends to unknown bus 'verb'"],
    ]);
    expect(list[0].file).toBe(FILE);
  });

  it('rejects a send to a track', () => {
    const list = problems(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, sends: [{ to: 'kick' }] } } }));
    expect(list.map((p) => [p.code, p.message])).toEqual([['MD226', "track 'bass' sends to 'kick', which is a track"]]);
  });

  it('prints the path of a routing cycle', () => {
    const list = problems(song({ buses: { a: { output: 'b' }, b: { output: 'c' }, c: { sends: [{ to: 'a' }] } } }));
    expect(list.map((p) => [p.code, p.message])).toEqual([['MD227', "song 't' routing has a cycle: a → b → c → a"]]);
  });

  it('rejects a sidechain from itself and from downstream', () => {
    const self = problems(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, effects: [ducker({}, { sidechain: 'bass' })] } } }));
    expect(self.map((p) => [p.code, p.message])).toEqual([['MD228', "track 'bass' effect 'ducker' keys from 'bass', which is itself"]]);
    const downstream = problems(
      song({
        tracks: { ...song().tracks, bass: { ...song().tracks.bass, output: 'low', effects: [compressor({}, { sidechain: 'glue' })] } },
        buses: { low: { output: 'glue' }, glue: {} },
      }),
    );
    expect(downstream.map((p) => [p.code, p.message])).toEqual([
      ['MD228', "track 'bass' effect 'compressor' keys from 'glue', which is downstream of it (bass → low → glue)"],
    ]);
  });

  it('rejects an effect that cannot key, an unknown effect option and an unknown automation target', () => {
    const list = problems(
      song({
        tracks: {
          ...song().tracks,
          bass: {
            ...song().tracks.bass,
            effects: [utility({ gain: -3 }, { sidechain: 'kick' }), compressor({ tresh: -20 } as never)],
            automation: { 'fx.compressor.ratioo': [{ at: '0:0:0', value: 2 }], volume: [{ at: '0:0:0', value: 0 }] },
          },
        },
      }),
    );
    expect(list.map((p) => p.code)).toEqual(['MD231', 'MD231']);
    expect(list[0].message).toMatch(/^track 'bass' effect 'utility' cannot key from a sidechain \(effects that can: .*compressor.*ducker/);
    expect(list[1].message).toBe("track 'bass' effect 'compressor' option 'tresh' is not an option (options: threshold, ratio, knee, attack, release, makeup, detection, window, lookahead)");
    const targets = problems(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, effects: [compressor()], automation: { 'fx.compressor.ratioo': [{ at: '0:0:0', value: 2 }], volume: [{ at: '0:0:0', value: 0 }] } } } }));
    expect(targets.map((p) => [p.code, p.message])).toEqual([
      ['MD232', "track 'bass' automation 'fx.compressor.ratioo' names 'ratioo', which is not a numeric option of effect 'compressor'"],
      ['MD232', "track 'bass' automation 'volume' is not a target"],
    ]);
  });

  it('plans one task per bus, downstream of its sources and sidechain keys, and mixes only what reaches the master', () => {
    const result = elaborate(
      song({
        tracks: { ...song().tracks, kick: { ...song().tracks.kick, output: 'drums' }, bass: { ...song().tracks.bass, effects: [ducker({}, { sidechain: 'kick' })], sends: [{ to: 'verb', level: -6, pre: true }] } },
        buses: { drums: {}, verb: {} },
      }),
      { id: 't', file: FILE },
    );
    if (!result.ok) throw new Error(result.diagnostics[0].message);
    const graph = plan(result.song);
    const deps = Object.fromEntries(graph.tasks.map((task) => [task.id, task.deps]));
    expect(graph.tasks.map((task) => task.id)).toEqual(['stem:kick', 'stem:bass', 'bus:drums', 'bus:verb', 'mix', 'master', 'midi']);
    expect(deps['stem:bass']).toEqual(['stem:kick']);
    expect(deps['bus:drums']).toEqual(['stem:kick']);
    expect(deps['bus:verb']).toEqual(['stem:bass#prefader']);
    expect(deps.mix).toEqual(['stem:bass', 'bus:drums', 'bus:verb']);
  });
});

describe('inspect', () => {
  it('prints the mix graph: inserts with blend and key, outputs, sends, automation', async () => {
    const { formatArrangement } = await import('../src/cli/inspect.ts');
    const result = elaborate(
      song({
        tracks: {
          ...song().tracks,
          kick: { ...song().tracks.kick, output: 'drums' },
          bass: { ...song().tracks.bass, effects: [ducker({}, { sidechain: 'kick' })], sends: [{ to: 'verb', level: -6, pre: true }], automation: { gain: [{ at: '0:0:0', value: -3 }] } },
        },
        buses: { drums: { effects: [compressor({}, { mix: 0.5 })] }, verb: {} },
      }),
      { id: 't', file: FILE },
    );
    if (!result.ok) throw new Error(result.diagnostics[0].message);
    const lines = formatArrangement(result.song).split('\n');
    expect(lines).toContain('  kick       → drums');
    expect(lines).toContain('  bass       [ducker ← kick]  → master   sends: verb -6 dB pre   automated: gain');
    expect(lines).toContain('  bus drums  [compressor 50%]  → master');
  });
});

async function stemOf(input: SongInput, track: string) {
  const result = elaborate(input, { id: 't', file: FILE });
  if (!result.ok) throw new Error(result.diagnostics[0].message);
  const task = plan(result.song).tasks.find((entry) => entry.id === `stem:${track}`) as StemTask;
  const stem = await renderStem(task.params, { song: 't', file: FILE });
  return { song: result.song, audio: decodeWav(stem.wav).channels };
}

describe('channel strip', () => {
  it('pans a mono track by the constant-power law: -3 dB each side at centre, silence opposite a hard pan', async () => {
    const centre = await stemOf(song(), 'bass');
    const left = await stemOf(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, pan: -1 } } }), 'bass');
    const from = 4800;
    const to = 24000;
    expect(rmsDb(centre.audio[0], from, to) - rmsDb(left.audio[0], from, to)).toBeCloseTo(-3.0103, 3);
    expect(rmsDb(centre.audio[1], from, to) - rmsDb(left.audio[0], from, to)).toBeCloseTo(-3.0103, 3);
    expect(left.audio[1].every((sample) => sample === 0)).toBe(true);
  });

  it('inverts polarity exactly', async () => {
    const plain = await stemOf(song(), 'bass');
    const inverted = await stemOf(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, invert: true } } }), 'bass');
    expect(inverted.audio[0].every((sample, i) => sample === -plain.audio[0][i])).toBe(true);
  });

  it('reaches an automated fader value at exactly the sample of its point', async () => {
    const plain = await stemOf(song(), 'bass');
    const ramped = await stemOf(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, automation: { gain: [{ at: '0:0:0', value: 0 }, { at: '0:2:0', value: -12 }] } } } }), 'bass');
    const at = 48000; // beat 2 at 120 bpm
    const ratio = (i: number) => ramped.audio[0][i] / plain.audio[0][i];
    const target = fromDb(-12);
    // Find samples with signal around the point (a sine has zero crossings).
    const near = (i: number): number => (Math.abs(plain.audio[0][i]) > 1e-3 ? i : near(i + 1));
    expect(ratio(near(at))).toBeCloseTo(target, 5);
    expect(ratio(near(at + 100))).toBeCloseTo(target, 5);
    const before = near(at - 2000);
    expect(ratio(before)).toBeGreaterThan(target * 1.05);
    // Halfway in dB at the midpoint of the linear ramp.
    expect(ratio(near(at / 2))).toBeCloseTo(fromDb(-6), 2);
  });

  it('automates an instrument option: a filter sweep brightens the note as the cutoff rises', async () => {
    const input = song({
      tracks: {
        ...song().tracks,
        bass: {
          instrument: synth({ wave: 'saw', filter: { cutoff: 200, envAmount: 0, keyTrack: 0 } }),
          notes: [{ pitch: 'A2', start: '0:0:0', length: '1m' }],
          automation: { 'instrument.filter.cutoff': [{ at: '0:0:0', value: 200 }, { at: '0:3:0', value: 8000, shape: 'exponential' }] },
        },
      },
    });
    const { audio } = await stemOf(input, 'bass');
    const { spectrum, bandEnergy } = await import('./helpers/audio.ts');
    const brightness = (offset: number) => {
      const magnitudes = spectrum(audio[0], offset, 4096);
      return bandEnergy(magnitudes, 48000, 4096, 2000, 8000) / bandEnergy(magnitudes, 48000, 4096, 50, 300);
    };
    expect(brightness(4800)).toBeLessThan(0.01);
    expect(brightness(72000 - 4096)).toBeGreaterThan(brightness(24000) * 10);
  });

  it('blends a parallel slot: mix 0.5 is the mean of dry (mix 0) and fully processed (mix 1)', async () => {
    const withMix = (mix: number) =>
      stemOf(song({ tracks: { ...song().tracks, bass: { ...song().tracks.bass, effects: [compressor({ threshold: -40, ratio: 8, attack: 0.001 }, { mix })] } } }), 'bass');
    const [dry, wet, half] = await Promise.all([withMix(0), withMix(1), withMix(0.5)]);
    const from = 4800;
    const to = 40000;
    expect(rmsDb(wet.audio[0], from, to)).toBeLessThan(rmsDb(dry.audio[0], from, to) - 10);
    for (let i = from; i < to; i += 997) expect(half.audio[0][i]).toBeCloseTo((dry.audio[0][i] + wet.audio[0][i]) / 2, 6);
  });
});

describe('buses, sends and sidechain in a build', () => {
  let project: TestProject;
  const source = (bassNote: string) => `
import { defineSong, drums, GM_DRUMS, synth, ducker, utility } from 'mixdown';
const beat = [0, 1, 2, 3].map((b) => ({ pitch: GM_DRUMS.kick, start: \`0:\${b}:0\` as const, length: '16n' as const }));
export default defineSong({
  title: 'Routing',
  tempo: 120,
  tail: 0.1,
  tracks: {
    kick: { instrument: drums(), output: 'drums', notes: beat },
    hat: { instrument: drums(), output: 'drums', notes: [{ pitch: GM_DRUMS.closedHat, start: '0:0:2', length: '16n' }] },
    bass: {
      instrument: synth({ wave: 'sine', envelope: { attack: 0.001, sustain: 1, release: 0.01 } }),
      effects: [ducker({ amount: 12, threshold: -30, attack: 0.001, hold: 0.05, release: 0.05 }, { sidechain: 'kick' })],
      sends: [{ to: 'room', level: -6 }],
      notes: [{ pitch: '${bassNote}', start: '0:0:0', length: '1m' }],
    },
  },
  buses: {
    drums: { gain: -3 },
    room: { effects: [utility({ gain: -6 })] },
  },
});
`;
  beforeAll(() => {
    project = createProject({ songs: { routing: source('A1') } });
  });
  afterAll(() => project.dispose());

  it('writes a stem per bus: the sum of its sources through its fader', async () => {
    const result = await project.build();
    expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
    const stem = (path: string) => decodeWav(project.bytes(`dist/routing/${path}`)).channels;
    const [kick, hat, drumsBus, room, bass, mix] = ['stems/kick.wav', 'stems/hat.wav', 'buses/drums.wav', 'buses/room.wav', 'stems/bass.wav', 'mix.wav'].map(stem);
    const gain = fromDb(-3);
    for (let i = 0; i < kick[0].length; i += 211) expect(drumsBus[0][i]).toBeCloseTo((kick[0][i] + hat[0][i]) * gain, 6);
    // The room return: the bass's post-fader signal, -6 dB send, -6 dB utility.
    for (let i = 0; i < bass[0].length; i += 211) expect(room[1][i]).toBeCloseTo(bass[1][i] * fromDb(-12), 6);
    // The mix is what reaches the master: bass, drums bus and the room return (not the kick twice).
    for (let i = 0; i < mix[0].length; i += 211) expect(mix[0][i]).toBeCloseTo(bass[0][i] + drumsBus[0][i] + room[0][i], 6);
  });

  it('ducks the bass by the kick: about 12 dB under each hit, recovered between hits', () => {
    const bass = decodeWav(project.bytes('dist/routing/stems/bass.wav')).channels[0];
    const rate = 48000;
    // A hit every 0.5 s; the duck holds 50 ms and releases over 50 ms after the kick decays.
    const during = rmsDb(bass, 0.51 * rate, 0.53 * rate);
    const between = rmsDb(bass, 0.88 * rate, 0.98 * rate);
    expect(between - during).toBeGreaterThan(10);
    expect(between - during).toBeLessThan(13);
  });

  it('re-renders only the edited track and what is downstream of it (and what it keys)', async () => {
    project.write('songs/routing/song.ts', source('C2'));
    const reasons: Record<string, readonly string[]> = {};
    const result = await project.build({
      onEvent: (event) => {
        if (event.type === 'task-done' && event.reasons) reasons[event.result.id] = event.reasons;
      },
    });
    expect(renderedTasks(result, 'routing')).toEqual(['bus:room', 'master', 'midi', 'mix', 'stem:bass']);
    expect(reasons['bus:room']).toEqual(['input stem:bass changed']);
    project.write('songs/routing/song.ts', source('C2').replace('amount: 12', 'amount: 9'));
    const ducked: Record<string, readonly string[]> = {};
    await project.build({ onEvent: (event) => void (event.type === 'task-done' && event.reasons && (ducked[event.result.id] = event.reasons)) });
    expect(ducked['stem:bass']).toEqual(['effect ducker of track bass changed (options, mix, sidechain or automation)']);
  });
});
