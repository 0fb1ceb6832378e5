/**
 * `noise`: a noise instrument for risers, sweeps, wind and hits. Each note plays seeded
 * white, pink (−3 dB/octave) or brown (−6 dB/octave) noise through a resonant Simper SVF
 * (low-, high- or band-pass) whose cutoff a filter envelope sweeps, then an ADSR amplifier.
 *
 * Pink noise is Paul Kellet's refined filter bank (six one-pole filters; within ±0.05 dB of
 * −3 dB/octave above 10 Hz at 44.1 kHz), its poles moved to the actual sample rate. Brown
 * noise is white noise through a leaky integrator whose corner (5 Hz) is below anything
 * audible, so the −6 dB/octave slope holds across the audio band without drifting off.
 * Each colour is scaled to roughly the same RMS as white noise.
 *
 * Noise comes from the track seed and the note's index, so renders repeat. Blocks of at most
 * 32 samples update the cutoff (it follows `filter.cutoff` automation, the filter envelope
 * and, if asked, the key). Mono (`channels: 1`).
 */
import { defineInstrument } from '../api/define-instrument.ts';
import { AdsrEnvelope, type Adsr } from '../dsp/envelope.ts';
import { mixSeed, NOISE_STEP, noiseAt } from '../dsp/random.ts';
import { dampingFromResonance, svfCoefficients, type SvfCoefficients } from '../dsp/svf.ts';
import type { Decibels, Hertz } from '../theory/units.ts';
import { filterAndEnvelopeProblems, levelAndProgramProblems } from './checks.ts';

export type NoiseColor = 'white' | 'pink' | 'brown';
export type NoiseFilterType = 'lowpass' | 'highpass' | 'bandpass';
export const NOISE_COLORS: readonly NoiseColor[] = ['white', 'pink', 'brown'];
export const NOISE_FILTER_TYPES: readonly NoiseFilterType[] = ['lowpass', 'highpass', 'bandpass'];

export interface NoiseFilterOptions {
  /** Response: 'lowpass', 'highpass' or 'bandpass' (12 dB/oct). @default 'lowpass' */
  readonly type: NoiseFilterType;
  /** Cutoff (centre for band-pass) with the filter envelope closed, Hz; automatable as `instrument.filter.cutoff`. @default 8000 */
  readonly cutoff: Hertz;
  /** Resonance 0–1 (0: Q 0.707; 1: Q ≈ 20). @default 0.2 */
  readonly resonance: number;
  /** How far the filter envelope moves the cutoff at its peak, in octaves (negative lowers it). @default 0 */
  readonly envAmount: number;
  /** How much the cutoff follows the note from middle C: 0 fixed, 1 an octave per octave. @default 0 */
  readonly keyTrack: number;
}

export interface NoiseOptions {
  /** Noise colour: 'white' (flat), 'pink' (−3 dB/oct) or 'brown' (−6 dB/oct). @default 'white' */
  readonly color: NoiseColor;
  /** The filter. */
  readonly filter: NoiseFilterOptions;
  /** Envelope of the cutoff, its level scaling `filter.envAmount` (a long attack makes a riser). @default { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 } */
  readonly filterEnvelope: Adsr;
  /** Envelope of the amplifier, seconds and a 0–1 sustain level. @default { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 } */
  readonly envelope: Adsr;
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
  readonly velocitySensitivity: number;
  /** Output level in dB at full velocity. @default -6 */
  readonly level: Decibels;
  /** General MIDI program (0–127) written to the exported MIDI file. @default 122 (Seashore) */
  readonly program: number;
}

export const noiseDefaults: NoiseOptions = {
  color: 'white',
  filter: { type: 'lowpass', cutoff: 8000, resonance: 0.2, envAmount: 0, keyTrack: 0 },
  filterEnvelope: { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 },
  envelope: { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 },
  velocitySensitivity: 1,
  level: -6,
  program: 122,
};

const BLOCK = 32;
/** Kellet's pole radii at 44.1 kHz (the sixth, negative one shapes the top octave). */
const KELLET_POLES = [0.99886, 0.99332, 0.969, 0.8665, 0.55, -0.7616];
const KELLET_GAINS = [0.0555179, 0.0750759, 0.153852, 0.3104856, 0.5329522, -0.016898];
/** Brings Kellet's pink (RMS ≈ 3.3× its input's) back to about white's RMS. */
const PINK_GAIN = 0.3;
/** Brown: leaky integrator with its corner at this frequency. */
const BROWN_CORNER = 5;
const FILTER_MODE = { lowpass: 0, highpass: 1, bandpass: 2 } as const;
// A module-local binding: in the per-sample loop an imported name costs a property read under vite-node.
const white = noiseAt;

