import toneMidi from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import type { NoteEvent } from '../src/ir/plugin.ts';
import { encodeMidi, keyedNotes, midiSharps, varLength } from '../src/io/midi.ts';
import type { SongIR, TrackIR } from '../src/ir/types.ts';
import { plan, type MidiTask } from '../src/plan/graph.ts';
import type { MidiParams } from '../src/io/midi.ts';

const { Midi } = toneMidi as unknown as { Midi: typeof import('@tonejs/midi').Midi };

const PARAMS: MidiParams = {
  title: 'Round Trip',
  ppq: 960,
  tempoMap: [
    { tick: 0, bpm: 120, rampToNext: false },
    { tick: 4 * 3840, bpm: 90, rampToNext: false },
  ],
  key: { sharps: -3, minor: true },
  markers: [
    { tick: 0, name: 'intro 1' },
    { tick: 7680, name: 'verse 1' },
  ],
  meterMap: [
    { tick: 0, bar: 0, numerator: 4, denominator: 4 },
    { tick: 2 * 3840, bar: 2, numerator: 3, denominator: 4 },
  ],
  tracks: [
    {
      name: 'bass',
      program: 33,
      drums: false,
      notes: [
        { pitch: 40, velocity: 1, startTick: 0, lengthTicks: 960 },
        // Same pitch again exactly where the first ends: the note-off must come first.
        { pitch: 40, velocity: 64, startTick: 960, lengthTicks: 480 },
        { pitch: 43, velocity: 127, startTick: 1200, lengthTicks: 2000 },
      ],
    },
    {
      name: 'kit',
      program: null,
      drums: true,
      notes: [
        { pitch: 36, velocity: 100, startTick: 0, lengthTicks: 240 },
        { pitch: 42, velocity: 70, startTick: 0, lengthTicks: 120 },
      ],
    },
    { name: 'keys', program: 0, drums: false, notes: [{ pitch: 72, velocity: 90, startTick: 15360, lengthTicks: 1 }] },
  ],
};

