/**
 * `synth` and `drums` render block by block (`stream()`): whatever the block sizes, the samples
 * are the same Float32 values as a whole-song render, and those are the bits the whole-song
 * `render()` gave before the stream replaced it (the digests below were taken from that code).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/dsp/random.ts';
import { drums } from '../src/instruments/drums.ts';
import { synth } from '../src/instruments/synth.ts';
import { renderInstrument, type InstrumentFactory, type NoteEvent } from '../src/ir/plugin.ts';
import { RATE } from './helpers/instrument.ts';

const noFiles = (): never => {
  throw new Error('no files');
};

interface Case {
  readonly name: string;
  readonly factory: InstrumentFactory<object>;
  readonly options: object;
  readonly notes: NoteEvent[];
  readonly length: number;
  readonly channels: 1 | 2;
  readonly seed: number;
  readonly beatSeconds?: number;
  readonly automation?: Record<string, Float32Array>;
  /** sha256 of the channels' Float32 bytes, one after the other, as the whole-song render() gave them. */
  readonly digest: string;
}

const note = (pitch: number, startSample: number, lengthSamples: number, velocity = 100): NoteEvent => ({ pitch, velocity, startSample, lengthSamples, startTick: 0, lengthTicks: 0 });

/** Notes sorted as a host gives them: by start sample, then pitch. */
const sorted = (notes: NoteEvent[]): NoteEvent[] => notes.sort((a, b) => a.startSample - b.startSample || a.pitch - b.pitch);

/** Chords, overlaps, notes across 1,024- and 333-frame block edges, a 1-sample note, notes cut by the song's end, seeded runs. */
function synthNotes(length: number, seed: number): NoteEvent[] {
  const random = createRandom(seed);
  const notes = [
    ...[60, 64, 67, 72].map((pitch) => note(pitch, 0, 24000, 90)),
    ...[57, 60, 64].map((pitch) => note(pitch, 20473, 9000, 110)),
    note(62, 10000, 40000, 70),
    note(65, 30000, 5000, 127),
    note(65, 30001, 1, 40),
    note(48, 1023, 333 * 7, 100),
    note(72, 1024 * 30 + 1, 1024 * 4 - 2, 80),
    note(40, length - 20000, 30000, 100),
    note(76, length - 1, 500, 100),
  ];
  for (let i = 0; i < 40; i++) notes.push(note(36 + Math.floor(random() * 48), Math.floor(random() * (length - 2000)), 1 + Math.floor(random() * 30000), 1 + Math.floor(random() * 127)));
  return sorted(notes);
}

/** A cutoff curve that ramps, steps and holds. */
function cutoffCurve(length: number): Float32Array {
  const curve = new Float32Array(length);
  for (let i = 0; i < length; i++) curve[i] = i < length / 3 ? 300 + (5000 * i) / (length / 3) : i < (2 * length) / 3 ? 1200 : 800 + 400 * Math.sin(i / 3000);
  return curve;
}

/** Every pad of the kit (toms on both their GM notes), an unmapped note, open hats choked and not, long cymbal tails past the end. */
function drumNotes(length: number, seed: number): NoteEvent[] {
  const random = createRandom(seed);
  const pads = [36, 38, 39, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60];
  const notes = pads.map((pitch, i) => note(pitch, i * 5003, 100, 30 + ((i * 37) % 97)));
  notes.push(note(46, 80000, 100, 120), note(42, 90000, 100, 100), note(46, 100000, 100, 90));
  notes.push(note(49, length - 30000, 100, 127), note(51, length - 1025, 100, 100), note(36, length - 1, 100, 100));
  for (let i = 0; i < 60; i++) notes.push(note(pads[Math.floor(random() * pads.length)], Math.floor(random() * length), 100, 1 + Math.floor(random() * 127)));
  return sorted(notes);
}

const LENGTH = 3 * RATE;

