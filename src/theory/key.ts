/** Keys: parsing `'A minor'`, the MIDI key signature, and the scale for roman numerals. */
import { Key, Note, Scale } from 'tonal';

/** A key, e.g. `'A minor'`, `'Eb major'`, `'D dorian'`: for roman numerals and the MIDI key signature. */
export type KeyName = `${'C' | 'D' | 'E' | 'F' | 'G' | 'A' | 'B'}${'' | '#' | 'b'} ${'major' | 'minor' | 'dorian' | 'phrygian' | 'lydian' | 'mixolydian' | 'locrian' | 'aeolian' | 'ionian'}`;

export interface KeyIR {
  /** Tonic pitch class name, e.g. `'Eb'`. */
  readonly tonic: string;
  readonly mode: 'major' | 'minor' | 'dorian' | 'phrygian' | 'lydian' | 'mixolydian' | 'locrian';
  /** MIDI key signature: sharps (+) or flats (−), and minor flag. */
  readonly sharps: number;
  readonly minor: boolean;
}

const MODES = ['major', 'minor', 'dorian', 'phrygian', 'lydian', 'mixolydian', 'locrian', 'aeolian', 'ionian'] as const;
/** Fifths the relative major lies from a mode's tonic, e.g. dorian is a major second below its major. */
const MODE_TO_MAJOR: Record<string, string> = {
  major: '1P',
  minor: '3m',
  dorian: '-2M',
  phrygian: '-3M',
  lydian: '-4P',
  mixolydian: '4P',
  locrian: '2m',
};

export function parseKey(text: string): KeyIR | undefined {
  const match = /^([A-Ga-g][#b]?)\s+([a-z]+)$/.exec(text.trim());
  if (!match) return undefined;
  const tonic = match[1][0].toUpperCase() + match[1].slice(1);
  let mode = match[2];
  if (!(MODES as readonly string[]).includes(mode)) return undefined;
  if (mode === 'aeolian') mode = 'minor';
  if (mode === 'ionian') mode = 'major';
  const relativeMajor = Note.transpose(tonic, MODE_TO_MAJOR[mode]);
  const signature = Key.majorKey(Note.simplify(relativeMajor)).keySignature;
  // `-0` for C major would not survive JSON; keep it a plain 0.
  const sharps = signature.startsWith('#') ? signature.length : signature.length === 0 ? 0 : -signature.length;
  return { tonic, mode: mode as KeyIR['mode'], sharps, minor: mode === 'minor' };
}

/** Pitch classes of the key's scale, tonic first. */
export function keyScale(key: KeyIR): string[] {
  return Scale.get(`${key.tonic} ${key.mode === 'minor' ? 'aeolian' : key.mode}`).notes;
}
