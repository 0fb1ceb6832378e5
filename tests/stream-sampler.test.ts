/**
 * The sample-playing instruments (sampler, soundfont, slicer, kit) render block by block
 * through `stream()`: any partition of the song into blocks gives exactly the samples of the
 * whole song in one block, and those are the samples the whole-song `render()` gave before
 * the instruments were streamed (the sha256 constants below were computed from main's code
 * at 1fcc6d5, before the change).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderInstrument, type AudioFileData, type InstrumentFactory, type InstrumentRenderContext, type NoteEvent } from '../src/ir/plugin.ts';
import { createRandom } from '../src/dsp/random.ts';
import { kit } from '../src/instruments/kit.ts';
import { sampler } from '../src/instruments/sampler.ts';
import { slicer } from '../src/instruments/slicer.ts';
import { loadSf2, soundfont } from '../src/instruments/soundfont.ts';
import { writeSf2, type Sf2SampleInput } from '../src/io/sf2-write.ts';
import { openBytes } from './helpers/instrument.ts';

const RATE = 48000;

/** A deterministic test signal: a few partials with a decay and some seeded noise. */
function tone(frames: number, period: number, seed: number, decay = 3): Float32Array {
  const random = createRandom(seed);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    const phase = (2 * Math.PI * i) / period;
    out[i] = (0.5 * Math.sin(phase) + 0.2 * Math.sin(3 * phase + 0.3) + 0.05 * (random() * 2 - 1)) * Math.exp((-decay * i) / frames);
  }
  return out;
}

/** Seeded notes: `count` of them over `frames`, pitches in [low, high], sorted as the build sorts them. */
function randomNotes(seed: number, count: number, frames: number, low: number, high: number, maxLength: number): NoteEvent[] {
  const random = createRandom(seed);
  const notes: NoteEvent[] = [];
  for (let i = 0; i < count; i++) {
    // Every fifth note shares the previous note's start (chords, equal-time exclusive-class triggers).
    const startSample = i % 5 === 4 && notes.length ? notes[notes.length - 1].startSample : Math.floor(random() * frames * 0.95);
    notes.push({
      pitch: low + Math.floor(random() * (high - low + 1)),
      velocity: 1 + Math.floor(random() * 127),
      startSample,
      lengthSamples: 1 + Math.floor(random() * maxLength),
      startTick: 0,
      lengthTicks: 960,
    });
  }
  notes.push({ pitch: low, velocity: 100, startSample: 0, lengthSamples: 2000, startTick: 0, lengthTicks: 960 });
  // One note rings past the song's end: its sound is cut there.
  notes.push({ pitch: high, velocity: 90, startSample: frames - 300, lengthSamples: 5000, startTick: 0, lengthTicks: 960 });
  return notes.sort((a, b) => a.startSample - b.startSample || a.pitch - b.pitch || a.lengthSamples - b.lengthSamples || a.velocity - b.velocity);
}

interface Case {
  readonly factory: InstrumentFactory<object>;
  readonly options: object;
  readonly notes: readonly NoteEvent[];
  readonly frames: number;
  readonly audio?: Readonly<Record<string, AudioFileData>>;
  readonly bytes?: Readonly<Record<string, Uint8Array>>;
}

function context(c: Case): Omit<InstrumentRenderContext<object>, 'output'> {
  return {
    sampleRate: RATE,
    options: c.factory(c.options as never).options,
    notes: c.notes,
    seed: 0x5eed,
    beatSeconds: 0.5,
    readAudio: (path) => {
      const audio = c.audio?.[path];
      if (!audio) throw new Error(`undeclared audio ${path}`);
      return audio;
    },
    readFile: (path) => {
      const bytes = c.bytes?.[path];
      if (!bytes) throw new Error(`undeclared file ${path}`);
      return bytes;
    },
    openFile: (path) => {
      const bytes = c.bytes?.[path];
      if (!bytes) throw new Error(`undeclared file ${path}`);
      return openBytes(bytes);
    },
  };
}

/** The whole song in one call, as the build renders a track without the streamed engine. */
function renderWhole(c: Case): Float32Array[] {
  const output = Array.from({ length: c.factory.definition.channels ?? 2 }, () => new Float32Array(c.frames));
  renderInstrument(c.factory.definition, { ...context(c), output });
  return output;
}

