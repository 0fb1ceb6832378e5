/**
 * `drums`: a synthesised kit on General MIDI drum notes. Every hit is a one-shot whose
 * length is its `decay` (notes' lengths are ignored, as on a drum machine), with an
 * envelope (1 - t/T)^4 that ends at exactly zero. Noise comes from a PRNG seeded by the
 * track seed and the hit's index, so every render is identical.
 *
 * Toms: GM 41 (low floor tom) plays `lowTom`, 45 (low tom) `midTom`, 48 (hi-mid tom)
 * `highTom`; GM's other three toms, 43, 47 and 50, play the same voices three semitones
 * higher, so all six GM toms sound, in GM's order. Crash cymbal on 49, ride on 51.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import type { InstrumentStream, InstrumentStreamContext, NoteEvent } from '../ir/plugin.ts';
import { polyBlep } from '../dsp/blep.ts';
import { mixSeed, NOISE_STEP, noiseAt } from '../dsp/random.ts';
import { svfBandpass, svfCoefficients, svfHighpass, svfState, type SvfCoefficients } from '../dsp/svf.ts';
import { insertVoice, NoteQueue, renderInChunks } from '../dsp/voice-queue.ts';
import type { Decibels, Hertz, Seconds } from '../theory/units.ts';

/** GM drum note numbers the kit plays. */
export const GM_DRUMS = {
  kick: 36,
  snare: 38,
  clap: 39,
  lowTom: 41,
  closedHat: 42,
  pedalHat: 44,
  midTom: 45,
  openHat: 46,
  highTom: 48,
  crash: 49,
  ride: 51,
} as const;

/** GM toms without their own voice: they play the tom below them this many semitones up. */
const TOM_STEP_UP = 3;

export interface DrumVoiceOptions {
  /** Main frequency: the kick's and toms' settled pitch, the snare's body, the hats' and cymbals' metal (a factor on all partials). */
  readonly tune: Hertz;
  /** Length of the hit, in seconds. */
  readonly decay: Seconds;
  /** Level in dB. */
  readonly level: Decibels;
}

export interface KickOptions extends DrumVoiceOptions {
  /** Start pitch as a multiple of `tune`; the sweep falls from there. @default 3.5 */
  readonly sweep: number;
  /** Time constant of the pitch sweep, in seconds. @default 0.035 */
  readonly sweepTime: Seconds;
  /** Level of the attack click, 0–1. @default 0.3 */
  readonly click: number;
}

export interface SnareOptions extends DrumVoiceOptions {
  /** Share of noise (the wires) against the tuned body, 0–1. @default 0.65 */
  readonly snappy: number;
}

export interface TomOptions extends DrumVoiceOptions {
  /** Start pitch as a multiple of `tune`; the head's pitch falls from there. @default 1.5 */
  readonly sweep: number;
  /** Time constant of the pitch fall, in seconds. @default 0.06 (low), 0.05 (mid), 0.04 (high) */
  readonly sweepTime: Seconds;
  /** Level of the stick's attack (band-passed noise), 0–1. @default 0.3 */
  readonly tone: number;
}

export interface CymbalOptions extends DrumVoiceOptions {
  /** Brightness 0–1: moves the high-pass over the metal from half an octave below to half above its centre. @default 0.5 */
  readonly tone: number;
}

export interface RideOptions extends CymbalOptions {
  /** Level of the bell (a ringing band around 2.5 kHz × `tune`), 0–1. @default 0.15 */
  readonly bell: number;
}

