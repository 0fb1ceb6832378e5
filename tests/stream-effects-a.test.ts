/**
 * Block-streamed effects (issue 13): eq, compressor, gate, ducker, saturation, bitcrusher,
 * width and utility give exactly the same Float32 samples whether the song is processed as
 * one block or in blocks of 1,024, 333, 1 or random sizes, with automation and sidechain keys
 * cut into the same blocks. Each output's sha256 was recorded from the whole-song process()
 * these effects had before they were streamed, so "the same as before" is checked too.
 *
 * An effect that reads ahead of its input (compressor lookahead, saturation's oversampling
 * filters and drive ramps) declares `latency` on its stream: its blocks come out that many
 * frames late, and the engine feeds that many frames of silence past the song's end and
 * drops the first ones — what `streamBlocks` below does, as the chain runner and
 * processEffect do.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { effectSlot } from './helpers/effect-slot.ts';
import { processEffect, type DeepPartial, type EffectFactory, type EffectProcessContext } from '../src/ir/plugin.ts';
import { eq } from '../src/effects/eq.ts';
import { compressor } from '../src/effects/compressor.ts';
import { gate } from '../src/effects/gate.ts';
import { ducker } from '../src/effects/ducker.ts';
import { saturation } from '../src/effects/saturation.ts';
import { bitcrusher } from '../src/effects/bitcrusher.ts';
import { width } from '../src/effects/width.ts';
import { utility } from '../src/effects/utility.ts';
import { oversample, oversampleChannel, oversampleLatency as oversampleLatencyOf, OversampleStream, type OversampleFactor } from '../src/effects/oversample.ts';
import { createRandom } from '../src/dsp/random.ts';
import type { AutomationIR, AutomationPointIR, EffectSlotIR } from '../src/ir/types.ts';
import { chainStreams, runChain, streamChain, type ChainContext } from '../src/render/effect-chain.ts';

const RATE = 48000;
const LENGTH = Math.round(2.5 * RATE);
const at = (seconds: number) => Math.round(seconds * RATE);

type Stereo = [Float32Array, Float32Array];

/** Sweep, drum-like bursts, digital silence, then a hot sweep that runs to the last sample. */
function testSignal(): Stereo {
  const left = new Float32Array(LENGTH);
  const right = new Float32Array(LENGTH);
  const random = createRandom(0x5eed);
  // 0–0.9 s: exponential sweep 30 Hz → 15 kHz, the right channel phase-shifted and quieter.
  const sweepEnd = at(0.9);
  let phase = 0;
  for (let i = 0; i < sweepEnd; i++) {
    const frequency = 30 * Math.pow(500, i / sweepEnd);
    phase += (2 * Math.PI * frequency) / RATE;
    const envelope = Math.min(1, i / 2000);
    left[i] = 0.7 * envelope * Math.sin(phase);
    right[i] = 0.55 * envelope * Math.sin(phase + 0.9);
  }
  // 0.9–1.7 s: a kick (decaying 60 Hz thump) and a snare (decaying noise) in turn every 125 ms,
  // over a quiet pad at −46 dB so gates and expanders have something under the threshold.
  for (let i = sweepEnd; i < at(1.7); i++) {
    const pad = 0.005 * Math.sin((2 * Math.PI * 220 * i) / RATE);
    left[i] = pad;
    right[i] = pad * 0.8;
  }
  for (let hit = 0; hit < 6; hit++) {
    const start = sweepEnd + at(0.125) * hit;
    for (let n = 0; n < at(0.11); n++) {
      const t = n / RATE;
      if (hit % 2 === 0) {
        const v = 0.95 * Math.exp(-t / 0.04) * Math.sin(2 * Math.PI * (60 + 120 * Math.exp(-t / 0.01)) * t);
        left[start + n] += v;
        right[start + n] += v;
      } else {
        const envelope = 0.5 * Math.exp(-t / 0.02);
        left[start + n] += envelope * (2 * random() - 1);
        right[start + n] += envelope * (2 * random() - 1);
      }
    }
  }
  // 1.7–2.1 s: digital silence (filter states decay to the denormal flush, gates close).
  // 2.1–2.5 s: a hot sweep past full scale, cut off at the song's last sample.
  const hot = at(2.1);
  phase = 0;
  for (let i = hot; i < LENGTH; i++) {
    const frequency = 8000 * Math.pow(1 / 80, (i - hot) / (LENGTH - hot));
    phase += (2 * Math.PI * frequency) / RATE;
    left[i] = 1.3 * Math.sin(phase);
    right[i] = 1.1 * Math.sin(phase * 1.01) + 0.02 * (2 * random() - 1);
  }
  return [left, right];
}

