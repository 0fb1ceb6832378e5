/**
 * Resumable effect state (issue 13): every built-in effect's stream, checkpointed after the
 * block ending at frame F, encoded to bytes and decoded, restored into a fresh stream of the
 * same slot and fed the same blocks from F, gives the same bits as one stream that ran from
 * frame 0 — with automation, sidechain keys and latency (silence fed past the song's end)
 * where the effect has them. Checkpoints are taken at block edges the engine uses and at an
 * odd frame, and the original stream runs on after its checkpoint (the state is a copy).
 */
import { describe, expect, it } from 'vitest';
import { effectSlot } from './helpers/effect-slot.ts';
import type { AudioFileData, EffectFactory, EffectStream } from '../src/ir/plugin.ts';
import { decodeState, encodeState, captureFields, restoreFields, StateMismatchError } from '../src/ir/effect-state.ts';
import { eq } from '../src/effects/eq.ts';
import { compressor } from '../src/effects/compressor.ts';
import { gate } from '../src/effects/gate.ts';
import { ducker } from '../src/effects/ducker.ts';
import { saturation } from '../src/effects/saturation.ts';
import { bitcrusher } from '../src/effects/bitcrusher.ts';
import { width } from '../src/effects/width.ts';
import { utility } from '../src/effects/utility.ts';
import { CASES as TIME_CASES, LENGTH, RATE, testSignal } from './helpers/stream-fx-b.ts';
import * as builtIns from '../src/effects/index.ts';
import { reverb } from '../src/effects/reverb.ts';
import { streamChain, type ChainContext } from '../src/render/effect-chain.ts';
import type { EffectSlotIR } from '../src/ir/types.ts';

type Stereo = [Float32Array, Float32Array];

interface Case {
  readonly name: string;
  readonly factory: EffectFactory<object>;
  readonly options: object;
  readonly automation?: () => Record<string, Float32Array>;
  readonly keyed?: boolean;
  readonly files?: () => Record<string, AudioFileData>;
}

/** A curve from `from` to `to` over the song, with a jump two thirds in. */
function ramp(from: number, to: number, jump = 0): Float32Array {
  return Float32Array.from({ length: LENGTH }, (_, i) => from + ((to - from) * i) / LENGTH + (i > (2 * LENGTH) / 3 ? jump : 0));
}

/** Decaying 55 Hz kicks every 250 ms: a key for the dynamics. */
function keySignal(): Stereo {
  const left = new Float32Array(LENGTH);
  for (let start = 2400; start < LENGTH; start += 12000) {
    for (let n = 0; n < 7200 && start + n < LENGTH; n++) left[start + n] = 0.8 * Math.exp(-n / 2400) * Math.sin((2 * Math.PI * 55 * n) / RATE);
  }
  return [left, left.map((v) => v * 0.9)];
}

const c = <O extends object>(name: string, factory: EffectFactory<O>, options: object, extra: Omit<Case, 'name' | 'factory' | 'options'> = {}): Case => ({
  name,
  factory: factory as unknown as EffectFactory<object>,
  options,
  ...extra,
});

const CASES: readonly Case[] = [
  ...TIME_CASES.map((kase) => c(kase.name, kase.factory, kase.options, { automation: kase.automation, files: kase.files })),
  c('eq automated', eq, { bands: [{ type: 'highpass', frequency: 40, slope: 24 }, { type: 'bell', frequency: 1000, gain: 0, q: 2 }, { type: 'highshelf', frequency: 6000, gain: 2 }] }, {
    automation: () => ({ 'bands.0.frequency': ramp(40, 400), 'bands.1.gain': ramp(-12, 9, -3), 'bands.1.frequency': ramp(200, 5000) }),
  }),
  c('eq static', eq, { bands: [{ type: 'lowshelf', frequency: 120, gain: 3 }, { type: 'notch', frequency: 2500, q: 4 }, { type: 'lowpass', frequency: 14000, slope: 24 }] }),
  c('compressor lookahead, sidechain, automated', compressor, { threshold: -20, ratio: 10, knee: 3, attack: 0.001, release: 0.1, lookahead: 0.005 }, {
    keyed: true,
    automation: () => ({ threshold: ramp(-26, -12), makeup: ramp(1, -1, 2) }),
  }),
  c('compressor rms, lookahead, self-keyed', compressor, { detection: 'rms', threshold: -20, lookahead: 0.002 }),
  c('gate expander, sidechain', gate, { threshold: -30, ratio: 3, range: -40, attack: 0.002, hold: 0.03, release: 0.05, hysteresis: 6 }, { keyed: true }),
  c('gate self-keyed', gate, {}),
  c('ducker sidechain, synced', ducker, { amount: 9, threshold: -24, attack: 0.002, hold: '16n', release: '8n' }, { keyed: true }),
  c('saturation tube 4x, drive automated', saturation, { type: 'tube', oversample: 4, tone: 6000 }, { automation: () => ({ drive: ramp(-6, 18, -9) }) }),
  c('saturation soft 2x, bias', saturation, { type: 'soft', oversample: 2, bias: 0.3, output: -3 }),
  c('saturation hard 1x', saturation, { type: 'hard', oversample: 1, drive: 12 }),
  c('bitcrusher fractional, dithered', bitcrusher, { bits: 4.5, downsample: 2.5, dither: true }),
  c('width bass mono automated', width, { bassMono: 300 }, { automation: () => ({ width: ramp(2, 0.5, -0.5) }) }),
  c('utility automated', utility, { swap: true }, { automation: () => ({ gain: ramp(-12, 3, 2), pan: ramp(-1, 1) }) }),
];

