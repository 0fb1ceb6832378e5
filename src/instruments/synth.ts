/**
 * `synth`: a polyphonic subtractive synthesiser. One voice per note: a band-limited
 * oscillator through a resonant low-pass (Simper SVF) whose cutoff follows the key and a
 * filter envelope, then an ADSR amplifier. A voice lasts from its note's start sample to
 * note-off plus the release, then stops. Voices are summed in note order, so the same
 * notes always give the same bits.
 *
 * Unison stacks up to 8 oscillators per note, spread evenly over `unisonDetune` cents and
 * started at phases drawn from the track seed and the note's index (so renders repeat); they
 * share the note's filter and envelopes. With `unison: 1` a voice is exactly the single
 * oscillator from phase 0 it always was. The optional LFO (see lfo.ts) runs on song time and
 * is read at block edges: pitch changes the oscillators' increment per block (phase stays
 * continuous), cutoff joins the filter envelope's exponent, amp scales the block-edge gains
 * the amplitude ramp already interpolates.
 *
 * Mono (`channels: 1`): the track's pan places it. Given more than one output channel the
 * voice is added into each of them equally.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import { AdsrEnvelope, type Adsr } from '../dsp/envelope.ts';
import { oscillatorBlock, WAVEFORMS, type Waveform } from '../dsp/oscillator.ts';
import { createRandom, mixSeed } from '../dsp/random.ts';
import { dampingFromResonance, prewarpTable, svfCoefficientsLog2, svfState, type SvfCoefficients } from '../dsp/svf.ts';
import { midiToFrequency } from '../theory/pitch.ts';
import type { Decibels, Hertz } from '../theory/units.ts';
import { createLfo, lfoDefaults, tremoloGain, validateLfo, type LfoOptions } from './lfo.ts';
import { filterAndEnvelopeProblems, levelAndProgramProblems } from './checks.ts';

export interface SynthFilterOptions {
  /** Low-pass cutoff at middle C with the filter envelope closed, in Hz; automatable as `instrument.filter.cutoff`. @default 2400 */
  readonly cutoff: Hertz;
  /** Resonance 0–1 (0: no peak, Q 0.707; 1: Q ≈ 20). @default 0.2 */
  readonly resonance: number;
  /** How far the filter envelope opens the cutoff at its peak, in octaves (negative closes it). @default 2 */
  readonly envAmount: number;
  /** How much the cutoff follows the note: 0 fixed, 1 moves an octave per octave. @default 0.5 */
  readonly keyTrack: number;
}

export interface SynthOptions {
  /** Oscillator waveform: 'saw', 'square', 'triangle' or 'sine'. @default 'saw' */
  readonly wave: Waveform;
  /** Transpose in octaves. @default 0 */
  readonly octave: number;
  /** Fine tune in cents. @default 0 */
  readonly detune: number;
  /** Oscillators per note, 1–8, detuned across `unisonDetune` for a thicker sound. @default 1 */
  readonly unison: number;
  /** Cents from the lowest to the highest unison oscillator, spread evenly around the note. @default 15 */
  readonly unisonDetune: number;
  /** Low-frequency oscillator on pitch, cutoff or level. @default { target: 'none', rate: 0.2, depth: 0, shape: 'sine' } */
  readonly lfo: LfoOptions;
  /** The low-pass filter. */
  readonly filter: SynthFilterOptions;
  /** Envelope of the filter cutoff, its level scaling `filter.envAmount`. @default { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 } */
  readonly filterEnvelope: Adsr;
  /** Envelope of the amplifier, seconds and a 0–1 sustain level. @default { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 } */
  readonly envelope: Adsr;
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
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
  unison: 1,
  unisonDetune: 15,
  lfo: lfoDefaults,
  filter: { cutoff: 2400, resonance: 0.2, envAmount: 2, keyTrack: 0.5 },
  filterEnvelope: { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 },
  envelope: { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 },
  velocitySensitivity: 1,
  level: -6,
  program: 81,
};