/** A sidechain key: kicks every 250 ms (offset from the signal's), silent from 1.5 to 2.2 s. */
function keySignal(): Stereo {
  const key = new Float32Array(LENGTH);
  for (let start = at(0.05); start < LENGTH; start += at(0.25)) {
    if (start >= at(1.5) && start < at(2.2)) continue;
    for (let n = 0; n < at(0.15) && start + n < LENGTH; n++) {
      const t = n / RATE;
      key[start + n] = 0.8 * Math.exp(-t / 0.05) * Math.sin(2 * Math.PI * 55 * t);
    }
  }
  const right = key.map((v, i) => v * 0.9 + (i % 7 === 0 ? 0.001 : 0));
  return [key, right];
}

/** Per-sample automation: linear segments through [seconds, value] points, with a jump at `stepAt`. */
function curve(points: [number, number][], stepAt?: [number, number]): Float32Array {
  const out = new Float32Array(LENGTH);
  for (let i = 0; i < LENGTH; i++) {
    const t = i / RATE;
    let value = points[points.length - 1][1];
    for (let p = 0; p + 1 < points.length; p++) {
      const [t0, v0] = points[p];
      const [t1, v1] = points[p + 1];
      if (t < t0) {
        value = v0;
        break;
      }
      if (t < t1) {
        value = v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
        break;
      }
    }
    if (stepAt && t >= stepAt[0]) value += stepAt[1];
    out[i] = value;
  }
  return out;
}

interface Case {
  readonly name: string;
  readonly factory: EffectFactory<object>;
  readonly options: DeepPartial<object>;
  readonly automation?: () => Record<string, Float32Array>;
  readonly keyed?: boolean;
  /** The slot's wet/dry blend, applied after the effect as the chain does. */
  readonly mix?: number;
  readonly beatSeconds?: number;
  readonly seed?: number;
}

const c = <O extends object>(name: string, factory: EffectFactory<O>, options: DeepPartial<O>, extra: Omit<Case, 'name' | 'factory' | 'options'> = {}): Case => ({
  name,
  factory: factory as unknown as EffectFactory<object>,
  options: options as DeepPartial<object>,
  ...extra,
});