const CASES: Case[] = [
  {
    name: 'synth defaults: chords, overlaps, edge-crossing notes',
    factory: synth as unknown as InstrumentFactory<object>,
    options: synth().options,
    notes: synthNotes(LENGTH, 11),
    length: LENGTH,
    channels: 1,
    seed: 3,
    digest: '71f909ca4729c839794c0cec65fd7965ed3bc9dfae61100e83377dffd7f5c4c4',
  },
  {
    name: 'synth unison 5, pitch LFO, cutoff automation, square, stereo output',
    factory: synth as unknown as InstrumentFactory<object>,
    options: synth({ wave: 'square', unison: 5, unisonDetune: 30, lfo: { target: 'pitch', depth: 20, rate: '8n', shape: 'triangle' } }).options,
    notes: synthNotes(LENGTH, 12),
    length: LENGTH,
    channels: 2,
    seed: 7,
    beatSeconds: 0.4,
    automation: { 'filter.cutoff': cutoffCurve(LENGTH) },
    digest: '48995261fbc7c779423c3347f311cc9b67787e37460e20321d7378f476572959',
  },
  {
    name: 'synth cutoff LFO, triangle, resonant',
    factory: synth as unknown as InstrumentFactory<object>,
    options: synth({ wave: 'triangle', filter: { resonance: 0.8, envAmount: -1 }, lfo: { target: 'cutoff', depth: 1.5, rate: 0.3, shape: 'saw' } }).options,
    notes: synthNotes(LENGTH, 13),
    length: LENGTH,
    channels: 1,
    seed: 9,
    digest: 'e0eb53154ac3aab5bb58a2fc53399728956026427d6eddb123796fb0a96d564f',
  },
  {
    name: 'synth tremolo, sine, unison 2',
    factory: synth as unknown as InstrumentFactory<object>,
    options: synth({ wave: 'sine', unison: 2, octave: 1, lfo: { target: 'amp', depth: 0.7, rate: 0.25, shape: 'square' } }).options,
    notes: synthNotes(LENGTH, 14),
    length: LENGTH,
    channels: 1,
    seed: 5,
    digest: '197e3564bd2f534be801b94ec4f3e309d51e57535b248b0339c2db5ff0018de4',
  },
  {
    name: 'drums: every pad, chokes, long tails',
    factory: drums as unknown as InstrumentFactory<object>,
    options: drums().options,
    notes: drumNotes(LENGTH, 21),
    length: LENGTH,
    channels: 1,
    seed: 17,
    digest: '97981737c3fab286d208688f35b10cc31d0a652bf754091883df8420a5798ad1',
  },
  {
    name: 'drums: retuned, stereo output',
    factory: drums as unknown as InstrumentFactory<object>,
    options: drums({ crash: { decay: 4, tone: 0.9 }, ride: { bell: 0.6 }, openHat: { decay: 1.5 }, kick: { decay: 1 } }).options,
    notes: drumNotes(LENGTH, 22),
    length: LENGTH,
    channels: 2,
    seed: 19,
    digest: 'b33f4d4d53db61434610edc949eb1305a7dfd4f5f803e223e38b6a6470a0f692',
  },
];

function wholeRender(c: Case): Float32Array[] {
  const output = Array.from({ length: c.channels }, () => new Float32Array(c.length));
  renderInstrument(c.factory.definition, { sampleRate: RATE, options: c.options, notes: c.notes, output, seed: c.seed, beatSeconds: c.beatSeconds, automation: c.automation, readAudio: noFiles, readFile: noFiles, openFile: noFiles });
  return output;
}

/** The song through `stream()`, in blocks of the sizes `next()` gives. */
function streamRender(c: Case, next: () => number): Float32Array[] {
  const definition = c.factory.definition;
  if (!definition.stream) throw new Error(`${definition.name} has no stream()`);
  const output = Array.from({ length: c.channels }, () => new Float32Array(c.length));
  const stream = definition.stream({ sampleRate: RATE, options: c.options, notes: c.notes, seed: c.seed, beatSeconds: c.beatSeconds, automation: c.automation, readAudio: noFiles, readFile: noFiles, openFile: noFiles, lengthSamples: c.length, channelCount: c.channels });
  for (let start = 0; start < c.length; ) {
    const size = Math.min(c.length - start, next());
    stream.render(start, output.map((channel) => channel.subarray(start, start + size)));
    start += size;
  }
  return output;
}

