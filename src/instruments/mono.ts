/**
 * `monoSynth`: a monophonic subtractive synthesiser for basses and leads. One voice for the
 * whole track, with the synth's oscillator, resonant low-pass and envelopes.
 *
 * Note priority is last-note: the most recently started note that is still held sounds; when
 * it is released while an earlier note is still down, the voice goes back to that one.
 * A note that overlaps the one sounding glides to its pitch over `glide` seconds, linearly in
 * semitones (so the frequency moves exponentially, and halfway through the glide the pitch is
 * halfway in semitones). Notes that merely touch (one ends on the sample the next starts) or
 * are apart start afresh at their own pitch, as on a TB-303: tie notes to slide.
 *
 * With `legato: true` an overlapping note does not restart the envelopes: the phrase keeps
 * its attack/decay/sustain and its velocity until every note is up. With `legato: false`
 * every note-on restarts both envelopes, from the level they are at (an analogue envelope's
 * retrigger: no click), and takes its own velocity. A voice that has gone silent starts the
 * next note from phase 0 with a cleared filter, so isolated notes sound exactly as the
 * polyphonic `synth` plays them.
 *
 * Mono (`channels: 1`): the track's pan places it.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import type { NoteEvent } from '../ir/plugin.ts';
import { AdsrEnvelope, type Adsr } from '../dsp/envelope.ts';
import { oscillatorBlock, WAVEFORMS, type Waveform } from '../dsp/oscillator.ts';
import { dampingFromResonance, prewarpTable, svfCoefficientsLog2, svfLowpassBlock, svfState, type SvfCoefficients } from '../dsp/svf.ts';
import { midiToFrequency } from '../theory/pitch.ts';
import type { Decibels, Seconds } from '../theory/units.ts';
import { createLfo, lfoDefaults, tremoloGain, validateLfo, type LfoOptions } from './lfo.ts';
import type { SynthFilterOptions } from './synth.ts';
import { filterAndEnvelopeProblems, levelAndProgramProblems } from './checks.ts';

export interface MonoSynthOptions {
  /** Oscillator waveform: 'saw', 'square', 'triangle' or 'sine'. @default 'saw' */
  readonly wave: Waveform;
  /** Transpose in octaves. @default 0 */
  readonly octave: number;
  /** Fine tune in cents. @default 0 */
  readonly detune: number;
  /** Portamento between overlapping notes: seconds to reach the new pitch (0 jumps). @default 0.08 */
  readonly glide: Seconds;
  /** True: overlapping notes glide without restarting the envelopes; false: every note-on restarts them. @default true */
  readonly legato: boolean;
  /** The low-pass filter (cutoff automatable as `instrument.filter.cutoff`); it tracks the gliding pitch. */
  readonly filter: SynthFilterOptions;
  /** Envelope of the filter cutoff, its level scaling `filter.envAmount`. @default { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 } */
  readonly filterEnvelope: Adsr;
  /** Envelope of the amplifier, seconds and a 0–1 sustain level. @default { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 } */
  readonly envelope: Adsr;
  /** Low-frequency oscillator on pitch, cutoff or level. @default { target: 'none', rate: 0.2, depth: 0, shape: 'sine' } */
  readonly lfo: LfoOptions;
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
  readonly velocitySensitivity: number;
  /** Output level in dB at full velocity. @default -6 */
  readonly level: Decibels;
  /** General MIDI program (0–127) written to the exported MIDI file. @default 38 (Synth Bass 1) */
  readonly program: number;
}

export const monoSynthDefaults: MonoSynthOptions = {
  wave: 'saw',
  octave: 0,
  detune: 0,
  glide: 0.08,
  legato: true,
  filter: { cutoff: 2400, resonance: 0.2, envAmount: 2, keyTrack: 0.5 },
  filterEnvelope: { attack: 0.005, decay: 0.3, sustain: 0.3, release: 0.3 },
  envelope: { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.2 },
  lfo: lfoDefaults,
  velocitySensitivity: 1,
  level: -6,
  program: 38,
};

/** Longest run of samples between pitch, cutoff and envelope updates (as in `synth`). */
const BLOCK = 32;


/** What happens to the voice at one sample. */
interface Control {
  readonly at: number;
  /** The pitch to go to (MIDI note, before transposition). */
  readonly pitch: number;
  /** Glide to it from wherever the pitch is (overlap), or jump (fresh note). */
  readonly glide: boolean;
  /** Restart the envelopes here, with this velocity and a gate open until `gateEnd`. */
  readonly trigger: boolean;
  readonly velocity: number;
  readonly gateEnd: number;
}

