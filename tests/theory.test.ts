import { describe, expect, it } from 'vitest';
import { chord, progression, scale } from '../src/theory/harmony.ts';
import { parseKey } from '../src/theory/key.ts';
import {
  arpeggiate,
  euclid,
  euclidPattern,
  grid,
  humanize,
  legato,
  quantize,
  repeat,
  staccato,
  swing,
  transpose,
  tuplet,
  velocityCurve,
  velocityRamp,
} from '../src/theory/rhythm.ts';

const starts = (notes: { start: { ticks: number } }[]) => notes.map((note) => note.start.ticks);
const pitches = (notes: { pitch: number }[]) => notes.map((note) => note.pitch);

describe('harmony', () => {
  it('spells scales and modes', () => {
    expect(scale('C major')).toEqual([60, 62, 64, 65, 67, 69, 71]);
    expect(scale('A minor', 3)).toEqual([57, 59, 60, 62, 64, 65, 67]);
    expect(scale('D dorian')).toEqual([62, 64, 65, 67, 69, 71, 72]);
  });

  it('voices chords with inversions and drop-2', () => {
    expect(chord('Am7', { octave: 3 })).toEqual([57, 60, 64, 67]);
    expect(chord('Am7', { octave: 3, inversion: 1 })).toEqual([60, 64, 67, 69]);
    expect(chord('Am7', { octave: 3, voicing: 'drop2' })).toEqual([52, 57, 60, 67]);
    expect(chord('Cmaj7')).toEqual([60, 64, 67, 71]);
    expect(() => chord('Hm')).toThrow(/unknown chord/);
  });

  it('reads roman numerals in the key', () => {
    expect(progression('C major', ['I', 'V', 'vi', 'IV'])).toEqual([
      [60, 64, 67],
      [67, 71, 74],
      [69, 72, 76],
      [65, 69, 72],
    ]);
    expect(progression('A minor', ['i', 'VI', 'III', 'VII'], { octave: 3 }).map((c) => c[0])).toEqual([57, 53, 48, 55]);
    expect(progression('C major', ['V7', 'ii7', 'bVII', 'vii°'])).toEqual([
      [67, 71, 74, 77],
      [62, 65, 69, 72],
      [70, 74, 77],
      [71, 74, 77],
    ]);
  });

  it('knows key signatures', () => {
    expect(parseKey('A minor')).toMatchObject({ sharps: 0, minor: true });
    expect(parseKey('Eb major')).toMatchObject({ sharps: -3, minor: false });
    expect(parseKey('E minor')).toMatchObject({ sharps: 1 });
    expect(parseKey('D dorian')).toMatchObject({ sharps: 0 });
    expect(parseKey('H major')).toBeUndefined();
  });
});

describe('rhythm helpers', () => {
  it('distributes euclidean rhythms like Bjorklund', () => {
    expect(euclidPattern(3, 8)).toBe('x..x..x.');
    expect(euclidPattern(5, 8)).toBe('x.xx.xx.');
    expect(euclidPattern(4, 16)).toBe('x...x...x...x...');
    expect(euclidPattern(3, 8, 1)).toBe('..x..x.x');
    expect(euclid(0, 4)).toEqual([false, false, false, false]);
    expect(() => euclid(5, 4)).toThrow(RangeError);
  });

  it('reads drum grids with accents and ghost notes', () => {
    const notes = grid('X..o x... |x-..', 36, { start: '1:0:0' });
    expect(starts(notes)).toEqual([3840, 3840 + 720, 3840 + 960, 3840 + 1920]);
    expect(notes.map((note) => note.velocity)).toEqual([127, 45, 100, 100]);
    expect(notes.every((note) => note.length.ticks === 240)).toBe(true);
    expect(() => grid('x?', 36)).toThrow(/not one of/);
  });

  it('arpeggiates up, down, up-down and seeded-random', () => {
    const chords = [[60, 64, 67]];
    expect(pitches(arpeggiate(chords, { rate: '4n', pattern: 'up' }))).toEqual([60, 64, 67, 60]);
    expect(pitches(arpeggiate(chords, { rate: '8n', pattern: 'updown', octaves: 2 }))).toEqual([60, 64, 67, 72, 76, 79, 76, 72]);
    expect(pitches(arpeggiate(chords, { rate: '4n', pattern: 'down' }))).toEqual([67, 64, 60, 67]);
    const a = pitches(arpeggiate(chords, { pattern: 'random', seed: 3 }));
    expect(pitches(arpeggiate(chords, { pattern: 'random', seed: 3 }))).toEqual(a);
    expect(pitches(arpeggiate(chords, { pattern: 'random', seed: 4 }))).not.toEqual(a);
    expect(starts(arpeggiate([[60], [62]], { rate: '2n' }))).toEqual([0, 1920, 3840, 5760]);
  });

  it('swings off-beats, quantises, transposes and shapes lengths and velocities', () => {
    const eighths = Array.from({ length: 4 }, (_, i) => ({ pitch: 60, start: { ticks: i * 480 }, length: { ticks: 240 } }));
    expect(starts(swing(eighths, 2 / 3))).toEqual([0, 480 + 160, 960, 1440 + 160]);
    expect(starts(quantize([{ pitch: 60, start: { ticks: 250 }, length: '16n' }], '16n'))).toEqual([240]);
    expect(starts(quantize([{ pitch: 60, start: { ticks: 260 }, length: '16n' }], '16n', 0.5))).toEqual([250]);
    expect(pitches(transpose([{ pitch: 'C4', start: '0:0', length: '4n' }], -12))).toEqual([48]);
    expect(legato(eighths).map((note) => note.length.ticks)).toEqual([480, 480, 480, 240]);
    expect(staccato(eighths, 0.25).map((note) => note.length.ticks)).toEqual([60, 60, 60, 60]);
    expect(velocityRamp(eighths, 40, 100).map((note) => note.velocity)).toEqual([40, 60, 80, 100]);
    expect(velocityCurve(eighths, (t) => 50 + 60 * Math.sin(Math.PI * t)).map((note) => note.velocity)).toEqual([50, 102, 102, 50]);
    expect(starts(tuplet(['C4', 'E4', 'G4'], '4n', { start: '0:1:0' }))).toEqual([960, 1280, 1600]);
    expect(() => tuplet(['C4', 'E4', 'G4', 'B4', 'D5', 'F5', 'A5'], '4n')).toThrow(/divide/);
    expect(starts(repeat([{ pitch: 60, start: '0:0', length: '8n' }], 3, '1m'))).toEqual([0, 3840, 7680]);
  });

  it('humanises reproducibly for a seed', () => {
    const notes = grid('x.x.x.x.x.x.x.x.', 42);
    const a = humanize(notes, { timing: 20, velocity: 10, seed: 1 });
    expect(humanize(notes, { timing: 20, velocity: 10, seed: 1 })).toEqual(a);
    expect(humanize(notes, { timing: 20, velocity: 10, seed: 2 })).not.toEqual(a);
    a.forEach((note, i) => {
      expect(Math.abs(note.start.ticks - notes[i].start.ticks)).toBeLessThanOrEqual(20);
      expect(Math.abs(note.velocity - 100)).toBeLessThanOrEqual(10);
    });
  });
});
