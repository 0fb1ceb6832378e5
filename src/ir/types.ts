/**
 * SongIR: the plain, JSON-serialisable, fully resolved song. Everything after `load`
 * works on this, so it can be hashed, sent to a worker, printed and tested without audio.
 */
import type { NoteEvent } from '../api/plugin.ts';
import type { GlueCompressorSettings } from '../master/compressor.ts';
import type { EqBand } from '../master/eq.ts';
import type { MultibandSettings } from '../master/multiband.ts';

export interface TempoPoint {
  readonly tick: number;
  readonly bpm: number;
  /** True when the tempo glides linearly (in ticks) from this point's bpm to the next point's. */
  readonly rampToNext: boolean;
}

export interface MeterPoint {
  readonly tick: number;
  /** Bar index (0-based) at which this meter starts. */
  readonly bar: number;
  readonly numerator: number;
  readonly denominator: number;
}

/** One occurrence of a section in the form. */
export interface SectionIR {
  readonly name: string;
  /** 1 for the first time this section plays, 2 for the second… */
  readonly occurrence: number;
  /** 0-based bar where it starts. */
  readonly startBar: number;
  readonly bars: number;
  readonly startTick: number;
  readonly endTick: number;
}

export interface MarkerIR {
  readonly tick: number;
  /** Seconds from the start (for reports). */
  readonly seconds: number;
  readonly name: string;
}

export interface KeyIR {
  /** Tonic pitch class name, e.g. `'Eb'`. */
  readonly tonic: string;
  readonly mode: 'major' | 'minor' | 'dorian' | 'phrygian' | 'lydian' | 'mixolydian' | 'locrian';
  /** MIDI key signature: sharps (+) or flats (−), and minor flag. */
  readonly sharps: number;
  readonly minor: boolean;
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
  /** Sample-peak ceiling used when there is neither a loudness target nor a limiter. */
  readonly ceilingDb: number;
  readonly loudness: { readonly target: number; readonly tolerance: number; readonly ceilingDb: number } | null;
  readonly limiter: { readonly ceilingDb: number; readonly release: number; readonly lookahead: number } | null;
  readonly eq: readonly EqBand[];
  readonly compressor: GlueCompressorSettings | null;
  readonly multiband: MultibandSettings | null;
  /** Mid/side width: 1 unchanged. */
  readonly width: number;
  /** Also write master-16.wav, TPDF-dithered. */
  readonly dither: boolean;
  /** Reference track: path from the project root and the sha256 of its content (in the key). */
  readonly reference: { readonly path: string; readonly sha256: string } | null;
  readonly match: 'eq' | null;
  readonly formats: readonly ('flac' | 'mp3')[];
  readonly mp3Bitrate: number;
}

export interface SongIR {
  /** Folder name under songs/. */
  readonly id: string;
  /** Variant name, null for the song as written. */
  readonly variant: string | null;
  /** Song file, relative to the project root, with forward slashes. */
  readonly file: string;
  readonly title: string;
  readonly sampleRate: number;
  readonly ppq: number;
  readonly seed: number;
  readonly tempoMap: readonly TempoPoint[];
  readonly meterMap: readonly MeterPoint[];
  readonly key: KeyIR;
  /** Sections in play order (empty when the song declares none). */
  readonly sections: readonly SectionIR[];
  /** One marker per section occurrence (`verse 2`). */
  readonly markers: readonly MarkerIR[];
  /** End of the form, or of the bar in which the last note ends, whichever is later. */
  readonly lengthTicks: number;
  /** Total rendered length in samples: last bar, plus the longest release tail, plus `tail`. */
  readonly lengthSamples: number;
  readonly tracks: readonly TrackIR[];
  readonly master: MasterIR;
}
