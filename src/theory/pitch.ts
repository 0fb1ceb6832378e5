import type { Hertz, MidiNote, Pitch } from './units.ts';

const LETTER_SEMITONES: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };
const NAME_PATTERN = /^([A-Ga-g])(##|bb|#|b)?(-?\d+)$/;
const SHARP_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/**
 * Parse a pitch to a MIDI note number, or return `undefined` when it is not one.
 * Range checking is validate()'s job, so out-of-range numbers come back as they are.
 */
export function parsePitch(pitch: Pitch | string): MidiNote | undefined {
  if (typeof pitch === 'number') return Number.isFinite(pitch) ? pitch : undefined;
  const match = NAME_PATTERN.exec(pitch.trim());
  if (!match) return undefined;
  const [, letter, accidental = '', octave] = match;
  const alter = accidental === '#' ? 1 : accidental === '##' ? 2 : accidental === 'b' ? -1 : accidental === 'bb' ? -2 : 0;
  return (Number(octave) + 1) * 12 + LETTER_SEMITONES[letter.toLowerCase()] + alter;
}

/** Scientific pitch name with sharps: 60 → `'C4'`, 70 → `'A#4'`. */
export function pitchName(note: MidiNote): string {
  const octave = Math.floor(note / 12) - 1;
  return `${SHARP_NAMES[((note % 12) + 12) % 12]}${octave}`;
}

/** Equal-tempered frequency of a (possibly fractional) MIDI note, A4 = 440 Hz. */
export function midiToFrequency(note: number, a4: Hertz = 440): Hertz {
  return a4 * Math.pow(2, (note - 69) / 12);
}