const CASES: readonly Case[] = [
  c('eq static', eq, {
    bands: [
      { type: 'highpass', frequency: 30, slope: 48 },
      { type: 'bell', frequency: 350, gain: -4, q: 1.2 },
      { type: 'lowshelf', frequency: 120, gain: 3 },
      { type: 'highshelf', frequency: 8000, gain: -6 },
      { type: 'notch', frequency: 2500, q: 4 },
      { type: 'lowpass', frequency: 14000, slope: 24 },
    ],
  }),
  c(
    'eq automated',
    eq,
    { bands: [{ type: 'highpass', frequency: 40, slope: 24 }, { type: 'bell', frequency: 1000, gain: 0, q: 2 }, { type: 'highshelf', frequency: 6000, gain: 2 }] },
    {
      automation: () => ({
        'bands.0.frequency': curve([[0, 40], [1, 400], [2.3, 60]]),
        'bands.1.gain': curve([[0, -12], [1.2, 9], [2.5, 0]], [1.95, -3]),
        'bands.1.frequency': curve([[0.3, 200], [2.4, 5000]]),
      }),
      mix: 0.7,
    },
  ),
  c('compressor peak, self-keyed', compressor, {}),
  c('compressor rms, hard knee, automated', compressor, { detection: 'rms', knee: 0, attack: 0.002, release: 0.05, window: 0.02 }, {
    automation: () => ({ threshold: curve([[0, -30], [1.2, -8], [2.5, -20]]), ratio: curve([[0, 2], [2, 12]], [1.3, 4]), makeup: curve([[0, 0], [2.5, 6]]) }),
  }),
  c('compressor sidechain', compressor, { threshold: -24, ratio: 8, attack: 0.001, release: 0.08 }, { keyed: true, mix: 0.6 }),
  c('compressor lookahead, sidechain, automated', compressor, { threshold: -20, ratio: 10, knee: 3, attack: 0.001, release: 0.1, lookahead: 0.005 }, {
    keyed: true,
    automation: () => ({ threshold: curve([[0, -26], [2.5, -12]]), makeup: curve([[0, 1], [2.5, -1]], [2.45, 2]) }),
  }),
  c('compressor lookahead rms, self-keyed', compressor, { detection: 'rms', threshold: -20, lookahead: 0.002 }),
  c('gate self-keyed', gate, {}),
  c('gate expander, sidechain', gate, { threshold: -30, ratio: 3, range: -40, attack: 0.002, hold: 0.03, release: 0.05, hysteresis: 6 }, { keyed: true, mix: 0.5 }),
  c('ducker sidechain, synced', ducker, { amount: 9, threshold: -24, attack: 0.002, hold: '16n', release: '8n' }, { keyed: true, beatSeconds: 0.4 }),
  c('ducker self-keyed', ducker, { amount: 20, threshold: -12, attack: 0, hold: 0, release: 0.05 }),
  ...(['tanh', 'soft', 'hard', 'tube'] as const).flatMap((type) =>
    ([1, 2, 4] as const).map((factor) => c(`saturation ${type} ${factor}x`, saturation, { type, oversample: factor, drive: type === 'hard' ? 12 : 6 })),
  ),
  c('saturation bias, tone, output', saturation, { type: 'tanh', bias: 0.3, tone: 6000, output: -3, oversample: 4 }),
  ...([1, 2, 4] as const).map((factor) =>
    c(`saturation drive automated ${factor}x`, saturation, { type: factor === 2 ? 'tube' : 'soft', oversample: factor, tone: factor === 1 ? 3000 : 0, output: 2 }, {
      automation: () => ({ drive: curve([[0, -6], [0.8, 18], [1.6, 3], [2.5, 24]], [2.2, -9]) }),
      mix: factor === 4 ? 0.4 : undefined,
    }),
  ),
  c('bitcrusher default', bitcrusher, {}),
  c('bitcrusher fractional, dithered', bitcrusher, { bits: 4.5, downsample: 2.5, dither: true }, { seed: 0xdecaf, mix: 0.8 }),
  c('bitcrusher 1 bit, hold 7.3', bitcrusher, { bits: 1, downsample: 7.3 }),
  c('width static', width, { width: 0.4 }),
  c('width unity', width, { width: 1 }),
  c('width automated', width, {}, { automation: () => ({ width: curve([[0, 0], [1, 1], [1.05, 1], [2.5, 2]]) }) }),
  c('width bass mono', width, { width: 1.5, bassMono: 120 }),
  c('width bass mono automated', width, { bassMono: 300 }, { automation: () => ({ width: curve([[0, 2], [2.5, 0.5]], [1.2, -0.5]) }) }),
  c('utility static', utility, { gain: -3, pan: 0.4, invertLeft: true, swap: true }),
  c('utility mono', utility, { mono: true, invertRight: true, pan: -1 }),
  c('utility automated', utility, { swap: true }, { automation: () => ({ gain: curve([[0, -12], [2.5, 3]], [1, 2]), pan: curve([[0, -1], [1.25, 1], [2.5, 0]]) }) }),
];

