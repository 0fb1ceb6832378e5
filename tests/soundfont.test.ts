import { renderInstrument } from '../src/ir/plugin.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NoteEvent } from '../src/ir/plugin.ts';
import { ATTENUATION_FACTOR, CUBIC_TIME_FACTOR, forgetSoundfonts, loadSf2, parseSf2, presetZones, soundfont, type SoundfontOptions } from '../src/instruments/soundfont.ts';
import { encodeMidi } from '../src/io/midi.ts';
import { writeSf2, type Sf2PresetInput, type Sf2SampleInput, type Sf2ZoneInput } from '../src/io/sf2-write.ts';
import { decodeWav } from '../src/io/wav.ts';
import type { DeepPartial } from '../src/ir/plugin.ts';
import { bandEnergy, peak, peakFrequency, rmsDb, spectrum } from './helpers/audio.ts';
import { openBytes } from './helpers/instrument.ts';

const RATE = 48000;
/** The test samples' own rate: every note is resampled, as with most SoundFont samples. */
const SOURCE_RATE = 32000;
const FLUID_R3 = '/usr/share/sounds/sf2/FluidR3_GM.sf2';

/** A sine of `period` frames (SOURCE_RATE / period Hz) that loops seamlessly over its last half. */
function sineSample(name: string, period: number, frames = 6400, rootKey = 60, extra: Partial<Sf2SampleInput> = {}): Sf2SampleInput {
  const data = new Float32Array(frames);
  for (let i = 0; i < frames; i++) data[i] = 0.5 * Math.sin((2 * Math.PI * i) / period);
  // Loop points on whole periods: the loop joins without a step.
  const loopStart = Math.floor(frames / 2 / period) * period;
  const loopEnd = Math.floor(frames / period) * period;
  return { name, data, sampleRate: SOURCE_RATE, rootKey, loopStart, loopEnd, ...extra };
}

const LOW = 64; // 500 Hz at 32 kHz
const HIGH = 32; // 1000 Hz

function preset(program: number, zones: Sf2ZoneInput[], extra: Partial<Sf2PresetInput> = {}): Sf2PresetInput {
  return { name: `P${program}`, bank: 0, program, zones, ...extra };
}

const FILE = 'sounds/test.sf2';

type NoteSpec = { pitch: number; start?: number; length?: number; velocity?: number };

function render(bytes: Uint8Array, options: DeepPartial<SoundfontOptions>, notes: NoteSpec[], seconds = 2): Float32Array[] {
  const length = Math.round(seconds * RATE);
  const output = [new Float32Array(length), new Float32Array(length)];
  const events: NoteEvent[] = notes
    .map((note) => ({ pitch: note.pitch, velocity: note.velocity ?? 127, startSample: note.start ?? 0, lengthSamples: note.length ?? RATE, startTick: 0, lengthTicks: 960 }))
    .sort((a, b) => a.startSample - b.startSample || a.pitch - b.pitch);
  renderInstrument(soundfont.definition, {
    sampleRate: RATE,
    options: soundfont({ file: FILE, ...options }).options,
    notes: events,
    output,
    seed: 7,
    readAudio: () => {
      throw new Error('soundfont reads no audio files');
    },
    readFile: (path) => {
      if (path !== FILE) throw new Error(`undeclared file ${path}`);
      return bytes;
    },
    openFile: (path) => {
      if (path !== FILE) throw new Error(`undeclared file ${path}`);
      return openBytes(bytes);
    },
  });
  return output;
}

/** Energy of a window's spectrum in ±40 Hz around a frequency. */
function energyAt(signal: Float32Array, from: number, frequency: number, size = 4096): number {
  return bandEnergy(spectrum(signal, from, size), RATE, size, frequency - 40, frequency + 40);
}

/** Byte offset of the first chunk with this id. */
function findChunk(bytes: Uint8Array, id: string): number {
  const target = Array.from(id, (c) => c.charCodeAt(0));
  for (let i = 0; i + 4 <= bytes.length; i++) if (target.every((code, j) => bytes[i + j] === code)) return i;
  throw new Error(`no ${id} chunk`);
}