describe('MIDI export', () => {
  const bytes = encodeMidi(PARAMS);
  const midi = new Midi(bytes);

  it('writes a format 1 header with the PPQ and one chunk per track plus the conductor', () => {
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('MThd');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(4)).toBe(6);
    expect(view.getUint16(8)).toBe(1);
    expect(view.getUint16(10)).toBe(4);
    expect(view.getUint16(12)).toBe(960);
    expect(midi.header.ppq).toBe(960);
  });

  it('carries the title, tempo map and meter map at their ticks', () => {
    expect(midi.header.name).toBe('Round Trip');
    expect(midi.header.tempos.map((tempo) => [tempo.ticks, Math.round(tempo.bpm * 1000) / 1000])).toEqual([
      [0, 120],
      [15360, 90],
    ]);
    expect(midi.header.timeSignatures.map((signature) => [signature.ticks, signature.timeSignature])).toEqual([
      [0, [4, 4]],
      [7680, [3, 4]],
    ]);
  });

  it('gives back every note exactly, with names, programs and channels', () => {
    // @tonejs/midi folds the conductor track into its header (name, tempos, meters).
    expect(midi.tracks.map((track) => track.name)).toEqual(['bass', 'kit', 'keys']);
    const byName = (name: string) => midi.tracks.find((track) => track.name === name)!;
    for (const track of PARAMS.tracks) {
      const read = byName(track.name);
      const notes = read.notes.map((note) => ({ pitch: note.midi, velocity: Math.round(note.velocity * 127), startTick: note.ticks, lengthTicks: note.durationTicks }));
      const sorted = [...track.notes].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
      expect(notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch)).toEqual(sorted);
    }
    expect(byName('bass').instrument.number).toBe(33);
    expect(byName('bass').channel).toBe(0);
    expect(byName('kit').channel).toBe(9);
    expect(byName('keys').channel).toBe(1);
  });

  it('is byte-identical on a second encode', () => {
    expect(Buffer.from(encodeMidi(PARAMS)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('encodes variable-length quantities as the spec’s examples', () => {
    expect(varLength(0)).toEqual([0x00]);
    expect(varLength(0x40)).toEqual([0x40]);
    expect(varLength(0x7f)).toEqual([0x7f]);
    expect(varLength(0x80)).toEqual([0x81, 0x00]);
    expect(varLength(0x2000)).toEqual([0xc0, 0x00]);
    expect(varLength(0x3fff)).toEqual([0xff, 0x7f]);
    expect(varLength(0x100000)).toEqual([0xc0, 0x80, 0x00]);
    expect(varLength(0x0fffffff)).toEqual([0xff, 0xff, 0xff, 0x7f]);
    expect(() => varLength(-1)).toThrow(RangeError);
  });
});

/** A note as the IR holds it (the sample fields do not reach MIDI). */
function note(pitch: number, velocity: number, startTick: number, lengthTicks: number): NoteEvent {
  return { pitch, velocity, startTick, lengthTicks, startSample: 0, lengthSamples: 1 };
}

function trackIR(index: number, id: string, fields: Partial<TrackIR>): TrackIR {
  return {
    id,
    name: id,
    index,
    instrument: { plugin: 'synth', version: '1', options: {}, source: null, code: null, files: [] },
    instrumentAutomation: {},
    notes: [],
    effects: [],
    sends: [],
    gainDb: 0,
    pan: 0,
    panLaw: 'mono',
    output: 'master',
    mute: false,
    invert: false,
    gainAutomation: null,
    panAutomation: null,
    seed: index + 1,
    midiProgram: null,
    midiDrums: false,
    ...fields,
  };
}

const BAR_4_4 = 4 * 960;
const BAR_3_4 = 3 * 960;

/** Hand-built SongIR: 120 → 90 bpm at bar 4, 4/4 then 3/4 at bar 6, synth + drums + a muted pad. */
const SONG: SongIR = {
  id: 'round-trip',
  variant: null,
  file: 'songs/round-trip/song.ts',
  title: 'Round Trip Song',
  sampleRate: 48000,
  ppq: 960,
  seed: 7,
  tempoMap: [
    { tick: 0, bpm: 120, rampToNext: false },
    { tick: 4 * BAR_4_4, bpm: 90, rampToNext: false },
  ],
  meterMap: [
    { tick: 0, bar: 0, numerator: 4, denominator: 4 },
    { tick: 6 * BAR_4_4, bar: 6, numerator: 3, denominator: 4 },
  ],
  key: { tonic: 'E', mode: 'minor', sharps: 1, minor: true },
  sections: [],
  markers: [],
  lengthTicks: 6 * BAR_4_4 + 2 * BAR_3_4,
  lengthSamples: 48000 * 20,
  buses: [],
  beatSeconds: 0.5,
  stemFormat: 'float32',
  tracks: [
    trackIR(0, 'lead', {
      name: 'Lead Synth',
      midiProgram: 33,
      notes: [
        note(60, 1, 0, 960),
        // Different pitches overlapping: each keeps its own span.
        note(64, 127, 480, 1920),
        note(67, 64, 960, 240),
        // The same pitch again exactly where the first C ends: off before on at tick 960.
        note(60, 100, 960, 480),
        note(72, 33, 4 * BAR_4_4 + 17, 1),
        note(71, 90, 6 * BAR_4_4, BAR_3_4),
      ],
    }),
    trackIR(1, 'kit', {
      name: 'Drum Kit',
      midiDrums: true,
      notes: [note(36, 110, 0, 120), note(42, 70, 0, 60), note(38, 95, 960, 120), note(42, 50, 480, 60)],
    }),
    // Muted tracks are still exported.
    trackIR(2, 'pad', { name: 'Pad (muted)', midiProgram: 89, mute: true, notes: [note(48, 80, 0, 4 * BAR_4_4)] }),
  ],
  master: {
    ceilingDb: -1,
    loudness: null,
    limiter: null,
    eq: [],
    compressor: null,
    multiband: null,
    width: 1,
    dither: false,
    reference: null,
    match: null,
    formats: [],
    mp3Bitrate: 320,
  },
};

function midiOf(song: SongIR): Uint8Array {
  const task = plan(song).tasks.find((candidate): candidate is MidiTask => candidate.kind === 'midi')!;
  return encodeMidi(task.params);
}

/** The channel-voice events of each MTrk chunk, by absolute tick (the writer uses no running status). */
function rawTracks(bytes: Uint8Array): { tick: number; status: number; data: number[] }[][] {
  const tracks: { tick: number; status: number; data: number[] }[][] = [];
  let at = 14;
  const vlq = () => {
    let value = 0;
    for (;;) {
      const byte = bytes[at++];
      value = (value << 7) | (byte & 0x7f);
      if (!(byte & 0x80)) return value;
    }
  };
  while (at < bytes.length) {
    expect(String.fromCharCode(...bytes.subarray(at, at + 4))).toBe('MTrk');
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 4);
    const end = at + 8 + length;
    at += 8;
    const events: { tick: number; status: number; data: number[] }[] = [];
    let tick = 0;
    while (at < end) {
      tick += vlq();
      const status = bytes[at++];
      expect(status & 0x80).toBe(0x80);
      if (status === 0xff) {
        at++; // meta type
        const length = vlq(); // (read before adding: vlq moves `at`)
        at += length;
      } else {
        const size = (status & 0xf0) === 0xc0 ? 1 : 2;
        events.push({ tick, status, data: [...bytes.subarray(at, at + size)] });
        at += size;
      }
    }
    tracks.push(events);
  }
  return tracks;
}

describe('MIDI export of a SongIR', () => {
  const bytes = midiOf(SONG);
  const midi = new Midi(bytes);

  it('is format 1 at 960 PPQ with the conductor plus one track per song track', () => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint16(8)).toBe(1); // format
    expect(view.getUint16(10)).toBe(1 + SONG.tracks.length);
    expect(view.getUint16(12)).toBe(960);
    expect(midi.header.ppq).toBe(960);
    expect(midi.header.name).toBe('Round Trip Song');
  });

  it('writes the tempo map and meter map at their ticks', () => {
    // Tempo is stored as whole microseconds per quarter: 90 bpm is 666 667 µs.
    expect(midi.header.tempos.map((tempo) => [tempo.ticks, Math.round(60_000_000 / tempo.bpm)])).toEqual([
      [0, 500_000],
      [15360, 666_667],
    ]);
    expect(midi.header.timeSignatures.map((signature) => [signature.ticks, signature.timeSignature])).toEqual([
      [0, [4, 4]],
      [23040, [3, 4]],
    ]);
    expect(midi.header.keySignatures.map((signature) => [signature.ticks, signature.key, signature.scale])).toEqual([[0, 'G', 'minor']]);
  });

  it('gives back every note, tick, length and velocity exactly, with names, programs and channels', () => {
    expect(midi.tracks.map((track) => track.name)).toEqual(['Lead Synth', 'Drum Kit', 'Pad (muted)']);
    SONG.tracks.forEach((track, index) => {
      const read = midi.tracks[index];
      const notes = read.notes.map((n) => ({ pitch: n.midi, startTick: n.ticks, lengthTicks: n.durationTicks, velocity: Math.round(n.velocity * 127) }));
      const expected = track.notes.map(({ pitch, startTick, lengthTicks, velocity }) => ({ pitch, startTick, lengthTicks, velocity }));
      const order = (a: { startTick: number; pitch: number }, b: { startTick: number; pitch: number }) => a.startTick - b.startTick || a.pitch - b.pitch;
      expect(notes.sort(order)).toEqual(expected.sort(order));
    });
    expect(midi.tracks.map((track) => track.channel)).toEqual([0, 9, 1]);
    expect(midi.tracks[0].instrument.number).toBe(33);
    expect(midi.tracks[2].instrument.number).toBe(89);
    expect(midi.tracks[1].instrument.percussion).toBe(true);
    // No program change for the drum track (its program is null).
    expect(rawTracks(bytes)[2].some((event) => (event.status & 0xf0) === 0xc0)).toBe(false);
  });

  it('writes the MIDI velocity byte equal to the IR velocity (no 0–100 rescaling)', () => {
    const ons = rawTracks(bytes)[1].filter((event) => (event.status & 0xf0) === 0x90);
    expect(ons.map((event) => event.data[1])).toEqual(SONG.tracks[0].notes.map((n) => n.velocity));
  });

  it('puts note-offs before note-ons at the same tick', () => {
    for (const events of rawTracks(bytes)) {
      for (let i = 1; i < events.length; i++) {
        if (events[i].tick === events[i - 1].tick) expect([(events[i - 1].status & 0xf0) === 0x90, (events[i].status & 0xf0) === 0x80]).not.toEqual([true, true]);
      }
    }
  });

  it('is byte-identical on a second encode', () => {
    expect(Buffer.from(midiOf(SONG)).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(midiOf(structuredClone(SONG))).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('MIDI export of overlapping notes of one pitch', () => {
  const params = (notes: MidiParams['tracks'][number]['notes']): MidiParams => ({
    ...PARAMS,
    tracks: [{ name: 'keys', program: 0, drums: false, notes }],
  });

  it('re-strikes the key where the later note starts and holds it to the later end', () => {
    const notes = [
      { pitch: 60, velocity: 80, startTick: 0, lengthTicks: 2000 },
      { pitch: 60, velocity: 100, startTick: 1000, lengthTicks: 500 }, // inside the first
      { pitch: 62, velocity: 70, startTick: 500, lengthTicks: 3000 }, // another key: untouched
      { pitch: 60, velocity: 50, startTick: 4000, lengthTicks: 480 },
      { pitch: 60, velocity: 90, startTick: 4000, lengthTicks: 960 }, // same start: one press
      { pitch: 60, velocity: 40, startTick: 4700, lengthTicks: 100 }, // inside the merged press
    ];
    const read = new Midi(encodeMidi(params(notes))).tracks[0].notes.map((n) => [n.midi, n.ticks, n.durationTicks, Math.round(n.velocity * 127)]);
    expect(read.sort((a, b) => a[1] - b[1] || a[0] - b[0])).toEqual([
      [60, 0, 1000, 80],
      [62, 500, 3000, 70],
      [60, 1000, 1000, 100],
      [60, 4000, 700, 90],
      [60, 4700, 260, 40],
    ]);
  });

  it('never has two note-ons of one key without a note-off between them, for any input', () => {
    let state = 12345;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 200; trial++) {
      const notes = Array.from({ length: 1 + Math.floor(random() * 30) }, () => ({
        pitch: 60 + Math.floor(random() * 3),
        velocity: 1 + Math.floor(random() * 127),
        startTick: Math.floor(random() * 2000),
        lengthTicks: 1 + Math.floor(random() * 600),
      }));
      const events = rawTracks(encodeMidi(params(notes)))[1].filter((event) => (event.status & 0xe0) === 0x80);
      const down = new Map<number, number>();
      const covered = new Set<string>();
      for (const event of events) {
        const pitch = event.data[0];
        if ((event.status & 0xf0) === 0x90) {
          expect(down.has(pitch)).toBe(false);
          down.set(pitch, event.tick);
        } else {
          const start = down.get(pitch)!;
          expect(start).toBeLessThan(event.tick);
          for (let t = start; t < event.tick; t++) covered.add(`${pitch}:${t}`);
          down.delete(pitch);
        }
      }
      expect(down.size).toBe(0);
      // The key is down exactly while some note of that pitch sounds, and every onset is struck.
      const expected = new Set<string>();
      for (const n of notes) for (let t = n.startTick; t < n.startTick + n.lengthTicks; t++) expected.add(`${n.pitch}:${t}`);
      expect(covered).toEqual(expected);
      const onsets = new Set(events.filter((e) => (e.status & 0xf0) === 0x90).map((e) => `${e.data[0]}:${e.tick}`));
      expect(onsets).toEqual(new Set(notes.map((n) => `${n.pitch}:${n.startTick}`)));
    }
  });

  it('leaves notes that overlap nothing as they are, in input order', () => {
    const notes = [
      { pitch: 64, velocity: 10, startTick: 100, lengthTicks: 50 },
      { pitch: 60, velocity: 20, startTick: 0, lengthTicks: 100 },
      { pitch: 60, velocity: 30, startTick: 100, lengthTicks: 100 },
    ];
    expect(keyedNotes('t', notes)).toEqual(notes.map(({ lengthTicks, ...rest }) => ({ ...rest, endTick: rest.startTick + lengthTicks })));
  });
});

describe('MIDI export limits', () => {
  const withTracks = (count: number, drumsAt: number): MidiParams => ({
    ...PARAMS,
    tracks: Array.from({ length: count }, (_, index) => ({
      name: `t${index}`,
      program: index === drumsAt ? null : index,
      drums: index === drumsAt,
      notes: [{ pitch: 60, velocity: 100, startTick: 0, lengthTicks: 10 }],
    })),
  });

  it('skips channel 10 for melodic tracks and wraps after 15 of them', () => {
    const midi = new Midi(encodeMidi(withTracks(18, 3)));
    expect(midi.tracks.map((track) => track.channel)).toEqual([0, 1, 2, 9, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 0, 1]);
  });

  it('refuses values that would corrupt the file, naming them', () => {
    const bad = (patch: Partial<MidiParams['tracks'][number]['notes'][number]>) =>
      params1([{ pitch: 60, velocity: 100, startTick: 0, lengthTicks: 10, ...patch }]);
    const params1 = (notes: MidiParams['tracks'][number]['notes']) => () => encodeMidi({ ...PARAMS, tracks: [{ name: 'lead', program: 0, drums: false, notes }] });
    expect(bad({ velocity: 0 })).toThrow(/track 'lead' note 0 velocity is 0/);
    expect(bad({ velocity: 128 })).toThrow(RangeError);
    expect(bad({ pitch: 128 })).toThrow(/pitch/);
    expect(bad({ pitch: 60.5 })).toThrow(RangeError);
    expect(bad({ lengthTicks: 0 })).toThrow(/length/);
    expect(bad({ startTick: -1 })).toThrow(/start tick/);
    expect(() => encodeMidi({ ...PARAMS, tracks: [{ name: 'x', program: 128, drums: false, notes: [] }] })).toThrow(/program/);
    expect(() => encodeMidi({ ...PARAMS, meterMap: [{ tick: 0, bar: 0, numerator: 5, denominator: 6 }] })).toThrow(/power-of-two/);
    expect(() => encodeMidi({ ...PARAMS, tempoMap: [{ tick: 0, bpm: 2, rampToNext: false }] })).toThrow(/24-bit/);
  });

  it('writes keys spelled past seven sharps or flats as their enharmonic twins', () => {
    expect([0, 7, -7, 8, -8, 12, 13, -13].map(midiSharps)).toEqual([0, 7, -7, -4, 4, 0, 1, -1]);
    const midi = new Midi(encodeMidi({ ...PARAMS, key: { sharps: 8, minor: false } })); // G# major
    expect(midi.header.keySignatures.map((signature) => [signature.key, signature.scale])).toEqual([['Ab', 'major']]);
  });
});
