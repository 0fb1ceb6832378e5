/**
 * Runs a channel's insert effects over its whole signal, in order: each slot gets its
 * automation curves and sidechain key, processes in place (TypeScript DSP) or through a
 * fixed Web Audio graph, and is blended with its dry signal by the slot's mix.
 */
import { processEffect, type AudioFileData, type EffectDefinition, type EffectStream } from '../ir/plugin.ts';
import { StateMismatchError, type EffectState } from '../ir/effect-state.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import { svfCoefficients, svfHighpassBlock, svfState } from '../dsp/svf.ts';
import { decodeAudioFileSync } from '../io/audio-file.ts';
import type { EffectSlotIR } from '../ir/types.ts';
import { renderAutomation, renderAutomationBlock } from './automation-curve.ts';
import { readDeclaredFile } from './declared-file.ts';
import { findEffect } from '../registry/registry.ts';

export type Stereo = [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>];

export interface ChainContext {
  readonly sampleRate: number;
  readonly beatSeconds: number;
  /** Post-fader signals of the channels slots key from, by channel id. */
  readonly keys: ReadonlyMap<string, Stereo>;
  /** `track 'bass'` or `bus 'drums'`, for errors. */
  readonly label: string;
  readonly where: { readonly file: string; readonly song: string; readonly track: string };
  readonly projectRoot: string;
}

export async function runChain(slots: readonly EffectSlotIR[], signal: Stereo, context: ChainContext): Promise<void> {
  for (const slot of slots) {
    const definition = findEffect(slot.plugin);
    if (!definition) throw new MixdownError(d.unknownEffect(context.where, context.label, slot.plugin, []));
    const dry = slot.mix < 1 ? [signal[0].slice(), signal[1].slice()] : null;
    try {
      if (definition.process || definition.stream) processSlot(definition, slot, signal, context);
      else await graphSlot(definition, slot, signal, context);
    } catch (error) {
      if (error instanceof MixdownError) throw error;
      throw new MixdownError(d.effectThrew(context.where, context.label, slot.plugin, error instanceof Error ? error.message : String(error)));
    }
    if (dry) blend(signal, dry, slot.mix);
    for (const channel of signal) {
      // A plugin that returns NaN or infinity would poison every bus downstream: name it here.
      if (!Number.isFinite(channel[0]) || !Number.isFinite(channel[channel.length >> 1] ?? 0) || !Number.isFinite(channel[channel.length - 1] ?? 0)) {
        throw new MixdownError(d.effectThrew(context.where, context.label, slot.plugin, 'it produced samples that are not finite numbers (NaN or infinity)'));
      }
    }
  }
}

function processSlot(definition: EffectDefinition<object>, slot: EffectSlotIR, signal: Stereo, context: ChainContext): void {
  const length = signal[0].length;
  const automation: Record<string, Float32Array> = {};
  for (const [path, ir] of Object.entries(slot.automation)) automation[path] = renderAutomation(ir, length);
  processEffect(definition, {
    sampleRate: context.sampleRate,
    options: slot.options,
    channels: signal,
    sidechain: slot.sidechain ? keySignal(slot.sidechain, context) : null,
    automation,
    beatSeconds: context.beatSeconds,
    seed: slot.seed,
    readAudio: (path) => readAudio(slot, path, context),
  });
}

async function graphSlot(definition: EffectDefinition<object>, slot: EffectSlotIR, signal: Stereo, context: ChainContext): Promise<void> {
  const { OfflineAudioContext } = await import('node-web-audio-api');
  const length = signal[0].length;
  if (length === 0) return;
  const audio = new OfflineAudioContext(2, length, context.sampleRate);
  const buffer = audio.createBuffer(2, length, context.sampleRate);
  buffer.copyToChannel(signal[0], 0);
  buffer.copyToChannel(signal[1], 1);
  const source = audio.createBufferSource();
  source.buffer = buffer;
  const output = definition.graph!({ audio, input: source, sampleRate: context.sampleRate, options: slot.options, beatSeconds: context.beatSeconds });
  output.connect(audio.destination);
  source.start(0);
  const rendered = await audio.startRendering();
  rendered.copyFromChannel(signal[0], 0);
  rendered.copyFromChannel(signal[1], 1);
}

/** True when every slot of the chain can run a block at a time (none is whole-signal only or a Web Audio graph). */
export function chainStreams(slots: readonly EffectSlotIR[]): boolean {
  return slots.every((slot) => findEffect(slot.plugin)?.stream !== undefined);
}

/** Receives the frames that leave a streamed chain, in order: consecutive from frame 0. */
export type ChainEmit = (start: number, signal: Stereo) => void;