/**
 * Turn the notes into the voice's controls under last-note priority. At one sample, note-offs
 * come before note-ons (touching notes do not overlap) and of notes starting together the
 * last in order (the highest) wins.
 */
export function monoControls(notes: readonly NoteEvent[], legato: boolean): Control[] {
  type Edge = { at: number; on: boolean; index: number };
  const edges: Edge[] = [];
  notes.forEach((note, index) => {
    edges.push({ at: note.startSample, on: true, index });
    edges.push({ at: note.startSample + Math.max(1, note.lengthSamples), on: false, index });
  });
  edges.sort((a, b) => a.at - b.at || Number(a.on) - Number(b.on) || a.index - b.index);
  const held: number[] = [];
  const raw: { at: number; pitch: number; glide: boolean; trigger: boolean; velocity: number }[] = [];
  const gateCloses: number[] = [];
  let sounding = -1;
  for (let e = 0; e < edges.length; ) {
    const at = edges[e].at;
    let started = false;
    let heldBeforeOns = -1;
    for (; e < edges.length && edges[e].at === at; e++) {
      const edge = edges[e];
      if (!edge.on) {
        const position = held.indexOf(edge.index);
        if (position >= 0) held.splice(position, 1);
        continue;
      }
      if (heldBeforeOns < 0) heldBeforeOns = held.length;
      held.push(edge.index);
      started = true;
    }
    if (heldBeforeOns < 0) heldBeforeOns = held.length;
    if (held.length === 0) {
      if (sounding >= 0) gateCloses.push(at);
      sounding = -1;
      continue;
    }
    const top = held[held.length - 1];
    if (top === sounding) continue;
    const note = notes[top];
    const fresh = heldBeforeOns === 0;
    // A newly pressed top note triggers when nothing was held, or on every note-on without legato.
    const trigger = started && (fresh || !legato);
    if (fresh && sounding >= 0) gateCloses.push(at);
    raw.push({ at, pitch: note.pitch, glide: !fresh, trigger, velocity: note.velocity });
    sounding = top;
  }
  // A trigger's gate stays open until the next moment nothing is held.
  let close = 0;
  return raw.map((control) => {
    while (close < gateCloses.length && gateCloses[close] <= control.at) close++;
    return { ...control, gateEnd: gateCloses[close] ?? control.at + 1 };
  });
}