/** The song through `stream()` in blocks of the sizes `next()` gives, copied into song-long arrays. */
function renderBlocks(c: Case, next: () => number): Float32Array[] {
  const channelCount = c.factory.definition.channels ?? 2;
  const stream = c.factory.definition.stream!({ ...context(c), lengthSamples: c.frames, channelCount });
  const output = Array.from({ length: channelCount }, () => new Float32Array(c.frames));
  for (let start = 0; start < c.frames; ) {
    const size = Math.min(next(), c.frames - start);
    const block = Array.from({ length: channelCount }, () => new Float32Array(size));
    stream.render(start, block);
    block.forEach((data, channel) => output[channel].set(data, start));
    start += size;
  }
  return output;
}

function sha256(channels: readonly Float32Array[]): string {
  const hash = createHash('sha256');
  for (const data of channels) hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return hash.digest('hex');
}

function energy(channels: readonly Float32Array[]): number {
  let sum = 0;
  for (const data of channels) for (const value of data) sum += value * value;
  return sum;
}

// --- the cases -----------------------------------------------------------------------------

const monoA: AudioFileData = { sampleRate: RATE, channels: [tone(19200, 97, 1)] };
const stereoB: AudioFileData = { sampleRate: RATE, channels: [tone(14400, 61, 2, 1), tone(14400, 67, 3, 1)] };
const hit: AudioFileData = { sampleRate: RATE, channels: [tone(6000, 23, 4, 8)] };
const hat: AudioFileData = { sampleRate: RATE, channels: [tone(9000, 7, 5, 5), tone(9000, 9, 6, 5)] };
const loop: AudioFileData = { sampleRate: RATE, channels: [tone(48000, 113, 7, 0.5), tone(48000, 109, 8, 0.5)] };

const SONG = 96000;

const loopingSampler: Case = {
  factory: sampler as InstrumentFactory<object>,
  options: {
    zones: [
      // A sustain loop on arbitrary (not period-aligned) points, played from below and above its root.
      { file: 'a.wav', keys: [0, 59], root: 48, loop: { mode: 'sustain', start: 0.1, end: 0.2013 } },
      // A stereo file looping for the whole voice, panned; a velocity layer over it.
      { file: 'b.wav', keys: [60, 71], root: 60, pan: 0.3, loop: { mode: 'forward', start: 0.05, end: 0.25 } },
      { file: 'a.wav', keys: [60, 71], velocities: [100, 127], root: 66, gain: -6, tune: 7 },
      // A round-robin pair in one exclusive class: each cuts the other's sounding voices.
      { file: 'a.wav', keys: [72, 127], root: 84, tune: 13, group: 1, exclusiveClass: 2 },
      { file: 'b.wav', keys: [72, 127], root: 80, start: 0.01, end: 0.2, group: 1, exclusiveClass: 2, pan: -0.5 },
      // A short loop (a few frames: the unrolled buffer wraps many times per block).
      { file: 'a.wav', keys: [0, 40], root: 30, loop: { mode: 'forward', start: 0.2, end: 0.20015 }, gain: -12 },
    ],
    envelope: { delay: 0.004, attack: 0.02, hold: 0.01, decay: 0.1, sustain: 0.6, release: 0.08 },
    roundRobin: 'random',
  },
  notes: randomNotes(11, 70, SONG, 24, 100, 30000),
  frames: SONG,
  audio: { 'a.wav': monoA, 'b.wav': stereoB },
};

const oneShotSampler: Case = {
  factory: sampler as InstrumentFactory<object>,
  options: {
    zones: [
      // Rate 1 on the root (the copy path), transposed elsewhere; cycle round robin.
      { file: 'a.wav', keys: [0, 127], root: 60, group: 1 },
      { file: 'b.wav', keys: [0, 127], root: 60, group: 1, exclusiveClass: 1 },
      { file: 'b.wav', keys: [60, 60], root: 60, end: 0.1 },
    ],
    envelope: { delay: 0, attack: 0, hold: 0, decay: 0, sustain: 1, release: 0.002 },
    velocitySensitivity: 0.5,
  },
  notes: randomNotes(12, 60, SONG, 55, 65, 20000).map((note, i) => (i % 3 ? note : { ...note, pitch: 60 })),
  frames: SONG,
  audio: { 'a.wav': monoA, 'b.wav': stereoB },
};

function sf2Sample(name: string, period: number, frames: number, rootKey: number, seed: number): Sf2SampleInput {
  const data = tone(frames, period, seed, 0.7);
  return { name, data, sampleRate: 32000, rootKey, loopStart: Math.floor(frames / 2 / period) * period + 3, loopEnd: Math.floor(frames / period) * period - 5 };
}