/** A chain that processes the song a block at a time, in order: the same samples `runChain` gives. */
export interface ChainStream {
  /** Feed the block of frames `start` on; frames leave through `emit` (later, when a slot lags). */
  process(start: number, signal: Stereo, emit: ChainEmit): void;
  /** After the song's last block: let out the frames lagging slots still hold. */
  flush(emit: ChainEmit): void;
  /** True when every slot's stream can checkpoint and restore (see EffectStream.checkpoint). */
  readonly resumable: boolean;
  /** The chain's state between two blocks: each slot's stream and its dry delay line. Only when `resumable`. */
  checkpoint(): EffectState;
  /** Continue from a checkpoint of a chain of the same slots; throws when it does not fit. */
  restore(state: EffectState): void;
}

interface ChainStage {
  readonly slot: EffectSlotIR;
  readonly stream: EffectStream;
  readonly latency: number;
  readonly key: Stereo | null;
  readonly curves: { path: string; ir: EffectSlotIR['automation'][string]; values: Float32Array }[];
  /**
   * A lagging slot's dry signal, when mix < 1: per channel a delay line whose first `latency`
   * frames are the input the wet output has not caught up with; a block is appended after them.
   */
  readonly history: Float32Array[] | null;
  dry: [Float32Array, Float32Array];
}

/**
 * Set up every slot's stream once (its state then lives across blocks). Automation curves are
 * evaluated per block into reused buffers; a sidechain key is the keying channel's whole
 * signal, read per block. A slot with latency L hands on each block's output L frames late:
 * its first L frames (before frame 0) are dropped and `flush` feeds it L frames of silence
 * for its last ones, so every slot sees, and the chain lets out, frames 0 … length − 1 in order.
 */
export function streamChain(slots: readonly EffectSlotIR[], lengthSamples: number, context: ChainContext): ChainStream {
  const stages: ChainStage[] = slots.map((slot) => {
    const definition = findEffect(slot.plugin);
    if (!definition?.stream) throw new MixdownError(d.unknownEffect(context.where, context.label, slot.plugin, []));
    const key = slot.sidechain ? keySignal(slot.sidechain, context) : null;
    let stream: EffectStream;
    try {
      stream = definition.stream({
        sampleRate: context.sampleRate,
        options: slot.options,
        beatSeconds: context.beatSeconds,
        seed: slot.seed,
        readAudio: (path) => readAudio(slot, path, context),
        lengthSamples,
        keyed: key !== null,
      });
    } catch (error) {
      throw wrapSlotError(error, slot, context);
    }
    const latency = Math.max(0, Math.round(stream.latency ?? 0));
    const curves = Object.entries(slot.automation).map(([path, ir]) => ({ path, ir, values: new Float32Array(0) }));
    const history = slot.mix < 1 && latency > 0 ? [new Float32Array(latency), new Float32Array(latency)] : null;
    return { slot, stream, latency, key, curves, history, dry: [new Float32Array(0), new Float32Array(0)] };
  });
  // The samples the whole-signal chain checks for NaN and infinity: the first, middle and last.
  const checked = [0, lengthSamples >> 1, lengthSamples - 1];

  /** Run `signal` (input frames from `start`) through stage `index` and on; `tail`: silence past the song's end. */
  const run = (index: number, start: number, signal: Stereo, tail: boolean, emit: ChainEmit): void => {
    if (index === stages.length) return emit(start, signal);
    const stage = stages[index];
    const frames = signal[0].length;
    const automation: Record<string, Float32Array> = {};
    if (!tail) {
      for (const curve of stage.curves) {
        if (curve.values.length !== frames) curve.values = new Float32Array(frames);
        renderAutomationBlock(curve.ir, start, curve.values);
        automation[curve.path] = curve.values;
      }
    }
    // The dry signal lined up with what the slot lets out: this block, or for a lagging slot
    // the last `latency` input frames followed by this block's first ones.
    const mix = stage.slot.mix;
    if (mix < 1) {
      for (let c = 0; c < 2; c++) {
        if (stage.dry[c].length !== frames) stage.dry[c] = new Float32Array(frames);
        const lines = stage.history;
        if (!lines) stage.dry[c].set(signal[c]);
        else {
          const lag = stage.latency;
          if (lines[c].length < lag + frames) {
            const longer = new Float32Array(lag + frames);
            longer.set(lines[c].subarray(0, lag));
            lines[c] = longer;
          }
          const line = lines[c];
          line.set(signal[c], lag);
          stage.dry[c].set(line.subarray(0, frames));
          line.copyWithin(0, frames, frames + lag);
        }
      }
    }
    const sidechain = stage.key
      ? tail
        ? ([new Float32Array(frames), new Float32Array(frames)] as const)
        : ([stage.key[0].subarray(start, start + frames), stage.key[1].subarray(start, start + frames)] as const)
      : null;
    try {
      stage.stream.process(start, { channels: signal, sidechain, automation });
    } catch (error) {
      throw wrapSlotError(error, stage.slot, context);
    }
    if (mix < 1) blend(signal, stage.dry, mix);
    // The block now holds frames start − latency on; those before frame 0 are dropped.
    const first = start - stage.latency;
    const skip = Math.max(0, -first);
    if (skip >= frames) return;
    const out: Stereo = skip ? [signal[0].subarray(skip), signal[1].subarray(skip)] : signal;
    const outStart = first + skip;
    for (const at of checked) {
      if (at < outStart || at >= outStart + out[0].length) continue;
      if (!Number.isFinite(out[0][at - outStart]) || !Number.isFinite(out[1][at - outStart])) {
        throw new MixdownError(d.effectThrew(context.where, context.label, stage.slot.plugin, 'it produced samples that are not finite numbers (NaN or infinity)'));
      }
    }
    run(index + 1, outStart, out, false, emit);
  };

  const resumable = stages.every((stage) => typeof stage.stream.checkpoint === 'function' && typeof stage.stream.restore === 'function');
  return {
    resumable,
    checkpoint() {
      if (!resumable) throw new Error('a slot of this chain cannot checkpoint');
      // A lagging slot's dry line holds `latency` frames of input the blend still needs; longer lines are scratch.
      return stages.map((stage) => ({ stream: stage.stream.checkpoint!(), dry: stage.history ? stage.history.map((line) => line.slice(0, stage.latency)) : null }));
    },
    restore(state) {
      if (!Array.isArray(state) || state.length !== stages.length) throw new StateMismatchError('chain', `expected ${stages.length} slots`);
      stages.forEach((stage, index) => {
        const saved = state[index] as { stream: EffectState; dry: Float32Array[] | null };
        const history = stage.history;
        if ((saved.dry === null) !== (history === null) || (history && saved.dry!.some((line) => !(line instanceof Float32Array) || line.length !== stage.latency))) {
          throw new StateMismatchError(`chain.${index}.dry`, 'the dry line does not fit the slot');
        }
        stage.stream.restore!(saved.stream);
        history?.forEach((line, c) => line.set(saved.dry![c]));
      });
    },
    process: (start, signal, emit) => run(0, start, signal, false, emit),
    flush(emit) {
      stages.forEach((stage, index) => {
        if (stage.latency > 0) run(index, lengthSamples, [new Float32Array(stage.latency), new Float32Array(stage.latency)], true, emit);
      });
    },
  };
}