export interface DrumOptions {
  /** Bass drum, GM note 36. */
  readonly kick: KickOptions;
  /** Snare, GM note 38. */
  readonly snare: SnareOptions;
  /** Hand clap, GM note 39. */
  readonly clap: DrumVoiceOptions;
  /** Closed hi-hat, GM note 42 (and pedal hat, 44, a shorter closed hat); both choke the open hat. */
  readonly closedHat: DrumVoiceOptions;
  /** Open hi-hat, GM note 46. */
  readonly openHat: DrumVoiceOptions;
  /** Low tom, GM 41 (and 43, three semitones up). `tune` is the settled pitch. @default { tune: 90, decay: 0.6, level: -3, sweep: 1.5, sweepTime: 0.06, tone: 0.3 } */
  readonly lowTom: TomOptions;
  /** Mid tom, GM 45 (and 47, three semitones up). @default { tune: 130, decay: 0.5, level: -3, sweep: 1.5, sweepTime: 0.05, tone: 0.3 } */
  readonly midTom: TomOptions;
  /** High tom, GM 48 (and 50, three semitones up). @default { tune: 185, decay: 0.4, level: -3, sweep: 1.5, sweepTime: 0.04, tone: 0.3 } */
  readonly highTom: TomOptions;
  /** Crash cymbal, GM 49: `tune` scales its metal partials. @default { tune: 1, decay: 2, level: -8, tone: 0.5 } */
  readonly crash: CymbalOptions;
  /** Ride cymbal, GM 51. @default { tune: 1, decay: 2.5, level: -12, tone: 0.5, bell: 0.15 } */
  readonly ride: RideOptions;
  /** Level of the whole kit in dB. @default -3 */
  readonly level: Decibels;
}

export const drumDefaults: DrumOptions = {
  kick: { tune: 48, decay: 0.5, level: 0, sweep: 3.5, sweepTime: 0.035, click: 0.3 },
  snare: { tune: 185, decay: 0.22, level: -3, snappy: 0.65 },
  clap: { tune: 1200, decay: 0.25, level: -4 },
  closedHat: { tune: 1, decay: 0.06, level: -10 },
  openHat: { tune: 1, decay: 0.4, level: -12 },
  lowTom: { tune: 90, decay: 0.6, level: -3, sweep: 1.5, sweepTime: 0.06, tone: 0.3 },
  midTom: { tune: 130, decay: 0.5, level: -3, sweep: 1.5, sweepTime: 0.05, tone: 0.3 },
  highTom: { tune: 185, decay: 0.4, level: -3, sweep: 1.5, sweepTime: 0.04, tone: 0.3 },
  crash: { tune: 1, decay: 2, level: -8, tone: 0.5 },
  ride: { tune: 1, decay: 2.5, level: -12, tone: 0.5, bell: 0.15 },
  level: -3,
};

/** TR-808 hi-hat oscillator frequencies: six detuned squares give the metallic clang. */
const METAL_PARTIALS = [205.3, 304.4, 369.6, 522.7, 540, 800];
const TWO_PI = 2 * Math.PI;
/** Fade applied when a closed hat chokes a ringing open hat, in seconds (no click). */
const CHOKE_FADE = 0.004;
/** The high-passed partials keep little of their energy; this brings hats level with the kit. */
const METAL_GAIN = 8;

/** What a hit's voice is given beyond its options. */
interface Hit {
  /** Index of its note: the order hits are summed in. */
  readonly index: number;
  /** Song frame of the hit. */
  readonly start: number;
  /** Velocity and kit level. */
  readonly gain: number;
  /** Sample at which a later closed hat cuts this hit off (open hat only; Infinity otherwise). */
  readonly chokeAt: number;
  /** Seed of its noise: the track's seed mixed with the note's index. */
  readonly seed: number;
}