const sf2 = writeSf2({
  samples: [sf2Sample('low', 64, 6400, 48, 21), sf2Sample('high', 32, 4000, 72, 22), sf2Sample('left', 50, 5000, 60, 23), sf2Sample('right', 50, 5000, 60, 24), sf2Sample('perc', 11, 3000, 60, 25)],
  presets: [
    {
      name: 'Keys',
      bank: 0,
      program: 0,
      global: { attackTimecents: -3000, holdTimecents: -4000, decayTimecents: -1200, sustainCentibels: 150, releaseTimecents: -1500 },
      zones: [
        { sample: 'low', keyRange: [0, 59], sampleModes: 1 },
        { sample: 'high', keyRange: [60, 127], sampleModes: 3, keynumToDecay: 40, keynumToHold: 20, fineTune: 17 },
        { sample: 'high', keyRange: [60, 90], velRange: [90, 127], sampleModes: 0, attenuation: 60, pan: -200 },
      ],
      presetGenerators: { releaseTimecents: 200, pan: 50 },
    },
    {
      // A stereo pair (hard left + hard right, same length): merged into one two-channel voice.
      name: 'Pad',
      bank: 0,
      program: 1,
      zones: [
        { sample: 'left', keyRange: [0, 127], pan: -500, sampleModes: 3, attackTimecents: -2000, releaseTimecents: -1000 },
        { sample: 'right', keyRange: [0, 127], pan: 500, sampleModes: 3, attackTimecents: -2000, releaseTimecents: -1000 },
      ],
    },
    {
      name: 'Kit',
      bank: 128,
      program: 0,
      zones: [
        { sample: 'perc', keyRange: [42, 42], exclusiveClass: 1, releaseTimecents: -2000 },
        { sample: 'perc', keyRange: [46, 46], exclusiveClass: 1, coarseTune: -5, sampleModes: 1 },
        { sample: 'low', keyRange: [36, 36], delayTimecents: -4000 },
      ],
    },
  ],
});

function soundfontCase(options: object, notes: readonly NoteEvent[]): Case {
  return { factory: soundfont as InstrumentFactory<object>, options: { file: 'bank.sf2', tail: 0.5, ...options }, notes, frames: SONG, bytes: { 'bank.sf2': sf2 } };
}

const sfKeys = soundfontCase({ program: 0 }, randomNotes(31, 60, SONG, 30, 100, 25000));
const sfKeysSinc = soundfontCase({ program: 0, interpolation: 'sinc', gain: -3 }, randomNotes(32, 40, SONG, 30, 100, 25000));
const sfPad = soundfontCase({ program: 1 }, randomNotes(33, 30, SONG, 40, 90, 40000));
const sfKit = soundfontCase({ bank: 128, program: 0 }, randomNotes(34, 80, SONG, 36, 46, 3000));

const slices: Case = {
  factory: slicer as InstrumentFactory<object>,
  options: { file: 'loop.wav', slices: 8, rootNote: 36, envelope: { delay: 0, attack: 0.001, hold: 0, decay: 0.05, sustain: 0.7, release: 0.01 } },
  notes: randomNotes(41, 50, SONG, 34, 46, 12000),
  frames: SONG,
  audio: { 'loop.wav': loop },
};

const drumKit: Case = {
  factory: kit as InstrumentFactory<object>,
  options: {
    pads: {
      36: { synth: 'kick', options: { tune: 50 } },
      38: { sample: 'hit.wav', gain: -2, tune: 30 },
      40: { sample: 'hit.wav', pan: 0.4 },
      42: { sample: 'hat.wav', choke: 1 },
      44: { synth: 'pedalHat', choke: 1, pan: -0.3 },
      46: { sample: 'hat.wav', choke: 1, tune: -200, pan: 0.2 },
      49: { synth: 'crash', gain: -6 },
    },
    tail: 0.3,
  },
  notes: randomNotes(51, 90, SONG, 36, 49, 4000).filter((note) => [36, 38, 40, 42, 44, 46, 49].includes(note.pitch)),
  frames: SONG,
  audio: { 'hit.wav': hit, 'hat.wav': hat },
};

