import toneMidi from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import { encodeMidi, varLength } from '../src/io/midi.ts';
import type { MidiParams } from '../src/plan/graph.ts';

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