export const drums = defineInstrument<DrumOptions>({
  name: 'drums',
  version: '1',
  defaults: drumDefaults,
  channels: 1,
  // The original five voices always count (song lengths stay as they were); toms and
  // cymbals count when the track plays them, so a crash does not lengthen every song.
  tail: (options, notes) =>
    Math.max(
      ...(['kick', 'snare', 'clap', 'closedHat', 'openHat'] as const).map((name) => options[name].decay),
      ...(notes ? [...new Set(notes.map((note) => note.pitch))].map((pitch) => hitSeconds(options, pitch)) : VOICES.map((name) => options[name].decay)),
    ),
  midi: () => ({ drums: true }),
  validate(options) {
    const problems: string[] = [];
    for (const name of VOICES) {
      const voice = options[name];
      if (!(voice.decay > 0 && voice.decay <= 10)) problems.push(`${name}.decay must be from 0 to 10 seconds`);
      if (!(voice.tune > 0)) problems.push(`${name}.tune must be above 0`);
    }
    for (const name of ['lowTom', 'midTom', 'highTom'] as const) {
      const tom = options[name];
      if (!(tom.sweep >= 1 && tom.sweep <= 8)) problems.push(`${name}.sweep must be from 1 to 8 (times the tune)`);
      if (!(tom.sweepTime > 0 && tom.sweepTime <= 1)) problems.push(`${name}.sweepTime must be above 0 and at most 1 second`);
      if (!(tom.tone >= 0 && tom.tone <= 1)) problems.push(`${name}.tone must be from 0 to 1`);
    }
    for (const name of ['crash', 'ride'] as const) if (!(options[name].tone >= 0 && options[name].tone <= 1)) problems.push(`${name}.tone must be from 0 to 1`);
    if (!(options.ride.bell >= 0 && options.ride.bell <= 1)) problems.push('ride.bell must be from 0 to 1');
    return problems;
  },
  stream: (context) => new DrumStream(context),
});

/**
 * Seconds one hit on GM note `pitch` lasts with these options (its voice's decay; 0 for a note
 * the kit does not play). `tail()` is the longest of these; a host rendering single hits
 * (the `kit`'s synth pads) can size each hit by its own voice instead.
 */
export function hitSeconds(options: Readonly<DrumOptions>, pitch: number): Seconds {
  switch (pitch) {
    case GM_DRUMS.kick:
      return options.kick.decay;
    case GM_DRUMS.snare:
      return options.snare.decay;
    case GM_DRUMS.clap:
      return options.clap.decay;
    case GM_DRUMS.closedHat:
      return options.closedHat.decay;
    case GM_DRUMS.pedalHat:
      return options.closedHat.decay * 0.6;
    case GM_DRUMS.openHat:
      return options.openHat.decay;
    case GM_DRUMS.lowTom:
    case GM_DRUMS.lowTom + 2:
      return options.lowTom.decay;
    case GM_DRUMS.midTom:
    case GM_DRUMS.midTom + 2:
      return options.midTom.decay;
    case GM_DRUMS.highTom:
    case GM_DRUMS.highTom + 2:
      return options.highTom.decay;
    case GM_DRUMS.crash:
      return options.crash.decay;
    case GM_DRUMS.ride:
      return options.ride.decay;
    default:
      return 0;
  }
}

const VOICES = ['kick', 'snare', 'clap', 'closedHat', 'openHat', 'lowTom', 'midTom', 'highTom', 'crash', 'ride'] as const;

/** (1 - t/T)^4 — ends at exactly 0 after T. */
function decayAt(n: number, total: number): number {
  const x = 1 - n / total;
  const x2 = x * x;
  return x2 * x2;
}

/** The kit's hits, rendered a song block at a time: each hit a voice from its note's start to its end, summed in note order. */
class DrumStream implements InstrumentStream {
  private readonly options: DrumOptions;
  private readonly notes: readonly NoteEvent[];
  private readonly sampleRate: number;
  private readonly seed: number;
  private readonly length: number;
  private readonly kit: number;
  /** Start samples of the closed and pedal hats, in note order: they choke a ringing open hat. */
  private readonly chokes: Float64Array;
  private readonly chokesAscending: boolean;
  private readonly queue: NoteQueue;
  /** Sounding hits in note order. */
  private readonly voices: DrumVoice[] = [];

  constructor({ sampleRate, options, notes, seed, lengthSamples }: InstrumentStreamContext<DrumOptions>) {
    this.options = options;
    this.notes = notes;
    this.sampleRate = sampleRate;
    this.seed = seed;
    this.length = lengthSamples;
    this.kit = Math.pow(10, options.level / 20);
    this.chokes = Float64Array.from(notes.filter((note) => note.pitch === GM_DRUMS.closedHat || note.pitch === GM_DRUMS.pedalHat), (note) => note.startSample);
    this.chokesAscending = this.chokes.every((at, i, chokes) => i === 0 || chokes[i - 1] <= at);
    this.queue = new NoteQueue(notes);
  }