export const noise = defineInstrument<NoiseOptions>({
  name: 'noise',
  version: '1',
  defaults: noiseDefaults,
  channels: 1,
  tail: (options) => options.envelope.release,
  midi: (options) => ({ program: options.program }),
  validate(options) {
    const problems: string[] = [];
    if (!NOISE_COLORS.includes(options.color)) problems.push(`color must be one of ${NOISE_COLORS.join(', ')}, got '${options.color}'`);
    if (!NOISE_FILTER_TYPES.includes(options.filter.type)) problems.push(`filter.type must be one of ${NOISE_FILTER_TYPES.join(', ')}, got '${options.filter.type}'`);
    problems.push(...filterAndEnvelopeProblems(options));
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    problems.push(...levelAndProgramProblems(options));
    return problems;
  },
  render({ sampleRate, options, notes, output, seed, automation }) {
    const cutoffCurve = automation?.['filter.cutoff'];
    const length = output[0]?.length ?? 0;
    const level = Math.pow(10, options.level / 20);
    const { cutoff, envAmount, keyTrack } = options.filter;
    const mode = FILTER_MODE[options.filter.type];
    const damping = dampingFromResonance(options.filter.resonance);
    const coefficients: SvfCoefficients = { a1: 0, a2: 0, a3: 0, k: damping };
    const sensitivity = options.velocitySensitivity;
    const color = options.color === 'white' ? 0 : options.color === 'pink' ? 1 : 2;
    // Kellet's poles at this rate: r^(44100/fs) keeps each pole's frequency.
    const [k0, k1, k2, k3, k4] = KELLET_POLES.slice(0, 5).map((r) => Math.pow(r, 44100 / sampleRate));
    const k5 = KELLET_POLES[5];
    const [g0, g1, g2, g3, g4, g5] = KELLET_GAINS;
    const leak = 1 - (2 * Math.PI * BROWN_CORNER) / sampleRate;
    // White of variance 1/3 through 1/(1 − leak·z⁻¹) has variance (1/3)/(1 − leak²): undo it.
    const brownGain = Math.sqrt(1 - leak * leak);
    const block = new Float64Array(BLOCK);
    for (let index = 0; index < notes.length; index++) {
      const note = notes[index];
      const start = note.startSample;
      if (start >= length) continue;
      const velocity = note.velocity / 127;
      const gain = level * (1 - sensitivity + sensitivity * velocity * velocity);
      const amp = new AdsrEnvelope(options.envelope, sampleRate, note.lengthSamples);
      const filterEnvelope = new AdsrEnvelope(options.filterEnvelope, sampleRate, note.lengthSamples);
      const keyFactor = Math.pow(2, (keyTrack * (note.pitch - 60)) / 12);
      const span = Math.min(length - start, amp.totalSamples);
      let state = mixSeed(seed, index) | 0;
      let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
      let brown = 0;
      let ic1 = 0, ic2 = 0;
      let openness = NaN;
      let baseCutoff = NaN;
      for (let offset = 0; offset < span; ) {
        const blockEnd = Math.min(offset + BLOCK, span, amp.nextBreak(offset), filterEnvelope.nextBreak(offset));
        const count = blockEnd - offset;
        const opening = filterEnvelope.at(offset);
        const base = cutoffCurve ? cutoffCurve[Math.min(cutoffCurve.length - 1, start + offset)] * keyFactor : cutoff * keyFactor;
        if (opening !== openness || base !== baseCutoff) {
          openness = opening;
          baseCutoff = base;
          svfCoefficients(base * Math.pow(2, envAmount * opening), sampleRate, damping, coefficients);
        }
        // Source: one loop per colour, so the per-sample path has no branch.
        if (color === 0) {
          for (let j = 0; j < count; j++) {
            state = (state + NOISE_STEP) | 0;
            block[j] = white(state);
          }
        } else if (color === 1) {
          for (let j = 0; j < count; j++) {
            state = (state + NOISE_STEP) | 0;
            const w = white(state);
            b0 = k0 * b0 + w * g0;
            b1 = k1 * b1 + w * g1;
            b2 = k2 * b2 + w * g2;
            b3 = k3 * b3 + w * g3;
            b4 = k4 * b4 + w * g4;
            b5 = k5 * b5 + w * g5;
            block[j] = (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362) * PINK_GAIN;
            b6 = w * 0.115926;
          }
        } else {
          for (let j = 0; j < count; j++) {
            state = (state + NOISE_STEP) | 0;
            brown = leak * brown + white(state);
            block[j] = brown * brownGain;
          }
        }
        // Filter (state in locals, as svfLowpassBlock does), with the response picked per block.
        const { a1, a2, a3, k } = coefficients;
        for (let j = 0; j < count; j++) {
          const input = block[j];
          const v3 = input - ic2;
          const v1 = a1 * ic1 + a2 * v3;
          const v2 = ic2 + a2 * ic1 + a3 * v3;
          ic1 = 2 * v1 - ic1;
          ic2 = 2 * v2 - ic2;
          block[j] = mode === 0 ? v2 : mode === 1 ? input - k * v1 - v2 : v1;
        }
        const from = amp.at(offset) * gain;
        const step = (amp.at(blockEnd) * gain - from) / count;
        const at = start + offset;
        const skip = at < 0 ? Math.min(count, -at) : 0;
        for (let c = 0; c < output.length; c++) {
          const channel = output[c];
          let a = from + step * skip;
          for (let j = skip; j < count; j++) {
            channel[at + j] += block[j] * a;
            a += step;
          }
        }
        offset = blockEnd;
      }
    }
  },
});
