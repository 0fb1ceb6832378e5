/**
 * `synth`: a polyphonic subtractive synthesiser. One voice per note: a band-limited
 * oscillator through a resonant low-pass (Simper SVF) whose cutoff follows the key and a
 * filter envelope, then an ADSR amplifier. A voice lasts from its note's start sample to
 * note-off plus the release, then stops. Voices are summed in note order, so the same
 * notes always give the same bits. At most `polyphony` voices hold notes: a note past them
 * steals the oldest released voice (else the oldest), which fades out over 2 ms.
 *
 * It renders as a stream, block by block: the sounding voices keep their state between song
 * blocks, and each works in sub-blocks of at most 32 samples aligned to its own note, so any
 * split of the song into blocks gives the same bits as one whole-song block.
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
import { dampingFromResonance, prewarpTable, svfCoefficientsLog2, svfLowpassBlock, svfState, type PrewarpTable, type SvfCoefficients, type SvfState } from '../dsp/svf.ts';
import { midiToFrequency } from '../theory/pitch.ts';
import type { Decibels, Hertz } from '../theory/units.ts';
import type { InstrumentStream, InstrumentStreamContext, NoteEvent } from '../ir/plugin.ts';
import { NoteQueue, insertVoice, renderInChunks } from '../dsp/voice-queue.ts';
import { createLfo, lfoDefaults, tremoloGain, validateLfo, type Lfo, type LfoOptions } from './lfo.ts';
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
  /** Most notes sounding at once, 1–1024; a note beyond it steals a voice (the oldest released, else the oldest), faded out over 2 ms. @default 64 */
  readonly polyphony: number;
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
  polyphony: 64,
};

/**
 * Longest run of samples between filter-coefficient and envelope updates: a tan() and a
 * pow() per block (while the filter envelope moves) instead of per sample. 32 samples is
 * 0.7 ms at 48 kHz, finer than any audible step in a cutoff sweep.
 */
const BLOCK = 32;

/** Seconds a stolen voice takes to fade out: short enough to free it, long enough not to click. */
const STEAL_FADE = 0.002;

export const synth = defineInstrument<SynthOptions>({
  name: 'synth',
  version: '5',
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
    if (!(Number.isInteger(options.polyphony) && options.polyphony >= 1 && options.polyphony <= 1024)) problems.push('polyphony must be a whole number of voices from 1 to 1024');
    return problems;
  },
  stream: (context) => new SynthStream(context),
});

/**
 * One sounding note between blocks: its oscillators' phases, filter state and envelopes, and
 * its current sub-block (`BLOCK` samples or fewer, aligned to the note's start, so its arithmetic
 * never depends on where the song's blocks fall). A sub-block that runs past the end of a song
 * block is computed whole; what is left of it is added at the start of the next song block.
 */
class SynthVoice {
  index = 0;
  /** Song frame of note-on, and the samples it sounds (release included, cut at the song's end). */
  start = 0;
  span = 0;
  /** Song frames of note-off, and of silence for good: start + span, or the end of a steal's fade. */
  release = 0;
  end = 0;
  /** Song frame where a steal began to fade it out (Infinity while it holds its note), and the fade's length. */
  fadeAt = Infinity;
  fade = 1;
  /** Offset from note-on of the next sub-block to compute. */
  offset = 0;
  dt = 0;
  gain = 0;
  keyFactor = 1;
  keyedCutoff = 0;
  amp: AdsrEnvelope | null = null;
  filterEnvelope: AdsrEnvelope | null = null;
  readonly phases: Float64Array;
  readonly coefficients: SvfCoefficients = { a1: 0, a2: 0, a3: 0, k: 0 };
  readonly filter: SvfState = svfState();
  /** What the coefficients were computed from (NaN: not yet). */
  openness = NaN;
  baseCutoff = NaN;
  log2Base = 0;
  wobble = NaN;
  lfoEnd = 0;
  /** Amplitude at the next sub-block's first sample. */
  ampNext = 0;
  /** The current sub-block's filtered samples, its song frame and length, how many are in the output, and the amplitude ramp there. */
  readonly samples = new Float64Array(BLOCK);
  at = 0;
  count = 0;
  added = 0;
  level = 0;
  step = 0;

  constructor(unison: number) {
    this.phases = new Float64Array(unison);
  }
}

