import { renderInstrument } from '../src/ir/plugin.ts';
import { describe, expect, it } from 'vitest';
import type { AudioFileData, InstrumentFactory, NoteEvent } from '../src/ir/plugin.ts';
import { audioTrack, clip } from '../src/instruments/audio-track.ts';
import { clipPlayer } from '../src/instruments/clips.ts';
import { drums } from '../src/instruments/drums.ts';
import { kit } from '../src/instruments/kit.ts';
import { renderZones, type RenderZonesOptions } from '../src/instruments/sampler-engine.ts';
import { sampler } from '../src/instruments/sampler.ts';
import { sliceBoundaries, slicer } from '../src/instruments/slicer.ts';
import { mixSeed } from '../src/dsp/random.ts';
import type { SampleSource, SampleZone, ZoneEnvelope } from '../src/instruments/zones.ts';
import { midiToFrequency } from '../src/theory/pitch.ts';
import { peak, peakFrequency, spectrum } from './helpers/audio.ts';
import { openBytes } from './helpers/instrument.ts';

const RATE = 48000;
const CENTRE = Math.SQRT1_2; // constant-power pan of a mono sample at centre

function sine(frequency: number, seconds: number, amplitude = 0.5, rate = RATE): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / rate);
  return out;
}

function constant(value: number, frames: number): Float32Array {
  return new Float32Array(frames).fill(value);
}

const INSTANT: ZoneEnvelope = { delay: 0, attack: 0, hold: 0, decay: 0, sustain: 1, release: 0.001 };

function zone(sample: string, overrides: Partial<SampleZone> = {}): SampleZone {
  return {
    sample,
    keyLow: 0,
    keyHigh: 127,
    velocityLow: 0,
    velocityHigh: 127,
    rootKey: 60,
    tune: 0,
    keyTrack: 100,
    start: 0,
    end: Number.MAX_SAFE_INTEGER,
    loop: { mode: 'none', start: 0, end: 0 },
    gainDb: 0,
    pan: 0,
    envelope: INSTANT,
    roundRobinGroup: 0,
    exclusiveClass: 0,
    ...overrides,
  };
}

function note(pitch: number, startSample: number, lengthSamples: number, velocity = 127): NoteEvent {
  return { pitch, velocity, startSample, lengthSamples, startTick: 0, lengthTicks: 960 };
}

function sources(entries: Record<string, Float32Array | Float32Array[]>): Map<string, SampleSource> {
  return new Map(Object.entries(entries).map(([key, data]) => [key, { sampleRate: RATE, channels: Array.isArray(data) ? data : [data] }]));
}

/** Samples the interpolation kernel may ring past a sample's end. */
const ZERO_SLACK = 2;

const FLAT: RenderZonesOptions = { roundRobin: 'cycle', velocitySensitivity: 0 };

function renderEngine(zones: SampleZone[], src: Map<string, SampleSource>, notes: NoteEvent[], seconds: number, options: RenderZonesOptions = FLAT, seed = 1) {
  const output = [new Float32Array(Math.round(seconds * RATE)), new Float32Array(Math.round(seconds * RATE))];
  renderZones(zones, src, notes, output, RATE, seed, options);
  return output;
}

/** Largest sample-to-sample jump in [from, to). */
function maxJump(signal: Float32Array, from: number, to: number): number {
  let max = 0;
  for (let i = from + 1; i < to; i++) max = Math.max(max, Math.abs(signal[i] - signal[i - 1]));
  return max;
}

function lastNonSilent(signal: Float32Array): number {
  for (let i = signal.length - 1; i >= 0; i--) if (signal[i] !== 0) return i;
  return -1;
}

