/**
 * Channel strips: a track's stem (instrument → inserts → fader) and a bus (sources summed →
 * inserts → fader). Outputs are post-fader 32-bit float stereo WAVs the whole song long, so
 * they line up when dropped into a DAW; a channel feeding a pre-fader send also writes its
 * signal before the fader.
 */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import type { BusParams, StemParams, StripParams } from '../plan/graph.ts';
import { createFloat32Wav, finishFloat32Wav } from '../io/wav.ts';
import { renderAutomation } from './automation-curve.ts';
import { runChain, type Stereo } from './effect-chain.ts';
import { Fader } from './fader.ts';
import { BusInput } from './bus-sum.ts';
export { balanceGains, panGains } from './fader.ts';
import { findInstrument } from '../registry/registry.ts';
import { renderInstrument, type InstrumentFileError, type AudioFileData, type InstrumentRenderContext } from '../ir/plugin.ts';
import { decodeAudioFile } from '../io/audio-file.ts';
import type { FileChangedError } from '../io/file-pieces.ts';
import { relative } from 'node:path';
import { openDeclaredFile, readDeclaredFile } from './declared-file.ts';

export interface StemContext {
  readonly song: string;
  readonly file: string;
  /** For files effects read (impulse responses). */
  readonly projectRoot?: string;
}

export interface RenderedStem {
  /** The post-fader signal as a stereo 32-bit float WAV file. */
  readonly wav: Uint8Array;
  /** The signal before the fader, when a pre-fader send needs it. */
  readonly prefader?: Uint8Array;
  /** Sample peak of `wav` (linear). */
  readonly peak: number;
}

/** Render a track's instrument, its inserts, then its fader and pan. `keys`: sidechain sources by channel id. */
export async function renderStem(params: StemParams, where: StemContext, keys: ReadonlyMap<string, Stereo> = new Map()): Promise<RenderedStem> {
  const definition = findInstrument(params.instrument.plugin);
  const location = { file: where.file, song: where.song, track: params.trackId };
  if (!definition) throw new MixdownError(d.unknownInstrument(location, params.instrument.plugin, []));
  const channelCount = definition.channels ?? 2;
  const silent = params.mute && !params.prefader;
  const output = Array.from({ length: channelCount }, () => new Float32Array(silent ? 0 : params.lengthSamples));
  if (silent) return { wav: finishFloat32Wav(...emptyWav(params)), peak: 0 };
  const context = await instrumentContext(params, where);
  try {
    renderInstrument(definition, { ...context, output });
  } catch (error) {
    throw instrumentError(error, location, params.instrument.plugin, where.projectRoot);
  }
  // A mono instrument feeds both sides; without inserts the same array serves as both.
  const left = output[0];
  const right = output[1] ?? (params.effects.length ? left.slice() : left);
  return strip([left, right] as Stereo, params, where, keys);
}

/** An instrument's failure as a coded error: a file it cannot use (MD236), or a bug in it (MD301). */
export function instrumentError(error: unknown, location: { file: string; song: string; track: string }, plugin: string, projectRoot = process.cwd()): MixdownError {
  if (error instanceof MixdownError) return error;
  // A declared file rewritten after its hash was taken (a positioned read saw a new stat).
  if (error instanceof Error && error.name === 'FileChangedError') {
    return new MixdownError(d.referenceChanged(location, relative(projectRoot, (error as FileChangedError).path).split('\\').join('/')));
  }
  // By name, not instanceof: a song's loader may hold its own copy of the class.
  if (error instanceof Error && error.name === 'InstrumentFileError') {
    const { path, detail } = error as InstrumentFileError;
    return new MixdownError(d.badInstrumentFile(location, plugin, path, detail));
  }
  return new MixdownError(d.instrumentThrew(location, plugin, error instanceof Error ? error.message : String(error)));
}