/** A track's voices, rendered a song block at a time. */
class SynthStream implements InstrumentStream {
  private readonly options: SynthOptions;
  private readonly notes: readonly NoteEvent[];
  private readonly sampleRate: number;
  private readonly seed: number;
  private readonly length: number;
  /** Automatable: 'filter.cutoff' (Hz), followed at every sub-block edge. */
  private readonly cutoffCurve: Float32Array | undefined;
  private readonly level: number;
  private readonly damping: number;
  private readonly warp: PrewarpTable;
  private readonly tuning: number;
  private readonly unison: number;
  /** Unison ratios: evenly spaced in cents, centred on the note (one oscillator: ratio 1). */
  private readonly ratios: Float64Array;
  private readonly unisonGain: number;
  private readonly lfo: Lfo;
  private readonly pitchLfo: number;
  private readonly cutoffLfo: number;
  private readonly ampLfo: boolean;
  private readonly lfoActive: boolean;
  /** The highest an oscillator can go: top unison voice at the top of the vibrato. */
  private readonly topRatio: number;
  /** Samples of a stolen voice's fade-out. */
  private readonly fade: number;
  /** One unison oscillator's sub-block before it joins the voice's sum. */
  private readonly oscillator = new Float64Array(BLOCK);
  private readonly queue: NoteQueue;
  /** Sounding voices in note order, and finished ones kept for reuse. */
  private readonly voices: SynthVoice[] = [];
  private readonly spare: SynthVoice[] = [];

  constructor({ sampleRate, options, notes, automation, seed, beatSeconds, lengthSamples }: InstrumentStreamContext<SynthOptions>) {
    this.options = options;
    this.notes = notes;
    this.sampleRate = sampleRate;
    this.seed = seed;
    this.length = lengthSamples;
    this.cutoffCurve = automation?.['filter.cutoff'];
    this.level = Math.pow(10, options.level / 20);
    this.damping = dampingFromResonance(options.filter.resonance);
    this.warp = prewarpTable(sampleRate);
    this.tuning = options.octave * 12 + options.detune / 100;
    const voices = options.unison;
    this.unison = voices;
    this.ratios = new Float64Array(voices);
    for (let k = 0; k < voices; k++) this.ratios[k] = voices === 1 ? 1 : Math.pow(2, ((k / (voices - 1) - 0.5) * options.unisonDetune) / 1200);
    // Detuned copies drift in and out of phase, so their sum grows as √N, not N.
    this.unisonGain = voices === 1 ? 1 : 1 / Math.sqrt(voices);
    this.lfo = createLfo(options.lfo, sampleRate, beatSeconds);
    this.pitchLfo = this.lfo.target === 'pitch' ? this.lfo.depth / 1200 : 0;
    this.cutoffLfo = this.lfo.target === 'cutoff' ? this.lfo.depth : 0;
    this.ampLfo = this.lfo.target === 'amp';
    this.lfoActive = this.pitchLfo !== 0 || this.cutoffLfo !== 0 || this.ampLfo;
    this.topRatio = this.ratios[voices - 1] * Math.pow(2, this.pitchLfo);
    this.fade = Math.max(1, Math.round(STEAL_FADE * sampleRate));
    this.queue = new NoteQueue(notes);
  }

  render(start: number, output: readonly Float32Array[]): void {
    renderInChunks(start, output, this.renderBlock);
  }

  /** One block of at most VOICE_CHUNK frames. */
  private readonly renderBlock = (blockStart: number, output: readonly Float32Array[]): void => {
    if (output.length === 0) return;
    const blockEnd = blockStart + output[0].length;
    for (let index = this.queue.take(blockEnd); index >= 0; index = this.queue.take(blockEnd)) {
      const voice = this.startVoice(index);
      if (!voice) continue;
      this.makeRoom(voice.start);
      insertVoice(this.voices, voice);
    }
    const voices = this.voices;
    let kept = 0;
    for (let v = 0; v < voices.length; v++) {
      const voice = voices[v];
      if (voice.added < voice.count) addRest(voice, output, blockStart, blockEnd);
      this.renderVoice(voice, output, blockStart, blockEnd);
      if (voice.at + voice.added >= voice.end) this.spare.push(voice);
      else voices[kept++] = voice;
    }
    voices.length = kept;
  };

  /**
   * Before a note starting at song frame `at` takes a voice: when `polyphony` voices already
   * hold notes there, steal one, the oldest released (past its note-off) if any, else the
   * oldest, and fade it out from `at`. Only what each voice does at `at` decides, never where
   * blocks fall, so streamed and whole renders steal the same voices.
   */
  private makeRoom(at: number): void {
    let holding = 0;
    let victim: SynthVoice | null = null;
    let victimReleased = false;
    for (const voice of this.voices) {
      if (voice.fadeAt !== Infinity || voice.end <= at) continue;
      holding++;
      const released = at >= voice.release;
      if (!victim || (released && !victimReleased) || (released === victimReleased && (voice.start < victim.start || (voice.start === victim.start && voice.index < victim.index)))) {
        victim = voice;
        victimReleased = released;
      }
    }
    if (victim && holding >= this.options.polyphony) {
      victim.fadeAt = at;
      victim.fade = this.fade;
      victim.end = Math.min(victim.end, at + this.fade);
    }
  }