function digest(channels: Float32Array[]): string {
  const hash = createHash('sha256');
  for (const channel of channels) hash.update(new Uint8Array(channel.buffer, channel.byteOffset, channel.byteLength));
  return hash.digest('hex');
}

/** Element by element, so a mismatch names its channel and frame. */
function expectSame(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  for (let c = 0; c < expected.length; c++) {
    const a = actual[c];
    const e = expected[c];
    expect(a.length).toBe(e.length);
    for (let i = 0; i < e.length; i++) {
      if (!Object.is(a[i], e[i])) expect({ channel: c, frame: i, value: a[i] }).toEqual({ channel: c, frame: i, value: e[i] });
    }
  }
}

describe('synth and drums stream in blocks with the bits of the whole-song render', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const whole = wholeRender(c);
      it('renders the bits the whole-song render() gave', () => {
        expect(whole.some((channel) => channel.some((value) => value !== 0))).toBe(true);
        expect(digest(whole)).toBe(c.digest);
      });
      it.each([
        ['one whole-song block', () => c.length],
        ['1,024-frame blocks', () => 1024],
        ['333-frame blocks', () => 333],
        ['1-frame blocks', () => 1],
      ])('%s', (_, next) => expectSame(streamRender(c, next), whole));
      it('random block sizes', () => {
        const random = createRandom(c.seed + 100);
        expectSame(streamRender(c, () => 1 + Math.floor(random() * 3000)), whole);
      });
    });
  }
});