const SEED = 0x1234;
const BEAT_SECONDS = 60 / 126;

function open(kase: Case): EffectStream {
  const files = kase.files?.() ?? {};
  return kase.factory.definition.stream!({
    sampleRate: RATE,
    options: kase.factory(kase.options as never).options,
    lengthSamples: LENGTH,
    keyed: kase.keyed === true,
    beatSeconds: BEAT_SECONDS,
    seed: SEED,
    readAudio: (path) => files[path] ?? (() => { throw new Error(`no file ${path}`); })(),
  });
}

/**
 * Feed `stream` the frames [from, to) of the song (and past it, silence: the latency's
 * flush) in 1,024-frame blocks aligned to frame 0, writing its output at the same frames.
 */
function feed(stream: EffectStream, kase: Case, input: Stereo, key: Stereo | null, curves: Record<string, Float32Array>, from: number, to: number, out: Stereo): void {
  const slice = (array: Float32Array, a: number, b: number) => Float32Array.from({ length: b - a }, (_, i) => (a + i < LENGTH ? array[a + i] : 0));
  for (let start = from; start < to; ) {
    const end = Math.min(to, (Math.floor(start / 1024) + 1) * 1024);
    const channels: Stereo = [slice(input[0], start, end), slice(input[1], start, end)];
    const automation: Record<string, Float32Array> = {};
    if (start < LENGTH) for (const [path, values] of Object.entries(curves)) automation[path] = slice(values, start, end);
    stream.process(start, { channels, sidechain: key ? [slice(key[0], start, end), slice(key[1], start, end)] : null, automation });
    out[0].set(channels[0], start);
    out[1].set(channels[1], start);
    start = end;
  }
}

function bytesOf([left, right]: Stereo): Uint8Array {
  const bytes = new Uint8Array(2 * left.byteLength);
  bytes.set(new Uint8Array(left.buffer, left.byteOffset, left.byteLength));
  bytes.set(new Uint8Array(right.buffer, right.byteOffset, right.byteLength), left.byteLength);
  return bytes;
}

describe('every built-in effect resumes from a checkpoint with the same bits', () => {
  it('the cases cover every built-in effect', () => {
    const covered = new Set(CASES.map((kase) => kase.factory.definition.name));
    const all = Object.values(builtIns).flatMap((value) => (typeof value === 'function' && 'definition' in value ? [(value as EffectFactory<object>).definition.name] : []));
    expect(all.length).toBeGreaterThanOrEqual(15);
    for (const name of all) expect(covered.has(name), name).toBe(true);
  });

  for (const kase of CASES) {
    it(kase.name, () => {
      const input = testSignal();
      const key = kase.keyed ? keySignal() : null;
      const curves = kase.automation?.() ?? {};
      const whole = open(kase);
      const total = LENGTH + (whole.latency ?? 0);
      const expected: Stereo = [new Float32Array(total), new Float32Array(total)];
      feed(whole, kase, input, key, curves, 0, total, expected);
      // At engine block edges early, mid-song and past the song's end (in the flush), and at an odd frame.
      for (const at of [1024, 64 * 1024, LENGTH - 1000, LENGTH + 3]) {
        if (at >= total) continue;
        const first = open(kase);
        expect(first.checkpoint, 'checkpoint()').toBeTypeOf('function');
        const resumed: Stereo = [new Float32Array(total), new Float32Array(total)];
        feed(first, kase, input, key, curves, 0, at, resumed);
        const bytes = encodeState(first.checkpoint!());
        // The same state gives the same bytes.
        expect(Buffer.from(encodeState(first.checkpoint!())).equals(Buffer.from(bytes))).toBe(true);
        // The checkpoint is a copy: running the first stream on leaves it as it was.
        feed(first, kase, input, key, curves, at, Math.min(total, at + 5000), [new Float32Array(total), new Float32Array(total)]);
        const second = open(kase);
        second.restore!(decodeState(bytes));
        feed(second, kase, input, key, curves, at, total, resumed);
        expect(Buffer.from(bytesOf(resumed)).equals(Buffer.from(bytesOf(expected))), `resumed at ${at}`).toBe(true);
      }
    });
  }
});

