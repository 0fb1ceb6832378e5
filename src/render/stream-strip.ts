/**
 * The block-streamed channel strip: a track's instrument, inserts and fader run one block of
 * BLOCK_FRAMES at a time from the song's first frame to its last, and each block goes
 * straight into the cache object being written (and hashed). Memory is a few blocks plus
 * whatever the instrument and effects keep as state, not the song; the samples are the
 * whole-song strip's exactly (the plugin contract: same output for any block sizes).
 *
 * Used when the chain can stream (every slot has `stream`); an instrument without `stream`
 * is rendered whole first and then read out block by block.
 */
import type { ActionEntry, CacheStore, OutputRecord } from '../cache/store.ts';
import type { ObjectWriter } from '../cache/object-writer.ts';
import { captureFields, restoreFields, StateMismatchError, type EffectState } from '../ir/effect-state.ts';
import { float32WavHeader } from '../io/wav.ts';
import { renderInstrument, type InstrumentDefinition, type InstrumentRenderContext, type InstrumentStream } from '../ir/plugin.ts';
import type { BusParams, StemParams, StripParams } from '../plan/graph.ts';
import { findInstrument } from '../registry/registry.ts';
import { chainStreams, streamChain, type Stereo } from './effect-chain.ts';
import { Fader } from './fader.ts';
import { BusInput } from './bus-sum.ts';
import { bucketCount, clippedPeaks, PeaksMeter } from '../dsp/peaks.ts';
import { storeMeasurement } from '../cache/measurement.ts';
import { createStemFile } from './stem-file.ts';
import { instrumentContext, instrumentError, type StemContext } from './stem.ts';

/** Frames per block, one size for the whole engine: 1,024 frames is 21 ms at 48 kHz, 8 KB per stereo float block. */
export const BLOCK_FRAMES = 1024;

export interface StreamedStrip {
  /** `audio` (post-fader) and, for a channel feeding a pre-fader send, `prefader`. */
  readonly outputs: Record<string, OutputRecord>;
  /** Sample peak of the post-fader signal (linear). */
  readonly peak: number;
  /** The room's measurements of the outputs, stored locally; the main thread shares them. */
  readonly measurements: readonly ActionEntry[];
  /** The source frame the render started from: 0, or a checkpoint's frame when it resumed. */
  readonly resumedFrom: number;
}

/** True when this bus can be rendered block by block. */
export function busStreams(params: BusParams): boolean {
  return process.env.MIXDOWN_WHOLE_SONG !== '1' && chainStreams(params.effects);
}

/** True when this stem can be rendered block by block (`MIXDOWN_WHOLE_SONG=1` forces the whole-song strip, to compare the two). */
export function stemStreams(params: StemParams): boolean {
  if (process.env.MIXDOWN_WHOLE_SONG === '1') return false;
  return findInstrument(params.instrument.plugin) !== undefined && chainStreams(params.effects);
}

/** What feeds a strip, a block at a time: fills the zeroed `left`/`right` for frames from `start` and says which arrays hold the signal. */
type BlockSource = (start: number, left: Float32Array<ArrayBuffer>, right: Float32Array<ArrayBuffer>) => Stereo;

/** The strip's state between two blocks of its source: what a resumed render restores. */
export interface StripCheckpoint {
  /** Source frames consumed: the render goes on with the block that starts here (a multiple of BLOCK_FRAMES). */
  readonly frame: number;
  /** Frames each output holds by then (fewer than `frame` when a slot lags). */
  readonly written: number;
  /** The inserts', the fader's, the peaks meter's and the source's state. */
  readonly state: EffectState;
}

/** Checkpoints while streaming, and a start from one instead of frame 0. */
export interface StripResume {
  /** Take a checkpoint each time this many source frames are done (a multiple of BLOCK_FRAMES). */
  readonly every: number;
  /** Receives each checkpoint, in order; waited for before the next block. */
  readonly onCheckpoint: (checkpoint: StripCheckpoint) => Promise<void>;
  /** Start here: each output's bytes after its header and before `written` come from `prefix`, the state from the checkpoint. */
  readonly from?: {
    readonly checkpoint: StripCheckpoint;
    /** Write the first `bytes` bytes of the earlier render's output `name` after its header into `writer` (throws when they cannot be had intact). */
    prefix(name: 'audio' | 'prefader', bytes: number, writer: ObjectWriter): Promise<void>;
  };
}

/** The source's own state between blocks (a bus's automated send levels). */
interface SourceState {
  checkpoint(): EffectState;
  restore(state: EffectState): void;
}