function maxStep(signal: Float32Array, from: number, to: number): number {
  let max = 0;
  for (let i = from + 1; i < to; i++) max = Math.max(max, Math.abs(signal[i] - signal[i - 1]));
  return max;
}

describe('writeSf2', () => {
  const bytes = writeSf2({
    samples: [sineSample('low', LOW, 6400, 60, { pitchCorrection: -7 })],
    presets: [preset(3, [{ sample: 'low', keyRange: [10, 100], velRange: [20, 90], sampleModes: 1, attackTimecents: -1200, fineTune: 15 }], { bank: 8, name: 'Soft Sine' })],
  });

  it('writes a small RIFF sfbk file that the soundfont2 package parses back exactly', () => {
    expect(bytes.length).toBeLessThan(16_000);
    expect(String.fromCharCode(...bytes.subarray(0, 4), ...bytes.subarray(8, 12))).toBe('RIFFsfbk');
    const { SoundFont2, GeneratorType } = createRequire(import.meta.url)('soundfont2');
    const parsed = new SoundFont2(bytes);
    expect(parsed.metaData.version).toBe('2.4');
    expect(parsed.presets).toHaveLength(1);
    expect(parsed.presets[0].header).toMatchObject({ name: 'Soft Sine', preset: 3, bank: 8 });
    const zone = parsed.presets[0].zones[0].instrument.zones[0];
    expect(zone.keyRange).toEqual({ lo: 10, hi: 100 });
    expect(zone.generators[GeneratorType.VelRange].range).toEqual({ lo: 20, hi: 90 });
    expect(zone.generators[GeneratorType.SampleModes].value).toBe(1);
    expect(zone.generators[GeneratorType.AttackVolEnv].value).toBe(-1200);
    expect(zone.generators[GeneratorType.FineTune].value).toBe(15);
    expect(zone.sample.header).toMatchObject({ name: 'low', sampleRate: SOURCE_RATE, originalPitch: 60, pitchCorrection: -7, startLoop: 3200, endLoop: 6400 });
    // 16-bit PCM of 0.5·sin: the peak is 16384 (± rounding).
    expect(Math.max(...zone.sample.data)).toBeGreaterThanOrEqual(16383);
    expect(Math.max(...zone.sample.data)).toBeLessThanOrEqual(16384);
  });

  it('splits sample offsets into fine and 32768-frame coarse generators, and reads both back', () => {
    const frames = 100_000;
    const long = writeSf2({
      samples: [{ name: 'long', data: new Float32Array(frames), sampleRate: SOURCE_RATE, rootKey: 60, loopStart: 100, loopEnd: 99_000 }],
      presets: [preset(0, [{ sample: 'long', keyRange: [0, 127], sampleModes: 1, startOffset: 32_800, endOffset: -33_000, loopStartOffset: 33_000, loopEndOffset: -32_770 }])],
    });
    const { GeneratorType, SoundFont2 } = createRequire(import.meta.url)('soundfont2');
    const generators = new SoundFont2(long).presets[0].zones[0].instrument.zones[0].generators;
    expect(generators[GeneratorType.StartAddrsOffset].value).toBe(32);
    expect(generators[GeneratorType.StartAddrsCoarseOffset].value).toBe(1);
    expect(generators[GeneratorType.EndAddrsOffset].value).toBe(-232);
    expect(generators[GeneratorType.EndAddrsCoarseOffset].value).toBe(-1);
    const [zone] = presetZones(parseSf2(long), 0, 0).zones;
    expect(zone.start).toBe(32_800);
    expect(zone.end).toBe(frames - 33_000);
    expect(zone.loop).toEqual({ mode: 'forward', start: 33_100, end: 99_000 - 32_770 });
  });

  it.runIf(spawnSync('fluidsynth', ['--version']).status === 0)('is a file fluidsynth loads and plays at the pitch the generators give', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixdown-sf2-'));
    try {
      const sf2 = writeSf2({
        samples: [sineSample('low', LOW, 6400, 60, { pitchCorrection: 10 })],
        presets: [preset(0, [{ sample: 'low', keyRange: [0, 127], sampleModes: 1, rootKey: 71, fineTune: 20, releaseTimecents: -2400 }])],
      });
      writeFileSync(join(dir, 'test.sf2'), sf2);
      const midi = encodeMidi({
        title: 'sf2 test',
        ppq: 480,
        tempoMap: [{ tick: 0, bpm: 120, rampToNext: false }],
        meterMap: [],
        key: { sharps: 0, minor: false },
        markers: [],
        tracks: [{ name: 'sine', program: 0, drums: false, notes: [{ pitch: 76, velocity: 100, startTick: 0, lengthTicks: 1920 }] }],
      });
      writeFileSync(join(dir, 'test.mid'), midi);
      const run = spawnSync('fluidsynth', ['-ni', '-F', join(dir, 'out.wav'), '-r', String(RATE), join(dir, 'test.sf2'), join(dir, 'test.mid')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const wav = decodeWav(new Uint8Array(readFileSync(join(dir, 'out.wav'))));
      const expected = 500 * Math.pow(2, (76 - 71) / 12 + 30 / 1200);
      const measured = peakFrequency(wav.channels[0], RATE, 4800, 65536, 300, 2000);
      expect(Math.abs(measured - expected), `${measured} Hz`).toBeLessThan(0.5);
      // And mixdown plays the same file at the same pitch.
      const [left] = render(sf2, {}, [{ pitch: 76, length: 2 * RATE }], 2);
      expect(Math.abs(peakFrequency(left, RATE, 4800, 65536, 300, 2000) - expected)).toBeLessThan(0.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('soundfont: pitch, presets, velocity', () => {
  const bytes = writeSf2({
    samples: [sineSample('low', LOW, 6400, 60, { pitchCorrection: 10 }), sineSample('high', HIGH)],
    presets: [
      // Root key overridden to 71 and 20 cents of fine tune on top of the sample's 10 cents.
      preset(0, [{ sample: 'low', keyRange: [40, 100], sampleModes: 1, rootKey: 71, fineTune: 20 }]),
      preset(5, [{ sample: 'high', keyRange: [0, 127], sampleModes: 1 }]),
      preset(9, [
        { sample: 'low', keyRange: [0, 127], velRange: [1, 63], sampleModes: 1 },
        { sample: 'high', keyRange: [0, 127], velRange: [64, 127], sampleModes: 1 },
      ]),
    ],
  });

  it('plays keys across a zone at the pitch of its root key, fine tune and the sample correction', () => {
    for (const pitch of [45, 60, 71, 83, 96]) {
      const [left] = render(bytes, { program: 0 }, [{ pitch, length: 2 * RATE }], 2);
      const expected = 500 * Math.pow(2, (pitch - 71) / 12 + 30 / 1200);
      const measured = peakFrequency(left, RATE, 4800, 65536, expected * 0.7, expected * 1.3);
      expect(Math.abs(measured - expected) / expected, `key ${pitch}: ${measured} Hz, expected ${expected}`).toBeLessThan(0.0005);
    }
  });

  it('is silent for keys outside every zone', () => {
    const [left, right] = render(bytes, { program: 0 }, [{ pitch: 30 }, { pitch: 101 }], 1);
    expect(peak(left)).toBe(0);
    expect(peak(right)).toBe(0);
  });

  it('picks the preset by program number', () => {
    const [zero] = render(bytes, { program: 0 }, [{ pitch: 71, length: 2 * RATE }], 2);
    const [five] = render(bytes, { program: 5 }, [{ pitch: 60, length: 2 * RATE }], 2);
    expect(Math.abs(peakFrequency(zero, RATE, 4800, 65536, 200, 2000) - 500 * Math.pow(2, 30 / 1200))).toBeLessThan(0.5);
    expect(Math.abs(peakFrequency(five, RATE, 4800, 65536, 200, 2000) - 1000)).toBeLessThan(0.5);
    expect(() => render(bytes, { program: 7 }, [{ pitch: 60 }], 1)).toThrow(/no preset 7 in bank 0.*0 P0, 5 P5, 9 P9/);
  });

  it('selects zones by velocity range', () => {
    const [soft] = render(bytes, { program: 9 }, [{ pitch: 60, velocity: 40, length: 2 * RATE }], 2);
    const [hard] = render(bytes, { program: 9 }, [{ pitch: 60, velocity: 100, length: 2 * RATE }], 2);
    // The 'low' sample carries a 10-cent pitch correction.
    expect(Math.abs(peakFrequency(soft, RATE, 4800, 65536, 200, 2000) - 500 * Math.pow(2, 10 / 1200))).toBeLessThan(0.5);
    expect(Math.abs(peakFrequency(hard, RATE, 4800, 65536, 200, 2000) - 1000)).toBeLessThan(0.5);
    // Only one zone sounds for each: nothing at the other layer's frequency.
    expect(energyAt(soft, 9600, 1000) / energyAt(soft, 9600, 500)).toBeLessThan(1e-6);
    expect(energyAt(hard, 9600, 500) / energyAt(hard, 9600, 1000)).toBeLessThan(1e-6);
  });

  it('renders the same bytes every time', () => {
    const notes = [{ pitch: 60, velocity: 90 }, { pitch: 64, start: 1000, velocity: 30 }, { pitch: 67, start: 2000 }];
    const a = render(bytes, { program: 9 }, notes, 2);
    const b = render(bytes, { program: 9 }, notes, 2);
    expect(Buffer.from(a[0].buffer).equals(Buffer.from(b[0].buffer))).toBe(true);
    expect(Buffer.from(a[1].buffer).equals(Buffer.from(b[1].buffer))).toBe(true);
  });
});

describe('soundfont: loops, envelopes, classes, levels', () => {
  // Releases: −1200 timecents is 0.5 s for a 100 dB fall.
  const release = -1200;
  const releaseSeconds = 0.5;
  const tailFrames = 8000;
  const withTail = (() => {
    // 500 Hz looped over frames 3200–6400, then a 0.25 s tail at 1000 Hz that only a
    // loop-then-release voice reaches.
    const head = sineSample('head', LOW, 6400);
    const data = new Float32Array(6400 + tailFrames);
    data.set(head.data);
    for (let i = 0; i < tailFrames; i++) data[6400 + i] = 0.5 * Math.sin((2 * Math.PI * i) / HIGH);
    return { ...head, name: 'tail', data };
  })();
  const bytes = writeSf2({
    samples: [sineSample('low', LOW), sineSample('high', HIGH), withTail],
    presets: [
      preset(0, [{ sample: 'low', keyRange: [0, 127], sampleModes: 1, releaseTimecents: release }]),
      preset(1, [{ sample: 'tail', keyRange: [0, 127], sampleModes: 3, releaseTimecents: 1200 }]),
      preset(2, [{ sample: 'tail', keyRange: [0, 127], sampleModes: 1, releaseTimecents: 1200 }]),
      preset(3, [
        { sample: 'low', keyRange: [42, 42], rootKey: 42, sampleModes: 1, releaseTimecents: 0, exclusiveClass: 1 },
        { sample: 'high', keyRange: [46, 46], rootKey: 46, sampleModes: 1, releaseTimecents: 0, exclusiveClass: 1 },
      ]),
      preset(4, [
        { sample: 'low', keyRange: [42, 42], rootKey: 42, sampleModes: 1, releaseTimecents: 0 },
        { sample: 'high', keyRange: [46, 46], rootKey: 46, sampleModes: 1, releaseTimecents: 0 },
      ]),
      preset(5, [{ sample: 'low', keyRange: [0, 127], sampleModes: 1, attenuation: 200 }]),
      preset(6, [{ sample: 'low', keyRange: [0, 127], sampleModes: 1, attenuation: 100 }], { presetGenerators: { attenuation: 100 } }),
      preset(7, [{ sample: 'low', keyRange: [0, 127], sampleModes: 0 }]),
    ],
  });

  it('sustains a looped sample for 2 s without clicks, then decays within the release time', () => {
    const gate = 2 * RATE;
    const [left] = render(bytes, { program: 0 }, [{ pitch: 67, length: gate }], 3);
    const frequency = 500 * Math.pow(2, 7 / 12);
    // Steady: every 100 ms window within 0.05 dB of the first.
    const reference = rmsDb(left, 2400, 2400 + 4800);
    for (let from = 2400; from + 4800 <= gate; from += 4800) expect(Math.abs(rmsDb(left, from, from + 4800) - reference)).toBeLessThan(0.05);
    // No step bigger than a sine of this level and frequency makes (a click at the loop seam would be).
    const amplitude = peak(left, 2400, gate);
    expect(maxStep(left, 2400, gate)).toBeLessThan(amplitude * 2 * Math.sin((Math.PI * frequency) / RATE) * 1.02);
    // The cubic release reaches silence at CUBIC_TIME_FACTOR × the SoundFont release time.
    const releaseEnd = gate + Math.round(CUBIC_TIME_FACTOR * releaseSeconds * RATE);
    expect(peak(left, releaseEnd + 2)).toBe(0);
    expect(rmsDb(left, gate + 480, gate + 960)).toBeGreaterThan(reference - 6);
    // SoundFont says −20 dB at 0.2 × T; the cubic is within 7 dB of that.
    const at = gate + Math.round(0.2 * releaseSeconds * RATE);
    expect(Math.abs(rmsDb(left, at - 240, at + 240) - (reference - 20))).toBeLessThan(7);
  });

  it('plays a sampleModes 3 sample out past its loop after note-off; mode 1 keeps looping', () => {
    const gate = RATE;
    const [three] = render(bytes, { program: 1 }, [{ pitch: 60, length: gate }], 2);
    const [one] = render(bytes, { program: 2 }, [{ pitch: 60, length: gate }], 2);
    // While held, both loop the 500 Hz part.
    for (const signal of [three, one]) expect(energyAt(signal, gate - 9600, 1000) / energyAt(signal, gate - 9600, 500)).toBeLessThan(1e-4);
    // Within one loop period (0.1 s) of note-off, mode 3 reaches the 1000 Hz tail…
    const after = gate + Math.round(0.11 * RATE);
    expect(energyAt(three, after, 1000) / energyAt(three, after, 500)).toBeGreaterThan(1e4);
    expect(energyAt(one, after, 500) / energyAt(one, after, 1000)).toBeGreaterThan(1e4);
    // …and ends with it: 0.25 s of tail at rate 1 (32 kHz read at 32 kHz → 48 kHz output: 0.25 s).
    expect(peak(three, gate + Math.round(0.36 * RATE))).toBe(0);
    expect(peak(one, gate + Math.round(0.36 * RATE))).toBeGreaterThan(0.01);
  });

  it('plays an unlooped sample (mode 0) once through, however long the note', () => {
    const [left] = render(bytes, { program: 7 }, [{ pitch: 60, length: 2 * RATE }], 2);
    // 6400 frames at 32 kHz last 0.2 s at pitch 60.
    expect(peak(left, 0, Math.round(0.19 * RATE))).toBeGreaterThan(0.1);
    expect(peak(left, Math.round(0.201 * RATE))).toBe(0);
  });

  it('cuts a sounding note when another of its exclusive class starts', () => {
    const notes = [{ pitch: 42, length: Math.round(1.5 * RATE) }, { pitch: 46, start: RATE / 2, length: RATE }];
    const [exclusive] = render(bytes, { program: 3 }, notes, 2);
    const [layered] = render(bytes, { program: 4 }, notes, 2);
    const after = Math.round(0.6 * RATE);
    expect(energyAt(exclusive, after, 500) / energyAt(exclusive, after, 1000)).toBeLessThan(1e-6);
    expect(energyAt(layered, after, 500) / energyAt(layered, after, 1000)).toBeGreaterThan(0.5);
    // Before the cut the first note sounds alone in both.
    expect(Math.abs(rmsDb(exclusive, 4800, 19200) - rmsDb(layered, 4800, 19200))).toBeLessThan(1e-9);
  });

  it('applies initialAttenuation at 0.4 dB per 10 cB, preset and instrument values added, plus the gain option', () => {
    const window = [4800, 4800 + 48000] as const;
    const [full] = render(bytes, { program: 0 }, [{ pitch: 60, length: 2 * RATE }], 2);
    const [attenuated] = render(bytes, { program: 5 }, [{ pitch: 60, length: 2 * RATE }], 2);
    const [summed] = render(bytes, { program: 6 }, [{ pitch: 60, length: 2 * RATE }], 2);
    const [louder] = render(bytes, { program: 0, gain: 3 }, [{ pitch: 60, length: 2 * RATE }], 2);
    const expected = -ATTENUATION_FACTOR * 20; // 200 cB
    expect(expected).toBeCloseTo(-8);
    expect(rmsDb(attenuated, ...window) - rmsDb(full, ...window)).toBeCloseTo(expected, 3);
    expect(rmsDb(summed, ...window) - rmsDb(full, ...window)).toBeCloseTo(expected, 3);
    expect(rmsDb(louder, ...window) - rmsDb(full, ...window)).toBeCloseTo(3, 3);
    // Centre pan is constant power: a 0.5 sine at full velocity is 0.5·√½ each side (−12 dB RMS).
    expect(rmsDb(full, ...window)).toBeCloseTo(20 * Math.log10((0.5 * Math.SQRT1_2) / Math.SQRT2), 2);
  });

  it('scales level by velocity as (velocity/127)², the default SoundFont velocity curve', () => {
    const [full] = render(bytes, { program: 0 }, [{ pitch: 60, velocity: 127, length: RATE }], 1);
    const [half] = render(bytes, { program: 0 }, [{ pitch: 60, velocity: 64, length: RATE }], 1);
    expect(rmsDb(half, 4800, 24000) - rmsDb(full, 4800, 24000)).toBeCloseTo(40 * Math.log10(64 / 127), 3);
  });
});

describe('soundfont: stereo pairs', () => {
  const zone = (sample: string, pan: number): Sf2ZoneInput => ({ sample, keyRange: [0, 127], sampleModes: 1, pan, fineTune: 7, releaseTimecents: -2400 });
  const bytes = writeSf2({
    samples: [sineSample('left', LOW), sineSample('right', HIGH)],
    presets: [preset(0, [zone('left', -500), zone('right', 500)]), preset(1, [zone('left', -500)]), preset(2, [zone('right', 500)]), preset(3, [zone('left', -500), { ...zone('right', 500), fineTune: 8 }])],
  });

  it('plays hard-panned left/right zones as one stereo voice, sample for sample as two mono ones', () => {
    const merged = presetZones(parseSf2(bytes), 0, 0);
    expect(merged.zones).toHaveLength(1);
    expect(merged.zones[0]).toMatchObject({ sample: 'sf2:0+1', pan: 0 });
    expect(merged.sources.get('sf2:0+1')!.channels).toHaveLength(2);
    // Zones that differ in anything else stay two mono voices.
    expect(presetZones(parseSf2(bytes), 0, 3).zones.map((z) => z.sample)).toEqual(['sf2:0', 'sf2:1']);
    const notes = [{ pitch: 64, length: RATE / 2, velocity: 99 }, { pitch: 71, start: 3000, length: RATE / 3 }];
    const [left, right] = render(bytes, { program: 0 }, notes, 1);
    const [leftOnly, silentRight] = render(bytes, { program: 1 }, notes, 1);
    const [silentLeft, rightOnly] = render(bytes, { program: 2 }, notes, 1);
    expect(peak(silentRight)).toBe(0);
    expect(peak(silentLeft)).toBe(0);
    expect(peak(left)).toBeGreaterThan(0.1);
    expect(Buffer.from(left.buffer).equals(Buffer.from(leftOnly.buffer))).toBe(true);
    expect(Buffer.from(right.buffer).equals(Buffer.from(rightOnly.buffer))).toBe(true);
  });
});

describe('presetZones: SoundFont 2.04 generator rules', () => {
  const bytes = writeSf2({
    samples: [sineSample('low', LOW, 6400, 62, { pitchCorrection: -5 })],
    presets: [
      preset(
        0,
        [
          { sample: 'low', keyRange: [40, 59], velRange: [10, 127], pan: 250, coarseTune: -2 },
          { sample: 'low', keyRange: [60, 90], fineTune: 3, scaleTuning: 50, sampleModes: 3, exclusiveClass: 4, attenuation: 60 },
        ],
        {
          // Instrument global zone: every zone inherits these unless it sets its own.
          global: { fineTune: 11, attackTimecents: -1200, holdTimecents: 0, decayTimecents: 1200, sustainCentibels: 60, releaseTimecents: 0, delayTimecents: -2400, sampleModes: 1 },
          // Preset level: added to the instrument's values; its key range intersects theirs.
          presetGenerators: { fineTune: 40, attackTimecents: 1200, pan: -100, attenuation: 20 },
          presetKeyRange: [50, 70],
        },
      ),
      preset(1, [{ sample: 'low', keyRange: [36, 38], keynumToDecay: 100, keynumToHold: -50, decayTimecents: 0, holdTimecents: 0, sustainCentibels: 1000 }]),
    ],
  });
  const bank = parseSf2(bytes);

  it('intersects key ranges, layers globals under locals and adds preset values', () => {
    const { zones, sources } = presetZones(bank, 0, 0);
    expect(zones).toHaveLength(2);
    const [lowZone, highZone] = zones;
    expect([lowZone.keyLow, lowZone.keyHigh, lowZone.velocityLow, lowZone.velocityHigh]).toEqual([50, 59, 10, 127]);
    expect([highZone.keyLow, highZone.keyHigh, highZone.velocityLow, highZone.velocityHigh]).toEqual([60, 70, 0, 127]);
    // Tune: coarse × 100 + (global or local fine) + preset fine + the sample's correction.
    expect(lowZone.tune).toBe(-200 + 11 + 40 - 5);
    expect(highZone.tune).toBe(3 + 40 - 5);
    expect(lowZone.keyTrack).toBe(100);
    expect(highZone.keyTrack).toBe(50);
    expect(lowZone.rootKey).toBe(62);
    expect(lowZone.pan).toBeCloseTo((250 - 100) / 500, 12);
    expect(highZone.pan).toBeCloseTo(-100 / 500, 12);
    expect(lowZone.gainDb).toBeCloseTo(-ATTENUATION_FACTOR * 2, 12);
    expect(highZone.gainDb).toBeCloseTo(-ATTENUATION_FACTOR * 8, 12);
    expect(lowZone.loop.mode).toBe('forward');
    expect(highZone.loop.mode).toBe('sustain');
    expect(lowZone.loop).toMatchObject({ start: 3200, end: 6400 });
    expect(highZone.exclusiveClass).toBe(4);
    expect(lowZone.exclusiveClass).toBe(0);
    // Envelope: timecents → seconds; attack −1200 + 1200 = 0 → 1 s; sustain 60 cB → −6 dB,
    // reached after 60/1000 of the 2 s decay (× the cubic factor).
    expect(lowZone.envelope.attack).toBeCloseTo(1, 12);
    expect(lowZone.envelope.delay).toBeCloseTo(0.25, 12);
    expect(lowZone.envelope.hold).toBeCloseTo(1, 12);
    expect(lowZone.envelope.sustain).toBeCloseTo(Math.pow(10, -6 / 20), 12);
    expect(lowZone.envelope.decay).toBeCloseTo(CUBIC_TIME_FACTOR * 2 * 0.06, 12);
    expect(lowZone.envelope.release).toBeCloseTo(CUBIC_TIME_FACTOR * 1, 12);
    // Both zones read the same sample: one decoded source, at the sample's own rate.
    expect([...sources.keys()]).toEqual(['sf2:0']);
    const source = sources.get('sf2:0')!;
    expect(source.sampleRate).toBe(SOURCE_RATE);
    expect(source.channels[0].length).toBe(6400);
    expect(source.channels[0][16]).toBeCloseTo(0.5, 3); // a quarter period in: the sine's peak
  });

  it('makes a zone per key when hold and decay follow the key number', () => {
    const { zones } = presetZones(bank, 0, 1);
    expect(zones.map((zone) => zone.keyLow)).toEqual([36, 37, 38]);
    // Decay timecents += 100 × (60 − key): key 36 decays 2^(2400/1200) = 4 s (× factor);
    // hold timecents += −50 × (60 − key): 2^(−1200/1200) = 0.5 s.
    expect(zones[0].envelope.decay).toBeCloseTo(CUBIC_TIME_FACTOR * 4, 12);
    expect(zones[0].envelope.hold).toBeCloseTo(0.5, 12);
    expect(zones[2].envelope.decay).toBeCloseTo(CUBIC_TIME_FACTOR * Math.pow(2, 2200 / 1200), 12);
  });

  it('reads generators by position where a zone holds one illegal at its level', () => {
    const file = writeSf2({
      samples: [sineSample('low', LOW)],
      presets: [
        preset(0, [{ sample: 'low', keyRange: [0, 127] }], { presetGenerators: { fineTune: 5 } }),
        preset(1, [{ sample: 'low', keyRange: [0, 127] }], { presetGenerators: { fineTune: 9 } }),
      ],
    });
    // Turn preset 0's fineTune (pgen record 0) into a sampleModes, which §8.5 says a player
    // ignores at preset level: preset 1's own fineTune must still be read as its own.
    const body = file;
    const at = findChunk(body, 'pgen') + 8;
    expect(body[at] | (body[at + 1] << 8)).toBe(52);
    body[at] = 54;
    const parsed = parseSf2(body);
    expect(presetZones(parsed, 0, 0).zones[0].tune).toBe(0);
    expect(presetZones(parsed, 0, 1).zones[0].tune).toBe(9);
  });

  it('parses a file once per process, by content', () => {
    const again = loadSf2(bytes);
    expect(loadSf2(bytes)).toBe(again);
    expect(loadSf2(bytes.slice())).toBe(again);
    // Opened in pieces, the same content is the same bank (found by the build's content hash).
    expect(loadSf2(openBytes(bytes))).toBe(again);
    // An idle worker forgets its banks: the next load parses again.
    forgetSoundfonts();
    expect(loadSf2(openBytes(bytes))).not.toBe(again);
  });

  it('declares its file, its MIDI program and drum flag, and checks its options', () => {
    const definition = soundfont.definition;
    expect(definition.files!(soundfont({ file: 'a.sf2' }).options)).toEqual([{ path: 'a.sf2', as: 'bytes' }]);
    expect(definition.midi!(soundfont({ file: 'a.sf2', program: 33 }).options)).toEqual({ program: 33, drums: false });
    expect(definition.midi!(soundfont({ file: 'a.sf2', bank: 128 }).options)).toEqual({ program: 0, drums: true });
    expect(definition.validate!(soundfont({ file: 'a.sf2' }).options)).toEqual([]);
    expect(definition.validate!(soundfont({ program: 128 }).options)).toEqual([
      "file must be the project path of a .sf2 file, e.g. 'sounds/FluidR3_GM.sf2'",
      'program must be a whole number 0–127',
    ]);
    expect(() => parseSf2(new Uint8Array(64))).toThrow(/not a SoundFont 2 file/);
  });
});

describe.runIf(existsSync(FLUID_R3))('soundfont: FluidR3_GM', () => {
  const bytes = new Uint8Array(existsSync(FLUID_R3) ? readFileSync(FLUID_R3) : []);

  it('plays the piano (program 0) A4 near 440 Hz', () => {
    const [left, right] = render(bytes, { program: 0 }, [{ pitch: 69, velocity: 100, length: 2 * RATE }], 2.5);
    const mono = left.map((value, i) => value + right[i]);
    const measured = peakFrequency(mono, RATE, 2400, 32768, 300, 600);
    expect(Math.abs(measured - 440), `${measured} Hz`).toBeLessThan(2);
    expect(rmsDb(mono, 2400, 26400)).toBeGreaterThan(-30);
  }, 30_000);

  it('plays a kick from the drum bank (128), mostly below 200 Hz', () => {
    const [left, right] = render(bytes, { bank: 128, program: 0 }, [{ pitch: 36, velocity: 110, length: 2400 }], 1);
    const mono = left.map((value, i) => value + right[i]);
    expect(peak(mono)).toBeGreaterThan(0.05);
    const magnitudes = spectrum(mono, 0, 16384);
    expect(bandEnergy(magnitudes, RATE, 16384, 20, 200)).toBeGreaterThan(bandEnergy(magnitudes, RATE, 16384, 200, 20000));
  }, 30_000);
});