describe('state data', () => {
  it('keeps every float bit (−0, NaN, subnormals) and every array kind through bytes', () => {
    const state = { a: -0, b: NaN, c: 5e-324, d: [true, false, null, 'text'], e: Float32Array.of(-0, 1.5), f: Int32Array.of(-7), g: { h: Uint8Array.of(1, 2) } };
    const back = decodeState(encodeState(state)) as typeof state;
    expect(Object.is(back.a, -0)).toBe(true);
    expect(back.b).toBeNaN();
    expect(back.c).toBe(5e-324);
    expect(back.d).toEqual([true, false, null, 'text']);
    expect(back.e).toEqual(state.e);
    expect(Object.is(back.e[0], -0)).toBe(true);
    expect(back.f).toEqual(state.f);
    expect(back.g.h).toEqual(state.g.h);
  });

  it('refuses bytes that are not a state and a state that does not fit', () => {
    expect(() => decodeState(Uint8Array.of(1, 2, 3))).toThrow(StateMismatchError);
    const bytes = encodeState({ x: 1 });
    expect(() => decodeState(bytes.subarray(0, bytes.length - 1))).toThrow(StateMismatchError);
    class Line {
      buffer = new Float64Array(4);
      at = 0;
    }
    const line = new Line();
    expect(() => restoreFields(line, { buffer: new Float64Array(5), at: 1 })).toThrow(StateMismatchError);
    expect(() => restoreFields(line, { buffer: new Float64Array(4) })).toThrow(StateMismatchError);
    const saved = captureFields(Object.assign(new Line(), { at: 3 }));
    restoreFields(line, saved);
    expect(line.at).toBe(3);
  });
});

describe('a chain resumes from its checkpoint', () => {
  // Two lagging slots blended with their dry signal (their dry delay lines are state too), a keyed one, automation.
  const slots: EffectSlotIR[] = [
    effectSlot('compressor', compressor, { threshold: -24, ratio: 6, lookahead: 0.004 }, { sidechain: { from: 'kick', highpass: 80 }, mix: 0.8 }),
    effectSlot('saturation', saturation, { type: 'tube', oversample: 4 }, { mix: 0.6, automation: { drive: { points: [{ sample: 0, value: 0, shape: 'step', curve: 0 }, { sample: LENGTH, value: 18, shape: 'linear', curve: 0 }], lfo: null } } }),
    effectSlot('reverb', reverb, { decay: 1.2 }, { mix: 0.3 }),
  ];
  const context: ChainContext = {
    sampleRate: RATE,
    beatSeconds: BEAT_SECONDS,
    keys: new Map([['kick', keySignal() as [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>]]]),
    label: "bus 'test'",
    where: { file: 'songs/t/song.ts', song: 't', track: 'test' },
    projectRoot: '/nonexistent',
  };

  /** The chain over the song in 1,024-frame blocks from `from` (restored from `state` when given); the frames it lets out. */
  function run(from: number, to: number, restoreFrom: Uint8Array | null, out: Stereo): { bytes: Uint8Array; written: number } {
    const input = testSignal();
    const chain = streamChain(slots, LENGTH, context);
    expect(chain.resumable).toBe(true);
    if (restoreFrom) chain.restore(decodeState(restoreFrom));
    let written = 0;
    const emit = (start: number, signal: readonly Float32Array[]) => {
      out[0].set(signal[0], start);
      out[1].set(signal[1], start);
      written = start + signal[0].length;
    };
    for (let start = from; start < to; start += 1024) {
      const end = Math.min(LENGTH, start + 1024);
      chain.process(start, [input[0].slice(start, end), input[1].slice(start, end)], emit);
    }
    if (to >= LENGTH) chain.flush(emit);
    return { bytes: encodeState(chain.checkpoint()), written };
  }

  it('restored at a block edge, it lets out the same frames as the chain that ran from 0', () => {
    const expected: Stereo = [new Float32Array(LENGTH), new Float32Array(LENGTH)];
    run(0, LENGTH, null, expected);
    const at = 80 * 1024;
    const resumed: Stereo = [new Float32Array(LENGTH), new Float32Array(LENGTH)];
    const { bytes, written } = run(0, at, null, resumed);
    // The lagging slots still owe their latency: fewer frames out than in.
    expect(written).toBeLessThan(at);
    run(at, LENGTH, bytes, resumed);
    expect(Buffer.from(bytesOf(resumed)).equals(Buffer.from(bytesOf(expected)))).toBe(true);
  });

  it('a state for other slots does not fit', () => {
    const chain = streamChain(slots.slice(0, 2), LENGTH, context);
    const other = streamChain(slots, LENGTH, context);
    expect(() => chain.restore(other.checkpoint())).toThrow(StateMismatchError);
  });
});