export const monoSynth = defineInstrument<MonoSynthOptions>({
  name: 'monoSynth',
  version: '2',
  defaults: monoSynthDefaults,
  channels: 1,
  tail: (options) => options.envelope.release,
  midi: (options) => ({ program: options.program }),
  validate(options) {
    const problems: string[] = [];
    if (!WAVEFORMS.includes(options.wave)) problems.push(`wave must be one of ${WAVEFORMS.join(', ')}, got '${options.wave}'`);
    if (!(options.glide >= 0 && options.glide <= 10)) problems.push('glide must be from 0 to 10 seconds');
    if (typeof options.legato !== 'boolean') problems.push('legato must be true or false');
    problems.push(...filterAndEnvelopeProblems(options));
    problems.push(...validateLfo(options.lfo, 'lfo'));
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    problems.push(...levelAndProgramProblems(options));
    return problems;
  },
  render({ sampleRate, options, notes, output, automation, beatSeconds }) {
    const cutoffCurve = automation?.['filter.cutoff'];
    const length = output[0]?.length ?? 0;
    const controls = monoControls(notes, options.legato);
    if (controls.length === 0 || length === 0) return;
    const level = Math.pow(10, options.level / 20);
    const { cutoff, envAmount, keyTrack } = options.filter;
    const damping = dampingFromResonance(options.filter.resonance);
    const coefficients: SvfCoefficients = { a1: 0, a2: 0, a3: 0, k: damping };
    const filter = svfState();
    const tuning = options.octave * 12 + options.detune / 100;
    const sensitivity = options.velocitySensitivity;
    const glideSamples = Math.round(options.glide * sampleRate);
    const lfo = createLfo(options.lfo, sampleRate, beatSeconds);
    const pitchLfo = lfo.target === 'pitch' ? lfo.depth / 100 : 0; // semitones
    const cutoffLfo = lfo.target === 'cutoff' ? lfo.depth : 0;
    const ampLfo = lfo.target === 'amp';
    const block = new Float64Array(BLOCK);

    // Voice state. Pitch in MIDI notes (transposition included), gliding linearly from
    // `glideFrom` at `glideStart` to `glideTo` over `glideSamples`.
    let glideFrom = 0;
    let glideTo = 0;
    let glideStart = 0;
    const pitchAt = (t: number): number => (t >= glideStart + glideSamples ? glideTo : glideFrom + ((glideTo - glideFrom) * (t - glideStart)) / glideSamples);
    let amp: AdsrEnvelope | null = null;
    let filterEnvelope: AdsrEnvelope | null = null;
    let envelopeStart = 0;
    let voiceEnd = 0; // sample where the amplifier envelope reaches 0 for good
    let gain = 0;
    let phase = 0;
    let openness = NaN;
    let baseCutoff = NaN;
    let wobble = NaN;

    let c = 0;
    let t = controls[0].at;
    while (t < length) {
      for (; c < controls.length && controls[c].at <= t; c++) {
        const control = controls[c];
        const target = control.pitch + tuning;
        const silent = amp === null || t >= voiceEnd;
        if (control.glide && !silent && glideSamples > 0) {
          glideFrom = pitchAt(t);
          glideStart = t;
        } else {
          glideFrom = target;
          glideStart = t - glideSamples; // already arrived
        }
        glideTo = target;
        if (!control.trigger) continue;
        if (silent) {
          // A fresh start: exactly as `synth` begins a note.
          phase = 0;
          filter.ic1 = filter.ic2 = filter.band = filter.low = 0;
          openness = baseCutoff = wobble = NaN;
        }
        const ampFrom = silent ? 0 : amp!.at(t - envelopeStart);
        const filterFrom = silent ? 0 : filterEnvelope!.at(t - envelopeStart);
        const gate = Math.max(1, control.gateEnd - t);
        amp = new AdsrEnvelope(options.envelope, sampleRate, gate, ampFrom);
        filterEnvelope = new AdsrEnvelope(options.filterEnvelope, sampleRate, gate, filterFrom);
        envelopeStart = t;
        voiceEnd = t + amp.totalSamples;
        const velocity = control.velocity / 127;
        gain = level * (1 - sensitivity + sensitivity * velocity * velocity);
      }
      const nextControl = c < controls.length ? controls[c].at : Infinity;
      if (amp === null || filterEnvelope === null || t >= voiceEnd) {
        // Silent until the next note (or for good).
        if (nextControl === Infinity) break;
        t = nextControl;
        continue;
      }
      const offset = t - envelopeStart;
      const glideEnd = glideStart + glideSamples;
      const blockEnd = Math.min(
        t + BLOCK,
        length,
        voiceEnd,
        nextControl,
        envelopeStart + amp.nextBreak(offset),
        envelopeStart + filterEnvelope.nextBreak(offset),
        t < glideEnd ? glideEnd : Infinity,
      );
      const count = blockEnd - t;
      const lfoStart = lfo.at(t);
      const lfoEnd = lfo.at(blockEnd);
      // Pitch at the block's centre (exact once the glide has arrived).
      const pitch = t >= glideEnd ? glideTo : pitchAt(t + count / 2);
      const keyFactor = Math.pow(2, (keyTrack * (pitch - 60)) / 12);
      const opening = filterEnvelope.at(offset);
      const base = cutoffCurve ? cutoffCurve[Math.min(cutoffCurve.length - 1, t)] * keyFactor : cutoff * keyFactor;
      const octaves = cutoffLfo * lfoStart;
      if (opening !== openness || base !== baseCutoff || octaves !== wobble) {
        openness = opening;
        baseCutoff = base;
        wobble = octaves;
        // The same prewarp table as synth, so an isolated note renders the same samples.
        svfCoefficientsLog2(Math.log2(base) + envAmount * opening + octaves, prewarpTable(sampleRate), damping, coefficients);
      }
      const vibrato = pitchLfo === 0 ? 0 : pitchLfo * 0.5 * (lfoStart + lfoEnd);
      const dt = midiToFrequency(pitch + vibrato) / sampleRate;
      if (dt > 0 && dt < 0.5) phase = oscillatorBlock(options.wave, phase, dt, block, count);
      else block.fill(0, 0, count); // at or above Nyquist a pitch is only aliasing
      svfLowpassBlock(filter, coefficients, block, count);
      const from = amp.at(offset) * gain * (ampLfo ? tremoloGain(lfo.depth, lfoStart) : 1);
      const step = (amp.at(blockEnd - envelopeStart) * gain * (ampLfo ? tremoloGain(lfo.depth, lfoEnd) : 1) - from) / count;
      const skip = t < 0 ? Math.min(count, -t) : 0;
      for (let ch = 0; ch < output.length; ch++) {
        const channel = output[ch];
        let a = from + step * skip;
        for (let j = skip; j < count; j++) {
          channel[t + j] += block[j] * a;
          a += step;
        }
      }
      t = blockEnd;
    }
  },
});