/** sha256 of each case's output (left then right, float32 little-endian), recorded from the whole-song process() before streaming. */
const EXPECTED: Record<string, string> = {
  'eq static': 'b4d1aebbc504bccb5dfc975f26335b3824681bb7554e7d32f79c94c0ef178343',
  'eq automated': '3977c8dfc71691c61dd375065683be7455abba3da7c902ec5941e5595323060c',
  'compressor peak, self-keyed': 'b6972ea59a17622a892182d109abc20ad4f4303253173dd0703e239847a66557',
  'compressor rms, hard knee, automated': 'd90e512697daaeb5643b0d475639c591a5416024bc57451beb3e316d3746cbc8',
  'compressor sidechain': 'c59a52ab68327d773ea59199567978a84a1cbb4a89d7a977261558eae492cc59',
  'compressor lookahead, sidechain, automated': '17348fe2e6832c41b9eaa8d1e299b8380ca4c18db003ceeaec338bb984552c83',
  'compressor lookahead rms, self-keyed': '0a911d8cadb43035c5e54074d237d469afaf93adfa87c227f781e9934836df1b',
  'gate self-keyed': '92af37de4780c0facdfc12c1bc9ac7f4d07ddcc7a4e5dd73e7f5a3da4310c3f7',
  'gate expander, sidechain': '01dd9dbab950f800d45c38f4d3f3be7504689b741ee918de8377455941d78d7c',
  'ducker sidechain, synced': 'e68e3be6fb31c227c66b16ac75ca377f886fa4a5eb825426b3b22a20f1c7c0aa',
  'ducker self-keyed': 'fd5abb0c49087b619eee546bbf20d9d5f9fd2070d455bd789dd995646913a235',
  'saturation tanh 1x': 'f691aba0f0a7be762ac80f163cebaeb927e0b0d018d3a400e10ccd159f80503c',
  'saturation tanh 2x': 'e51b799d4131384c0a314bd8d68019f9b0d73c5a8b406e22a93529d1aec98685',
  'saturation tanh 4x': '5973e82a8b938c439a376e4abdbb1205528a41bf1765a12122486a08bbd5a250',
  'saturation soft 1x': 'f50a8b1b438ad38740786cf64093a898d1e0c14bf8f1bd504171ed0a29f921d0',
  'saturation soft 2x': '14f26d165a7bf5c540a7bea4997b224e55f485d419bb0e0eaec5c7abb7a5e887',
  'saturation soft 4x': '9143176e253a90c84de7917d4951aa2b7574a57c0af46cb3dcbe6b478f08f977',
  'saturation hard 1x': '8deb49db5f44d39a2bba1d61e91bebba7445599b66f511d0a02b2e98b2cc92f4',
  'saturation hard 2x': '10022a16572c1b62b0ed45e73b61a9786388b9d690188ee89aadb354901fdd1a',
  'saturation hard 4x': '62e4fa2ace36edf2c8908ccc0f67febbf536307b325702f7795540e04a21d6d3',
  'saturation tube 1x': '14ea6b92979ffda8ff928ff5d4cc6b259da85a2372519af363eb4f6fa91ed243',
  'saturation tube 2x': 'fc5c11523b9497b3b896ad235c0f3b5f9bcb797e7e47b514311a0615b55e343b',
  'saturation tube 4x': '706b0e2af7867fbb08ada70ff2f99ac5713064649e7388b8d018d3e5e71f7475',
  'saturation bias, tone, output': 'cbe6f3c6fe14c62c796fc3a59c3a3e8e42b6c30303e6052625513a677ceafe4f',
  'saturation drive automated 1x': '340e78e9720607174644aa77f2b17a78cfae6a1e4dfcd17d3c373b7da4a56745',
  'saturation drive automated 2x': '8ede8d8b542b562fcaaa4238cc15cf52a77ea0d4961f31887351f338ed1148c4',
  'saturation drive automated 4x': '1835fb2cd5e93b5bcd8e1203fe126e7ac68a7272ef6fd3ca4ed2827bab6ad2bb',
  'bitcrusher default': '7e6cdc5ee467808ccd8c40644e6481603506adb107df800040678bed90f4fa5a',
  'bitcrusher fractional, dithered': 'eba0d9d5956d50a1027dad8cdf3fd6527790f22e8d3af38202c69e97ee436255',
  'bitcrusher 1 bit, hold 7.3': '485e8dc98c7a0db6830adc3fa2b51ed692ab5af46d6924625d933c70d3a7d7ec',
  'width static': 'ff94cef97aff17b6c10c8e39ee46f7fed0a3be77363f07b511a48e1406b81d18',
  'width unity': '696f0ffc3df11b85f7ab7ba966c26d89fd58ada9e8b82c0b564f44601a5ebae2',
  'width automated': 'e2469a4ef1ee1366312371ef452010d817a9e5ed2440f6a337b298b7c1e2804a',
  'width bass mono': 'aacac17f51b90fee98f731371b54624ba6c0478482b7433c278422c41f9b9779',
  'width bass mono automated': '2cc2c6d2895dcd3ce7e93e6fdd466f8f28d77d2a60830c6bdf96b6066af18991',
  'utility static': '0359b1c44d96705ac1b1f7c19663273c10121416d908fffa724360e008049895',
  'utility mono': '68ddd620941f2bb8425129dce5c081d4495d477e5027e83815deffbd794dfca1',
  'utility automated': 'be4971a2e114b55a1a986e23015425457a758b2e4b35f97bd45dba94babbb179',
};