describe('renderZones', () => {
  it('maps pitch across zones: each note sounds at its equal-tempered frequency within 1 Hz', () => {
    // Zone A: middle C recorded at root 60 for keys 0–72; zone B: A5 (880 Hz) at root 81 for keys 73–96.
    const src = sources({ c4: sine(midiToFrequency(60), 6), a5: sine(880, 6) });
    const zones = [zone('c4', { keyLow: 0, keyHigh: 72, rootKey: 60 }), zone('a5', { keyLow: 73, keyHigh: 96, rootKey: 81 })];
    for (const pitch of [48, 60, 72, 76, 90]) {
      const [left] = renderEngine(zones, src, [note(pitch, 0, 2 * RATE)], 2);
      const expected = midiToFrequency(pitch);
      const measured = peakFrequency(left, RATE, 2400, 65536, expected * 0.7, expected * 1.3);
      expect(Math.abs(measured - expected), `key ${pitch}: ${measured} Hz`).toBeLessThan(1);
    }
  });

  it('plays a sample bit-exactly at its root key, from the note start sample', () => {
    const data = sine(1000, 0.1);
    const [left, right] = renderEngine([zone('s', { envelope: { ...INSTANT, release: 1 } })], sources({ s: data }), [note(60, 777, RATE)], 0.5);
    expect(peak(left, 0, 777)).toBe(0);
    for (let i = 0; i < data.length; i++) {
      expect(left[777 + i]).toBe(Math.fround(data[i] * CENTRE));
      expect(right[777 + i]).toBe(Math.fround(data[i] * CENTRE));
    }
    expect(lastNonSilent(left)).toBeLessThan(777 + data.length); // ends with the sample
  });

  it('renders into a single output channel: mono samples as they are, stereo ones averaged, pan ignored', () => {
    const data = sine(700, 0.05);
    const inverted = data.map((v) => -v * 0.5);
    const output = [new Float32Array(RATE)];
    const src = sources({ m: data, s: [data, inverted] });
    renderZones([zone('m', { keyHigh: 60, pan: 1 }), zone('s', { keyLow: 61, rootKey: 61 })], src, [note(60, 0, RATE), note(61, 10000, RATE), note(62, 20000, RATE)], output, RATE, 1, FLAT);
    for (let i = 0; i < data.length; i += 3) {
      expect(output[0][i]).toBe(data[i]);
      expect(output[0][10000 + i]).toBeCloseTo((data[i] + inverted[i]) / 2, 7);
    }
    // Transposed (interpolated), still the same level.
    expect(peak(output[0], 20000, 20000 + 2000)).toBeCloseTo(0.125, 2);
  });

  it('selects velocity layers: velocity 40 plays layer 1, 110 plays layer 2', () => {
    const src = sources({ soft: sine(440, 2), hard: sine(660, 2) });
    const zones = [zone('soft', { velocityLow: 1, velocityHigh: 64 }), zone('hard', { velocityLow: 65, velocityHigh: 127 })];
    for (const [velocity, expected, other] of [
      [40, 440, 660],
      [110, 660, 440],
    ] as const) {
      const [left] = renderEngine(zones, src, [note(60, 0, 2 * RATE, velocity)], 2);
      const magnitudes = spectrum(left, 0, 65536);
      const bin = (hz: number) => Math.round((hz * 65536) / RATE);
      expect(Math.abs(peakFrequency(left, RATE, 0, 65536, 100, 2000) - expected)).toBeLessThan(1);
      expect(20 * Math.log10(magnitudes[bin(other)] / magnitudes[bin(expected)])).toBeLessThan(-80);
    }
  });

  /** Which of the (constant-valued) samples each note played, by its level just after the note's start. */
  function playedBy(left: Float32Array, notes: NoteEvent[], levels: number[]): number[] {
    return notes.map((n) => levels.findIndex((level) => Math.abs(left[n.startSample + 10] - level * CENTRE) < 1e-6));
  }

  it('cycles round-robin zones deterministically in note order (A, B, A, B)', () => {
    const src = sources({ a: constant(0.1, 1000), b: constant(0.2, 1000), layer: constant(0.05, 1000) });
    const zones = [zone('a', { roundRobinGroup: 1 }), zone('b', { roundRobinGroup: 1 })];
    const notes = [0, 1, 2, 3].map((i) => note(60, i * 2000, 500));
    const [left] = renderEngine(zones, src, notes, 1);
    expect(playedBy(left, notes, [0.1, 0.2])).toEqual([0, 1, 0, 1]);
    // A group-0 zone layers on top of whichever round-robin zone plays.
    const [layered] = renderEngine([...zones, zone('layer')], src, notes, 1);
    expect(playedBy(layered, notes, [0.15, 0.25])).toEqual([0, 1, 0, 1]);
  });

  it('picks round-robin zones at random from the seed: repeatable, never the same twice in a row', () => {
    const src = sources({ a: constant(0.1, 1000), b: constant(0.2, 1000), c: constant(0.3, 1000) });
    const zones = ['a', 'b', 'c'].map((s) => zone(s, { roundRobinGroup: 2 }));
    const notes = Array.from({ length: 24 }, (_, i) => note(60, i * 2000, 500));
    const options: RenderZonesOptions = { roundRobin: 'random', velocitySensitivity: 0 };
    const pick = (seed: number) => playedBy(renderEngine(zones, src, notes, 1.1, options, seed)[0], notes, [0.1, 0.2, 0.3]);
    const first = pick(42);
    expect(pick(42)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([0, 1, 2]));
    for (let i = 1; i < first.length; i++) expect(first[i]).not.toBe(first[i - 1]);
    expect(pick(43)).not.toEqual(first);
  });

  it('loops a sample of exactly N periods with no click at the seam, at the root and transposed', () => {
    // 480 Hz at 48 kHz: 100 frames a period. Loop frames 1000–2000: ten periods, from a zero crossing.
    const data = sine(480, 0.1);
    const src = sources({ s: data });
    const forward = zone('s', { loop: { mode: 'forward', start: 1000, end: 2000 } });
    for (const [pitch, label] of [
      [60, 'root'],
      [65, 'a fourth up'],
      [53, 'a fifth down'],
    ] as const) {
      const [left] = renderEngine([forward], src, [note(pitch, 0, 2 * RATE)], 2);
      const frequency = 480 * Math.pow(2, (pitch - 60) / 12);
      const slope = 2 * Math.PI * (frequency / RATE) * 0.5 * CENTRE;
      // Many seams pass in 2 s (the loop lasts about 21 ms): none may jump more than the sine itself.
      expect(maxJump(left, 100, 2 * RATE - 100), label).toBeLessThanOrEqual(slope * 1.05);
      expect(peak(left, RATE, 2 * RATE), label).toBeGreaterThan(0.5 * CENTRE * 0.99);
    }
    // The measure does catch a click: a loop of 10.25 periods jumps from a crest to zero at every seam.
    const [broken] = renderEngine([zone('s', { loop: { mode: 'forward', start: 1000, end: 2025 } })], src, [note(60, 0, RATE)], 1);
    expect(maxJump(broken, 100, RATE - 100)).toBeGreaterThan(2 * Math.PI * (480 / RATE) * 0.5 * CENTRE * 3);
  });

  it('loops a sustain loop while the key is held, then plays out to the sample end after note-off', () => {
    // Frames 0–2000: 480 Hz (loop 1000–2000); then 4000 frames of 1200 Hz, the part after the loop.
    const data = new Float32Array(6000);
    data.set(sine(480, 2000 / RATE), 0);
    data.set(sine(1200, 4000 / RATE), 2000);
    const src = sources({ s: data });
    const envelope = { ...INSTANT, release: 1 };
    const gate = 24500; // 23.5 periods of the loop after its first pass: 500 frames of it remain at note-off
    const [sustained] = renderEngine([zone('s', { envelope, loop: { mode: 'sustain', start: 1000, end: 2000 } })], src, [note(60, 0, gate)], 2);
    // Held: the loop, at 480 Hz.
    expect(Math.abs(peakFrequency(sustained, RATE, 2000, 16384, 100, 5000) - 480)).toBeLessThan(3);
    expect(peak(sustained, 20000, gate)).toBeGreaterThan(0.5 * CENTRE * 0.99);
    // After note-off the current period finishes, then the tail plays exactly, then the voice ends:
    // long before the 1 s release would.
    const releaseLevel = (n: number) => Math.pow(1 - n / RATE, 3);
    for (let i = 0; i < 4000; i += 97) {
      const at = gate + 500 + i;
      expect(sustained[at]).toBeCloseTo(data[2000 + i] * CENTRE * releaseLevel(500 + i), 6);
    }
    expect(lastNonSilent(sustained)).toBe(gate + 500 + 4000 - 1);
    // Transposed an octave up (interpolated), the same: no seam click, then the tail at twice the speed.
    const [octave] = renderEngine([zone('s', { envelope, loop: { mode: 'sustain', start: 1000, end: 2000 } })], src, [note(72, 0, gate)], 2);
    const tailSlope = 2 * Math.PI * (2400 / RATE) * 0.5 * CENTRE;
    expect(maxJump(octave, 100, gate + 3000)).toBeLessThanOrEqual(tailSlope * 1.05);
    expect(Math.abs(peakFrequency(octave, RATE, gate + 600, 1024, 1500, 5000) - 2400)).toBeLessThan(60);
    // 24500 samples read 49000 frames: at note-off a whole period remains (1000 frames, 500 samples), then 2000 of tail.
    expect(Math.abs(lastNonSilent(octave) - (gate + 500 + 2000 - 1))).toBeLessThanOrEqual(ZERO_SLACK);
    // A forward loop keeps looping through the release instead.
    const [forward] = renderEngine([zone('s', { envelope, loop: { mode: 'forward', start: 1000, end: 2000 } })], src, [note(60, 0, gate)], 2);
    expect(lastNonSilent(forward)).toBe(gate + RATE - 1);
    expect(Math.abs(peakFrequency(forward, RATE, gate + 1000, 8192, 100, 5000) - 480)).toBeLessThan(6);
  });

  it('transposes a 15 kHz sine up an octave without aliasing: nothing above −60 dB of the sine', () => {
    const src = sources({ s: sine(15000, 4) });
    const size = 65536;
    const [reference] = renderEngine([zone('s')], src, [note(60, 0, 2 * RATE)], 2);
    const [octaveUp] = renderEngine([zone('s')], src, [note(72, 0, 2 * RATE)], 2);
    const referencePeak = Math.max(...spectrum(reference, 4800, size));
    const worst = Math.max(...spectrum(octaveUp, 4800, size));
    // Point-sampling (no band limit) would fold 30 kHz to 18 kHz at full level.
    expect(20 * Math.log10(worst / referencePeak)).toBeLessThan(-60);
    // The kernel is not just dull: a 5 kHz sine up an octave comes out at 10 kHz within 0.5 dB.
    const low = sources({ s: sine(5000, 4) });
    const [up] = renderEngine([zone('s')], low, [note(72, 0, 2 * RATE)], 2);
    expect(Math.abs(peakFrequency(up, RATE, 4800, size, 5000, 20000) - 10000)).toBeLessThan(1);
    expect(Math.abs(20 * Math.log10(peak(up, 4800, RATE) / (0.5 * CENTRE)))).toBeLessThan(0.5);
  });

  it('shapes the voice with delay, attack, hold, decay, sustain and release at their exact times', () => {
    const envelope: ZoneEnvelope = { delay: 0.01, attack: 0.02, hold: 0.01, decay: 0.05, sustain: 0.5, release: 0.1 };
    const [left] = renderEngine([zone('dc', { envelope })], sources({ dc: constant(1, RATE) }), [note(60, 1000, 9600)], 0.5);
    const level = (n: number) => left[1000 + n] / CENTRE;
    const ms = (t: number) => Math.round((t * RATE) / 1000);
    expect(peak(left, 0, 1000 + ms(10) + 1)).toBe(0); // delay: silent, attack starts from 0
    expect(level(ms(20))).toBeCloseTo(0.5, 2); // half-way up the linear attack
    expect(level(ms(30))).toBeCloseTo(1, 6); // full level at the attack's end …
    expect(level(ms(39))).toBeCloseTo(1, 6); // … held for 10 ms
    expect(level(ms(40) + ms(25))).toBeGreaterThan(0.5); // decaying
    expect(level(ms(90))).toBeCloseTo(0.5, 6); // sustain level once decayed
    expect(level(9599)).toBeCloseTo(0.5, 6);
    expect(level(9600 + ms(50))).toBeCloseTo(0.5 * 0.125, 3); // release (1 − t/T)³ half-way
    expect(lastNonSilent(left)).toBe(1000 + 9600 + ms(100) - 1); // silent exactly at note-off + release
  });

  it('cuts a sounding voice of the same exclusive class with a 5 ms fade', () => {
    const src = sources({ open: sine(3000, 1), closed: new Float32Array(2000) });
    const zones = [zone('open', { keyLow: 46, keyHigh: 46, exclusiveClass: 1 }), zone('closed', { keyLow: 42, keyHigh: 42, exclusiveClass: 1 })];
    const notes = [note(46, 0, RATE), note(42, 10000, 1000)];
    const [left] = renderEngine(zones, src, notes, 1);
    const fade = Math.round(0.005 * RATE);
    expect(peak(left, 9000, 10000)).toBeGreaterThan(0.5 * CENTRE * 0.99);
    expect(peak(left, 10000 + fade / 2, 10000 + fade)).toBeLessThan(0.5 * CENTRE * 0.51);
    expect(lastNonSilent(left)).toBeLessThan(10000 + fade);
    // Without the class, the open voice rings on; an external cut (a kit's synth hit) cuts it too.
    const [free] = renderEngine(zones.map((z) => ({ ...z, exclusiveClass: 0 })), src, notes, 1);
    expect(peak(free, 20000, 30000)).toBeGreaterThan(0.3);
    const [external] = renderEngine([zones[0]], src, [notes[0]], 1, { ...FLAT, cuts: [{ sample: 10000, exclusiveClass: 1 }] });
    expect(lastNonSilent(external)).toBeLessThan(10000 + fade);
  });
});

