/**
 * `autoFilter`: a resonant Simper SVF whose cutoff an LFO sweeps up and down around
 * `frequency`, by `depth` octaves either side, once per `rate` (a cycle length, synced to
 * the tempo by default).
 *
 * The LFO runs from the song's first sample, so its phase at any moment depends only on
 * the time, never on where the audio starts. Cutoff and coefficients are updated every
 * 32 samples (0.7 ms at 48 kHz): one pow() and one tan() per block, not per sample.
 * The right channel's LFO can be offset (`stereoPhase`) for a sweep that moves across the
 * stereo field.
 */
import { lfoValue, LFO_SHAPES, type LfoShape } from '../dsp/lfo-shape.ts';
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields } from '../ir/effect-state.ts';
import { dampingFromResonance } from '../dsp/svf.ts';
import type { Hertz } from '../theory/units.ts';
import { isSyncedTime, syncedSeconds, type SyncedTime } from '../theory/sync.ts';

export { lfoValue, LFO_SHAPES, type LfoShape };

export type AutoFilterType = 'lowpass' | 'highpass' | 'bandpass';
export const AUTO_FILTER_TYPES: readonly AutoFilterType[] = ['lowpass', 'highpass', 'bandpass'];

export interface AutoFilterOptions {
  /** Filter response: 'lowpass', 'highpass' or 'bandpass' (12 dB/oct). @default 'lowpass' */
  readonly type: AutoFilterType;
  /** Centre cutoff the LFO sweeps around, Hz. Automatable. @default 1000 */
  readonly frequency: Hertz;
  /** Resonance 0–1 (0: Q 0.707, 1: Q ≈ 20). @default 0.3 */
  readonly resonance: number;
  /** How far the LFO moves the cutoff either side of `frequency`, in octaves. @default 2 */
  readonly depth: number;
  /** Length of one LFO cycle: a note value ('2n', '1m', '8n.') or seconds. Not Hz. @default '2n' */
  readonly rate: SyncedTime;
  /** LFO waveform: 'sine', 'triangle', 'square' or a rising 'saw'. @default 'sine' */
  readonly shape: LfoShape;
  /** LFO start phase in cycles, 0–1 (0.25 starts a sine at its top). @default 0 */
  readonly phase: number;
  /** Right channel's LFO phase offset in cycles, 0–1 (0.5 sweeps the sides in opposition). @default 0 */
  readonly stereoPhase: number;
}

export const autoFilterDefaults: AutoFilterOptions = {
  type: 'lowpass',
  frequency: 1000,
  resonance: 0.3,
  depth: 2,
  rate: '2n',
  shape: 'sine',
  phase: 0,
  stereoPhase: 0,
};

const BLOCK = 32;


/**
 * Square and saw jump: smoothing the LFO with a ~2 ms one-pole keeps those jumps from
 * clicking (a 2-octave step of a resonant filter's cutoff does), while a cycle of at least
 * tens of milliseconds keeps its shape.
 */
const SMOOTHING_SECONDS = 0.002;

const MODE = { lowpass: 0, highpass: 1, bandpass: 2 } as const;

/**
 * One channel of the swept filter, block by block, in place. The smoothed LFO, the cutoff
 * and Simper's coefficients are updated at control-block edges (multiples of BLOCK from the
 * song's first sample; the automated frequency is read there), so a block that starts
 * inside a control block keeps the coefficients the edge before it set. State: the two
 * integrators, the smoothed LFO and the coefficients.
 */
class AutoFilterChannel {
  private readonly options: Readonly<AutoFilterOptions>;
  private readonly sampleRate: number;
  private readonly startPhase: number;
  private readonly cycleSamples: number;
  private readonly k: number;
  private readonly mode: number;
  private readonly smoothing: number;
  private ic1 = 0;
  private ic2 = 0;
  private lfo: number;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  /** Song frames processed so far. */
  private position = 0;

  /** Begin at song frame `frame` instead of 0, before any processing (a stream started mid-song, as watch's preview starts one): the LFO is then where the song's own is. */
  startAt(frame: number): void {
    // Called with every block's start: only a fresh stream's first call sets its clock; one that
    // has run (or was restored from a checkpoint) keeps its own.
    if (this.position !== 0) return;
    // The smoothed LFO as a run from 0 leaves it: the same updates, one per control block (a scalar each).
    for (let position = 0; position < frame; position += BLOCK) {
      this.lfo += (lfoValue(this.options.shape, this.startPhase + position / this.cycleSamples) - this.lfo) * this.smoothing;
    }
    this.position = frame;
  }