function contextFor(kase: Case, channels: Stereo): EffectProcessContext<object> {
  return {
    sampleRate: RATE,
    options: kase.factory(kase.options).options,
    channels,
    sidechain: kase.keyed ? keySignal() : null,
    automation: kase.automation?.() ?? {},
    beatSeconds: kase.beatSeconds ?? 0.5,
    seed: kase.seed ?? 7,
    readAudio() {
      throw new Error('no files');
    },
  };
}

/** out = dry·(1 − mix) + wet·mix: the chain's parallel blend. */
function blend(wet: Stereo, dry: Stereo, mix: number | undefined): Stereo {
  if (mix === undefined) return wet;
  for (let ch = 0; ch < 2; ch++) for (let i = 0; i < LENGTH; i++) wet[ch][i] = dry[ch][i] * (1 - mix) + wet[ch][i] * mix;
  return wet;
}

function wholeRun(kase: Case): Stereo {
  const input = testSignal();
  const channels: Stereo = [input[0].slice(), input[1].slice()];
  processEffect(kase.factory.definition, contextFor(kase, channels));
  return blend(channels, input, kase.mix);
}

/**
 * Run the effect's stream over the song in blocks of `sizes` (cycled), the way the streamed
 * engine does: each block a copy of its frames of signal, key and automation. A stream with
 * latency gets that many frames of silence past the end (automation holding its last value),
 * and its first `latency` output frames are dropped.
 */
function streamBlocks(kase: Case, sizes: readonly number[]): Stereo {
  const full = contextFor(kase, testSignal());
  const { channels, sidechain, automation, ...rest } = full;
  const stream = kase.factory.definition.stream!({ ...rest, lengthSamples: LENGTH, keyed: sidechain !== null });
  const latency = stream.latency ?? 0;
  const total = LENGTH + latency;
  const out: Stereo = [new Float32Array(total), new Float32Array(total)];
  const frame = (array: Float32Array, from: number, to: number) => {
    const block = new Float32Array(to - from);
    for (let i = from; i < to; i++) block[i - from] = i < LENGTH ? array[i] : 0;
    return block;
  };
  const held = (array: Float32Array, from: number, to: number) => {
    const block = new Float32Array(to - from);
    for (let i = from; i < to; i++) block[i - from] = array[Math.min(i, LENGTH - 1)];
    return block;
  };
  let start = 0;
  for (let n = 0; start < total; n++) {
    const end = Math.min(total, start + sizes[n % sizes.length]);
    const block: Stereo = [frame(channels[0], start, end), frame(channels[1], start, end)];
    stream.process(start, {
      channels: block,
      sidechain: sidechain ? [frame(sidechain[0], start, end), frame(sidechain[1], start, end)] : null,
      automation: Object.fromEntries(Object.entries(automation).map(([path, values]) => [path, held(values, start, end)])),
    });
    out[0].set(block[0], start);
    out[1].set(block[1], start);
    start = end;
  }
  const aligned: Stereo = [out[0].slice(latency), out[1].slice(latency)];
  return blend(aligned, channels as Stereo, kase.mix);
}