export async function streamStem(params: StemParams, where: StemContext, keys: ReadonlyMap<string, Stereo>, cache: CacheStore): Promise<StreamedStrip> {
  const definition = findInstrument(params.instrument.plugin)!;
  const location = { file: where.file, song: where.song, track: params.trackId };
  const channelCount = definition.channels ?? 2;
  if (params.mute && !params.prefader) return streamStrip(params, where, keys, cache, null);
  const context = await instrumentContext(params, where);
  const voices = instrumentStream(definition, context, params.lengthSamples, channelCount, location, params.instrument.plugin, where.projectRoot);
  const hasChain = params.effects.length > 0;
  return streamStrip(params, where, keys, cache, (start, left, right) => {
    try {
      voices.render(start, channelCount === 2 ? [left, right] : [left]);
    } catch (error) {
      throw instrumentError(error, location, params.instrument.plugin, where.projectRoot);
    }
    if (channelCount === 2) return [left, right];
    // A mono instrument feeds both sides; without inserts one array serves as both.
    if (!hasChain) return [left, left];
    right.set(left);
    return [left, right];
  });
}

/** One input of a streamed bus: frames of a stereo float signal, read a block at a time. */
export interface StereoBlockReader {
  /** Frames in the signal (a source shorter than the bus adds nothing past its end). */
  readonly frames: number;
  /** Interleaved samples of frames `start` … `start + count − 1` (valid until the next call). */
  read(start: number, count: number): Float32Array;
}

/** Sum a bus's sources (outputs at unity, sends at their levels) a block at a time, then its inserts and fader. */
export async function streamBus(
  params: BusParams,
  sources: readonly StereoBlockReader[],
  where: StemContext,
  keys: ReadonlyMap<string, Stereo>,
  cache: CacheStore,
  resume?: StripResume,
): Promise<StreamedStrip> {
  const inputs = params.sources.map((source) => new BusInput(source));
  const inputState: SourceState = {
    checkpoint: () => inputs.map((input) => input.checkpoint()),
    restore(state) {
      if (!Array.isArray(state) || state.length !== inputs.length) throw new StateMismatchError('bus inputs', `expected ${inputs.length}`);
      inputs.forEach((input, index) => input.restore(state[index]));
    },
  };
  const source: BlockSource = (start, left, right) => {
    sources.forEach((reader, index) => {
      const frames = Math.min(left.length, reader.frames - start);
      if (frames > 0) inputs[index].addInto(reader.read(start, frames), start, frames, left, right);
    });
    return [left, right];
  };
  return streamStrip(params, where, keys, cache, source, resume && { ...resume, source: inputState });
}

/**
 * The strip's block loop: the source's block, the inserts, the pre-fader copy, then the
 * fader, each block written on into the objects being made. `source` null: a muted channel
 * with no pre-fader send, whose output is silence.
 */
