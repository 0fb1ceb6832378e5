/**
 * SongIR: the plain, JSON-serialisable, fully resolved song. Everything after `load`
 * works on this, so it can be hashed, sent to a worker, printed and tested without audio.
 */
import type { NoteEvent } from '../api/plugin.ts';

export interface TempoPoint {
  readonly tick: number;
  readonly bpm: number;
}

export interface MeterPoint {
  readonly tick: number;
  /** Bar index (0-based) at which this meter starts. */
  readonly bar: number;
  readonly numerator: number;
  readonly denominator: number;
}

export interface InstrumentIR {
  readonly plugin: string;
  readonly version: string;
  readonly options: Record<string, unknown>;
}

export interface TrackIR {
  /** Key in the song's `tracks`; names the stem file. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Position in the song's track list: fixes summing order and MIDI track order. */
  readonly index: number;
  readonly instrument: InstrumentIR;
  /** Sorted by start sample, then pitch. */
  readonly notes: readonly NoteEvent[];
  readonly gainDb: number;
  readonly pan: number;
  readonly output: string;
  readonly mute: boolean;
  /** 32-bit seed derived from the song seed and the track id. */
  readonly seed: number;
  /** From the instrument: General MIDI program, and whether the part is drums (channel 10). */
  readonly midiProgram: number | null;
  readonly midiDrums: boolean;
}

export interface MasterIR {
  readonly ceilingDb: number;
}

export interface SongIR {
  /** Folder name under songs/. */
  readonly id: string;
  /** Song file, relative to the project root, with forward slashes. */
  readonly file: string;
  readonly title: string;
  readonly sampleRate: number;
  readonly ppq: number;
  readonly seed: number;
  readonly tempoMap: readonly TempoPoint[];
  readonly meterMap: readonly MeterPoint[];
  /** End of the bar in which the last note ends. */
  readonly lengthTicks: number;
  /** Total rendered length in samples: last bar, plus the longest release tail, plus `tail`. */
  readonly lengthSamples: number;
  readonly tracks: readonly TrackIR[];
  readonly master: MasterIR;
}
