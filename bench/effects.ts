/**
 * Effects: mixdown's TypeScript DSP against the same processing as a fixed node-web-audio-api
 * graph, on 60 s of stereo noise at 48 kHz — the measurement behind "TypeScript DSP for the
 * built-ins". Each figure is the best of three.
 */
import { processEffect } from '../src/ir/plugin.ts';
import { OfflineAudioContext } from 'node-web-audio-api';
import { convolution } from '../src/effects/convolution.ts';
import { eq } from '../src/effects/eq.ts';
import { createRandom } from '../src/dsp/random.ts';

const RATE = 48000;
const SECONDS = 60;

function noise(seed: number): [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>] {
  const random = createRandom(seed);
  const make = () => Float32Array.from({ length: RATE * SECONDS }, () => random() * 2 - 1);
  return [make(), make()];
}

async function best(run: () => Promise<void> | void): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await run();
    fastest = Math.min(fastest, (performance.now() - started) / 1000);
  }
  return fastest;
}

/** Render `signal` through a Web Audio graph built by `build`; returns the output channels. */
async function webAudio(signal: [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>], build: (context: OfflineAudioContext, input: AudioNode) => AudioNode): Promise<Float32Array[]> {
  const context = new OfflineAudioContext(2, signal[0].length, RATE);
  const buffer = context.createBuffer(2, signal[0].length, RATE);
  buffer.copyToChannel(signal[0], 0);
  buffer.copyToChannel(signal[1], 1);
  const source = context.createBufferSource();
  source.buffer = buffer;
  build(context, source as unknown as AudioNode).connect(context.destination as never);
  source.start(0);
  const rendered = await context.startRendering();
  return [rendered.getChannelData(0).slice(), rendered.getChannelData(1).slice()];
}

type AudioNode = { connect(node: never): unknown };

export async function effectRows(): Promise<string[][]> {
  const rows: string[][] = [];
  const input = noise(1);
  const context = (options: object, readAudio?: () => { sampleRate: number; channels: Float32Array[] }) => ({
    sampleRate: RATE,
    options,
    channels: [input[0].slice(), input[1].slice()],
    sidechain: null,
    automation: {},
    beatSeconds: 0.5,
    seed: 1,
    readAudio: readAudio ?? (() => { throw new Error('no files'); }),
  });

  // Four bells: four biquads per channel either way.
  const bands = [100, 400, 1600, 6400].map((frequency) => ({ type: 'bell' as const, frequency, gain: 3, q: 1, slope: 12 as const }));
  const ours = await best(() => processEffect(eq.definition, context(eq({ bands }).options) as never));
  let first: Float32Array[] = [];
  const theirs = await best(async () => {
    const out = await webAudio(input, (audio, source) => {
      let node = source as unknown as { connect(n: unknown): unknown };
      for (const band of bands) {
        const filter = audio.createBiquadFilter();
        filter.type = 'peaking';
        filter.frequency.value = band.frequency;
        filter.gain.value = band.gain;
        filter.Q.value = band.q;
        node.connect(filter);
        node = filter as never;
      }
      return node as unknown as AudioNode;
    });
    if (!first.length) first = out;
    else if (!out.every((channel, c) => Buffer.from(channel.buffer).equals(Buffer.from(first[c].buffer)))) throw new Error('Web Audio EQ not bit-identical run to run');
  });
  rows.push(['eq, 4 bells, 60 s stereo', `TypeScript ${ours.toFixed(3)} s = ${(SECONDS / ours).toFixed(0)}×; Web Audio BiquadFilter chain ${theirs.toFixed(3)} s = ${(SECONDS / theirs).toFixed(0)}× (bit-identical run to run)`]);

  // A 2 s exponentially decaying noise impulse response.
  const random = createRandom(7);
  const ir = Float32Array.from({ length: 2 * RATE }, (_, i) => (random() * 2 - 1) * Math.exp(-i / (0.4 * RATE)));
  const convOptions = convolution({ impulse: 'ir.wav' }).options;
  const oursConv = await best(() => processEffect(convolution.definition, context(convOptions, () => ({ sampleRate: RATE, channels: [ir] })) as never));
  const theirsConv = await best(async () => {
    await webAudio(input, (audio, source) => {
      const convolver = audio.createConvolver();
      convolver.normalize = false;
      const buffer = audio.createBuffer(1, ir.length, RATE);
      buffer.copyToChannel(ir, 0);
      convolver.buffer = buffer;
      (source as unknown as { connect(n: unknown): unknown }).connect(convolver);
      return convolver as unknown as AudioNode;
    });
  });
  rows.push(['convolution, 2 s IR, 60 s', `TypeScript ${oursConv.toFixed(3)} s = ${(SECONDS / oursConv).toFixed(0)}×; Web Audio ConvolverNode ${theirsConv.toFixed(3)} s = ${(SECONDS / theirsConv).toFixed(0)}×`]);
  return rows;
}

/** `node bin/run-ts.js bench/effects.ts`: these rows alone. */
export async function main(): Promise<number> {
  for (const [name, value] of await effectRows()) console.log(`${name.padEnd(28)} ${value}`);
  return 0;
}