/** Render an instrument the way the build does, with `files` as what readAudio returns. */
function renderTrack<O extends object>(factory: InstrumentFactory<O>, options: Parameters<InstrumentFactory<O>>[0], notes: NoteEvent[], seconds: number, files: Record<string, Float32Array | Float32Array[]> = {}, seed = 1) {
  const length = Math.round(seconds * RATE);
  const output = Array.from({ length: factory.definition.channels ?? 2 }, () => new Float32Array(length));
  const resolved = factory(options).options;
  const declared = new Set((factory.definition.files?.(resolved) ?? []).map((file) => file.path));
  const readAudio = (path: string): AudioFileData => {
    if (!declared.has(path)) throw new Error(`read of undeclared file ${path}`);
    const data = files[path];
    return { sampleRate: RATE, channels: Array.isArray(data) ? data : [data] };
  };
  const readFile = (): never => {
    throw new Error('no byte files');
  };
  renderInstrument(factory.definition, { sampleRate: RATE, options: resolved, notes, output, seed, readAudio, readFile, openFile: readFile });
  return output;
}

describe('sampler', () => {
  it('declares each file once, reads zones in seconds and plays the file at its root from the start point', () => {
    const data = sine(500, 1);
    const options = {
      zones: [
        { file: 'low.wav', keys: [0, 59] as const, root: 48, start: 0.25 },
        { file: 'low.wav', keys: [60, 127] as const, root: 60, gain: -6 },
      ],
      envelope: { attack: 0 },
      velocitySensitivity: 0,
    };
    expect(sampler.definition.files!(sampler(options).options)).toEqual([{ path: 'low.wav', as: 'audio' }]);
    expect(sampler.definition.validate!(sampler(options).options)).toEqual([]);
    expect(sampler.definition.validate!(sampler({}).options)[0]).toMatch(/zones/);
    const [left] = renderTrack(sampler, options, [note(48, 100, 4800), note(60, 20000, 4800)], 1, { 'low.wav': data });
    const start = Math.round(0.25 * RATE);
    for (let i = 0; i < 4800; i += 7) {
      expect(left[100 + i]).toBe(Math.fround(data[start + i] * CENTRE));
      expect(left[20000 + i]).toBeCloseTo(data[i] * CENTRE * Math.pow(10, -6 / 20), 6);
    }
  });

  it('renders 8 transposed looping voices for 60 s well faster than realtime', () => {
    const data = [sine(480, 2), sine(480, 2)];
    const notes = Array.from({ length: 8 }, (_, i) => note(62 + i, 0, 60 * RATE, 100));
    const options = { zones: [{ file: 's.wav', root: 60, loop: { mode: 'forward' as const, start: 1000 / RATE, end: 2000 / RATE } }] };
    const began = performance.now();
    const [left] = renderTrack(sampler, options, notes, 60.1, { 's.wav': data });
    const seconds = (performance.now() - began) / 1000;
    console.log(`sampler: 8 stereo voices × 60 s (interpolated, looping) in ${seconds.toFixed(2)} s = ${(60 / seconds).toFixed(1)}× realtime, ${((8 * 60) / seconds).toFixed(0)} voice-seconds/s`);
    expect(peak(left, 59 * RATE, 60 * RATE)).toBeGreaterThan(0.1);
    expect(60 / seconds).toBeGreaterThan(5);
  });
});

