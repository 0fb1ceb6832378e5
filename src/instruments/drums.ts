/**
 * `drums`: a synthesised kit on General MIDI drum notes. Every hit is a one-shot whose
 * length is its `decay` (notes' lengths are ignored, as on a drum machine), with an
 * envelope (1 - t/T)^4 that ends at exactly zero. Noise comes from a PRNG seeded by the
 * track seed and the hit's index, so every render is identical.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import type { NoteEvent } from '../api/plugin.ts';
import { polyBlep } from '../dsp/blep.ts';
import { createRandom, mixSeed } from '../dsp/random.ts';
import { svfBandpass, svfCoefficients, svfHighpass, svfState, type SvfCoefficients } from '../dsp/svf.ts';
import type { Decibels, Hertz, Seconds } from '../theory/units.ts';

/** GM drum note numbers the kit plays. */
export const GM_DRUMS = { kick: 36, snare: 38, clap: 39, closedHat: 42, pedalHat: 44, openHat: 46 } as const;

export interface DrumVoiceOptions {
  /** Main frequency: the kick's end pitch, the snare's body, the hats' metal (scales all partials). */
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
  /** Level of the whole kit in dB. @default -3 */
  readonly level: Decibels;
}

export const drumDefaults: DrumOptions = {
  kick: { tune: 48, decay: 0.5, level: 0, sweep: 3.5, sweepTime: 0.035, click: 0.3 },
  snare: { tune: 185, decay: 0.22, level: -3, snappy: 0.65 },
  clap: { tune: 1200, decay: 0.25, level: -4 },
  closedHat: { tune: 1, decay: 0.06, level: -10 },
  openHat: { tune: 1, decay: 0.4, level: -12 },
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
  tail: (options) => Math.max(options.kick.decay, options.snare.decay, options.clap.decay, options.closedHat.decay, options.openHat.decay),
  midi: () => ({ drums: true }),
  validate(options) {
    const problems: string[] = [];
    for (const name of ['kick', 'snare', 'clap', 'closedHat', 'openHat'] as const) {
      const voice = options[name];
      if (!(voice.decay > 0 && voice.decay <= 10)) problems.push(`${name}.decay must be from 0 to 10 seconds`);
      if (!(voice.tune > 0)) problems.push(`${name}.tune must be above 0`);
    }
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
        default:
          return undefined; // unmapped notes are silent, as on a GM kit without that sound
      }
    });
  },
});

type Output = readonly Float32Array[];

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