  render(start: number, output: readonly Float32Array[]): void {
    renderInChunks(start, output, this.renderBlock);
  }

  /** One block of at most VOICE_CHUNK frames. */
  private readonly renderBlock = (blockStart: number, output: readonly Float32Array[]): void => {
    if (output.length === 0) return;
    const out = output[0];
    const blockEnd = blockStart + out.length;
    for (let index = this.queue.take(blockEnd); index >= 0; index = this.queue.take(blockEnd)) {
      const voice = this.startVoice(index);
      if (voice) insertVoice(this.voices, voice);
    }
    const voices = this.voices;
    let kept = 0;
    for (let v = 0; v < voices.length; v++) {
      const voice = voices[v];
      voice.render(out, blockStart, blockEnd);
      if (voice.next < voice.end) voices[kept++] = voice;
    }
    voices.length = kept;
  };

  /** The first closed or pedal hat (in note order) after `start`, or Infinity. */
  private chokeAfter(start: number): number {
    const chokes = this.chokes;
    if (!this.chokesAscending) {
      for (let i = 0; i < chokes.length; i++) if (chokes[i] > start) return chokes[i];
      return Infinity;
    }
    let low = 0;
    let high = chokes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (chokes[middle] > start) high = middle;
      else low = middle + 1;
    }
    return low < chokes.length ? chokes[low] : Infinity;
  }

  /** The voice for note `index`, or null when the kit has no sound there or it starts after the song's end. */
  private startVoice(index: number): DrumVoice | null {
    const { options, sampleRate, length } = this;
    const note = this.notes[index];
    if (note.startSample >= length) return null;
    const velocity = note.velocity / 127;
    const gain = this.kit * velocity * Math.sqrt(velocity);
    const chokeAt = note.pitch === GM_DRUMS.openHat ? this.chokeAfter(note.startSample) : Infinity;
    const hit: Hit = { index, start: note.startSample, gain, chokeAt, seed: mixSeed(this.seed, index) };
    switch (note.pitch) {
      case GM_DRUMS.kick:
        return new KickVoice(hit, options.kick, sampleRate, length);
      case GM_DRUMS.snare:
        return new SnareVoice(hit, options.snare, sampleRate, length);
      case GM_DRUMS.clap:
        return new ClapVoice(hit, options.clap, sampleRate, length);
      case GM_DRUMS.closedHat:
        return new MetalVoice(hit, options.closedHat, options.closedHat.decay, sampleRate, length);
      case GM_DRUMS.pedalHat:
        return new MetalVoice(hit, options.closedHat, options.closedHat.decay * 0.6, sampleRate, length);
      case GM_DRUMS.openHat:
        return new MetalVoice(hit, options.openHat, options.openHat.decay, sampleRate, length);
      case GM_DRUMS.lowTom:
      case GM_DRUMS.lowTom + 2:
        return new TomVoice(hit, options.lowTom, note.pitch - GM_DRUMS.lowTom, sampleRate, length);
      case GM_DRUMS.midTom:
      case GM_DRUMS.midTom + 2:
        return new TomVoice(hit, options.midTom, note.pitch - GM_DRUMS.midTom, sampleRate, length);
      case GM_DRUMS.highTom:
      case GM_DRUMS.highTom + 2:
        return new TomVoice(hit, options.highTom, note.pitch - GM_DRUMS.highTom, sampleRate, length);
      case GM_DRUMS.crash:
        return new CymbalVoice(hit, options.crash, 0, false, sampleRate, length);
      case GM_DRUMS.ride:
        return new CymbalVoice(hit, options.ride, options.ride.bell, true, sampleRate, length);
      default:
        return null; // unmapped notes are silent, as on a GM kit without that sound
    }
  }
}

