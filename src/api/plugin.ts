import type { MidiNote, Samples, Seconds, Ticks, Velocity } from '../theory/units.ts';

/** Makes every property of an options object optional, recursively (arrays stay whole). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** One note as an instrument receives it: fully resolved, in ticks and in samples. */
export interface NoteEvent {
  /** MIDI note number 0–127. */
  readonly pitch: MidiNote;
  /** MIDI velocity 1–127. */
  readonly velocity: Velocity;
  readonly startTick: Ticks;
  readonly lengthTicks: Ticks;
  /** First sample of the note: round(seconds(startTick) × sampleRate). */
  readonly startSample: Samples;
  /** Samples from note-on to note-off (at least 1). */
  readonly lengthSamples: Samples;
}

/** What an instrument's render function is given. */
export interface InstrumentRenderContext<Options> {
  readonly sampleRate: number;
  /** The instrument's options with every default filled in. */
  readonly options: Readonly<Options>;
  /** Notes sorted by start sample, then pitch. */
  readonly notes: readonly NoteEvent[];
  /**
   * Output channels (one for a mono instrument, [left, right] for a stereo one), zero-filled,
   * one entry per sample of the song. Add into them; sound past their end is cut.
   */
  readonly output: readonly Float32Array[];
  /** 32-bit seed for this track (hash of the song seed and the track id). */
  readonly seed: number;
}

/** How an instrument presents itself in exported MIDI files. */
export interface InstrumentMidiInfo {
  /** General MIDI program 0–127, sent as a program change. */
  readonly program?: number;
  /** True for a drum kit: the part goes on MIDI channel 10. */
  readonly drums?: boolean;
}

/** An instrument plugin: the same shape for built-ins and for a project's plugins/. */
export interface InstrumentDefinition<Options extends object> {
  /** Unique registry name, e.g. `'synth'` or `'my-plugins/granular'`. */
  readonly name: string;
  /** Bumped when the plugin's sound changes; part of every cache key that uses it. */
  readonly version: string;
  /** Every option with its default value. */
  readonly defaults: Options;
  /** 1 for a mono instrument (the track's pan places it), 2 for stereo. @default 2 */
  readonly channels?: 1 | 2;
  /** Seconds of sound that may follow a note-off (release tails), so the song is long enough. */
  tail(options: Readonly<Options>): Seconds;
  /** Range checks beyond what the types say; each string names the option and the fix. */
  validate?(options: Readonly<Options>): readonly string[];
  /** MIDI export information. */
  midi?(options: Readonly<Options>): InstrumentMidiInfo;
  /** Render every note of one track into the context's output. Must be deterministic. */
  render(context: InstrumentRenderContext<Options>): void;
}

/** A plain-data reference to an instrument with resolved options: what a track holds. */
export interface InstrumentRef<Options extends object = object> {
  readonly kind: 'instrument';
  readonly plugin: string;
  readonly version: string;
  readonly options: Options;
}

/** The function a song calls to use an instrument, e.g. `synth({ wave: 'saw' })`. */
export interface InstrumentFactory<Options extends object> {
  (options?: DeepPartial<Options>): InstrumentRef<Options>;
  readonly definition: InstrumentDefinition<Options>;
}