describe('kit', () => {
  const snare = new Float32Array(4800).map((_, i) => 0.6 * Math.sin(i / 3) * (1 - i / 4800));

  it('mixes synthesised and sampled pads in one kit, one-shot', () => {
    const options = { pads: { 36: { synth: 'kick' as const }, 38: { sample: 'snare.wav', gain: -6, pan: 0.5 } }, velocitySensitivity: 0 };
    expect(kit.definition.midi!(kit(options).options)).toEqual({ drums: true });
    expect(kit.definition.files!(kit(options).options)).toEqual([{ path: 'snare.wav', as: 'audio' }]);
    expect(kit.definition.validate!(kit(options).options)).toEqual([]);
    const notes = [note(36, 1000, 100, 127), note(38, 30000, 10, 127), note(40, 40000, 100, 127)];
    const [left, right] = renderTrack(kit, options, notes, 1, { 'snare.wav': snare }, 9);
    // The kick pad is the drums' kick (the same hit rendered on its own), panned centre.
    const alone = new Float32Array(RATE);
    const kickNote = { ...notes[0], startSample: 0 };
    renderInstrument(drums.definition, { sampleRate: RATE, options: drums().options, notes: [kickNote], output: [alone], seed: mixSeed(9, 0), readAudio: () => ({ sampleRate: RATE, channels: [] }), readFile: () => new Uint8Array(), openFile: () => openBytes(new Uint8Array()) });
    for (let i = 0; i < 20000; i += 11) expect(left[1000 + i]).toBeCloseTo(alone[i] * CENTRE, 6);
    expect(peak(left, 1000, 2000)).toBeGreaterThan(0.1);
    // The snare pad plays the whole file though its note lasts 10 samples, at −6 dB, panned right.
    const [gainLeft, gainRight] = [Math.cos((1.5 * Math.PI) / 4), Math.sin((1.5 * Math.PI) / 4)];
    const g = Math.pow(10, -6 / 20);
    for (let i = 0; i < snare.length; i += 5) {
      expect(left[30000 + i]).toBeCloseTo(snare[i] * g * gainLeft, 6);
      expect(right[30000 + i]).toBeCloseTo(snare[i] * g * gainRight, 6);
    }
    expect(peak(left, 34800, RATE)).toBe(0); // kick over, snare file ended, note 40 has no pad
  });

  it('chokes pads of one group across samples and synth voices', () => {
    const ring = sine(5000, 1, 0.4);
    const options = { pads: { 42: { synth: 'closedHat' as const, choke: 1 }, 46: { sample: 'open.wav', choke: 1 }, 49: { synth: 'crash' as const, choke: 1 } } };
    const fade = Math.round(0.005 * RATE);
    // A synth closed hat cuts the sampled open hat; then a sampled open hat cuts a synth crash.
    const notes = [note(46, 0, 10), note(42, 10000, 10), note(49, 30000, 10), note(46, 40000, 10)];
    const [left] = renderTrack(kit, options, notes, 1.5, { 'open.wav': ring });
    const [free] = renderTrack(kit, { pads: { ...options.pads, 46: { sample: 'open.wav', choke: 0 } } }, notes.slice(0, 1), 1.5, { 'open.wav': ring });
    expect(peak(free, 20000, 30000)).toBeGreaterThan(0.2); // unchoked, the open hat rings on
    expect(peak(left, 10000 + fade + Math.round(0.06 * RATE), 30000)).toBe(0); // open hat gone, closed hat (60 ms) over
    const [crashOnly] = renderTrack(kit, options, notes.slice(2, 3), 1.5, { 'open.wav': ring });
    expect(peak(crashOnly, 40000 + fade, 50000)).toBeGreaterThan(0.001); // the crash would still ring …
    // … but choked, what remains after the fade is the second open hat alone.
    for (let i = 40000 + fade; i < 50000; i += 13) expect(left[i]).toBeCloseTo(ring[i - 40000] * CENTRE, 6);
  });

  it('rejects a pad that is neither a sample nor a drum voice', () => {
    const problems = kit.definition.validate!(kit({ pads: { 36: { synth: 'gong' as never }, 200: { sample: 'x.wav' }, 38: { synth: 'kick', options: { wobble: 1 } } } }).options);
    expect(problems.join('\n')).toMatch(/pads\.36\.synth/);
    expect(problems.join('\n')).toMatch(/pads\.200/);
    expect(problems.join('\n')).toMatch(/wobble/);
  });
});