  /** The voice for note `index`, or null when it is not heard (at or above Nyquist, or after the song's end). */
  private startVoice(index: number): SynthVoice | null {
    const { options, sampleRate, lfo } = this;
    const note = this.notes[index];
    const start = note.startSample;
    const pitch = note.pitch + this.tuning;
    const dt = midiToFrequency(pitch) / sampleRate;
    // At or above Nyquist a note is nothing but aliasing: leave it out.
    if (!(dt > 0 && dt * this.topRatio < 0.5) || start >= this.length) return null;
    const voice = this.spare.pop() ?? new SynthVoice(this.unison);
    const velocity = note.velocity / 127;
    const sensitivity = options.velocitySensitivity;
    voice.index = index;
    voice.start = start;
    voice.dt = dt;
    voice.gain = this.level * (1 - sensitivity + sensitivity * velocity * velocity) * this.unisonGain;
    const phases = voice.phases;
    if (this.unison === 1) phases[0] = 0;
    else {
      const random = createRandom(mixSeed(this.seed, index));
      for (let k = 0; k < this.unison; k++) phases[k] = random();
    }
    const amp = new AdsrEnvelope(options.envelope, sampleRate, note.lengthSamples);
    voice.amp = amp;
    voice.filterEnvelope = new AdsrEnvelope(options.filterEnvelope, sampleRate, note.lengthSamples);
    voice.keyFactor = Math.pow(2, (options.filter.keyTrack * (pitch - 60)) / 12);
    voice.keyedCutoff = options.filter.cutoff * voice.keyFactor;
    voice.span = Math.min(this.length - start, amp.totalSamples);
    voice.release = start + note.lengthSamples;
    voice.end = start + voice.span;
    voice.fadeAt = Infinity;
    voice.offset = 0;
    voice.filter.ic1 = voice.filter.ic2 = 0;
    voice.openness = NaN;
    voice.baseCutoff = NaN;
    voice.log2Base = 0;
    voice.wobble = NaN;
    voice.lfoEnd = this.lfoActive ? lfo.at(start) : 0;
    voice.ampNext = amp.at(0) * voice.gain * (this.ampLfo ? tremoloGain(lfo.depth, voice.lfoEnd) : 1);
    voice.at = start;
    voice.count = voice.added = 0;
    return voice;
  }

