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
import type { NoteEvent } from '../ir/plugin.ts';
import { polyBlep } from '../dsp/blep.ts';
import { createRandom, mixSeed } from '../dsp/random.ts';
import { svfBandpass, svfCoefficients, svfHighpass, svfState, type SvfCoefficients } from '../dsp/svf.ts';
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

interface Hit {
  readonly note: NoteEvent;
  readonly index: number;
  readonly gain: number;
  /** Sample at which a later closed hat cuts this hit off (open hat only). */
  readonly chokeAt: number;
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
  render({ sampleRate, options, notes, output, seed }) {
    const kit = Math.pow(10, options.level / 20);
    const chokes = notes.filter((note) => note.pitch === GM_DRUMS.closedHat || note.pitch === GM_DRUMS.pedalHat).map((note) => note.startSample);
    notes.forEach((note, index) => {
      const velocity = note.velocity / 127;
      const gain = kit * velocity * Math.sqrt(velocity);
      const chokeAt = note.pitch === GM_DRUMS.openHat ? (chokes.find((at) => at > note.startSample) ?? Infinity) : Infinity;
      const hit: Hit = { note, index, gain, chokeAt };
      const random = createRandom(mixSeed(seed, index));
      switch (note.pitch) {
        case GM_DRUMS.kick:
          return kick(hit, options.kick, sampleRate, output, random);
        case GM_DRUMS.snare:
          return snare(hit, options.snare, sampleRate, output, random);
        case GM_DRUMS.clap:
          return clap(hit, options.clap, sampleRate, output, random);
        case GM_DRUMS.closedHat:
          return metal(hit, options.closedHat, options.closedHat.decay, sampleRate, output);
        case GM_DRUMS.pedalHat:
          return metal(hit, options.closedHat, options.closedHat.decay * 0.6, sampleRate, output);
        case GM_DRUMS.openHat:
          return metal(hit, options.openHat, options.openHat.decay, sampleRate, output);
        case GM_DRUMS.lowTom:
        case GM_DRUMS.lowTom + 2:
          return tom(hit, options.lowTom, note.pitch - GM_DRUMS.lowTom, sampleRate, output, random);
        case GM_DRUMS.midTom:
        case GM_DRUMS.midTom + 2:
          return tom(hit, options.midTom, note.pitch - GM_DRUMS.midTom, sampleRate, output, random);
        case GM_DRUMS.highTom:
        case GM_DRUMS.highTom + 2:
          return tom(hit, options.highTom, note.pitch - GM_DRUMS.highTom, sampleRate, output, random);
        case GM_DRUMS.crash:
          return cymbal(hit, options.crash, 0, false, sampleRate, output, random);
        case GM_DRUMS.ride:
          return cymbal(hit, options.ride, options.ride.bell, true, sampleRate, output, random);
        default:
          return undefined; // unmapped notes are silent, as on a GM kit without that sound
      }
    });
  },
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

type Output = readonly Float32Array[];

const VOICES = ['kick', 'snare', 'clap', 'closedHat', 'openHat', 'lowTom', 'midTom', 'highTom', 'crash', 'ride'] as const;

/** (1 - t/T)^4 — ends at exactly 0 after T. */
function decayAt(n: number, total: number): number {
  const x = 1 - n / total;
  const x2 = x * x;
  return x2 * x2;
}

function hitSpan(hit: Hit, decay: number, sampleRate: number, output: Output): { start: number; total: number; end: number } {
  const total = Math.max(1, Math.round(decay * sampleRate));
  const start = hit.note.startSample;
  const chokeEnd = hit.chokeAt === Infinity ? Infinity : hit.chokeAt + Math.round(CHOKE_FADE * sampleRate);
  return { start, total, end: Math.min(output[0].length, start + total, chokeEnd) };
}

/** Extra gain for the choke fade: 1 until the choke sample, then a linear fade to zero. */
function chokeGain(i: number, hit: Hit, sampleRate: number): number {
  if (i < hit.chokeAt) return 1;
  return Math.max(0, 1 - (i - hit.chokeAt) / (CHOKE_FADE * sampleRate));
}

function add(output: Output, i: number, value: number): void {
  output[0][i] += value;
}

function kick(hit: Hit, o: KickOptions, sampleRate: number, output: Output, random: () => number): void {
  const { start, total, end } = hitSpan(hit, o.decay, sampleRate, output);
  const gain = hit.gain * Math.pow(10, o.level / 20);
  const clickSamples = Math.round(0.002 * sampleRate);
  const sweepFactor = Math.exp(-1 / (o.sweepTime * sampleRate));
  let sweep = 1;
  let phase = 0;
  for (let i = start; i < end; i++) {
    const n = i - start;
    const frequency = o.tune * (1 + (o.sweep - 1) * sweep);
    sweep *= sweepFactor;
    const body = Math.sin(TWO_PI * phase);
    phase += frequency / sampleRate;
    if (phase >= 1) phase -= 1;
    const click = n < clickSamples ? o.click * (random() * 2 - 1) * (1 - n / clickSamples) : 0;
    add(output, i, (body + click) * decayAt(n, total) * gain);
  }
}

function snare(hit: Hit, o: SnareOptions, sampleRate: number, output: Output, random: () => number): void {
  const { start, total, end } = hitSpan(hit, o.decay, sampleRate, output);
  const gain = hit.gain * Math.pow(10, o.level / 20);
  const bodyTotal = Math.max(1, Math.round(Math.min(o.decay, 0.12) * sampleRate));
  const filter: SvfCoefficients = svfCoefficients(1800, sampleRate, 1, { a1: 0, a2: 0, a3: 0, k: 1 });
  const state = svfState();
  let phase = 0;
  const step = o.tune / sampleRate;
  for (let i = start; i < end; i++) {
    const n = i - start;
    const body = n < bodyTotal ? Math.sin(TWO_PI * phase) * decayAt(n, bodyTotal) : 0;
    phase += step;
    if (phase >= 1) phase -= 1;
    const wires = svfHighpass(state, filter, random() * 2 - 1) * decayAt(n, total);
    add(output, i, ((1 - o.snappy) * body + o.snappy * wires) * gain);
  }
}

function clap(hit: Hit, o: DrumVoiceOptions, sampleRate: number, output: Output, random: () => number): void {
  const { start, total, end } = hitSpan(hit, o.decay, sampleRate, output);
  const gain = hit.gain * Math.pow(10, o.level / 20) * 2;
  const filter = svfCoefficients(o.tune, sampleRate, 0.7, { a1: 0, a2: 0, a3: 0, k: 0.7 });
  const state = svfState();
  // Three short bursts 10 ms apart, then the room's tail: the shape of several hands.
  const burst = Math.round(0.01 * sampleRate);
  for (let i = start; i < end; i++) {
    const n = i - start;
    const envelope = n < 3 * burst ? decayAt(n % burst, burst) : 0.6 * decayAt(n, total);
    add(output, i, svfBandpass(state, filter, random() * 2 - 1) * envelope * gain);
  }
}

function metal(hit: Hit, o: DrumVoiceOptions, decay: number, sampleRate: number, output: Output): void {
  const { start, total, end } = hitSpan(hit, decay, sampleRate, output);
  const gain = hit.gain * Math.pow(10, o.level / 20) * METAL_GAIN;
  const increments = METAL_PARTIALS.map((frequency) => (frequency * o.tune) / sampleRate);
  const phases = METAL_PARTIALS.map(() => 0);
  const coefficients = svfCoefficients(7000, sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: Math.SQRT2 });
  const first = svfState();
  const second = svfState();
  for (let i = start; i < end; i++) {
    let sum = 0;
    for (let p = 0; p < increments.length; p++) {
      const phase = phases[p];
      const dt = increments[p];
      let shifted = phase + 0.5;
      if (shifted >= 1) shifted -= 1;
      sum += (phase < 0.5 ? 1 : -1) + polyBlep(phase, dt) - polyBlep(shifted, dt);
      phases[p] = phase + dt >= 1 ? phase + dt - 1 : phase + dt;
    }
    // Two high-pass stages (24 dB/oct) leave only the sizzle above ~7 kHz.
    const sizzle = svfHighpass(second, coefficients, svfHighpass(first, coefficients, sum / increments.length));
    add(output, i, sizzle * decayAt(i - start, total) * chokeGain(i, hit, sampleRate) * gain);
  }
}