function sha256(signal: Stereo): string {
  const hash = createHash('sha256');
  for (const channel of signal) hash.update(new Uint8Array(channel.buffer, channel.byteOffset, channel.byteLength));
  return hash.digest('hex');
}

/** Exact equality, reporting the first differing sample rather than a 120,000-element diff. */
function expectSameSamples(actual: Stereo, expected: Stereo, label: string): void {
  for (let ch = 0; ch < 2; ch++) {
    expect(actual[ch].length, `${label}: length`).toBe(expected[ch].length);
    const a = actual[ch];
    const e = expected[ch];
    let first = -1;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], e[i])) {
        first = i;
        break;
      }
    }
    expect(first === -1 ? 'identical' : `channel ${ch} differs from sample ${first}: ${a[first]} vs ${e[first]}`, label).toBe('identical');
  }
}

function randomSizes(seed: number): number[] {
  const random = createRandom(seed);
  return Array.from({ length: 97 }, () => 1 + Math.floor(random() * (random() < 0.2 ? 3000 : 200)));
}

const PARTITIONS: readonly [string, readonly number[]][] = [
  ['whole song', [Number.MAX_SAFE_INTEGER]],
  ['1,024', [1024]],
  ['333', [333]],
  ['1', [1]],
  ['random', randomSizes(0xb10c)],
];

describe('streamed effects give the whole-song samples for any block partition', () => {
  for (const kase of CASES) {
    it(kase.name, () => {
      const whole = wholeRun(kase);
      expect(sha256(whole), 'output hash recorded from the whole-song process()').toBe(EXPECTED[kase.name]);
      // One implementation: the stream (processEffect runs it whole).
      expect([typeof kase.factory.definition.stream, kase.factory.definition.process]).toEqual(['function', undefined]);
      for (const [label, sizes] of PARTITIONS) expectSameSamples(streamBlocks(kase, sizes), whole, `${kase.name}, blocks of ${label}`);
    });
  }
});

describe('oversampling as a building block', () => {
  /** sha256 of oversampleChannel's output for the signal below, recorded before OversampleStream existed. */
  const CHANNEL_HASHES: Record<OversampleFactor, string> = {
    1: 'ba85f554964aeb50e2894b8d293df521ac6026398e515801b0659cc226f881b9',
    2: 'ac14e8eb8ad9decb98dfb8009d731d7693efa38bc471e3cac2b76676ae92de73',
    4: '89aa85e8a36e2a11545f7ee6968b50f6dcc052509e76a1587c6fdb1ea5502091',
  };
  const signal = () => {
    const random = createRandom(42);
    return new Float32Array(20011).map((_, i) => 0.9 * Math.sin(i * 0.05) + 0.3 * (random() * 2 - 1));
  };
  const shaper = (block: Float64Array, count: number) => {
    for (let i = 0; i < count; i++) block[i] = Math.tanh(2 * block[i]);
  };

  for (const factor of [1, 2, 4] as const) {
    it(`${factor}×: oversampleChannel and oversample() are unchanged, and OversampleStream in any blocks is them, \`latency\` late`, () => {
      const whole = signal();
      const starts: number[] = [];
      oversampleChannel(whole, factor, (block, count, start) => {
        starts.push(start);
        for (let i = 0; i < count; i++) block[i] = Math.tanh(2 * block[i]) + 0.001 * start;
      });
      expect(createHash('sha256').update(new Uint8Array(whole.buffer)).digest('hex')).toBe(CHANNEL_HASHES[factor]);
      // The shaper is still told where each 256-sample block sits in the song.
      expect(starts.slice(0, 2)).toEqual(factor === 1 ? [0, 256] : [-Math.round(oversampleLatencyOf(factor) / 2), 256 - Math.round(oversampleLatencyOf(factor) / 2)]);

      const reference = signal();
      oversample(reference, factor, (x) => Math.tanh(2 * x));
      const input = signal();
      const stream = new OversampleStream(factor, 300);
      const latency = stream.latency;
      const streamed = new Float32Array(input.length + latency);
      const inBlock = new Float64Array(300);
      const outBlock = new Float64Array(300);
      const sizes = randomSizes(factor);
      for (let from = 0, n = 0; from < streamed.length; n++) {
        const count = Math.min(1 + (sizes[n % sizes.length] % 300), streamed.length - from);
        for (let i = 0; i < count; i++) inBlock[i] = from + i < input.length ? input[from + i] : 0;
        stream.process(inBlock, count, outBlock, from, shaper);
        for (let i = 0; i < count; i++) streamed[from + i] = outBlock[i];
        from += count;
      }
      expectSameSamples([streamed.subarray(latency), streamed.subarray(latency)], [reference, reference], `OversampleStream ${factor}×`);
      expect(() => stream.process(new Float64Array(301), 301, new Float64Array(301), 0, shaper)).toThrow(/at most 300/);
    });
  }
});

