import type { StemFormat } from '../ir/types.ts';
import type { EqBand, GlueCompressorInput, MultibandInput } from '../ir/master-options.ts';
import type { EffectRef, InstrumentRef } from '../ir/plugin.ts';
import type { AutomationInput } from './automation.ts';
import type { BPM, Decibels, Meter, NoteInput, Pan, Pitch, Time, Velocity } from '../theory/units.ts';
import type { KeyName } from '../theory/key.ts';

export type { KeyName, Meter, NoteInput };

/**
 * A part: notes positioned from the start of the section it plays in. Shorter than its
 * section, it loops; its length is `length`, or the whole bars its notes reach into.
 */
export type PartInput = readonly NoteInput[] | { readonly notes: readonly NoteInput[]; readonly length?: Time };

/** Seeded random variation of timing and velocity, drawn from the track's own seed. */
export interface HumanizeInput {
  /** Largest timing shift either way, in ticks (960 per quarter). @default 0 */
  readonly timing?: number;
  /** Largest velocity change either way. @default 0 */
  readonly velocity?: number;
}

/** Where a track's or bus's audio goes: `'master'` or the id of a bus in the song's `buses`. */
export type OutputName = 'master' | (string & {});

/** A send: a copy of the channel's signal to a bus (a reverb or delay return, a parallel bus). */
export interface SendInput {
  /** The bus it feeds (an id in the song's `buses`; not a track). */
  readonly to: string;
  /** Send level, dB. @default 0 */
  readonly level?: Decibels;
  /** Taken before the fader (unaffected by the channel's gain, pan and mute automation). @default false (post-fader) */
  readonly pre?: boolean;
}

/** What tracks and buses share: the channel strip from insert effects to the fader. */
export interface ChannelInput {
  /** Display name in reports. @default the channel's key */
  readonly name?: string;
  /** Insert effects in order, e.g. `[eq({ bands: [...] }), compressor({ ratio: 4 }, { sidechain: 'kick' })]`. @default [] */
  readonly effects?: readonly EffectRef[];
  /** Sends to buses. @default [] */
  readonly sends?: readonly SendInput[];
  /** Fader level in dB. @default 0 */
  readonly gain?: Decibels;
  /** Stereo position, -1 (left) to 1 (right), constant-power law (-3 dB at centre). @default 0 */
  readonly pan?: Pan;
  /** Where the audio goes: `'master'` or a bus id. @default 'master' */
  readonly output?: OutputName;
  /** Silence the channel (its stem is still written, silent). @default false */
  readonly mute?: boolean;
  /** Solo: when any channel is soloed, channels neither soloed nor feeding a soloed bus are muted. @default false */
  readonly solo?: boolean;
  /** Invert the polarity (phase) of both sides. @default false */
  readonly invert?: boolean;
  /**
   * Automation by target: `'gain'` (dB), `'pan'`, `'send.<bus>'` (dB), `'fx.<slot id>.<option>'`
   * (an effect option, e.g. `'fx.compressor.threshold'`), and on tracks `'instrument.<option>'`.
   * @default {}
   */
  readonly automation?: Readonly<Record<string, AutomationInput>>;
}

/** A bus: tracks and other buses summed, processed, and sent on. Its stem is dist/<song>/buses/<id>.wav. */
export type BusInput = ChannelInput;

/** One track of a song: an instrument playing notes through a channel strip. */
export interface TrackInput extends ChannelInput {
  /** The instrument that plays the notes, e.g. `synth({ wave: 'saw' })` or `drums()`. */
  readonly instrument: InstrumentRef;
  /** Notes at absolute song positions. @default [] */
  readonly notes?: readonly NoteInput[];
  /**
   * Parts by section name, played at every occurrence of that section; `'chorus@3'` gives
   * the third chorus its own part. A section with no part is silence for this track.
   */
  readonly parts?: Readonly<Record<string, PartInput>>;
  /** Seeded timing and velocity variation (seed = hash of the song seed and track id). */
  readonly humanize?: HumanizeInput;
}

/** Sample rates mixdown renders at. */
export type SampleRate = 44100 | 48000 | 88200 | 96000;

/** Loudness delivery presets: streaming −14 LUFS, apple −16 LUFS, broadcast (EBU R128) −23 LUFS; all −1 dBTP. */
export type LoudnessPreset = 'streaming' | 'apple' | 'broadcast';

/** An explicit loudness target. */
export interface LoudnessTargetInput {
  /** Integrated loudness to reach, LUFS. */
  readonly target: number;
  /** How far the master may miss before `build --strict` fails, LU. @default 0.5 */
  readonly tolerance?: number;
  /** True-peak ceiling, dBTP. @default -1 */
  readonly ceiling?: Decibels;
}