/**
 * Longest run of samples between filter-coefficient and envelope updates: a tan() and a
 * pow() per block (while the filter envelope moves) instead of per sample. 32 samples is
 * 0.7 ms at 48 kHz, finer than any audible step in a cutoff sweep.
 */
const BLOCK = 32;

export const synth = defineInstrument<SynthOptions>({
  name: 'synth',
  version: '4',
  defaults: synthDefaults,
  channels: 1,
  tail: (options) => options.envelope.release,
  midi: (options) => ({ program: options.program }),
  validate(options) {
    const problems: string[] = [];
    if (!WAVEFORMS.includes(options.wave)) problems.push(`wave must be one of ${WAVEFORMS.join(', ')}, got '${options.wave}'`);
    problems.push(...filterAndEnvelopeProblems(options));
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    if (!(Number.isInteger(options.unison) && options.unison >= 1 && options.unison <= 8)) problems.push('unison must be a whole number of oscillators from 1 to 8');
    if (!(options.unisonDetune >= 0 && options.unisonDetune <= 1200)) problems.push('unisonDetune must be from 0 to 1200 cents');
    problems.push(...validateLfo(options.lfo, 'lfo'));
    problems.push(...levelAndProgramProblems(options));
    return problems;
  },
  render({ sampleRate, options, notes, output, automation, seed, beatSeconds }) {
    // Automatable: 'filter.cutoff' (Hz), followed at every block edge.
    const cutoffCurve = automation?.['filter.cutoff'];
    const length = output[0]?.length ?? 0;
    const level = Math.pow(10, options.level / 20);
    const { cutoff, envAmount, keyTrack } = options.filter;
    const damping = dampingFromResonance(options.filter.resonance);
    const coefficients: SvfCoefficients = { a1: 0, a2: 0, a3: 0, k: damping };
    const filter = svfState();
    const warp = prewarpTable(sampleRate);
    const tuning = options.octave * 12 + options.detune / 100;
    const sensitivity = options.velocitySensitivity;
    const block = new Float64Array(BLOCK);
    const voiceBlock = new Float64Array(BLOCK);
    const voices = options.unison;
    // Unison ratios: evenly spaced in cents, centred on the note (one oscillator: ratio 1).
    const ratios = new Float64Array(voices);
    for (let k = 0; k < voices; k++) ratios[k] = voices === 1 ? 1 : Math.pow(2, ((k / (voices - 1) - 0.5) * options.unisonDetune) / 1200);
    const phases = new Float64Array(voices);
    // Detuned copies drift in and out of phase, so their sum grows as √N, not N.
    const unisonGain = voices === 1 ? 1 : 1 / Math.sqrt(voices);
    const lfo = createLfo(options.lfo, sampleRate, beatSeconds);
    const pitchLfo = lfo.target === 'pitch' ? lfo.depth / 1200 : 0;
    const cutoffLfo = lfo.target === 'cutoff' ? lfo.depth : 0;
    const ampLfo = lfo.target === 'amp';
    const lfoActive = pitchLfo !== 0 || cutoffLfo !== 0 || ampLfo;
    // The highest an oscillator can go: top unison voice at the top of the vibrato.
    const topRatio = ratios[voices - 1] * Math.pow(2, pitchLfo);
    for (let index = 0; index < notes.length; index++) {
      const note = notes[index];
      const start = note.startSample;
      const pitch = note.pitch + tuning;
      const dt = midiToFrequency(pitch) / sampleRate;
      // At or above Nyquist a note is nothing but aliasing: leave it out.
      if (!(dt > 0 && dt * topRatio < 0.5) || start >= length) continue;
      const velocity = note.velocity / 127;
      const gain = level * (1 - sensitivity + sensitivity * velocity * velocity) * unisonGain;
      if (voices === 1) phases[0] = 0;
      else {
        const random = createRandom(mixSeed(seed, index));
        for (let k = 0; k < voices; k++) phases[k] = random();
      }
      const amp = new AdsrEnvelope(options.envelope, sampleRate, note.lengthSamples);
      const filterEnvelope = new AdsrEnvelope(options.filterEnvelope, sampleRate, note.lengthSamples);
      const keyFactor = Math.pow(2, (keyTrack * (pitch - 60)) / 12);
      const keyedCutoff = cutoff * keyFactor;
      const span = Math.min(length - start, amp.totalSamples);
      filter.ic1 = filter.ic2 = filter.band = filter.low = 0;
      let openness = NaN;
      let baseCutoff = NaN;
      let log2Base = 0;
      let wobble = NaN;
      let lfoEnd = lfoActive ? lfo.at(start) : 0;
      let ampNext = amp.at(0) * gain * (ampLfo ? tremoloGain(lfo.depth, lfoEnd) : 1);
      for (let offset = 0; offset < span; ) {
        const blockEnd = Math.min(offset + BLOCK, span, amp.nextBreak(offset), filterEnvelope.nextBreak(offset));
        const count = blockEnd - offset;
        const lfoStart = lfoEnd;
        if (lfoActive) lfoEnd = lfo.at(start + blockEnd);
        // Coefficients only change while the filter envelope or the LFO moves (not on the sustain plateau).
        const opening = filterEnvelope.at(offset);
        const base = cutoffCurve ? cutoffCurve[Math.min(cutoffCurve.length - 1, start + offset)] * keyFactor : keyedCutoff;
        const octaves = cutoffLfo * lfoStart;
        if (opening !== openness || base !== baseCutoff || octaves !== wobble) {
          if (base !== baseCutoff) log2Base = Math.log2(base);
          openness = opening;
          baseCutoff = base;
          wobble = octaves;
          svfCoefficientsLog2(log2Base + envAmount * opening + octaves, warp, damping, coefficients);
        }
        // Vibrato: one pow() per block, centred on the block so the pitch is unbiased.
        const bend = pitchLfo === 0 ? 1 : Math.pow(2, pitchLfo * 0.5 * (lfoStart + lfoEnd));
        if (voices === 1) phases[0] = oscillatorBlock(options.wave, phases[0], dt * bend, block, count);
        else {
          block.fill(0, 0, count);
          for (let k = 0; k < voices; k++) {
            phases[k] = oscillatorBlock(options.wave, phases[k], dt * ratios[k] * bend, voiceBlock, count);
            for (let j = 0; j < count; j++) block[j] += voiceBlock[j];
          }
        }
        // The amplitude is exact at block edges (which include every envelope corner) and
        // linear between them: one add per sample, and exactly 0 at note-on and at the end.
        // The level at a block's end is the next block's start: evaluated once.
        const from = ampNext;
        ampNext = amp.at(blockEnd) * gain * (ampLfo ? tremoloGain(lfo.depth, lfoEnd) : 1);
        const step = (ampNext - from) / count;
        const at = start + offset;
        // Songs never start a note before sample 0; if a host did, those samples are cut.
        const skip = at < 0 ? Math.min(count, -at) : 0;
        // Filter, level and sum in one pass (the filter state in locals): this loop is where
        // nearly all render time goes.
        const { a1, a2, a3 } = coefficients;
        let ic1 = filter.ic1;
        let ic2 = filter.ic2;
        const first = output[0];
        let a = from;
        for (let j = 0; j < count; j++) {
          const v3 = block[j] - ic2;
          const v1 = a1 * ic1 + a2 * v3;
          const v2 = ic2 + a2 * ic1 + a3 * v3;
          ic1 = 2 * v1 - ic1;
          ic2 = 2 * v2 - ic2;
          block[j] = v2;
          if (j >= skip) first[at + j] += v2 * a;
          a += step;
        }
        filter.ic1 = ic1;
        filter.ic2 = ic2;
        for (let c = 1; c < output.length; c++) {
          const channel = output[c];
          let level = from + step * skip;
          for (let j = skip; j < count; j++) {
            channel[at + j] += block[j] * level;
            level += step;
          }
        }
        offset = blockEnd;
      }
    }
  },
});