  constructor(options: Readonly<AutoFilterOptions>, sampleRate: number, startPhase: number, cycleSamples: number) {
    this.options = options;
    this.sampleRate = sampleRate;
    this.startPhase = startPhase;
    this.cycleSamples = cycleSamples;
    this.k = dampingFromResonance(options.resonance);
    this.mode = MODE[options.type];
    this.smoothing = 1 - Math.exp(-BLOCK / (SMOOTHING_SECONDS * sampleRate));
    this.lfo = lfoValue(options.shape, startPhase);
  }

  /** Process the next `channel.length` frames in place; `frequencyCurve` is this block's automation. */
  process(channel: Float32Array, frequencyCurve: Float32Array | undefined): void {
    const { k, mode, options, sampleRate } = this;
    const length = channel.length;
    let { ic1, ic2, a1, a2, a3 } = this;
    for (let from = 0; from < length; ) {
      const offset = this.position % BLOCK;
      if (offset === 0) {
        this.lfo += (lfoValue(options.shape, this.startPhase + this.position / this.cycleSamples) - this.lfo) * this.smoothing;
        const centre = frequencyCurve ? frequencyCurve[from] : options.frequency;
        const cutoff = Math.min(Math.max(centre * Math.pow(2, options.depth * this.lfo), 10), sampleRate * 0.49);
        // Simper's coefficients, as in src/dsp/svf.ts, kept in locals for the inner loop.
        const g = Math.tan((Math.PI * cutoff) / sampleRate);
        a1 = 1 / (1 + g * (g + k));
        a2 = g * a1;
        a3 = g * a2;
      }
      const to = Math.min(length, from + BLOCK - offset);
      for (let i = from; i < to; i++) {
        const x = channel[i];
        const v3 = x - ic2;
        const v1 = a1 * ic1 + a2 * v3;
        const v2 = ic2 + a2 * ic1 + a3 * v3;
        ic1 = 2 * v1 - ic1;
        ic2 = 2 * v2 - ic2;
        channel[i] = mode === 0 ? v2 : mode === 1 ? x - k * v1 - v2 : v1;
      }
      this.position += to - from;
      from = to;
    }
    this.ic1 = ic1;
    this.ic2 = ic2;
    this.a1 = a1;
    this.a2 = a2;
    this.a3 = a3;
  }
}

export const autoFilter = defineEffect<AutoFilterOptions>({
  name: 'autoFilter',
  version: '1',
  defaults: autoFilterDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!AUTO_FILTER_TYPES.includes(options.type)) problems.push(`type must be one of ${AUTO_FILTER_TYPES.join(', ')}, got '${options.type}'`);
    if (!(options.frequency >= 10)) problems.push('frequency must be at least 10 Hz');
    if (!(options.resonance >= 0 && options.resonance <= 1)) problems.push('resonance must be from 0 to 1');
    if (!(options.depth >= 0 && options.depth <= 10)) problems.push('depth must be from 0 to 10 octaves');
    if (!isSyncedTime(options.rate) || options.rate === 0) problems.push(`rate must be a cycle length above 0: seconds or a note value like '2n' or '1m', got '${String(options.rate)}'`);
    if (!LFO_SHAPES.includes(options.shape)) problems.push(`shape must be one of ${LFO_SHAPES.join(', ')}, got '${options.shape}'`);
    if (!(options.phase >= 0 && options.phase <= 1)) problems.push('phase must be from 0 to 1 (cycles)');
    if (!(options.stereoPhase >= 0 && options.stereoPhase <= 1)) problems.push('stereoPhase must be from 0 to 1 (cycles)');
    return problems;
  },
  stream(ctx) {
    const { options, sampleRate } = ctx;
    const cycleSamples = syncedSeconds(options.rate, ctx.beatSeconds) * sampleRate;
    const left = new AutoFilterChannel(options, sampleRate, options.phase, cycleSamples);
    const right = new AutoFilterChannel(options, sampleRate, options.phase + options.stereoPhase, cycleSamples);
    return {
      checkpoint: () => captureFields({ left, right }),
      restore: (state) => restoreFields({ left, right }, state),
      process(start, block) {
        left.startAt(start);
        right.startAt(start);
        const curve = block.automation['frequency'];
        left.process(block.channels[0], curve);
        right.process(block.channels[1], curve);
      },
    };
  },
});
