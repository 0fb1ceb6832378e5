/**
 * SongIR: the plain, JSON-serialisable, fully resolved song. Everything after `load`
 * works on this, so it can be hashed, sent to a worker, printed and tested without audio.
 */
import type { NoteEvent } from './plugin.ts';
import type { MeterPoint, TempoPoint } from '../theory/time.ts';
import type { KeyIR } from '../theory/key.ts';
import type { EqBand, GlueCompressorSettings, MultibandSettings } from './master-options.ts';

export type { KeyIR, MeterPoint, TempoPoint };

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

export interface InstrumentIR {
  readonly plugin: string;
  readonly version: string;
  readonly options: Record<string, unknown>;
  /** Project plugin: its module, relative to the project root (null for a built-in). */
  readonly source: string | null;
  /** sha256 of the plugin's module and the project files it imports (null for a built-in). */
  readonly code: string | null;
  /** Files the instrument reads (samples, SoundFonts), with their content hashes (in the key). */
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly as: 'audio' | 'bytes' }[];
}

/** One automation point, resolved to a sample. */
export interface AutomationPointIR {
  readonly sample: number;
  readonly value: number;
  /** How the value travels from the previous point to this one. */
  readonly shape: 'step' | 'linear' | 'exponential' | 'curve';
  readonly curve: number;
}

/** An LFO's phase (in cycles) at anchor samples; linear between them (one anchor per beat under a tempo map). */
export interface LfoIR {
  readonly shape: 'sine' | 'triangle' | 'square' | 'saw' | 'ramp';
  readonly min: number;
  readonly max: number;
  readonly anchors: readonly { readonly sample: number; readonly phase: number }[];
}

/** A parameter's automation: sorted points, or an LFO. */
export interface AutomationIR {
  readonly points: readonly AutomationPointIR[];
  readonly lfo: LfoIR | null;
}

export interface EffectSlotIR {
  /** Unique within its chain: names automation targets (`fx.<id>.<option>`). */
  readonly id: string;
  readonly plugin: string;
  readonly version: string;
  readonly options: Record<string, unknown>;
  /** Wet/dry blend 0–1. */
  readonly mix: number;
  readonly sidechain: { readonly from: string; readonly highpass: number } | null;
  readonly seed: number;
  /** Project plugin module (null for a built-in) and its code hash. */
  readonly source: string | null;
  readonly code: string | null;
  /** Audio files the effect reads, with their content hashes (in the key). */
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  /** Automated options by option path. */
  readonly automation: Readonly<Record<string, AutomationIR>>;
}

export interface SendIR {
  readonly to: string;
  readonly levelDb: number;
  readonly pre: boolean;
  readonly automation: AutomationIR | null;
}

/** What tracks and buses share: inserts, sends, fader. */
export interface ChannelIR {
  readonly id: string;
  readonly name: string;
  /** Position in the song's track (or bus) list: fixes summing order. */
  readonly index: number;
  readonly effects: readonly EffectSlotIR[];
  readonly sends: readonly SendIR[];
  readonly gainDb: number;
  readonly pan: number;
  /** `'mono'` for a mono instrument's track (−3 dB each side at centre), `'balance'` for stereo sources and buses (unity at centre). */
  readonly panLaw: 'mono' | 'balance';
  readonly output: string;
  /** Muted, or silenced by another channel's solo. */
  readonly mute: boolean;
  /** Soloed by the song (present only then): exports show it; `mute` already holds its effect. */
  readonly solo?: true;
  readonly invert: boolean;
  /** Fader automation (gain in dB, pan). */
  readonly gainAutomation: AutomationIR | null;
  readonly panAutomation: AutomationIR | null;
  /** 32-bit seed derived from the song seed and the channel id. */
  readonly seed: number;
}

export interface BusIR extends ChannelIR {}

export interface TrackIR extends ChannelIR {
  readonly instrument: InstrumentIR;
  /** Automated instrument options by option path. */
  readonly instrumentAutomation: Readonly<Record<string, AutomationIR>>;
  /** Sorted by start sample, then pitch. */
  readonly notes: readonly NoteEvent[];
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

/**
 * How stems and bus stems are written to dist/: `'float32'` (32-bit float WAV: every bit the
 * engine made, peaks above 0 dBFS kept), `'wav24'` (24-bit PCM WAV, rounded, clipped at full
 * scale) or `'flac'` (those 24-bit samples, losslessly compressed, as `.flac`). The mix and the
 * master are made from the float signals whatever this says.
 */
export type StemFormat = 'float32' | 'wav24' | 'flac';

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
  readonly buses: readonly BusIR[];
  /** Seconds per quarter note at the opening tempo (tempo-synced effect times). */
  readonly beatSeconds: number;
  readonly master: MasterIR;
  /** File format of the stems and bus stems in dist/. */
  readonly stemFormat: StemFormat;
}
