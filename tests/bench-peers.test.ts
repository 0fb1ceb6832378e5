// The peer benchmark's inputs (bench/peers.ts, issue 13): the seeded MIDI file read back by
// @tonejs/midi, the Csound score line of one note, and the imported module moved onto soundfont().
import toneMidi from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import { csoundFile, csoundNote, onSoundfont } from '../bench/peers.ts';
import { arrangement, arrangementMidi } from '../bench/soundfont.ts';
import { generateSongModule } from '../src/cli/import-midi.ts';
import { readMidi } from '../src/io/midi-read.ts';

const { Midi } = toneMidi as unknown as { Midi: typeof import('@tonejs/midi').Midi };

describe('peer benchmark song', () => {
  it('is a seeded 180 s, 8-track, 5,940-note format-1 file at 120 BPM with the drums on channel 10', () => {
    const bytes = arrangementMidi(arrangement(1), 'Peers');
    expect(bytes[9]).toBe(1); // MThd format word: 1
    const midi = new Midi(bytes);
    const tracks = midi.tracks.filter((track) => track.notes.length > 0);
    expect(tracks.map((track) => track.name)).toEqual(['piano', 'bass', 'strings', 'guitar', 'flute', 'brass', 'kit', 'hats']);
    expect(tracks.reduce((sum, track) => sum + track.notes.length, 0)).toBe(5940);
    expect(tracks.filter((track) => track.channel === 9).map((track) => track.name)).toEqual(['kit', 'hats']);
    expect(midi.header.tempos.map((tempo) => tempo.bpm)).toEqual([120]);
    expect(Math.max(...tracks.map((track) => Math.max(...track.notes.map((note) => note.time + note.duration))))).toBeCloseTo(180, 0);
    expect(arrangementMidi(arrangement(1), 'Peers')).toEqual(bytes);
    expect(arrangementMidi(arrangement(2), 'Peers')).not.toEqual(bytes);
  });

  it('writes one Csound score line per note, in seconds at 120 BPM', () => {
    expect(csoundNote({ pitch: 60, velocity: 100, startTick: 3 * 960, lengthTicks: 480 }, 0.25)).toBe('i 1 1.5 0.25 60 100 0.25');
    const tracks = arrangement(1);
    const csd = csoundFile(tracks, 'out.wav');
    expect(csd).toContain('-d -m0 -W -f -o out.wav');
    expect(csd).toMatch(/^ksmps = 32$/m);
    expect(csd).toMatch(/^sr = 48000$/m);
    const lines = csd.split('\n').filter((line) => line.startsWith('i 1 '));
    expect(lines).toHaveLength(5940);
    // The first piano note (left) and the last hat (right).
    expect(lines[0]).toBe(`i 1 0 0.45 60 ${tracks[0].notes[0].velocity} 0.15`);
    expect(lines[lines.length - 1]).toMatch(/^i 1 179\.875 0\.125 42 \d+ 0\.85$/);
  });

  it('moves every track of the imported module onto soundfont(), drums on bank 128', () => {
    const source = generateSongModule(readMidi(arrangementMidi(arrangement(1), 'Peers')), 'Peers');
    const moved = onSoundfont(source, 'FluidR3_GM.sf2');
    expect(moved).toContain("import { defineSong, soundfont } from 'mixdown';");
    expect(moved.match(/instrument: .*/g)).toEqual([
      ...[0, 33, 48, 24, 73, 61].map((program) => `instrument: soundfont({ file: 'FluidR3_GM.sf2', program: ${program} }),`),
      ...['kit', 'hats'].map(() => "instrument: soundfont({ file: 'FluidR3_GM.sf2', bank: 128, program: 0 }),"),
    ]);
    expect(onSoundfont(source.replace('synth({ program: 33 })', 'synth()'), 'FluidR3_GM.sf2')).toContain("instrument: soundfont({ file: 'FluidR3_GM.sf2', program: 0 }),\n      notes: [\n        { pitch: 'C2'");
    expect(() => onSoundfont(source.replace('drums()', 'fm()'), 'FluidR3_GM.sf2')).toThrow(/cannot move onto soundfont/);
  });
});