  /**
   * Render the voice's sub-blocks that begin before `blockEnd` (and before its end), each
   * computed whole; add them, all but the part of the last past the song block, which waits in
   * the voice for the next block. The voice's state lives in locals for the whole song block.
   */
  private renderVoice(voice: SynthVoice, output: readonly Float32Array[], blockStart: number, blockEnd: number): void {
    const { lfo, cutoffCurve, lfoActive, cutoffLfo, pitchLfo, ampLfo, unison, ratios, warp, damping } = this;
    const { wave, filter: { envAmount } } = this.options;
    const amp = voice.amp!;
    const filterEnvelope = voice.filterEnvelope!;
    const { start, span, dt, gain, keyFactor, keyedCutoff, samples, phases, coefficients, filter } = voice;
    const until = Math.min(blockEnd, voice.end);
    const first = output[0];
    const fading = voice.fadeAt !== Infinity;
    let { offset, openness, baseCutoff, log2Base, wobble, lfoEnd, ampNext } = voice;
    let { a1, a2, a3 } = coefficients;
    let ic1 = filter.ic1;
    let ic2 = filter.ic2;
    while (offset < span && start + offset < until) {
      const end = Math.min(offset + BLOCK, span, amp.nextBreak(offset), filterEnvelope.nextBreak(offset));
      const count = end - offset;
      const lfoStart = lfoEnd;
      if (lfoActive) lfoEnd = lfo.at(start + end);
      // Coefficients only change while the filter envelope or the LFO moves (not on the sustain plateau).
      const opening = filterEnvelope.at(offset);
      const base = cutoffCurve ? cutoffCurve[Math.min(cutoffCurve.length - 1, start + offset)] * keyFactor : keyedCutoff;
      const octaves = cutoffLfo * lfoStart;
      if (opening !== openness || base !== baseCutoff || octaves !== wobble) {
        if (base !== baseCutoff) log2Base = Math.log2(base);
        openness = opening;
        baseCutoff = base;
        wobble = octaves;
        ({ a1, a2, a3 } = svfCoefficientsLog2(log2Base + envAmount * opening + octaves, warp, damping, coefficients));
      }
      // Vibrato: one pow() per sub-block, centred on it so the pitch is unbiased.
      const bend = pitchLfo === 0 ? 1 : Math.pow(2, pitchLfo * 0.5 * (lfoStart + lfoEnd));
      if (unison === 1) phases[0] = oscillatorBlock(wave, phases[0], dt * bend, samples, count);
      else {
        const oscillator = this.oscillator;
        samples.fill(0, 0, count);
        for (let k = 0; k < unison; k++) {
          phases[k] = oscillatorBlock(wave, phases[k], dt * ratios[k] * bend, oscillator, count);
          for (let j = 0; j < count; j++) samples[j] += oscillator[j];
        }
      }
      // The amplitude is exact at sub-block edges (which include every envelope corner) and
      // linear between them: one add per sample, and exactly 0 at note-on and at the end.
      // The level at a sub-block's end is the next one's start: evaluated once.
      const from = ampNext;
      ampNext = amp.at(end) * gain * (ampLfo ? tremoloGain(lfo.depth, lfoEnd) : 1);
      const step = (ampNext - from) / count;
      const at = start + offset;
      offset = end;
      voice.at = at;
      voice.count = count;
      voice.step = step;
      if (fading || at < blockStart || at + count > blockEnd) {
        // Across the song block's end, or fading out after a steal: filter the whole sub-block,
        // add what falls in this block and keep the rest for the next. (Notes never start before
        // sample 0; a host that gave one would have its first samples land on negative indices,
        // which typed arrays ignore.)
        filter.ic1 = ic1;
        filter.ic2 = ic2;
        svfLowpassBlock(filter, coefficients, samples, count);
        ic1 = filter.ic1;
        ic2 = filter.ic2;
        voice.added = 0;
        voice.level = from;
        addRest(voice, output, blockStart, blockEnd);
        continue;
      }
      // Filter, level and sum in one pass: this loop is where nearly all render time goes.
      const shift = at - blockStart;
      let a = from;
      for (let j = 0; j < count; j++) {
        const v3 = samples[j] - ic2;
        const v1 = a1 * ic1 + a2 * v3;
        const v2 = ic2 + a2 * ic1 + a3 * v3;
        ic1 = 2 * v1 - ic1;
        ic2 = 2 * v2 - ic2;
        samples[j] = v2;
        first[shift + j] += v2 * a;
        a += step;
      }
      for (let c = 1; c < output.length; c++) {
        const channel = output[c];
        let level = from;
        for (let j = 0; j < count; j++) {
          channel[shift + j] += samples[j] * level;
          level += step;
        }
      }
      voice.added = count;
      voice.level = a;
    }
    filter.ic1 = ic1;
    filter.ic2 = ic2;
    voice.offset = offset;
    voice.openness = openness;
    voice.baseCutoff = baseCutoff;
    voice.log2Base = log2Base;
    voice.wobble = wobble;
    voice.lfoEnd = lfoEnd;
    voice.ampNext = ampNext;
  }
}

/**
 * Add the part of the voice's current sub-block not yet in the output that falls in this song
 * block (and before the voice's end): the rest of a sub-block begun in an earlier block, or a
 * stolen voice's samples, faded linearly to 0 from where it was stolen.
 */
function addRest(voice: SynthVoice, output: readonly Float32Array[], blockStart: number, blockEnd: number): void {
  const samples = voice.samples;
  const at = voice.at;
  const from = voice.added;
  const to = Math.min(voice.count, blockEnd - at, voice.end - at);
  const shift = at - blockStart;
  const step = voice.step;
  const fadeAt = voice.fadeAt;
  const fade = voice.fade;
  let level = voice.level;
  for (let c = 0; c < output.length; c++) {
    const channel = output[c];
    level = voice.level;
    if (fadeAt === Infinity) {
      for (let j = from; j < to; j++) {
        channel[shift + j] += samples[j] * level;
        level += step;
      }
    } else {
      for (let j = from; j < to; j++) {
        const frame = at + j;
        channel[shift + j] += samples[j] * level * (frame < fadeAt ? 1 : 1 - (frame - fadeAt) / fade);
        level += step;
      }
    }
  }
  if (to > from) {
    voice.added = to;
    voice.level = level;
  }
}
