/**
 * `pluck`: a Karplus-Strong plucked string (with the Jaffe-Smith extensions).
 *
 * A burst of seeded noise one period long (low-passed by `brightness`, comb-filtered by
 * `pickPosition`) is fed into a loop of: an integer delay line, a two-tap damping filter
 * y = (1−s)·x[n] + s·x[n−1], a first-order allpass for the fractional part of the period, and
 * a loop gain. The allpass coefficient is solved from the exact phase delays of the damping
 * filter and the allpass at the note's frequency, so the loop's total phase delay is exactly
 * one period there and the pitch is exact (well within a cent) even at high notes where the
 * period is a few dozen samples. The loop gain is set so that the fundamental falls 60 dB in
 * `decay` seconds after the damping filter's own loss at the fundamental is taken out.
 *
 * At note-off the string is damped: the loop gain drops to a 60 dB fall in `release` seconds
 * and a (1 − t/T)³ fade ends the voice at exactly zero after `release`. A string held longer
 * than twice `decay` (120 dB down) stops there. Noise is seeded from the track seed and the
 * note's index, so renders repeat. Mono (`channels: 1`).
 */
import { defineInstrument } from '../api/define-instrument.ts';
import { createRandom, mixSeed } from '../dsp/random.ts';
import { midiToFrequency } from '../theory/pitch.ts';
import type { Decibels, Seconds } from '../theory/units.ts';
import { levelAndProgramProblems } from './checks.ts';

export interface PluckOptions {
  /** Seconds for the fundamental to fall 60 dB while the note is held. @default 1.5 */
  readonly decay: Seconds;
  /** Seconds from note-off to silence (the string damped by a hand). @default 0.08 */
  readonly release: Seconds;
  /** 0–1: a brighter excitation (low-passed from the 2nd to the 256th harmonic) and a lighter damping filter, so upper harmonics ring longer. @default 0.5 */
  readonly brightness: number;
  /** Where the string is plucked, as a fraction of its length from the bridge (0.5: the middle, hollow). @default 0.15 */
  readonly pickPosition: number;
  /** Transpose in octaves. @default 0 */
  readonly octave: number;
  /** Fine tune in cents. @default 0 */
  readonly detune: number;
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
  readonly velocitySensitivity: number;
  /** Output level in dB at full velocity. @default -6 */
  readonly level: Decibels;
  /** General MIDI program (0–127) written to the exported MIDI file. @default 25 (Acoustic Guitar, steel) */
  readonly program: number;
}

export const pluckDefaults: PluckOptions = {
  decay: 1.5,
  release: 0.08,
  brightness: 0.5,
  pickPosition: 0.15,
  octave: 0,
  detune: 0,
  velocitySensitivity: 1,
  level: -6,
  program: 25,
};

/** The excitation's noise is scaled so a default pluck peaks near the synth's level. */
const EXCITATION_GAIN = 1.3;

/** Phase delay (samples) of y = (1−s)x[n] + s·x[n−1] at ω radians/sample. */
function dampingDelay(s: number, w: number): number {
  return Math.atan2(s * Math.sin(w), 1 - s + s * Math.cos(w)) / w;
}

/** Magnitude of the same filter at ω. */
function dampingGain(s: number, w: number): number {
  return Math.hypot(1 - s + s * Math.cos(w), s * Math.sin(w));
}

