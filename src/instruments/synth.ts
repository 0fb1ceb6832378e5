/**
 * `synth`: a polyphonic subtractive synthesiser. One voice per note: a band-limited
 * oscillator through a resonant low-pass (Simper SVF) whose cutoff follows key, velocity-free
 * filter envelope, and an ADSR amplifier. Voices are summed in note order, so the same notes
 * always give the same bits.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import type { Adsr } from '../dsp/envelope.ts';
import { AdsrEnvelope } from '../dsp/envelope.ts';
import { oscillatorBlock, WAVEFORMS, type Waveform } from '../dsp/oscillator.ts';
import { dampingFromResonance, svfCoefficients, type SvfCoefficients } from '../dsp/svf.ts';
import { midiToFrequency } from '../theory/pitch.ts';
import type { Decibels, Hertz } from '../theory/units.ts';

export interface SynthFilterOptions {
  /** Low-pass cutoff at middle C with the filter envelope closed, in Hz. @default 2400 */
  readonly cutoff: Hertz;
  /** Resonance 0–1 (0: no peak, 1: Q ≈ 20). @default 0.2 */
  readonly resonance: number;
  /** How far the filter envelope opens the cutoff at its peak, in octaves (negative closes it). @default 2 */
  readonly envAmount: number;
  /** How much the cutoff follows the note: 0 fixed, 1 moves an octave per octave. @default 0.5 */
  readonly keyTrack: number;
}

export interface SynthOptions {
  /** Oscillator waveform. @default 'saw' */
  readonly wave: Waveform;
  /** Transpose in octaves. @default 0 */
  readonly octave: number;
  /** Fine tune in cents. @default 0 */
  readonly detune: number;
  /** The low-pass filter. */
  readonly filter: SynthFilterOptions;
  /** Envelope of the filter cutoff (its level scales `filter.envAmount`). */
  readonly filterEnvelope: Adsr;
  /** Envelope of the amplifier. */
  readonly envelope: Adsr;
  /** How strongly velocity sets the level: 0 ignores velocity, 1 follows it fully. @default 1 */
  readonly velocitySensitivity: number;
  /** Output level in dB at full velocity. @default -6 */
  readonly level: Decibels;
  /** General MIDI program (0–127) written to the exported MIDI file. @default 81 (Lead 2, sawtooth) */
  readonly program: number;
}

export const synthDefaults: SynthOptions = {
  wave: 'saw',
  octave: 0,
  detune: 0,
  filter: { cutoff: 2400, resonance: 0.2, envAmount: 2, keyTrack: 0.5 },
  filterEnvelope: { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 },
  envelope: { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 },
  velocitySensitivity: 1,
  level: -6,
  program: 81,
};

/** Samples between filter coefficient updates: tan() per block, not per sample. */
const BLOCK = 32;

export const synth = defineInstrument<SynthOptions>({
  name: 'synth',
  version: '1',
  defaults: synthDefaults,
  channels: 1,
  tail: (options) => options.envelope.release,
  midi: (options) => ({ program: options.program }),
  validate(options) {
    const problems: string[] = [];
    if (!WAVEFORMS.includes(options.wave)) problems.push(`wave must be one of ${WAVEFORMS.join(', ')}, got '${options.wave}'`);
    if (!(options.filter.cutoff > 0)) problems.push('filter.cutoff must be above 0 Hz');
    if (!(options.filter.resonance >= 0 && options.filter.resonance <= 1)) problems.push('filter.resonance must be from 0 to 1');
    for (const [name, env] of [['envelope', options.envelope], ['filterEnvelope', options.filterEnvelope]] as const) {
      if (!(env.attack >= 0 && env.decay >= 0 && env.release >= 0)) problems.push(`${name} times must not be negative`);
      if (!(env.sustain >= 0 && env.sustain <= 1)) problems.push(`${name}.sustain must be from 0 to 1`);
    }
    if (!(Number.isInteger(options.program) && options.program >= 0 && options.program <= 127)) problems.push('program must be a whole number 0–127');
    return problems;
  },
  render({ sampleRate, options, notes, output }) {
    const [mono] = output;
    const level = Math.pow(10, options.level / 20);
    const damping = dampingFromResonance(options.filter.resonance);
    const coefficients: SvfCoefficients = { a1: 0, a2: 0, a3: 0, k: damping };
    const tuning = options.octave * 12 + options.detune / 100;
    const oscillator = new Float64Array(BLOCK);
    let envelope = new Float64Array(0);
    for (const note of notes) {
      const frequency = midiToFrequency(note.pitch + tuning);
      const dt = frequency / sampleRate;
      if (dt >= 0.5) continue; // above Nyquist: nothing that could be heard, only aliasing
      const velocity = note.velocity / 127;
      const gain = level * (1 - options.velocitySensitivity + options.velocitySensitivity * velocity * velocity);
      const amp = new AdsrEnvelope(options.envelope, sampleRate, note.lengthSamples);
      const filterEnvelope = new AdsrEnvelope(options.filterEnvelope, sampleRate, note.lengthSamples);
      const baseCutoff = options.filter.cutoff * Math.pow(2, (options.filter.keyTrack * (note.pitch - 60)) / 12);
      const end = Math.min(mono.length, note.startSample + amp.totalSamples);
      const voiceLength = end - note.startSample;
      if (envelope.length < voiceLength) envelope = new Float64Array(voiceLength * 2);
      amp.fill(envelope, voiceLength);
      // Filter state lives in locals: this loop is where nearly all render time goes.
      let ic1 = 0;
      let ic2 = 0;
      let phase = 0;
      for (let blockStart = note.startSample; blockStart < end; blockStart += BLOCK) {
        const offset = blockStart - note.startSample;
        svfCoefficients(baseCutoff * Math.pow(2, options.filter.envAmount * filterEnvelope.at(offset)), sampleRate, damping, coefficients);
        const { a1, a2, a3 } = coefficients;
        const count = Math.min(end - blockStart, BLOCK);
        phase = oscillatorBlock(options.wave, phase, dt, oscillator, count);
        for (let j = 0; j < count; j++) {
          const v3 = oscillator[j] - ic2;
          const v1 = a1 * ic1 + a2 * v3;
          const v2 = ic2 + a2 * ic1 + a3 * v3;
          ic1 = 2 * v1 - ic1;
          ic2 = 2 * v2 - ic2;
          mono[blockStart + j] += v2 * envelope[offset + j] * gain;
        }
      }
    }
  },
});