function wrapSlotError(error: unknown, slot: EffectSlotIR, context: ChainContext): MixdownError {
  if (error instanceof MixdownError) return error;
  return new MixdownError(d.effectThrew(context.where, context.label, slot.plugin, error instanceof Error ? error.message : String(error)));
}

/** out = dry·(1 − mix) + wet·mix, the parallel-processing blend. */
function blend(signal: Stereo, dry: readonly Float32Array[], mix: number): void {
  const dryGain = 1 - mix;
  for (let c = 0; c < 2; c++) {
    const wet = signal[c];
    const original = dry[c];
    for (let i = 0; i < wet.length; i++) wet[i] = original[i] * dryGain + wet[i] * mix;
  }
}

/** The key, high-passed (12 dB/oct Butterworth, Simper SVF; 10 Hz at the lowest) when the slot asks. */
function keySignal(sidechain: NonNullable<EffectSlotIR['sidechain']>, context: ChainContext): Stereo {
  const key = context.keys.get(sidechain.from);
  if (!key) throw new Error(`sidechain key '${sidechain.from}' was not rendered`);
  if (!(sidechain.highpass > 0)) return [key[0].slice(), key[1].slice()];
  const coefficients = svfCoefficients(sidechain.highpass, context.sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: 0 });
  return key.map((channel) => {
    const out = new Float32Array(channel.length);
    svfHighpassBlock(svfState(), coefficients, channel, out);
    return out;
  }) as Stereo;
}

/** An audio file a slot declared: checked against the hash in its key, decoded and resampled (WAV or AIFF). */
function readAudio(slot: EffectSlotIR, path: string, context: ChainContext): AudioFileData {
  const declared = slot.files.find((file) => file.path === path);
  if (!declared) throw new Error(`'${path}' was not declared by the effect's files(); only declared files are hashed into the key`);
  const bytes = readDeclaredFile(context.projectRoot, declared, context.where);
  let channels: readonly Float32Array[];
  try {
    channels = decodeAudioFileSync(bytes, path, context.sampleRate).channels;
  } catch (error) {
    throw new MixdownError(d.badEffectFile(context.where, context.label, slot.id, path, error instanceof Error ? error.message : String(error)));
  }
  return { sampleRate: context.sampleRate, channels };
}