/** sha256 of each case's output as main rendered it before the instruments were streamed. */
const CASES: Record<string, [Case, string]> = {
  'sampler, looping (sustain, forward, short loops), stereo and mono files, random round robin, exclusive class': [loopingSampler, 'ddf15b5f70f27c44a592de92ce8740f18247a49a393c1b2930dea85c0ed857ee'],
  'sampler, one-shot, rate-1 copies and transposed reads, cycle round robin': [oneShotSampler, 'dc6feeb14a6b41dc0ad0567e7ac78af3b8d30f23d3c3eb571523b527a6b0f892'],
  'soundfont, looping and sustain-loop zones with envelopes, key-scaled decay, cubic': [sfKeys, 'b44dbd85cf2f8827ecdfed00751069af1b6865a9685482847caf46c1d704618a'],
  'soundfont, the same preset read through the sinc kernel': [sfKeysSinc, 'ac026f3181fac99229064cad514a5cacaf2c025d2e77171100b91d7727a48713'],
  'soundfont, a stereo pair merged into one voice': [sfPad, 'e38261b4a2f2cb3b7a1ba1f651d1cc7969693f8fc1c9fc986a230cd49526945f'],
  'soundfont, percussion with an exclusive class': [sfKit, 'e53ff5ef873cc07e5e03f740de594bc56fe1a6fd9862c6238f64f0068eb0c16b'],
  'slicer, eight slices with an envelope': [slices, 'd50af6622d019d0799671f400223daf725a0bc8a34b2f0dc452bb6dd56510b54'],
  'kit, sample and synth pads in one choke group': [drumKit, '3d60f69225e7a30548fd88baa9914785477c4f8c004bf8526e1c6532f10ef6e6'],
};

describe('streamed sample instruments', () => {
  for (const [name, [c, expected]] of Object.entries(CASES)) {
    describe(name, () => {
      const whole = renderWhole(c);
      it('renders the bytes main rendered before streaming', () => {
        expect(energy(whole)).toBeGreaterThan(1);
        expect(sha256(whole)).toBe(expected);
      });
      const partitions: Record<string, () => () => number> = {
        'blocks of 1,024': () => () => 1024,
        'blocks of 333': () => () => 333,
        'blocks of 1': () => () => 1,
        'random blocks 1–3,000': () => {
          const random = createRandom(name.length);
          return () => 1 + Math.floor(random() * 3000);
        },
        'the whole song as one block': () => () => c.frames,
      };
      for (const [label, sizes] of Object.entries(partitions)) {
        it(`gives the same Float32 samples in ${label}`, () => {
          const blocks = renderBlocks(c, sizes());
          for (let channel = 0; channel < whole.length; channel++) {
            // Exact equality: compare the bit patterns, so -0/+0 and NaN would count too.
            const a = new Uint32Array(whole[channel].buffer);
            const b = new Uint32Array(blocks[channel].buffer);
            let first = -1;
            for (let i = 0; i < a.length && first < 0; i++) if (a[i] !== b[i]) first = i;
            expect(first, `${label}: first differing frame on channel ${channel}`).toBe(-1);
          }
        });
      }
    });
  }
});

describe('SoundFont sample memory', () => {
  const bytes = writeSf2({
    samples: [sf2Sample('low', 64, 6400, 48, 61), sf2Sample('high', 32, 4000, 72, 62)],
    presets: [
      {
        name: 'Split',
        bank: 0,
        program: 0,
        zones: [
          // Key-scaled decay: one zone per key, all over the same stretch of 'low'.
          { sample: 'low', keyRange: [0, 59], sampleModes: 1, keynumToDecay: 30 },
          { sample: 'high', keyRange: [60, 127], sampleModes: 3 },
        ],
      },
    ],
  });
  const notes = (pitches: number[]): NoteEvent[] => pitches.map((pitch, i) => ({ pitch, velocity: 100, startSample: i * 2000, lengthSamples: 3000, startTick: 0, lengthTicks: 960 }));
  const track = (pitches: number[]): Case => ({ factory: soundfont as InstrumentFactory<object>, options: { file: 'split.sf2' }, notes: notes(pitches), frames: 24000, bytes: { 'split.sf2': bytes } });

  it('decodes only the samples notes reach, once per bank, shared by the per-key zones and by every track', () => {
    const bank = loadSf2(bytes);
    expect(bank.voiceBuffers.frames).toBe(0);
    // Five keys below 60: five per-key zones, one stretch of 'low' (its loop unrolled, padded).
    renderBlocks(track([40, 41, 45, 50, 59]), () => 1024);
    const low = bank.voiceBuffers.frames;
    expect(low).toBeGreaterThan(6400);
    expect(low).toBeLessThan(2 * 6400);
    // A second track on the same bank, the same keys: nothing more is built.
    renderBlocks(track([59, 40]), () => 333);
    expect(bank.voiceBuffers.frames).toBe(low);
    // A note above 60 reaches 'high': now (and only now) it is decoded.
    renderBlocks(track([72]), () => 1024);
    expect(bank.voiceBuffers.frames).toBeGreaterThan(low + 4000);
  });
});