describe('slicer', () => {
  it('cuts equal slices and slices at onsets', () => {
    expect(sliceBoundaries(1000, 4)).toEqual([0, 250, 500, 750, 1000]);
    expect(sliceBoundaries(1001, 3)).toEqual([0, 334, 667, 1001]);
    expect(sliceBoundaries(48000, [12000, 3, 36000, 24000])).toEqual([0, 3, 12000, 24000, 36000, 48000]);
    // With a minimum length, a hit just after the start or another hit, or just before the end, joins its neighbour.
    expect(sliceBoundaries(48000, [30, 12000, 12100, 24000, 47990], 480)).toEqual([0, 12000, 24000, 48000]);
  });

  /** A "break": noise bursts with fast decays at known frames. */
  function drumLoop(hits: number[], frames: number): Float32Array {
    const out = new Float32Array(frames);
    let state = 12345;
    for (const at of hits) {
      for (let i = 0; at + i < frames && i < 6000; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        out[at + i] += ((state / 4294967296) * 2 - 1) * 0.8 * Math.exp(-i / 800);
      }
    }
    return out;
  }

  it('plays slice i on rootNote + i; played in place, the slices give back the loop sample for sample', () => {
    const loop = [drumLoop([0, 12000, 24000, 36000], 48000), drumLoop([6000, 18000, 30000, 42000], 48000)];
    const bounds = sliceBoundaries(48000, 8);
    const notes = bounds.slice(0, -1).map((at, i) => note(36 + i, 1000 + at, bounds[i + 1] - at));
    const [left, right] = renderTrack(slicer, { file: 'break.wav', slices: 8, velocitySensitivity: 0 }, notes, 1.2, { 'break.wav': loop });
    for (let i = 0; i < 48000; i++) {
      if (left[1000 + i] !== loop[0][i] || right[1000 + i] !== loop[1][i]) throw new Error(`sample ${i} differs`);
    }
    // One slice alone: slice 3 on note 39 plays frames 18000–24000 and stops at the slice end.
    const [one] = renderTrack(slicer, { file: 'break.wav', slices: 8, velocitySensitivity: 0 }, [note(39, 0, RATE)], 1, { 'break.wav': loop });
    for (let i = 0; i < 6000; i += 3) expect(one[i]).toBe(loop[0][18000 + i]);
    expect(peak(one, 6000)).toBe(0);
  });

  it("cuts at detected onsets with slices: 'onsets'", () => {
    const hits = [0, 9000, 21000, 27000, 40000];
    const loop = drumLoop(hits, 48000);
    const notes = hits.map((_, i) => note(36 + i, i * RATE, RATE / 2));
    const [left] = renderTrack(slicer, { file: 'break.wav', slices: 'onsets', envelope: { release: 0.001 }, velocitySensitivity: 0 }, notes, hits.length, { 'break.wav': loop });
    const ends = [9000, 21000, 27000, 40000, 48000];
    hits.forEach((at, i) => {
      // Slice i starts within a few samples of its hit and ends before the next one.
      const first = i * RATE;
      const onset = Array.from(left.subarray(first, first + 2000)).findIndex((v) => Math.abs(v) > 0.05);
      const original = Array.from(loop.subarray(at, at + 2000)).findIndex((v) => Math.abs(v) > 0.05);
      expect(Math.abs(onset - original), `slice ${i}`).toBeLessThanOrEqual(48);
      const length = Math.min(ends[i] - at, RATE / 2);
      expect(peak(left, first + length + 100, first + RATE), `slice ${i} ends`).toBe(0);
    });
  });
});