/** The most voices of `notes` sounding at once with `synth` at these options (note-on to the end of the release, cut at the song's end). */
function mostAtOnce(notes: readonly NoteEvent[], release: number, length: number): number {
  const edges: [number, number][] = [];
  for (const n of notes) {
    if (n.startSample >= length) continue;
    edges.push([n.startSample, 1], [Math.min(length, n.startSample + n.lengthSamples + Math.max(1, Math.round(release * RATE))), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let sounding = 0;
  let most = 0;
  for (const [, change] of edges) most = Math.max(most, (sounding += change));
  return most;
}

function renderSynth(options: Parameters<typeof synth>[0], notes: NoteEvent[], length: number): Float32Array[] {
  const output = [new Float32Array(length)];
  renderInstrument(synth.definition, { sampleRate: RATE, options: synth(options).options, notes, output, seed: 1, readAudio: noFiles, readFile: noFiles, openFile: noFiles });
  return output;
}

describe('synth polyphony: voice stealing', () => {
  const FADE = Math.round(0.002 * RATE);
  const HELD = { attack: 0.005, decay: 0.05, sustain: 0.8, release: 0.5 };
  const t1 = 24000;

  it('defaults to 64 voices and checks the option', () => {
    expect(synth().options.polyphony).toBe(64);
    expect(synth.definition.validate!(synth({ polyphony: 0 }).options)).toContain('polyphony must be a whole number of voices from 1 to 1024');
    expect(synth.definition.validate!(synth({ polyphony: 2.5 }).options)).toContain('polyphony must be a whole number of voices from 1 to 1024');
    expect(synth.definition.validate!(synth({ polyphony: 8 }).options)).toEqual([]);
  });

  it('changes nothing while the notes stay within it, and steals once they do not', () => {
    for (const c of CASES.filter((c) => c.factory === (synth as unknown))) {
      const options = c.options as ReturnType<typeof synth>['options'];
      const most = mostAtOnce(c.notes, options.envelope.release, c.length);
      expect(most).toBeLessThan(64);
      const at = (polyphony: number) => {
        const output = Array.from({ length: c.channels }, () => new Float32Array(c.length));
        renderInstrument(synth.definition, { sampleRate: RATE, options: { ...options, polyphony }, notes: c.notes, output, seed: c.seed, beatSeconds: c.beatSeconds, automation: c.automation, readAudio: noFiles, readFile: noFiles, openFile: noFiles });
        return output;
      };
      expect(digest(at(most))).toBe(c.digest);
      expect(digest(at(most - 1))).not.toBe(c.digest);
    }
  });

  it('holds at most N notes: N + k held notes leave exactly the newest N sounding once the stolen ones have faded', () => {
    const N = 4;
    const k = 3;
    const length = 2 * RATE;
    const first = [48, 52, 55, 59].map((pitch) => note(pitch, 0, length, 100));
    const later = [60, 64, 67].map((pitch) => note(pitch, t1, length, 100));
    const capped = renderSynth({ polyphony: N, envelope: HELD }, [...first, ...later], length)[0];
    // The k oldest were stolen at t1: afterwards only the last N - k of the first notes and the k new ones sound.
    const survivors = renderSynth({ envelope: HELD }, [...first.slice(k), ...later], length)[0];
    const everything = renderSynth({ envelope: HELD }, [...first, ...later], length)[0];
    expect(capped.subarray(0, t1)).toEqual(everything.subarray(0, t1));
    expect(capped.subarray(t1 + FADE)).toEqual(survivors.subarray(t1 + FADE));
    expect(capped.subarray(t1 + FADE)).not.toEqual(everything.subarray(t1 + FADE));
  });

  it('fades a stolen voice linearly to 0 within 2 ms', () => {
    const length = RATE;
    const a = note(45, 0, length, 110);
    const b = note(69, t1, length, 90);
    const stolen = renderSynth({ polyphony: 1, envelope: HELD }, [a, b], length)[0];
    const alone = renderSynth({ envelope: HELD }, [a], length)[0];
    const newcomer = renderSynth({ envelope: HELD }, [b], length)[0];
    expect(stolen.subarray(0, t1)).toEqual(alone.subarray(0, t1));
    expect(stolen.subarray(t1 + FADE)).toEqual(newcomer.subarray(t1 + FADE));
    // Inside the fade: what is left of the old voice is its own signal times 1 − (i − t1) / FADE.
    let loudest = 0;
    for (let i = t1; i < t1 + FADE; i++) {
      const gain = 1 - (i - t1) / FADE;
      expect(Math.abs(stolen[i] - newcomer[i] - alone[i] * gain)).toBeLessThan(1e-6);
      loudest = Math.max(loudest, Math.abs(alone[i]));
    }
    expect(loudest).toBeGreaterThan(0.05);
  });

  it('steals the oldest released voice before an older held one', () => {
    const length = 2 * RATE;
    // Note 1 is released (note-off at 12,000, its 0.5 s release still ringing at t1); note 0 is older but held.
    const notes = [note(48, 0, length, 100), note(52, 100, 12000, 100), note(55, 200, length, 100), note(60, t1, length, 100)];
    const capped = renderSynth({ polyphony: 3, envelope: HELD }, notes, length)[0];
    const withoutReleased = renderSynth({ envelope: HELD }, [notes[0], notes[2], notes[3]], length)[0];
    expect(capped.subarray(t1 + FADE)).toEqual(withoutReleased.subarray(t1 + FADE));
  });

  it('steals the same voices whatever the block sizes', () => {
    const c = { ...CASES[1], options: { ...(CASES[1].options as ReturnType<typeof synth>['options']), polyphony: 3 } };
    const whole = wholeRender(c);
    expect(digest(whole)).not.toBe(CASES[1].digest);
    for (const size of [1024, 333, 1]) expectSame(streamRender(c, () => size), whole);
    const random = createRandom(5);
    expectSame(streamRender(c, () => 1 + Math.floor(random() * 3000)), whole);
  });
});