// Module-local bindings: in the per-sample loops an imported name costs a property read under vite-node.
const blep = polyBlep;
const white = noiseAt;
const highpass = svfHighpass;
const bandpass = svfBandpass;

/**
 * One sounding hit between blocks: `next` is the song frame it computes next, and it is done
 * at `end` (its decay, a choke's fade or the song's end, whichever comes first). Its noise is a
 * mulberry32 state stepped in a local (the same sequence `createRandom(seed)` gives).
 */
abstract class DrumVoice {
  readonly index: number;
  readonly start: number;
  /** Samples of the whole hit: its (1 - t/T)^4 envelope's T. */
  readonly total: number;
  readonly end: number;
  next: number;
  protected noise: number;

  constructor(hit: Hit, decay: number, sampleRate: number, length: number) {
    this.index = hit.index;
    this.start = hit.start;
    this.total = Math.max(1, Math.round(decay * sampleRate));
    const chokeEnd = hit.chokeAt === Infinity ? Infinity : hit.chokeAt + Math.round(CHOKE_FADE * sampleRate);
    this.end = Math.min(length, this.start + this.total, chokeEnd);
    this.next = this.start;
    this.noise = hit.seed;
  }

  /** Add frames `next` … min(`end`, `blockEnd`) − 1 into `out`, whose first element is frame `blockStart`. */
  abstract render(out: Float32Array, blockStart: number, blockEnd: number): void;
}

class KickVoice extends DrumVoice {
  private readonly gain: number;
  private readonly clickSamples: number;
  private readonly sweepFactor: number;
  private readonly options: KickOptions;
  private readonly sampleRate: number;
  private sweep = 1;
  private phase = 0;

  constructor(hit: Hit, o: KickOptions, sampleRate: number, length: number) {
    super(hit, o.decay, sampleRate, length);
    this.options = o;
    this.sampleRate = sampleRate;
    this.gain = hit.gain * Math.pow(10, o.level / 20);
    this.clickSamples = Math.round(0.002 * sampleRate);
    this.sweepFactor = Math.exp(-1 / (o.sweepTime * sampleRate));
  }

  render(out: Float32Array, blockStart: number, blockEnd: number): void {
    const { start, total, gain, clickSamples, sweepFactor, sampleRate } = this;
    const { tune, click: clickLevel } = this.options;
    const depth = this.options.sweep - 1;
    let { sweep, phase, noise } = this;
    const end = Math.min(this.end, blockEnd);
    for (let i = this.next; i < end; i++) {
      const n = i - start;
      const frequency = tune * (1 + depth * sweep);
      sweep *= sweepFactor;
      const body = Math.sin(TWO_PI * phase);
      phase += frequency / sampleRate;
      if (phase >= 1) phase -= 1;
      let click = 0;
      if (n < clickSamples) {
        noise = (noise + NOISE_STEP) | 0;
        click = clickLevel * white(noise) * (1 - n / clickSamples);
      }
      out[i - blockStart] += (body + click) * decayAt(n, total) * gain;
    }
    this.sweep = sweep;
    this.phase = phase;
    this.noise = noise;
    this.next = Math.max(this.next, end);
  }
}

class SnareVoice extends DrumVoice {
  private readonly gain: number;
  private readonly bodyTotal: number;
  private readonly filter: SvfCoefficients;
  private readonly step: number;
  private readonly snappy: number;
  private readonly wires = svfState();
  private phase = 0;

  constructor(hit: Hit, o: SnareOptions, sampleRate: number, length: number) {
    super(hit, o.decay, sampleRate, length);
    this.gain = hit.gain * Math.pow(10, o.level / 20);
    this.bodyTotal = Math.max(1, Math.round(Math.min(o.decay, 0.12) * sampleRate));
    this.filter = svfCoefficients(1800, sampleRate, 1, { a1: 0, a2: 0, a3: 0, k: 1 });
    this.step = o.tune / sampleRate;
    this.snappy = o.snappy;
  }