describe('songs shorter than, or just past, a stream’s latency', () => {
  // sha256 of [left, right] from the whole-song process() before streaming, for each song below.
  const SHORT: [string, EffectFactory<object>, DeepPartial<object>, number, string][] = [
    ['compressor lookahead, 40 samples', compressor as unknown as EffectFactory<object>, { lookahead: 0.002, threshold: -30, attack: 0, ratio: 8 }, 40, '638a627b1799d9da6e4cf22382cc437c6f7fe288b7108854de02087c402a301e'],
    ['compressor lookahead, 150 samples', compressor as unknown as EffectFactory<object>, { lookahead: 0.002, threshold: -30, attack: 0, ratio: 8 }, 150, 'b33b2dd80c77faf9d4f71f05f19577e883ba3e8ba95e46ba4261dc787642a41c'],
    ['saturation 4× tube, tone, 20 samples', saturation as unknown as EffectFactory<object>, { oversample: 4, type: 'tube', tone: 500 }, 20, 'e366c8fca9305c148dffee9f0e0cc9a2473a02c370b3b8d6122ffc1ff82d5e57'],
    ['saturation 1×, 20 samples', saturation as unknown as EffectFactory<object>, { oversample: 1 }, 20, '94c7e6d2464acb551a739be07089a20a0e19864f2eb4cf62df3359c4060a7571'],
    ['saturation 2× bias, 45 samples', saturation as unknown as EffectFactory<object>, { oversample: 2, bias: 0.2 }, 45, 'ba23750e2e620a586c96fb1ebe0536ab317964e0948c54d0f7aa48e677387b63'],
  ];
  for (const [name, factory, options, length, hash] of SHORT) {
    it(name, () => {
      const input = (): Stereo => {
        const left = new Float32Array(length).map((_, i) => 0.9 * Math.sin(i * 0.7) + (i === 3 ? 0.5 : 0));
        return [left, left.map((v) => -0.5 * v)];
      };
      const drive = new Float32Array(length).map((_, i) => 20 - i);
      const context = (channels: Stereo): EffectProcessContext<object> => ({
        sampleRate: RATE,
        options: factory(options).options,
        channels,
        sidechain: null,
        automation: { drive },
        beatSeconds: 0.5,
        seed: 1,
        readAudio() {
          throw new Error('no files');
        },
      });
      const whole = input();
      processEffect(factory.definition, context(whole));
      const both = new Float32Array(2 * length);
      both.set(whole[0]);
      both.set(whole[1], length);
      expect(createHash('sha256').update(new Uint8Array(both.buffer)).digest('hex')).toBe(hash);
      // Blocks of 1 and 7 through the latency protocol.
      for (const size of [1, 7]) {
        const { channels, sidechain, automation, ...rest } = context(input());
        const stream = factory.definition.stream!({ ...rest, lengthSamples: length, keyed: false });
        const latency = stream.latency ?? 0;
        expect(latency).toBeGreaterThan(length / 2);
        const out: Stereo = [new Float32Array(length + latency), new Float32Array(length + latency)];
        for (let start = 0; start < length + latency; start += size) {
          const end = Math.min(length + latency, start + size);
          const block: Stereo = [new Float32Array(end - start), new Float32Array(end - start)];
          for (let i = start; i < Math.min(end, length); i++) {
            block[0][i - start] = channels[0][i];
            block[1][i - start] = channels[1][i];
          }
          stream.process(start, { channels: block, sidechain, automation: start < length ? { drive: automation.drive.slice(start, end) } : {} });
          out[0].set(block[0], start);
          out[1].set(block[1], start);
        }
        expectSameSamples([out[0].slice(latency), out[1].slice(latency)], whole, `${name}, blocks of ${size}`);
      }
    });
  }
});