/** What the instrument is given apart from its output: options, notes, automation curves and its declared files. */
export async function instrumentContext(params: StemParams, where: StemContext): Promise<Omit<InstrumentRenderContext<object>, 'output'>> {
  const automation: Record<string, Float32Array> = {};
  for (const [path, ir] of Object.entries(params.instrumentAutomation ?? {})) automation[path] = renderAutomation(ir, params.lengthSamples);
  const location = { file: where.file, song: where.song, track: params.trackId };
  const projectRoot = where.projectRoot ?? process.cwd();
  const audio = await decodeInstrumentAudio(params, projectRoot, location);
  const declared = (path: string, as: 'audio' | 'bytes') => {
    const file = (params.instrument.files ?? []).find((candidate) => candidate.path === path);
    if (!file) throw new Error(`'${path}' was not declared by the instrument's files(); only declared files are hashed into the key`);
    if (file.as !== as) throw new Error(`'${path}' was declared as ${file.as}, not ${as}`);
    return file;
  };
  // A file's problems (missing, unreadable) are the track's bad instrument file (MD236).
  const reading = <T>(path: string, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      if (error instanceof MixdownError) throw error;
      throw new MixdownError(d.badInstrumentFile(location, params.instrument.plugin, path, error instanceof Error ? error.message : String(error)));
    }
  };
  return {
    sampleRate: params.sampleRate,
    options: params.instrument.options,
    notes: params.notes,
    seed: params.seed,
    beatSeconds: params.beatSeconds,
    automation,
    readAudio: (path) => {
      declared(path, 'audio');
      return audio.get(path)!;
    },
    // Bytes files are read when the instrument asks, not before: a SoundFont is opened for
    // positioned reads (openFile) and never read whole. The bytes readFile gives are shared by
    // every track reading the file (read once per thread); a project plugin, which might write
    // into them, gets its own copy.
    readFile: (path) => {
      const bytes = reading(path, () => readDeclaredFile(projectRoot, declared(path, 'bytes'), location));
      return params.instrument.source === null ? bytes : bytes.slice();
    },
    openFile: (path) => reading(path, () => openDeclaredFile(projectRoot, declared(path, 'bytes'), location)),
  };
}

/** The instrument's declared audio files, read, checked against the hashes in the key and decoded at the song's rate. */
async function decodeInstrumentAudio(params: StemParams, projectRoot: string, location: { file: string; song: string; track: string }): Promise<Map<string, AudioFileData>> {
  const decoded = new Map<string, AudioFileData>();
  for (const file of params.instrument.files ?? []) {
    if (file.as !== 'audio') continue;
    let bytes: Uint8Array;
    try {
      bytes = readDeclaredFile(projectRoot, file, location);
    } catch (error) {
      if (error instanceof MixdownError) throw error;
      throw new MixdownError(d.badInstrumentFile(location, params.instrument.plugin, file.path, error instanceof Error ? error.message : String(error)));
    }
    try {
      decoded.set(file.path, await decodeAudioFile(bytes, file.path, params.sampleRate));
    } catch (error) {
      throw new MixdownError(d.badInstrumentFile(location, params.instrument.plugin, file.path, error instanceof Error ? error.message : String(error)));
    }
  }
  return decoded;
}

/** Sum a bus's sources (outputs at unity, sends at their levels), then its inserts and fader. */
export async function renderBus(params: BusParams, sources: readonly Float32Array[], where: StemContext, keys: ReadonlyMap<string, Stereo> = new Map()): Promise<RenderedStem> {
  const length = params.lengthSamples;
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  params.sources.forEach((source, index) => {
    const interleaved = sources[index];
    new BusInput(source).addInto(interleaved, 0, Math.min(length, interleaved.length >> 1), left, right);
  });
  return strip([left, right], params, where, keys);
}

async function strip(signal: Stereo, params: StripParams, where: StemContext, keys: ReadonlyMap<string, Stereo>): Promise<RenderedStem> {
  if (params.effects.length) {
    await runChain(params.effects, signal, {
      sampleRate: params.sampleRate,
      beatSeconds: params.beatSeconds,
      keys,
      label: `${params.kind} '${params.channelId}'`,
      where: { file: where.file, song: where.song, track: params.channelId },
      projectRoot: where.projectRoot ?? process.cwd(),
    });
  }
  const prefader = params.prefader ? interleave(signal, params) : undefined;
  if (params.mute) return { wav: finishFloat32Wav(...emptyWav(params)), peak: 0, ...(prefader ? { prefader } : {}) };
  return { ...fader(signal, params), ...(prefader ? { prefader } : {}) };
}

function emptyWav(params: StripParams): [Uint8Array, Float32Array] {
  const { bytes, samples } = createFloat32Wav(params.lengthSamples, 2, params.sampleRate);
  return [bytes, samples];
}

function interleave(signal: Stereo, params: StripParams): Uint8Array {
  const { bytes, samples } = createFloat32Wav(params.lengthSamples, 2, params.sampleRate);
  const [left, right] = signal;
  for (let i = 0, j = 0; i < params.lengthSamples; i++, j += 2) {
    samples[j] = left[i];
    samples[j + 1] = right[i];
  }
  return finishFloat32Wav(bytes, samples);
}

/** One pass: gain, polarity and pan applied while interleaving into the file, peak measured on the way. */
function fader(signal: Stereo, params: StripParams): RenderedStem {
  const { bytes, samples } = createFloat32Wav(params.lengthSamples, 2, params.sampleRate);
  const strip = new Fader(params);
  strip.apply(signal[0], signal[1], 0, params.lengthSamples, samples);
  return { wav: finishFloat32Wav(bytes, samples), peak: strip.peak };
}
