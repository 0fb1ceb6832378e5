/**
 * Scales, chords and roman-numeral progressions as MIDI note numbers, on top of tonal
 * (a well-kept music theory library) for the names and intervals.
 */
import { Chord, Note, Scale } from 'tonal';
import { keyScale, parseKey, type KeyName } from './key.ts';
import type { MidiNote } from './units.ts';

/** Thrown for a scale, chord or numeral tonal cannot read. */
export class HarmonyError extends Error {}

function midiOf(pitchClass: string, octave: number): number {
  const midi = Note.midi(`${pitchClass}${octave}`);
  if (midi === null || midi === undefined) throw new HarmonyError(`'${pitchClass}' is not a pitch class`);
  return midi;
}

/** Notes of a scale from its tonic in `octave`, ascending: `scale('C major')` → 60 62 64 65 67 69 71. */
export function scale(name: string, octave = 4): MidiNote[] {
  const found = Scale.get(name);
  if (found.empty) throw new HarmonyError(`unknown scale '${name}'`);
  const tonic = midiOf(found.tonic ?? found.notes[0], octave);
  return found.intervals.map((interval) => tonic + (Note.midi(Note.transpose('C4', interval)) ?? 60) - 60);
}

export interface ChordOptions {
  /** Octave of the root. @default 4 */
  readonly octave?: number;
  /** 0 root position, 1 first inversion (lowest note up an octave), 2 second… @default 0 */
  readonly inversion?: number;
  /** `'close'` within an octave, `'drop2'` second voice from the top down an octave, `'open'` alternate voices up. @default 'close' */
  readonly voicing?: 'close' | 'drop2' | 'open';
}

/** A chord symbol as notes: `chord('Am7', { octave: 3 })` → 57 60 64 67. */
export function chord(symbol: string, options: ChordOptions = {}): MidiNote[] {
  const found = Chord.get(symbol);
  if (found.empty || !found.tonic) throw new HarmonyError(`unknown chord '${symbol}'`);
  const root = midiOf(found.tonic, options.octave ?? 4);
  let notes = found.intervals.map((interval) => root + (Note.midi(Note.transpose('C4', interval)) ?? 60) - 60);
  for (let i = 0; i < (options.inversion ?? 0); i++) notes = [...notes.slice(1), notes[0] + 12];
  return voice(notes, options.voicing ?? 'close');
}

function voice(close: number[], voicing: 'close' | 'drop2' | 'open'): number[] {
  if (voicing === 'drop2' && close.length >= 3) {
    const index = close.length - 2;
    return [close[index] - 12, ...close.slice(0, index), ...close.slice(index + 1)].sort((a, b) => a - b);
  }
  if (voicing === 'open') return close.map((note, i) => (i % 2 === 1 ? note + 12 : note)).sort((a, b) => a - b);
  return close;
}

const NUMERALS = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII'];

/**
 * Chords from roman numerals in a key: case gives the quality where it differs from the
 * key (`'iv'` in major is minor), `°` diminished, `+` augmented, `7` adds the seventh,
 * `b`/`#` before the numeral borrows a chromatic root (`'bVII'`).
 * `progression('A minor', ['i', 'VI', 'III', 'VII'])`.
 */
export function progression(key: KeyName, numerals: readonly string[], options: { octave?: number } = {}): MidiNote[][] {
  const parsed = parseKey(key);
  if (!parsed) throw new HarmonyError(`unknown key '${key}'`);
  const degrees = keyScale(parsed);
  return numerals.map((numeral) => {
    const match = /^(b|#)?(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)(°|o|\+)?(maj7|7)?$/.exec(numeral.trim());
    if (!match) throw new HarmonyError(`cannot read the numeral '${numeral}'`);
    const [, accidental, roman, alteration, seventh] = match;
    const degree = NUMERALS.indexOf(roman.toUpperCase());
    let root = degrees[degree];
    if (accidental) root = Note.simplify(Note.transpose(root, accidental === 'b' ? '-1A' : '1A')) || root;
    const upper = roman === roman.toUpperCase();
    const quality = alteration === '°' || alteration === 'o' ? 'dim' : alteration === '+' ? 'aug' : upper ? '' : 'm';
    const suffix = seventh === 'maj7' ? (quality === 'm' ? 'mMaj7' : 'maj7') : seventh === '7' ? (quality === 'dim' ? 'dim7' : quality === 'm' ? 'm7' : '7') : quality;
    return chord(`${root}${suffix}`, { octave: options.octave ?? 4 });
  });
}
