/**
 * Cases for tests/stream-effects-b.test.ts: the time-based effects (delay, reverb,
 * convolution, chorus, flanger, phaser, autoFilter) over a few seconds of clicks, noise
 * bursts and sweeps, with automation where an option is automatable, run whole (one call)
 * or block by block through the effect's stream.
 */
import { createHash } from 'node:crypto';
import type { AudioFileData, EffectDefinition, EffectFactory } from '../../src/ir/plugin.ts';
import { processEffect } from '../../src/ir/plugin.ts';
import { autoFilter } from '../../src/effects/auto-filter.ts';
import { chorus } from '../../src/effects/chorus.ts';
import { convolution } from '../../src/effects/convolution.ts';
import { delay } from '../../src/effects/delay.ts';
import { flanger } from '../../src/effects/flanger.ts';
import { phaser } from '../../src/effects/phaser.ts';
import { reverb } from '../../src/effects/reverb.ts';
import { createRandom } from '../../src/dsp/random.ts';

export const RATE = 48000;
/** Song length of every case: 3.5 s, not a multiple of any block size tried. */
export const LENGTH = Math.round(3.5 * RATE) + 17;
/** Seconds per quarter note: 126 bpm, so synced times are fractional in samples. */
const BEAT_SECONDS = 60 / 126;

export interface StreamCase {
  readonly name: string;
  readonly factory: EffectFactory<object>;
  readonly options: object;
  /** The slot's wet/dry blend, applied as the chain does. */
  readonly mix: number;
  readonly automation?: () => Record<string, Float32Array>;
  readonly files?: () => Record<string, AudioFileData>;
}

/** Clicks every 0.37 s, noise bursts, and a sine sweep; left and right differ. */
export function testSignal(): [Float32Array, Float32Array] {
  const random = createRandom(0x5eed);
  const left = new Float32Array(LENGTH);
  const right = new Float32Array(LENGTH);
  let phase = 0;
  for (let i = 0; i < LENGTH; i++) {
    const t = i / RATE;
    // Sweep 40 Hz → 12 kHz over the song (exponential), quiet between the bursts.
    phase += (40 * Math.pow(300, t / 3.5)) / RATE;
    const sweep = 0.2 * Math.sin(2 * Math.PI * (phase % 1));
    const inBurst = t % 0.9 > 0.45 && t % 0.9 < 0.6;
    const burstL = inBurst ? 0.6 * (2 * random() - 1) : 0;
    const burstR = inBurst ? 0.6 * (2 * random() - 1) : 0;
    const click = i % Math.round(0.37 * RATE) === 0 ? 0.9 : 0;
    left[i] = sweep + burstL + click;
    right[i] = -0.5 * sweep + burstR + (i % Math.round(0.53 * RATE) === 0 ? -0.8 : 0);
  }
  // Silence over the last half second: the tails run on alone.
  left.fill(0, LENGTH - RATE / 2);
  right.fill(0, LENGTH - RATE / 2);
  return [left, right];
}

/** A curve from `from` to `to` and back, with a step in the middle (automation data is per sample). */
function curve(from: number, to: number): Float32Array {
  const values = new Float32Array(LENGTH);
  for (let i = 0; i < LENGTH; i++) {
    const x = i / LENGTH;
    values[i] = x < 0.5 ? from + (to - from) * 2 * x : x < 0.7 ? to : from + (to - from) * (1 - x) * 3;
  }
  return values;
}

/** A decaying noise impulse response, `seconds` long, per channel seed. */
function noiseIr(seconds: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const n = Math.round(seconds * RATE);
  return Float32Array.from({ length: n }, (_, i) => 0.05 * (2 * random() - 1) * Math.exp((-6 * i) / n));
}

const as = <O extends object>(factory: EffectFactory<O>) => factory as unknown as EffectFactory<object>;

export const CASES: readonly StreamCase[] = [
  { name: 'delay synced, feedback automated', factory: as(delay), options: { time: '8n.', feedback: 0.5 }, mix: 0.4, automation: () => ({ feedback: curve(0.1, 0.9) }) },
  { name: 'delay ping-pong, filtered, spread', factory: as(delay), options: { time: 0.0371, feedback: 0.7, pingPong: true, lowpass: 3000, highpass: 250, spread: 0.013 }, mix: 1 },
  { name: 'reverb default (modulated)', factory: as(reverb), options: {}, mix: 0.3 },
  { name: 'reverb small, no predelay, no modulation', factory: as(reverb), options: { decay: 0.7, size: 0.4, predelay: 0, modulation: 0, width: 0.5, damping: 20000, diffusion: 0.5 }, mix: 1 },
  { name: 'convolution short mono IR', factory: as(convolution), options: { impulse: 'irs/short.wav', gain: -3 }, mix: 0.5, files: () => ({ 'irs/short.wav': { sampleRate: RATE, channels: [noiseIr(0.02, 3)] } }) },
  {
    name: 'convolution long stereo IR, predelay',
    factory: as(convolution),
    options: { impulse: 'irs/hall.wav', predelay: 0.0123 },
    mix: 1,
    files: () => ({ 'irs/hall.wav': { sampleRate: RATE, channels: [noiseIr(1.3, 4), noiseIr(1.3, 5)] } }),
  },
  { name: 'chorus 3 voices, feedback, synced rate', factory: as(chorus), options: { rate: '1m', voices: 3, depth: 4, feedback: 0.4, spread: 1 }, mix: 0.7 },
  { name: 'chorus default', factory: as(chorus), options: {}, mix: 1 },
  { name: 'flanger default', factory: as(flanger), options: {}, mix: 1 },
  { name: 'flanger negative feedback, synced', factory: as(flanger), options: { rate: '2n', feedback: -0.8, depth: 5, delay: 0.2 }, mix: 0.5 },
  { name: 'phaser default', factory: as(phaser), options: {}, mix: 1 },
  { name: 'phaser 12 stages, synced', factory: as(phaser), options: { rate: '4n', stages: 12, feedback: -0.7, spread: 1 }, mix: 0.6 },
  { name: 'autoFilter frequency automated', factory: as(autoFilter), options: { resonance: 0.8 }, mix: 1, automation: () => ({ frequency: curve(200, 6000) }) },
  { name: 'autoFilter square bandpass, stereo phase', factory: as(autoFilter), options: { type: 'bandpass', shape: 'square', rate: 0.3, stereoPhase: 0.5, phase: 0.1 }, mix: 0.8 },
];

