import type { MidiNote, Samples, Seconds, Ticks, Velocity } from '../theory/units.ts';
import type { AudioFileData } from '../io/audio-file.ts';
import type { EffectState } from './effect-state.ts';
import type { RandomAccessFile } from '../io/file-pieces.ts';

export type { AudioFileData, EffectState, RandomAccessFile };

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
  /** Seconds per quarter note at the song's opening tempo (tempo-synced LFOs). @default 0.5 */
  readonly beatSeconds?: number;
  /**
   * Per-sample values of the instrument's automated options by option path (`'filter.cutoff'`),
   * each the song's length. Options not automated are absent. @default {}
   */
  readonly automation?: Readonly<Record<string, Float32Array>>;
  /**
   * An audio file the instrument declared in `files()`, decoded (WAV, AIFF, FLAC, MP3, OGG)
   * and resampled to `sampleRate`. Its content hash is in the task's key.
   */
  readAudio(path: string): AudioFileData;
  /** The raw bytes of a file the instrument declared in `files()` (`as: 'bytes'`), whole. */
  readFile(path: string): Uint8Array;
  /**
   * A file the instrument declared in `files()` (`as: 'bytes'`) for positioned reads, with its
   * content hash (the one in the task's key; the reads give those bytes): what a file of
   * hundreds of MB needs, a SoundFont whose notes use a few of its samples, where `readFile`
   * would hold it whole in every thread that plays it.
   */
  openFile(path: string): { readonly file: RandomAccessFile; readonly sha256: string };
}

/** How an instrument presents itself in exported MIDI files. */
export interface InstrumentMidiInfo {
  /** General MIDI program 0–127, sent as a program change. */
  readonly program?: number;
  /** True for a drum kit: the part goes on MIDI channel 10. */
  readonly drums?: boolean;
}

/** A file an instrument reads, and how: decoded audio or raw bytes. */
export interface InstrumentFile {
  readonly path: string;
  readonly as: 'audio' | 'bytes';
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
  /**
   * Seconds of sound that may follow a note-off (release tails), so the song is long enough.
   * Given the track's notes when they are known (a kit can answer for the pads it plays).
   */
  tail(options: Readonly<Options>, notes?: readonly NoteEvent[]): Seconds;
  /** Range checks beyond what the types say; each string names the option and the fix. */
  validate?(options: Readonly<Options>): readonly string[];
  /** MIDI export information. */
  midi?(options: Readonly<Options>): InstrumentMidiInfo;
  /**
   * Project paths of the files the instrument reads: `{ path, as: 'audio' }` for samples (decoded
   * for `readAudio`), `{ path, as: 'bytes' }` for other files (`readFile`). Their content hashes
   * join the key of every task that renders with it. @default none
   */
  files?(options: Readonly<Options>): readonly InstrumentFile[];
  /**
   * Render every note of one track into the context's output, the song long. Must be
   * deterministic. Give this or `stream`; an instrument with `stream` is rendered from it.
   */
  render?(context: InstrumentRenderContext<Options>): void;
  /**
   * Block rendering, what the streamed engine uses: set up the track once, then render the
   * song block by block in order with bounded memory. Must give the same samples for any
   * block sizes (a whole-song block included), so streamed and whole renders are the same bits.
   */
  stream?(context: InstrumentStreamContext<Options>): InstrumentStream;
}

/** What an instrument's `stream` is given: the render context without the song-long output. */
export interface InstrumentStreamContext<Options> extends Omit<InstrumentRenderContext<Options>, 'output'> {
  /** Frames in the song: the blocks asked for cover 0 up to this. */
  readonly lengthSamples: Samples;
  /** Output channels the blocks will have: 1 for a mono instrument, 2 for a stereo one. */
  readonly channelCount: 1 | 2;
}

/** One track's voices, rendered a block at a time. */
export interface InstrumentStream {
  /**
   * Add the sound of song frames `start` … `start + output[0].length - 1` into `output` (one
   * zero-filled array per channel). Blocks come in order, each starting where the last ended,
   * from 0 to the song's length; their sizes may differ.
   */
  render(start: Samples, output: readonly Float32Array[]): void;
}

/**
 * Render a whole track into `context.output`: the instrument's `render` when it has one, else
 * its stream asked for the whole song as one block (the contract makes that the same bits).
 */
export function renderInstrument<Options extends object>(definition: InstrumentDefinition<Options>, context: InstrumentRenderContext<Options>): void {
  if (definition.render) return definition.render(context);
  if (!definition.stream) throw new TypeError(`instrument '${definition.name}' has neither render() nor stream()`);
  const { output, ...rest } = context;
  definition.stream({ ...rest, lengthSamples: output[0]?.length ?? 0, channelCount: output.length === 1 ? 1 : 2 }).render(0, output);
}