  render(out: Float32Array, blockStart: number, blockEnd: number): void {
    const { start, total, gain, bodyTotal, step, snappy, filter, wires: state } = this;
    const tone = 1 - snappy;
    let { phase, noise } = this;
    const end = Math.min(this.end, blockEnd);
    for (let i = this.next; i < end; i++) {
      const n = i - start;
      const body = n < bodyTotal ? Math.sin(TWO_PI * phase) * decayAt(n, bodyTotal) : 0;
      phase += step;
      if (phase >= 1) phase -= 1;
      // The wires: noise through a 1.8 kHz high-pass.
      noise = (noise + NOISE_STEP) | 0;
      const wires = highpass(state, filter, white(noise)) * decayAt(n, total);
      out[i - blockStart] += (tone * body + snappy * wires) * gain;
    }
    this.phase = phase;
    this.noise = noise;
    this.next = Math.max(this.next, end);
  }
}

class ClapVoice extends DrumVoice {
  private readonly gain: number;
  private readonly filter: SvfCoefficients;
  /** Three short bursts 10 ms apart, then the room's tail: the shape of several hands. */
  private readonly burst: number;
  private readonly state = svfState();

  constructor(hit: Hit, o: DrumVoiceOptions, sampleRate: number, length: number) {
    super(hit, o.decay, sampleRate, length);
    this.gain = hit.gain * Math.pow(10, o.level / 20) * 2;
    this.filter = svfCoefficients(o.tune, sampleRate, 0.7, { a1: 0, a2: 0, a3: 0, k: 0.7 });
    this.burst = Math.round(0.01 * sampleRate);
  }

  render(out: Float32Array, blockStart: number, blockEnd: number): void {
    const { start, total, gain, burst, filter, state } = this;
    let noise = this.noise;
    const end = Math.min(this.end, blockEnd);
    for (let i = this.next; i < end; i++) {
      const n = i - start;
      const envelope = n < 3 * burst ? decayAt(n % burst, burst) : 0.6 * decayAt(n, total);
      noise = (noise + NOISE_STEP) | 0;
      out[i - blockStart] += bandpass(state, filter, white(noise)) * envelope * gain;
    }
    this.noise = noise;
    this.next = Math.max(this.next, end);
  }
}

/** Sum of the six square partials (polyBLEP edges) at `phases`, which it advances by `increments`. */
function metalPartials(phases: Float64Array, increments: Float64Array): number {
  let sum = 0;
  for (let p = 0; p < 6; p++) {
    const phase = phases[p];
    const dt = increments[p];
    let shifted = phase + 0.5;
    if (shifted >= 1) shifted -= 1;
    sum += (phase < 0.5 ? 1 : -1) + blep(phase, dt) - blep(shifted, dt);
    phases[p] = phase + dt >= 1 ? phase + dt - 1 : phase + dt;
  }
  return sum;
}

/** A hi-hat: the six partials high-passed twice (24 dB/oct) so only the sizzle above ~7 kHz is left; an open hat fades out when a closed one chokes it. */
class MetalVoice extends DrumVoice {
  private readonly gain: number;
  private readonly increments: Float64Array;
  private readonly phases = new Float64Array(METAL_PARTIALS.length);
  private readonly filter: SvfCoefficients;
  private readonly chokeAt: number;
  private readonly chokeFade: number;
  /** Two high-pass stages (24 dB/oct). */
  private readonly first = svfState();
  private readonly second = svfState();

