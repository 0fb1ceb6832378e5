/**
 * Named musical units. Plain numbers where a brand would only add ceremony
 * (decibels, hertz); explicit object or string forms where mixing units up is
 * a real bug (musical time), so that passing seconds where ticks are expected
 * is a type error.
 */

/** Pulses per quarter note for every tick value in mixdown (and in exported MIDI). */
export const PPQ = 960;

/** Level in decibels relative to unity gain (0 dB = unchanged). */
export type Decibels = number;
/** Frequency in hertz. */
export type Hertz = number;
/** Duration in seconds. */
export type Seconds = number;
/** Tempo in quarter-note beats per minute. */
export type BPM = number;
/** Absolute position or length in ticks at {@link PPQ} ticks per quarter note. */
export type Ticks = number;
/** Absolute position or length in samples at the song's sample rate. */
export type Samples = number;
/** Stereo position: -1 = hard left, 0 = centre, 1 = hard right. */
export type Pan = number;
/** MIDI note number 0–127 (60 = C4 = middle C, 69 = A4 = 440 Hz). */
export type MidiNote = number;
/** MIDI velocity 1–127. */
export type Velocity = number;

type Letter = 'C' | 'D' | 'E' | 'F' | 'G' | 'A' | 'B' | 'c' | 'd' | 'e' | 'f' | 'g' | 'a' | 'b';
type Accidental = '' | '#' | 'b' | '##' | 'bb';
type Octave = '-1' | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
/** A pitch name in scientific notation: `'C4'` is middle C (MIDI 60), `'F#2'`, `'Bb3'`. */
export type NoteName = `${Letter}${Accidental}${Octave}`;
/** A pitch: a {@link NoteName} or a MIDI note number. */
export type Pitch = NoteName | MidiNote;

/**
 * `'bars:beats:ticks'` (or `'bars:beats'`), counted from zero like a tape counter:
 * `'0:0:0'` is the very start, `'2:1:480'` is bar 3, beat 2, plus half a quarter note.
 * A beat is one note of the meter's denominator (a quarter in 4/4, an eighth in 6/8).
 */
export type BarsBeatsTicks = `${number}:${number}:${number}` | `${number}:${number}`;
/**
 * A note value: `'4n'` quarter, `'8n'` eighth, `'8t'` eighth triplet, `'4n.'` dotted
 * quarter, `'1m'` one bar of the meter at that point.
 */
export type NoteValue =
  | `${1 | 2 | 4 | 8 | 16 | 32 | 64}${'n' | 't'}`
  | `${1 | 2 | 4 | 8 | 16 | 32 | 64}n.`
  | `${number}m`;

/**
 * A musical time, as a position or a length. Plain numbers are rejected on purpose:
 * say which unit you mean (`{ beats: 2 }`, `{ ticks: 480 }`, `{ bars: 1 }`, `'1:0:0'`, `'8n'`,
 * `{ seconds: 1.5 }`). Seconds go through the tempo map and round to the nearest tick.
 */
export type Time =
  | BarsBeatsTicks
  | NoteValue
  | { readonly ticks: Ticks }
  | { readonly beats: number }
  | { readonly bars: number }
  | { readonly seconds: Seconds };

/** `{ ticks: n }` — a time in ticks ({@link PPQ} per quarter note). */
export const ticks = (n: Ticks): { ticks: Ticks } => ({ ticks: n });
/** `{ beats: n }` — a time in beats of the meter's denominator. */
export const beats = (n: number): { beats: number } => ({ beats: n });
/** `{ bars: n }` — a time in whole bars. */
export const bars = (n: number): { bars: number } => ({ bars: n });
/** `{ seconds: n }` — a time in seconds, converted through the tempo map. */
export const seconds = (n: Seconds): { seconds: Seconds } => ({ seconds: n });

/** A time signature as `[beats per bar, beat unit]`, e.g. `[4, 4]`, `[6, 8]`. */
export type Meter = readonly [numerator: number, denominator: 1 | 2 | 4 | 8 | 16 | 32];

/** One note as a song writes it. */
export interface NoteInput {
  /** `'C#3'` or a MIDI note number 0–127. */
  readonly pitch: Pitch;
  /** Where the note starts, e.g. `'2:1:0'` or `{ beats: 9 }`. */
  readonly start: Time;
  /** How long it is held, e.g. `'8n'`, `'0:2:0'` or `{ ticks: 240 }`. Must be positive. */
  readonly length: Time;
  /** MIDI velocity 1–127. @default 100 */
  readonly velocity?: Velocity;
}
