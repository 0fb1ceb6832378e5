/**
 * Standard MIDI File reading, through @tonejs/midi, into plain data at mixdown's PPQ (960):
 * ticks from a file with another resolution are rescaled and rounded.
 */
import toneMidi from '@tonejs/midi';
import { PPQ } from '../theory/units.ts';

const { Midi } = toneMidi as unknown as { Midi: typeof import('@tonejs/midi').Midi };

export class MidiFormatError extends Error {}

export interface MidiNoteData {
  readonly pitch: number;
  /** 1–127. */
  readonly velocity: number;
  readonly startTick: number;
  readonly lengthTicks: number;
}

export interface MidiTrackData {
  readonly name: string;
  /** 0-based channel; 9 is drums. */
  readonly channel: number;
  readonly program: number;
  readonly drums: boolean;
  readonly notes: readonly MidiNoteData[];
}

export interface MidiFileData {
  readonly name: string;
  readonly tempos: readonly { readonly tick: number; readonly bpm: number }[];
  readonly meters: readonly { readonly tick: number; readonly numerator: number; readonly denominator: number }[];
  /** Tracks that hold notes, in file order. */
  readonly tracks: readonly MidiTrackData[];
}

export function readMidi(bytes: Uint8Array): MidiFileData {
  let midi: InstanceType<typeof Midi>;
  try {
    midi = new Midi(bytes);
  } catch (error) {
    throw new MidiFormatError(`not a Standard MIDI File (${error instanceof Error ? error.message : String(error)})`);
  }
  const ppq = midi.header.ppq;
  if (!(ppq > 0)) throw new MidiFormatError('its header has no ticks-per-quarter resolution');
  const scale = (ticks: number) => Math.round((ticks * PPQ) / ppq);
  return {
    name: midi.header.name ?? '',
    tempos: midi.header.tempos.map((tempo) => ({ tick: scale(tempo.ticks), bpm: tempo.bpm })),
    meters: midi.header.timeSignatures.map((signature) => ({ tick: scale(signature.ticks), numerator: signature.timeSignature[0], denominator: signature.timeSignature[1] })),
    tracks: midi.tracks
      .filter((track) => track.notes.length > 0)
      .map((track) => ({
        name: track.name ?? '',
        channel: track.channel,
        program: track.instrument.number,
        drums: track.channel === 9,
        notes: track.notes.map((note) => ({
          pitch: note.midi,
          velocity: Math.min(127, Math.max(1, Math.round(note.velocity * 127))),
          startTick: scale(note.ticks),
          lengthTicks: Math.max(1, scale(note.durationTicks)),
        })),
      })),
  };
}