  constructor(hit: Hit, o: DrumVoiceOptions, decay: number, sampleRate: number, length: number) {
    super(hit, decay, sampleRate, length);
    this.gain = hit.gain * Math.pow(10, o.level / 20) * METAL_GAIN;
    this.increments = Float64Array.from(METAL_PARTIALS, (frequency) => (frequency * o.tune) / sampleRate);
    this.filter = svfCoefficients(7000, sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: Math.SQRT2 });
    this.chokeAt = hit.chokeAt;
    this.chokeFade = CHOKE_FADE * sampleRate;
  }

  render(out: Float32Array, blockStart: number, blockEnd: number): void {
    const { start, total, gain, increments, phases, chokeAt, chokeFade, filter, first, second } = this;
    const end = Math.min(this.end, blockEnd);
    for (let i = this.next; i < end; i++) {
      // Two high-pass stages (24 dB/oct) leave only the sizzle above ~7 kHz.
      const sizzle = highpass(second, filter, highpass(first, filter, metalPartials(phases, increments) / METAL_PARTIALS.length));
      // A choke fades linearly to zero over CHOKE_FADE.
      const choke = i < chokeAt ? 1 : Math.max(0, 1 - (i - chokeAt) / chokeFade);
      out[i - blockStart] += sizzle * decayAt(i - start, total) * choke * gain;
    }
    this.next = Math.max(this.next, end);
  }
}

/**
 * A tom: the head's fundamental falling from `sweep` × tune to tune, its first overtone
 * (the (1,1) membrane mode at 1.59×, damped twice as fast), and a short noise burst band-passed
 * at 12 × tune for the stick. `step` is 0 for the voice's own GM note and 2 for the GM tom above it
 * (played `TOM_STEP_UP` semitones higher).
 */
class TomVoice extends DrumVoice {
  private readonly gain: number;
  private readonly tune: number;
  private readonly depth: number;
  private readonly level: number;
  private readonly sweepFactor: number;
  private readonly overtoneTotal: number;
  private readonly stickTotal: number;
  private readonly stickFilter: SvfCoefficients;
  private readonly sampleRate: number;
  private sweep = 1;
  private phase = 0;
  private overtone = 0;
  private readonly stick = svfState();

  constructor(hit: Hit, o: TomOptions, step: number, sampleRate: number, length: number) {
    super(hit, o.decay, sampleRate, length);
    this.sampleRate = sampleRate;
    this.gain = hit.gain * Math.pow(10, o.level / 20);
    this.tune = o.tune * (step === 0 ? 1 : Math.pow(2, TOM_STEP_UP / 12));
    this.depth = o.sweep - 1;
    this.level = o.tone;
    this.sweepFactor = Math.exp(-1 / (o.sweepTime * sampleRate));
    this.overtoneTotal = Math.max(1, Math.round(this.total / 2));
    this.stickTotal = Math.max(1, Math.round(0.03 * sampleRate));
    this.stickFilter = svfCoefficients(Math.min(12 * this.tune, 0.4 * sampleRate), sampleRate, 1, { a1: 0, a2: 0, a3: 0, k: 1 });
  }

  render(out: Float32Array, blockStart: number, blockEnd: number): void {
    const { start, total, gain, tune, depth, sweepFactor, overtoneTotal, stickTotal, sampleRate, level, stickFilter, stick: state } = this;
    let { sweep, phase, overtone, noise } = this;
    const end = Math.min(this.end, blockEnd);
    for (let i = this.next; i < end; i++) {
      const n = i - start;
      const frequency = tune * (1 + depth * sweep);
      sweep *= sweepFactor;
      const body = Math.sin(TWO_PI * phase) + (n < overtoneTotal ? 0.25 * Math.sin(TWO_PI * overtone) * decayAt(n, overtoneTotal) : 0);
      phase += frequency / sampleRate;
      if (phase >= 1) phase -= 1;
      overtone += (1.593 * frequency) / sampleRate;
      if (overtone >= 1) overtone -= 1;
      let stick = 0;
      if (n < stickTotal) {
        noise = (noise + NOISE_STEP) | 0;
        stick = level * bandpass(state, stickFilter, white(noise)) * decayAt(n, stickTotal);
      }
      out[i - blockStart] += (body * decayAt(n, total) + stick) * gain;
    }
    this.sweep = sweep;
    this.phase = phase;
    this.overtone = overtone;
    this.noise = noise;
    this.next = Math.max(this.next, end);
  }
}