describe('audio clips', () => {
  const file = new Float32Array(10000).map((_, i) => 0.001 * (i + 1)); // a ramp: every sample names its frame
  const stereo = [file, file.map((v) => -v)];

  function renderClips(clips: ReturnType<typeof clip>[], noteLengths: number[], starts: number[], seconds = 2) {
    const track = audioTrack(clips, { gain: -3 });
    expect(track.gain).toBe(-3);
    expect(track.notes!.map((n) => n.pitch)).toEqual(clips.map((_, i) => i));
    const notes = starts.map((start, i) => note(i, start, noteLengths[i], 100));
    return renderTrack(clipPlayer, track.instrument.options as never, notes, seconds, { 'a.wav': file, 'b.wav': stereo });
  }

  it('starts a clip at its note start sample exactly and plays the whole clip without a length', () => {
    const [left, right] = renderClips([clip('a.wav', '1:0:0'), clip('b.wav', '2:0:0')], [1, 1], [12345, 40000]);
    expect(peak(left, 0, 12345)).toBe(0);
    expect(left[12345]).toBe(file[0]);
    expect(left[12345 + 9999]).toBe(file[9999]);
    expect(left[12345 + 10000]).toBe(0);
    expect(right[40000 + 500]).toBe(-file[500]);
    expect(left[40000 + 500]).toBe(file[500]);
    expect(audioTrack([clip('a.wav', '0:0:0')]).notes![0].length).toEqual({ ticks: 1 });
    expect(audioTrack([clip('a.wav', '0:0:0', { length: '1m' })]).notes![0].length).toBe('1m');
  });

  it('trims, fades linearly over exact lengths and applies gain', () => {
    const options = { trimStart: 1000 / RATE, trimEnd: 2000 / RATE, fadeIn: 100 / RATE, fadeOut: 200 / RATE, gain: -6 };
    const [left] = renderClips([clip('a.wav', '0:0:0', options)], [1], [5000]);
    const g = Math.pow(10, -6 / 20);
    const plays = 10000 - 1000 - 2000;
    expect(left[5000]).toBe(0); // fade-in starts from silence
    expect(left[5050]).toBeCloseTo(file[1050] * g * 0.5, 7);
    expect(left[5100]).toBeCloseTo(file[1100] * g, 7); // fade-in over after exactly 100 samples
    expect(left[5000 + plays - 201]).toBeCloseTo(file[1000 + plays - 201] * g, 7); // before the fade-out
    expect(left[5000 + plays - 100]).toBeCloseTo(file[1000 + plays - 100] * g * 0.5, 7);
    expect(left[5000 + plays - 1]).toBeCloseTo(file[1000 + plays - 1] * g * (1 / 200), 7); // last sample
    expect(peak(left, 5000 + plays)).toBe(0); // trimmed end
  });

  it('loops a clip to fill its length, and cuts an unlooped one at its length', () => {
    const [looped] = renderClips([clip('a.wav', '0:0:0', { trimStart: 2000 / RATE, loop: true, length: '1m' })], [20000], [100]);
    for (const n of [0, 7999, 8000, 8001, 16000, 19999]) expect(looped[100 + n]).toBe(file[2000 + (n % 8000)]);
    expect(looped[100 + 20000]).toBe(0);
    const [cut] = renderClips([clip('a.wav', '0:0:0', { length: '8n' })], [3000], [0]);
    expect(cut[2999]).toBe(file[2999]);
    expect(cut[3000]).toBe(0);
    expect(clipPlayer.definition.validate!(clipPlayer({ clips: [{ file: 'a.wav', trimStart: 0, trimEnd: 0, fadeIn: 0, fadeOut: 0, gain: 0, loop: true, toNoteEnd: false }] }).options)[0]).toMatch(/loop/);
  });
});
