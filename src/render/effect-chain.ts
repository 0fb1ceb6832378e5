/**
 * Runs a channel's insert effects over its whole signal, in order: each slot gets its
 * automation curves and sidechain key, processes in place (TypeScript DSP) or through a
 * fixed Web Audio graph, and is blended with its dry signal by the slot's mix.
 */
import { processEffect, type AudioFileData, type EffectDefinition, type EffectStream } from '../ir/plugin.ts';
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

/** A chain that processes the song a block at a time, in order: the same samples `runChain` gives. */
export interface ChainStream {
  process(start: number, signal: Stereo): void;
}

/**
 * Set up every slot's stream once (its state then lives across blocks). Automation curves are
 * evaluated per block into reused buffers; a sidechain key is the keying channel's whole
 * signal, read per block.
 */
export function streamChain(slots: readonly EffectSlotIR[], lengthSamples: number, context: ChainContext): ChainStream {
  const stages = slots.map((slot) => {
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
    const curves = Object.entries(slot.automation).map(([path, ir]) => ({ path, ir, values: new Float32Array(0) }));
    return { slot, stream, key, curves, dry: slot.mix < 1 ? [new Float32Array(0), new Float32Array(0)] : null };
  });
  // The samples the whole-signal chain checks for NaN and infinity: the first, middle and last.
  const checked = [0, lengthSamples >> 1, lengthSamples - 1];
  return {
    process(start: number, signal: Stereo): void {
      const frames = signal[0].length;
      for (const stage of stages) {
        const automation: Record<string, Float32Array> = {};
        for (const curve of stage.curves) {
          if (curve.values.length !== frames) curve.values = new Float32Array(frames);
          renderAutomationBlock(curve.ir, start, curve.values);
          automation[curve.path] = curve.values;
        }
        const dry = stage.dry;
        if (dry) {
          for (let c = 0; c < 2; c++) {
            if (dry[c].length !== frames) dry[c] = new Float32Array(frames);
            dry[c].set(signal[c]);
          }
        }
        const sidechain = stage.key ? ([stage.key[0].subarray(start, start + frames), stage.key[1].subarray(start, start + frames)] as const) : null;
        try {
          stage.stream.process(start, { channels: signal, sidechain, automation });
        } catch (error) {
          throw wrapSlotError(error, stage.slot, context);
        }
        if (dry) blend(signal, dry, stage.slot.mix);
        for (const at of checked) {
          if (at < start || at >= start + frames) continue;
          if (!Number.isFinite(signal[0][at - start]) || !Number.isFinite(signal[1][at - start])) {
            throw new MixdownError(d.effectThrew(context.where, context.label, stage.slot.plugin, 'it produced samples that are not finite numbers (NaN or infinity)'));
          }
        }
      }
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