/** Cymbals' metal partials sit this far above the hats' (crash, ride): a larger, lower-pitched plate. */
const CRASH_SPREAD = 1.25;
const RIDE_SPREAD = 1.7;
/** High-pass centre before `tone` moves it: the crash washes lower than the ride pings. */
const CRASH_HIGHPASS = 3500;
const RIDE_HIGHPASS = 5000;
/** Share of noise in the wash: the crash is mostly noise-like, the ride mostly metal. */
const CRASH_NOISE = 0.6;
const RIDE_NOISE = 0.25;
/** Make-up gains after the high-pass: the crash keeps far more energy (lower, noisier) than the ride. */
const CRASH_GAIN = 1.3;
const RIDE_GAIN = METAL_GAIN;

/**
 * A cymbal: the six square partials of the hats (spread wider and ring-modulated by noise,
 * which smears them into a wash), high-passed twice (24 dB/oct) so the energy sits above
 * ~3 kHz. The crash adds an attack swell on top of its long decay; the ride adds a bell,
 * the partials band-passed around 2.5 kHz × tune.
 */
class CymbalVoice extends DrumVoice {
  private readonly gain: number;
  private readonly bell: number;
  private readonly ride: boolean;
  private readonly increments: Float64Array;
  private readonly phases = new Float64Array(METAL_PARTIALS.length);
  private readonly highpass: SvfCoefficients;
  private readonly bellFilter: SvfCoefficients;
  private readonly noiseShare: number;
  private readonly swellTotal: number;
  private readonly bellTotal: number;
  /** Two high-pass stages and the bell's band-pass. */
  private readonly first = svfState();
  private readonly second = svfState();
  private readonly ring = svfState();

  constructor(hit: Hit, o: CymbalOptions, bell: number, ride: boolean, sampleRate: number, length: number) {
    super(hit, o.decay, sampleRate, length);
    this.gain = hit.gain * Math.pow(10, o.level / 20) * (ride ? RIDE_GAIN : CRASH_GAIN);
    this.bell = bell;
    this.ride = ride;
    const spread = ride ? RIDE_SPREAD : CRASH_SPREAD;
    this.increments = Float64Array.from(METAL_PARTIALS, (frequency) => Math.min(0.45, (frequency * o.tune * spread) / sampleRate));
    const highpass = (ride ? RIDE_HIGHPASS : CRASH_HIGHPASS) * Math.pow(2, o.tone - 0.5);
    this.highpass = svfCoefficients(highpass, sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: Math.SQRT2 });
    this.bellFilter = svfCoefficients(2500 * o.tune, sampleRate, 0.3, { a1: 0, a2: 0, a3: 0, k: 0.3 });
    this.noiseShare = ride ? RIDE_NOISE : CRASH_NOISE;
    this.swellTotal = Math.max(1, Math.round(0.12 * sampleRate));
    this.bellTotal = Math.max(1, Math.round(this.total * 0.6));
  }

  render(out: Float32Array, blockStart: number, blockEnd: number): void {
    const { start, total, gain, bell, ride, increments, phases, noiseShare, swellTotal, bellTotal, highpass: filter, bellFilter, first, second, ring } = this;
    let noise = this.noise;
    const end = Math.min(this.end, blockEnd);
    for (let i = this.next; i < end; i++) {
      const n = i - start;
      const metallic = metalPartials(phases, increments) / 6;
      noise = (noise + NOISE_STEP) | 0;
      const hiss = white(noise);
      const source = (1 - noiseShare) * metallic + noiseShare * metallic * hiss * 2 + noiseShare * 0.5 * hiss;
      const wash = highpass(second, filter, highpass(first, filter, source));
      let envelope = decayAt(n, total);
      if (!ride && n < swellTotal) envelope += 0.8 * decayAt(n, swellTotal);
      const ping = n < bellTotal && bell > 0 ? bell * bandpass(ring, bellFilter, metallic) * decayAt(n, bellTotal) : 0;
      out[i - blockStart] += (wash * envelope + ping) * gain;
    }
    this.noise = noise;
    this.next = Math.max(this.next, end);
  }
}