/**
 * Thrown by an instrument when a file it declared cannot be used (a SoundFont that lies about
 * its sizes): reported as a bad instrument file naming the track and the path, not as a bug.
 */
export class InstrumentFileError extends Error {
  constructor(
    /** The file's project path. */
    readonly path: string,
    /** What is wrong with it, without the path. */
    readonly detail: string,
  ) {
    super(`'${path}' cannot be used: ${detail}`);
    this.name = 'InstrumentFileError';
  }
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

/** What an effect's process function is given. */
export interface EffectProcessContext<Options> {
  readonly sampleRate: number;
  /** The effect's options with every default filled in. */
  readonly options: Readonly<Options>;
  /** The signal as [left, right], the whole song long: read it and overwrite it in place. */
  readonly channels: readonly [Float32Array, Float32Array];
  /**
   * The sidechain key as [left, right] (already through the slot's sidechain high-pass), or
   * null when the slot declares none: effects that can take a key then use their own input.
   */
  readonly sidechain: readonly [Float32Array, Float32Array] | null;
  /**
   * Per-sample values of the options that are automated, by option path (`'threshold'`,
   * `'bands.0.gain'`), each as long as `channels`. Options not automated are absent.
   */
  readonly automation: Readonly<Record<string, Float32Array>>;
  /** Seconds per quarter note at the song's opening tempo: what tempo-synced times use. */
  readonly beatSeconds: number;
  /** 32-bit seed for this slot (from the track's seed and the slot's position). */
  readonly seed: number;
  /** An audio file the effect declared in `files()`, decoded and resampled to `sampleRate`. */
  readAudio(path: string): AudioFileData;
}

/** What an effect's `stream` is given: the process context without the song-long signals. */
export interface EffectStreamContext<Options> extends Omit<EffectProcessContext<Options>, 'channels' | 'sidechain' | 'automation'> {
  /** Frames in the song: the blocks processed cover 0 up to this. */
  readonly lengthSamples: Samples;
  /** True when the slot has a sidechain key: every block then carries one. */
  readonly keyed: boolean;
}

/** One block of an effect's signals, frames `start` … `start + channels[0].length - 1` of the song. */
export interface EffectBlock {
  /** The signal as [left, right] for this block: read it and overwrite it in place. */
  readonly channels: readonly [Float32Array, Float32Array];
  /** The sidechain key for this block (see EffectProcessContext.sidechain), or null. */
  readonly sidechain: readonly [Float32Array, Float32Array] | null;
  /** Per-sample values of the automated options for this block, by option path. */
  readonly automation: Readonly<Record<string, Float32Array>>;
}

/** One slot's effect, processing a block at a time. */
export interface EffectStream {
  /**
   * Process one block in place. Blocks come in order, each starting where the last ended; sizes
   * may differ. The first starts at frame 0 in a build, but watch's preview starts a stream
   * mid-song (on silence, a few seconds before what it lets you hear): an effect whose sound
   * follows the song's clock (an LFO's phase) takes it from the first `start`, not from a count
   * of frames processed.
   */
  process(start: Samples, block: EffectBlock): void;
  /**
   * Frames the output lags the input, for an effect that shapes a frame from input after it
   * (a lookahead, linear-phase oversampling filters): the block processed at `start` then holds
   * the output for frames `start − latency` on (silence before frame 0). The engine compensates:
   * after the song's last block it feeds `latency` frames of silence (their key and automation
   * are to be ignored) and drops the first `latency` output frames, so the result lines up with
   * the input exactly. Fixed for the stream's life. @default 0
   */
  readonly latency?: Samples;
  /**
   * The stream's state between two blocks, as plain data (numbers and copies of typed
   * arrays: delay lines, filter states, envelope followers, LFO phases, random generator
   * positions, overlap buffers…; `captureFields` in ir/effect-state.ts reads a class's).
   * The contract: a fresh stream of the same slot, restored from a checkpoint taken after
   * the block ending at frame F and then fed the same blocks from F, gives the same bits as
   * the stream that ran from frame 0. The engine keeps checkpoints of a bus's chain so an
   * edit late in the song re-renders only from the last checkpoint before it. Optional: a
   * chain with a slot lacking checkpoint/restore (most user plugins) always renders from 0.
   */
  checkpoint?(): EffectState;
  /** Continue from a checkpoint of a stream of the same slot (see `checkpoint`); throws when the state does not fit. */
  restore?(state: EffectState): void;
}

/**
 * Process a whole signal: the effect's `process` when it has one, else its stream given the
 * whole song as one block (the contract makes that the same bits).
 */
export function processEffect<Options extends object>(definition: EffectDefinition<Options>, context: EffectProcessContext<Options>): void {
  if (definition.process) return definition.process(context);
  if (!definition.stream) throw new TypeError(`effect '${definition.name}' has neither process() nor stream()`);
  const { channels, sidechain, automation, ...rest } = context;
  const length = channels[0].length;
  const stream = definition.stream({ ...rest, lengthSamples: length, keyed: sidechain !== null });
  stream.process(0, { channels, sidechain, automation });
  const latency = stream.latency ?? 0;
  if (!(latency > 0)) return;
  // The last `latency` frames are still inside the stream: feed silence to get them, then shift into line.
  const silence = (): [Float32Array, Float32Array] => [new Float32Array(latency), new Float32Array(latency)];
  const tail = silence();
  stream.process(length, { channels: tail, sidechain: sidechain ? silence() : null, automation: {} });
  for (let c = 0; c < 2; c++) {
    const channel = channels[c];
    if (length > latency) {
      channel.copyWithin(0, latency);
      channel.set(tail[c], length - latency);
    } else channel.set(tail[c].subarray(latency - length));
  }
}

/** What a Web Audio effect's graph factory is given. */
export interface EffectGraphContext<Options> {
  /** The offline context the graph renders in (node-web-audio-api's OfflineAudioContext). */
  readonly audio: import('node-web-audio-api').OfflineAudioContext;
  /** The node carrying the effect's input (stereo). */
  readonly input: import('node-web-audio-api').AudioNode;
  readonly sampleRate: number;
  readonly options: Readonly<Options>;
  readonly beatSeconds: number;
}

/**
 * An effect plugin: built-ins and a project's plugins/ use the same shape. Give `stream`
 * (block DSP, streamed), `process` (whole-signal DSP over Float32Arrays) or `graph` (a fixed
 * Web Audio subgraph).
 */
export interface EffectDefinition<Options extends object> {
  /** Unique registry name, e.g. `'compressor'` or `'tape'`. */
  readonly name: string;
  /** Bumped when the effect's sound changes; part of every cache key that uses it. */
  readonly version: string;
  /** Every option with its default value. */
  readonly defaults: Options;
  /** True when the effect can key from a sidechain (compressor, gate, ducker). @default false */
  readonly sidechain?: boolean;
  /** Seconds of sound the effect adds after its input ends (delay, reverb tails). @default 0 */
  tail?(options: Readonly<Options>): Seconds;
  /** Range checks beyond what the types say; each string names the option and the fix. */
  validate?(options: Readonly<Options>): readonly string[];
  /** Project paths of audio files the effect reads (impulse responses); their content hashes join the key. */
  files?(options: Readonly<Options>): readonly string[];
  /** Process the whole signal in place. Must be deterministic. */
  process?(context: EffectProcessContext<Options>): void;
  /**
   * Block processing, what the streamed engine uses: set up once, then process the song block
   * by block in order, keeping state between blocks. Must give the same samples for any block
   * sizes (a whole-song block included). An effect with `stream` needs no `process`.
   */
  stream?(context: EffectStreamContext<Options>): EffectStream;
  /** Build a Web Audio subgraph from `context.input`; return its output node. */
  graph?(context: EffectGraphContext<Options>): import('node-web-audio-api').AudioNode;
}

/** Where a slot's sidechain key comes from. */
export interface SidechainInput {
  /** A track or bus id: its post-fader signal keys the effect. */
  readonly from: string;
  /** High-pass on the key, Hz, so a bass-heavy key does not pump. @default 0 (off) */
  readonly highpass?: number;
}

/** How an effect sits in a chain: routing and blend, apart from the effect's own options. */
export interface EffectSlotInput {
  /** Name for automation targets (`'fx.<id>.<option>'`) and reports. @default the effect's name, numbered if repeated */
  readonly id?: string;
  /** Wet/dry blend 0–1: 1 is fully processed, 0.5 is parallel processing half and half. @default 1 */
  readonly mix?: number;
  /** Key the effect from another track or bus (a track id, a bus id, or the full form). @default none */
  readonly sidechain?: string | SidechainInput;
  /** Leave the effect out (its settings stay in the song). @default false */
  readonly bypass?: boolean;
}

/** A plain-data reference to an effect in a chain: what tracks and buses hold. */
export interface EffectRef<Options extends object = object> {
  readonly kind: 'effect';
  readonly plugin: string;
  readonly version: string;
  readonly options: Options;
  readonly slot: EffectSlotInput;
}

/** The function a song calls to use an effect, e.g. `compressor({ ratio: 4 }, { sidechain: 'kick' })`. */
export interface EffectFactory<Options extends object> {
  (options?: DeepPartial<Options>, slot?: EffectSlotInput): EffectRef<Options>;
  readonly definition: EffectDefinition<Options>;
}