/** The kinds of block partition: fixed-size blocks, seeded random sizes 1–4,096, or one block. */
export type PartitionKind = number | 'random' | 'whole';

/** Block sizes covering `frames` frames (the song's length by default). */
export function partition(kind: PartitionKind, frames = LENGTH, seed = 0xb10c): number[] {
  const sizes: number[] = [];
  const random = createRandom(seed);
  let left = frames;
  while (left > 0) {
    const size = Math.min(left, kind === 'whole' ? frames : kind === 'random' ? 1 + Math.floor(random() * 4096) : kind);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

function readAudio(c: StreamCase): (path: string) => AudioFileData {
  const files = c.files?.() ?? {};
  return (path) => {
    const file = files[path];
    if (!file) throw new Error(`no test file ${path}`);
    return file;
  };
}

/** out = dry·(1 − mix) + wet·mix, as the chain blends a slot. */
function blend(wet: Float32Array, dry: Float32Array, mix: number): void {
  if (mix >= 1) return;
  for (let i = 0; i < wet.length; i++) wet[i] = dry[i] * (1 - mix) + wet[i] * mix;
}

/** The case processed in one whole-song call (processEffect). */
export function runWhole(c: StreamCase): [Float32Array, Float32Array] {
  const dry = testSignal();
  const channels: [Float32Array, Float32Array] = [dry[0].slice(), dry[1].slice()];
  const options = c.factory(c.options as never).options;
  processEffect(c.factory.definition, { sampleRate: RATE, options, channels, sidechain: null, automation: c.automation?.() ?? {}, beatSeconds: BEAT_SECONDS, seed: 0x1234, readAudio: readAudio(c) });
  blend(channels[0], dry[0], c.mix);
  blend(channels[1], dry[1], c.mix);
  return channels;
}

/**
 * The case through the effect's stream, block by block (each block a fresh copy, as the
 * engine hands them). A stream with latency L gets L more frames of silence after the song,
 * in blocks of the same kind, and its output is taken from frame L on, as the engine does.
 */
export function runBlocks(c: StreamCase, kind: PartitionKind): [Float32Array, Float32Array] {
  const definition = c.factory.definition as EffectDefinition<object>;
  if (!definition.stream) throw new Error(`${definition.name} has no stream()`);
  const dry = testSignal();
  const automation = c.automation?.() ?? {};
  const options = c.factory(c.options as never).options;
  const stream = definition.stream({ sampleRate: RATE, options, lengthSamples: LENGTH, keyed: false, beatSeconds: BEAT_SECONDS, seed: 0x1234, readAudio: readAudio(c) });
  const latency = stream.latency ?? 0;
  const wet: [Float32Array, Float32Array] = [new Float32Array(LENGTH + latency), new Float32Array(LENGTH + latency)];
  let start = 0;
  const feed = (sizes: readonly number[], input: readonly Float32Array[], values: Record<string, Float32Array>) => {
    let at = 0;
    for (const size of sizes) {
      const channels: [Float32Array, Float32Array] = [input[0].slice(at, at + size), input[1].slice(at, at + size)];
      const blockAutomation: Record<string, Float32Array> = {};
      for (const [path, curve] of Object.entries(values)) blockAutomation[path] = curve.slice(at, at + size);
      stream.process(start, { channels, sidechain: null, automation: blockAutomation });
      wet[0].set(channels[0], start);
      wet[1].set(channels[1], start);
      start += size;
      at += size;
    }
  };
  feed(partition(kind), dry, automation);
  if (latency > 0) feed(partition(kind, latency, 0x7a11), [new Float32Array(latency), new Float32Array(latency)], {});
  const out: [Float32Array, Float32Array] = [wet[0].slice(latency), wet[1].slice(latency)];
  blend(out[0], dry[0], c.mix);
  blend(out[1], dry[1], c.mix);
  return out;
}

/** sha256 of left then right as little-endian float32 bytes. */
export function digest([left, right]: readonly Float32Array[]): string {
  return createHash('sha256').update(new Uint8Array(left.buffer, left.byteOffset, left.byteLength)).update(new Uint8Array(right.buffer, right.byteOffset, right.byteLength)).digest('hex');
}