async function streamStrip(
  params: StripParams,
  where: StemContext,
  keys: ReadonlyMap<string, Stereo>,
  cache: CacheStore,
  source: BlockSource | null,
  resume?: StripResume & { readonly source: SourceState },
): Promise<StreamedStrip> {
  const length = params.lengthSamples;
  const location = { file: where.file, song: where.song, track: params.channelId };
  const writers: { abort(): Promise<void> }[] = [];
  const open = () => {
    const writer = cache.createWriter();
    writers.push(writer);
    writer.write(float32WavHeader(length, 2, params.sampleRate));
    return writer;
  };
  try {
    const audio = open();
    const prefader = params.prefader ? open() : null;
    const file = params.stemFormat ? await createStemFile(params.stemFormat, length, params.sampleRate, cache) : null;
    if (file) writers.push(file);
    const fader = new Fader(params);
    const block = new Float32Array(2 * BLOCK_FRAMES);
    // The listening room's waveform of this output, measured on the way out.
    const buckets = bucketCount(length, params.sampleRate);
    const peaks = new PeaksMeter(length, buckets, 2);
    let resumedFrom = 0;
    if (!source) {
      for (let start = 0; start < length; start += BLOCK_FRAMES) {
        audio.writeFloat32(block, 2 * Math.min(BLOCK_FRAMES, length - start));
        file?.add(block, Math.min(BLOCK_FRAMES, length - start));
        if (audio.full) await audio.room();
      }
    } else {
      const chain = params.effects.length
        ? streamChain(params.effects, length, {
            sampleRate: params.sampleRate,
            beatSeconds: params.beatSeconds,
            keys,
            label: `${params.kind} '${params.channelId}'`,
            where: location,
            projectRoot: where.projectRoot ?? process.cwd(),
          })
        : null;
      // What leaves the inserts (in order, consecutive from frame 0; later than it went in
      // when a slot lags): the pre-fader copy, the fader, the file and the peaks.
      const emit = (from: number, signal: Stereo) => {
        for (let offset = 0; offset < signal[0].length; offset += BLOCK_FRAMES) {
          const frames = Math.min(BLOCK_FRAMES, signal[0].length - offset);
          const l = signal[0].subarray(offset, offset + frames);
          const r = signal[1].subarray(offset, offset + frames);
          const start = from + offset;
          if (prefader) {
            for (let i = 0, j = 0; i < frames; i++, j += 2) {
              block[j] = l[i];
              block[j + 1] = r[i];
            }
            prefader.writeFloat32(block, 2 * frames);
          }
          if (params.mute) block.fill(0, 0, 2 * frames);
          else fader.apply(l, r, start, frames, block);
          audio.writeFloat32(block, 2 * frames);
          file?.add(block, frames);
          peaks.add(block, start, frames);
        }
      };
      // Checkpoints need every part's state as data: inserts that can give it, and no stem file
      // (a FLAC encoder's state is the library's; a resumed strip copies only the float outputs).
      const resumable = resume !== undefined && (chain?.resumable ?? true) && params.stemFormat === undefined && resume.every > 0 && resume.every % BLOCK_FRAMES === 0;
      let written = 0;
      const state = (): EffectState => ({ chain: chain ? chain.checkpoint() : null, fader: fader.checkpoint(), peaks: captureFields(peaks), source: resume!.source.checkpoint() });
      let first = 0;
      if (resumable && resume.from && resume.from.checkpoint.frame > 0) {
        const { checkpoint, prefix } = resume.from;
        const saved = checkpoint.state as { chain: EffectState; fader: EffectState; peaks: EffectState; source: EffectState };
        if (checkpoint.frame % BLOCK_FRAMES !== 0 || checkpoint.frame >= length || checkpoint.written > checkpoint.frame) throw new StateMismatchError('checkpoint', 'not a block edge inside the song');
        try {
          if (chain) chain.restore(saved.chain);
          fader.restore(saved.fader);
          restoreFields(peaks, saved.peaks);
          resume.source.restore(saved.source);
        } catch (error) {
          // Whatever does not fit (another shape of state, a plugin's restore that throws) means starting from frame 0.
          throw error instanceof StateMismatchError ? error : new StateMismatchError('checkpoint', error instanceof Error ? error.message : String(error));
        }
        await prefix('audio', 8 * checkpoint.written, audio);
        if (prefader) await prefix('prefader', 8 * checkpoint.written, prefader);
        written = checkpoint.written;
        first = resumedFrom = checkpoint.frame;
      }
      const count = (from: number, signal: Stereo) => {
        written = from + signal[0].length;
        emit(from, signal);
      };
      const left = new Float32Array(BLOCK_FRAMES);
      const right = new Float32Array(BLOCK_FRAMES);
      for (let start = first; start < length; start += BLOCK_FRAMES) {
        const frames = Math.min(BLOCK_FRAMES, length - start);
        const l = left.subarray(0, frames);
        const r = right.subarray(0, frames);
        l.fill(0);
        r.fill(0);
        const signal = source(start, l, r);
        if (chain) chain.process(start, signal, count);
        else count(start, signal);
        // Disk time overlaps render time; wait only when the writers' buffers are all out.
        if (audio.full) await audio.room();
        if (prefader?.full) await prefader.room();
        const done = start + frames;
        if (resumable && done % resume.every === 0 && done < length) await resume.onCheckpoint({ frame: done, written, state: state() });
      }
      chain?.flush(count);
    }
    const outputs: Record<string, OutputRecord> = { audio: cache.installWritten(await audio.finish()) };
    if (prefader) outputs.prefader = cache.installWritten(await prefader.finish());
    if (file) outputs.file = await file.finish();
    const measured = peaks.result();
    const measurements = [await storeMeasurement(cache, 'room-peaks', { digest: outputs.audio.digest, buckets }, measured, false)];
    // The room draws the file dist/ gets; a FLAC one it could not read back itself.
    if (outputs.file) measurements.push(await storeMeasurement(cache, 'room-peaks', { digest: outputs.file.digest, buckets }, clippedPeaks(measured), false));
    return { outputs, peak: params.mute ? 0 : fader.peak, measurements, resumedFrom };
  } catch (error) {
    await Promise.all(writers.map((writer) => writer.abort()));
    throw error;
  }
}

/** The instrument's own stream, or (an instrument with only `render`) its whole render read out a block at a time. */
function instrumentStream(
  definition: InstrumentDefinition<object>,
  context: Omit<InstrumentRenderContext<object>, 'output'>,
  length: number,
  channelCount: 1 | 2,
  location: { file: string; song: string; track: string },
  plugin: string,
  projectRoot?: string,
): InstrumentStream {
  try {
    if (definition.stream) return definition.stream({ ...context, lengthSamples: length, channelCount });
    const whole = Array.from({ length: channelCount }, () => new Float32Array(length));
    renderInstrument(definition, { ...context, output: whole });
    return {
      render(start, output) {
        output.forEach((channel, c) => channel.set(whole[c].subarray(start, start + channel.length)));
      },
    };
  } catch (error) {
    throw instrumentError(error, location, plugin, projectRoot);
  }
}