export const pluck = defineInstrument<PluckOptions>({
  name: 'pluck',
  version: '1',
  defaults: pluckDefaults,
  channels: 1,
  tail: (options) => options.release,
  midi: (options) => ({ program: options.program }),
  validate(options) {
    const problems: string[] = [];
    if (!(options.decay > 0 && options.decay <= 60)) problems.push('decay must be above 0 and at most 60 seconds');
    if (!(options.release > 0 && options.release <= 10)) problems.push('release must be above 0 and at most 10 seconds');
    if (!(options.brightness >= 0 && options.brightness <= 1)) problems.push('brightness must be from 0 to 1');
    if (!(options.pickPosition > 0 && options.pickPosition <= 0.5)) problems.push('pickPosition must be above 0 and at most 0.5');
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    problems.push(...levelAndProgramProblems(options));
    return problems;
  },
  render({ sampleRate, options, notes, output, seed }) {
    const length = output[0]?.length ?? 0;
    const level = Math.pow(10, options.level / 20);
    const tuning = options.octave * 12 + options.detune / 100;
    const sensitivity = options.velocitySensitivity;
    // Damping tap s: 0.5 is the classic averaging filter (darkest), 0.05 lets harmonics ring.
    const s = 0.5 - 0.45 * options.brightness;
    const releaseSamples = Math.max(1, Math.round(options.release * sampleRate));
    const limitSamples = Math.round(2 * options.decay * sampleRate);
    for (let index = 0; index < notes.length; index++) {
      const note = notes[index];
      const start = note.startSample;
      if (start >= length) continue;
      const frequency = midiToFrequency(note.pitch + tuning);
      const period = sampleRate / frequency;
      // Below ~4 samples per period the loop's parts cannot fit in it (above ~12 kHz).
      if (!(period >= 4)) continue;
      const w = (2 * Math.PI) / period;
      const held = Math.pow(10, -3 / (frequency * options.decay)); // fundamental's gain per period
      // The damping filter must not lose more at the fundamental than the decay allows, or
      // the loop gain would need to exceed 1 (and DC would grow): lighten it for such notes.
      // |H(ω)|² = 1 − 2s(1−s)(1 − cos ω), solved for s at |H| = held.
      const q = (1 - held * held) / (2 * (1 - Math.cos(w)));
      const lightest = q >= 0.25 ? 0.5 : (1 - Math.sqrt(1 - 4 * q)) / 2;
      const tap = Math.min(s, lightest);
      const filterDelay = dampingDelay(tap, w);
      // Integer delay M and allpass delay Δ in [0.1, 1.1): Δ near 0 would put the allpass
      // pole at -1 (ringing), so part of the period always goes through it.
      const delay = Math.max(1, Math.floor(period - filterDelay - 0.1));
      const fraction = period - filterDelay - delay;
      // Allpass (a + z⁻¹)/(1 + a z⁻¹) with phase delay exactly `fraction` at ω (Jaffe & Smith).
      const a = Math.sin((w * (1 - fraction)) / 2) / Math.sin((w * (1 + fraction)) / 2);
      const loss = dampingGain(tap, w);
      const heldGain = Math.min(1, held / loss);
      const releasedGain = Math.min(1, Math.pow(10, -3 / (frequency * options.release)) / loss);
      const velocity = note.velocity / 127;
      const gain = level * (1 - sensitivity + sensitivity * velocity * velocity) * EXCITATION_GAIN;
      // Excitation low-pass (two one-poles, 12 dB/oct) relative to the note, so the timbre is
      // the same across the range: from the 2nd harmonic (brightness 0) to the 256th (1).
      const excitationCutoff = Math.min(frequency * Math.pow(2, 1 + 7 * options.brightness), 0.45 * sampleRate);
      const excitationPole = Math.exp((-2 * Math.PI * excitationCutoff) / sampleRate);

      // Excitation: one period of low-passed noise, comb-filtered at the pick position. The
      // line holds one period of a periodic wave, so the comb wraps round it: x[n] − x[n − βP]
      // cancels exactly the harmonics with a node at the pick point, as a real pluck does, and
      // a circular difference has no DC (a constant would circulate as a slow offset).
      const random = createRandom(mixSeed(seed, index));
      const burst = new Float64Array(delay);
      let smooth = 0;
      let smoother = 0;
      for (let i = 0; i < delay; i++) {
        smooth = (1 - excitationPole) * (random() * 2 - 1) + excitationPole * smooth;
        smoother = (1 - excitationPole) * smooth + excitationPole * smoother;
        burst[i] = smoother;
      }
      const pick = Math.max(1, Math.round(options.pickPosition * delay));
      const excitation = new Float64Array(delay);
      for (let i = 0; i < delay; i++) excitation[i] = burst[i] - burst[i >= pick ? i - pick : i - pick + delay];

      const line = excitation; // the delay line starts holding the burst
      const gate = Math.max(1, note.lengthSamples);
      const span = Math.min(length - start, Math.min(gate, limitSamples) + (gate < limitSamples ? releaseSamples : 0));
      let position = 0;
      let previous = 0; // damping filter's x[n−1]
      let apIn = 0; // allpass x[n−1]
      let apOut = 0; // allpass y[n−1]
      let loopGain = heldGain;
      const channels = output;
      for (let n = 0; n < span; n++) {
        if (n === gate) loopGain = releasedGain;
        const x = line[position];
        const damped = (1 - tap) * x + tap * previous;
        previous = x;
        const shifted = a * damped + apIn - a * apOut;
        apIn = damped;
        apOut = shifted;
        line[position] = loopGain * shifted;
        position = position + 1 === delay ? 0 : position + 1;
        let value = x * gain;
        if (n >= gate) {
          const r = 1 - (n - gate) / releaseSamples;
          value *= r * r * r;
        }
        const at = start + n;
        if (at >= 0) for (let c = 0; c < channels.length; c++) channels[c][at] += value;
      }
    }
  },
});