/** The mastering chain: EQ → glue compressor → width → loudness normalisation → true-peak limiter. */
export interface MasterInput {
  /** Without loudness or limiter: highest sample peak, dBFS; louder mixes are turned down. @default -1 */
  readonly ceiling?: Decibels;
  /** Normalise to a loudness target (the limiter then holds the ceiling). @default none */
  readonly loudness?: LoudnessPreset | LoudnessTargetInput;
  /** True-peak lookahead limiter. @default on when `loudness` is set */
  readonly limiter?: {
    /** dBTP. @default -1 */
    readonly ceiling?: Decibels;
    /** Recovery time, seconds. @default 0.05 */
    readonly release?: number;
    /** How early it ducks, seconds. @default 0.0015 */
    readonly lookahead?: number;
  };
  /** Master EQ bands, in order. @default [] */
  readonly eq?: readonly EqBand[];
  /** Glue compressor. @default none */
  readonly compressor?: GlueCompressorInput;
  /** Three-band compressor after the glue compressor. @default none */
  readonly multiband?: MultibandInput;
  /** Stereo width (mid/side): 0 mono, 1 as mixed, 2 twice the side. @default 1 */
  readonly width?: number;
  /** Also write master-16.wav with seeded TPDF dither. @default true */
  readonly dither?: boolean;
  /** Extra delivery files: `master.flac` (24-bit, lossless) and/or `master.mp3`. @default [] */
  readonly formats?: readonly ('flac' | 'mp3')[];
  /** MP3 bitrate, kbit/s. @default 320 */
  readonly mp3Bitrate?: 128 | 160 | 192 | 256 | 320;
  /** A reference track (WAV, path from the project root): report.json gets the master's deltas to it. @default none */
  readonly reference?: string;
  /** `'eq'`: apply a smooth corrective EQ toward the reference's octave balance (±6 dB at most). @default none */
  readonly match?: 'eq';
}

/** One point of a tempo map. */
export interface TempoChange {
  /** Where the tempo changes, e.g. `'8:0:0'`. */
  readonly at: Time;
  /** Tempo in quarter-note beats per minute from this point. */
  readonly bpm: BPM;
  /** `'linear'`: glide from this bpm to the next point's instead of holding it. @default 'step' */
  readonly ramp?: 'step' | 'linear';
}

/** A meter change at a bar (0-based). */
export interface MeterChange {
  /** The bar (0-based) where the new meter starts. */
  readonly bar: number;
  /** The time signature from that bar on, e.g. `[3, 4]`. */
  readonly meter: Meter;
}

/** A section's length in bars. */
export type SectionInput = number;

export type { StemFormat };

/** Options for the stems a build writes. */
export interface StemsOptions {
  /** File format of dist/<song>/stems/ and buses/. @default 'float32' */
  readonly format?: StemFormat;
}

/** Everything a song module declares. Track keys are the track ids used for stems and caching. */
export interface SongInput {
  /** The song's title, written into MIDI and report.json. */
  readonly title: string;
  /** Tempo in BPM, or a tempo map of changes and ramps starting at `'0:0:0'`. */
  readonly tempo: BPM | readonly TempoChange[];
  /** Time signature, or meter changes by bar starting at bar 0. @default [4, 4] */
  readonly meter?: Meter | readonly MeterChange[];
  /** The song's key. @default 'C major' */
  readonly key?: KeyName;
  /** Sections and their lengths in bars, e.g. `{ intro: 4, verse: 8, chorus: 8 }`. */
  readonly sections?: Readonly<Record<string, SectionInput>>;
  /** The order sections play in, repeats included. @default every section once, in order */
  readonly form?: readonly string[];
  /** Sample rate of every rendered file. @default 48000 */
  readonly sampleRate?: SampleRate;
  /** Seed for every random choice; each track derives its own from it and its id. @default 0 */
  readonly seed?: number;
  /** Extra silence after the last note ends and its release has rung out, in seconds. @default 0.5 */
  readonly tail?: number;
  /** The tracks, by id. Ids name the stem files: letters, digits, `-` and `_`. */
  readonly tracks: Readonly<Record<string, TrackInput>>;
  /** Buses by id (drum bus, reverb return, parallel compression): tracks and buses output or send to them. @default {} */
  readonly buses?: Readonly<Record<string, BusInput>>;
  /** The master stage. */
  readonly master?: MasterInput;
  /** How stems and bus stems are written. @default { format: 'float32' } */
  readonly stems?: StemsOptions;
  /**
   * Other versions of the song, each a pure function of it: a radio edit, an instrumental,
   * another key. Each builds into dist/<song>/<variant>/, sharing cached work with the rest.
   */
  readonly variants?: Readonly<Record<string, (song: SongInput) => SongInput>>;
}

/** What the `(context) => song` form of defineSong receives. */
export interface SongContext {
  /** The song's id: the name of its folder under songs/. */
  readonly id: string;
}

/** A song module's default export: the song object, or a function of the context that returns it. */
export type SongDefinition = SongInput | ((context: SongContext) => SongInput);

/**
 * Declare a song. Only adds types: the returned value is what you pass in.
 *
 * ```ts
 * export default defineSong({ title: 'Demo', tempo: 120, tracks: { … } });
 * ```
 */
export function defineSong(song: SongInput): SongInput;
export function defineSong(song: (context: SongContext) => SongInput): (context: SongContext) => SongInput;
export function defineSong(song: SongDefinition): SongDefinition {
  return song;
}

/** Declare one track (an identity helper for typing tracks built outside defineSong). */
export function track(input: TrackInput): TrackInput {
  return input;
}

/** Declare one note. `note('A4', '0:0:0', '4n', 90)`. */
export function note(pitch: Pitch, start: Time, length: Time, velocity?: Velocity): NoteInput {
  return velocity === undefined ? { pitch, start, length } : { pitch, start, length, velocity };
}