describe('through the block chain runner', () => {
  it('a chain of all eight gives runChain’s samples in 1,024-frame blocks (latencies, automation, high-passed sidechain keys, wet/dry mixes)', async () => {
    const points = (...values: [number, number, AutomationPointIR['shape']][]): AutomationIR => ({
      points: values.map(([seconds, value, shape]) => ({ sample: at(seconds), value, shape, curve: 0 })),
      lfo: null,
    });
    const slots: EffectSlotIR[] = [
      effectSlot('eq', eq, { bands: [{ type: 'highpass', frequency: 40, slope: 24 }, { type: 'bell', frequency: 900, q: 2 }] }, { automation: { 'bands.1.gain': points([0, -9, 'step'], [1.4, 6, 'linear'], [2.2, 12, 'exponential']) } }),
      effectSlot('gate', gate, { threshold: -36, ratio: 4, range: -30, hold: 0.02 }, { sidechain: { from: 'kick', highpass: 60 }, mix: 0.7 }),
      effectSlot('ducker', ducker, { amount: 8, hold: '16n', release: '8n' }, { sidechain: { from: 'kick', highpass: 0 } }),
      effectSlot('compressor', compressor, { threshold: -24, ratio: 6, lookahead: 0.004 }, { sidechain: { from: 'kick', highpass: 80 }, mix: 0.8, automation: { makeup: points([0, 0, 'step'], [2.5, 4, 'linear']) } }),
      effectSlot('saturation', saturation, { type: 'tube', oversample: 2, tone: 9000 }, { mix: 0.6, automation: { drive: points([0, 0, 'step'], [2, 18, 'linear']) } }),
      effectSlot('bitcrusher', bitcrusher, { bits: 10, downsample: 1.5, dither: true }, { mix: 0.5 }),
      effectSlot('width', width, { bassMono: 150 }, { automation: { width: points([0, 0.5, 'step'], [2.5, 1.8, 'linear']) } }),
      effectSlot('utility', utility, { gain: -2 }, { automation: { pan: points([0, -0.5, 'step'], [1.2, 0.7, 'curve']) } }),
    ];
    const context: ChainContext = {
      sampleRate: RATE,
      beatSeconds: 0.5,
      keys: new Map([['kick', keySignal() as [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>]]]),
      label: "bus 'test'",
      where: { file: 'songs/t/song.ts', song: 't', track: 'test' },
      projectRoot: '/nonexistent',
    };
    expect(chainStreams(slots)).toBe(true);
    const whole = testSignal() as [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>];
    await runChain(slots, whole, context);
    const input = testSignal();
    const chain = streamChain(slots, LENGTH, context);
    const streamed: Stereo = [new Float32Array(LENGTH), new Float32Array(LENGTH)];
    let emitted = 0;
    const emit = (start: number, signal: readonly Float32Array[]) => {
      expect(start, 'frames let out in order').toBe(emitted);
      streamed[0].set(signal[0], start);
      streamed[1].set(signal[1], start);
      emitted += signal[0].length;
    };
    for (let start = 0; start < LENGTH; start += 1024) {
      const end = Math.min(LENGTH, start + 1024);
      const block: [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>] = [input[0].slice(start, end), input[1].slice(start, end)];
      chain.process(start, block, emit);
    }
    chain.flush(emit);
    expect(emitted, 'every frame let out once').toBe(LENGTH);
    expectSameSamples(streamed, whole, 'chain');
    // The chain did something audible: not silence, not the input.
    expect(streamed[0].reduce((peak, v) => Math.max(peak, Math.abs(v)), 0)).toBeGreaterThan(0.1);
    expect(streamed[0].filter((v, i) => v !== input[0][i]).length).toBeGreaterThan(LENGTH / 2);
  });
});