/**
 * A tom: the head's fundamental falling from `sweep` × tune to tune, its first overtone
 * (the (1,1) membrane mode at 1.59×, damped twice as fast), and a short noise burst band-passed
 * at 12 × tune for the stick. `step` is 0 for the voice's own GM note and 2 for the GM tom above it
 * (played `TOM_STEP_UP` semitones higher).
 */
function tom(hit: Hit, o: TomOptions, step: number, sampleRate: number, output: Output, random: () => number): void {
  const { start, total, end } = hitSpan(hit, o.decay, sampleRate, output);
  const gain = hit.gain * Math.pow(10, o.level / 20);
  const tune = o.tune * (step === 0 ? 1 : Math.pow(2, TOM_STEP_UP / 12));
  const sweepFactor = Math.exp(-1 / (o.sweepTime * sampleRate));
  const overtoneTotal = Math.max(1, Math.round(total / 2));
  const stickTotal = Math.max(1, Math.round(0.03 * sampleRate));
  const stickFilter = svfCoefficients(Math.min(12 * tune, 0.4 * sampleRate), sampleRate, 1, { a1: 0, a2: 0, a3: 0, k: 1 });
  const stick = svfState();
  let sweep = 1;
  let phase = 0;
  let overtone = 0;
  for (let i = start; i < end; i++) {
    const n = i - start;
    const frequency = tune * (1 + (o.sweep - 1) * sweep);
    sweep *= sweepFactor;
    const body = Math.sin(TWO_PI * phase) + (n < overtoneTotal ? 0.25 * Math.sin(TWO_PI * overtone) * decayAt(n, overtoneTotal) : 0);
    phase += frequency / sampleRate;
    if (phase >= 1) phase -= 1;
    overtone += (1.593 * frequency) / sampleRate;
    if (overtone >= 1) overtone -= 1;
    const noise = n < stickTotal ? o.tone * svfBandpass(stick, stickFilter, random() * 2 - 1) * decayAt(n, stickTotal) : 0;
    add(output, i, (body * decayAt(n, total) + noise) * gain);
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
// A module-local binding: in the per-sample loop an imported name costs a property read under vite-node.
const blep = polyBlep;

/**
 * A cymbal: the six square partials of the hats (spread wider and ring-modulated by noise,
 * which smears them into a wash), high-passed twice (24 dB/oct) so the energy sits above
 * ~3 kHz. The crash adds an attack swell on top of its long decay; the ride adds a bell,
 * the partials band-passed around 2.5 kHz × tune. Filters run inline on local state
 * (a cymbal rings for seconds, so this loop is the kit's hottest).
 */
function cymbal(hit: Hit, o: CymbalOptions, bell: number, ride: boolean, sampleRate: number, output: Output, random: () => number): void {
  const { start, total, end } = hitSpan(hit, o.decay, sampleRate, output);
  const gain = hit.gain * Math.pow(10, o.level / 20) * (ride ? RIDE_GAIN : CRASH_GAIN);
  const spread = ride ? RIDE_SPREAD : CRASH_SPREAD;
  const increments = METAL_PARTIALS.map((frequency) => Math.min(0.45, (frequency * o.tune * spread) / sampleRate));
  const phases = METAL_PARTIALS.map(() => 0);
  const highpass = (ride ? RIDE_HIGHPASS : CRASH_HIGHPASS) * Math.pow(2, o.tone - 0.5);
  const { a1, a2, a3, k } = svfCoefficients(highpass, sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: Math.SQRT2 });
  const b = svfCoefficients(2500 * o.tune, sampleRate, 0.3, { a1: 0, a2: 0, a3: 0, k: 0.3 });
  const noiseShare = ride ? RIDE_NOISE : CRASH_NOISE;
  const swellTotal = Math.max(1, Math.round(0.12 * sampleRate));
  const bellTotal = Math.max(1, Math.round(total * 0.6));
  const out = output[0];
  // Two high-pass stages (p, q) and the bell's band-pass (r): Simper SVF states.
  let p1 = 0, p2 = 0, q1 = 0, q2 = 0, r1 = 0, r2 = 0;
  for (let i = start; i < end; i++) {
    const n = i - start;
    let sum = 0;
    for (let j = 0; j < 6; j++) {
      const phase = phases[j];
      const dt = increments[j];
      let shifted = phase + 0.5;
      if (shifted >= 1) shifted -= 1;
      sum += (phase < 0.5 ? 1 : -1) + blep(phase, dt) - blep(shifted, dt);
      phases[j] = phase + dt >= 1 ? phase + dt - 1 : phase + dt;
    }
    const metallic = sum / 6;
    const white = random() * 2 - 1;
    const source = (1 - noiseShare) * metallic + noiseShare * metallic * white * 2 + noiseShare * 0.5 * white;
    // High-pass 1.
    let v3 = source - p2;
    let v1 = a1 * p1 + a2 * v3;
    let v2 = p2 + a2 * p1 + a3 * v3;
    p1 = 2 * v1 - p1;
    p2 = 2 * v2 - p2;
    const once = source - k * v1 - v2;
    // High-pass 2.
    v3 = once - q2;
    v1 = a1 * q1 + a2 * v3;
    v2 = q2 + a2 * q1 + a3 * v3;
    q1 = 2 * v1 - q1;
    q2 = 2 * v2 - q2;
    const wash = once - k * v1 - v2;
    let envelope = decayAt(n, total);
    if (!ride && n < swellTotal) envelope += 0.8 * decayAt(n, swellTotal);
    let ping = 0;
    if (n < bellTotal && bell > 0) {
      v3 = metallic - r2;
      v1 = b.a1 * r1 + b.a2 * v3;
      v2 = r2 + b.a2 * r1 + b.a3 * v3;
      r1 = 2 * v1 - r1;
      r2 = 2 * v2 - r2;
      ping = bell * v1 * decayAt(n, bellTotal);
    }
    out[i] += (wash * envelope + ping) * gain;
  }
}
