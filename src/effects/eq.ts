/**
 * Parametric EQ: any number of bands (bells, shelves, a notch, Butterworth high/low-passes
 * of 12 to 48 dB/oct), each a cascade of RBJ-cookbook biquads run in float64.
 *
 * Band fields are optional and filled per band from `eqBandDefaults`: options merge with the
 * defaults object by object but an array replaces the default array whole, so
 * `eq({ bands: [{ type: 'highpass', frequency: 80 }] })` is a complete 12 dB/oct high-pass.
 *
 * Automation: `bands.<i>.gain` and `bands.<i>.frequency` follow their per-sample curves; the
 * band's coefficients are re-designed every 32 samples (only when the value moved).
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields, StateMismatchError, type EffectState } from '../ir/effect-state.ts';
import type { EffectBlock, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import type { Decibels, Hertz } from '../theory/units.ts';
import {
  type BiquadCoefficients,
  BUTTERWORTH_Q,
  cascadeMagnitudeDb,
  designBiquad,
  designButterworth,
  FILTER_SLOPES,
  type FilterSlope,
  processBiquad,
} from './biquad.ts';

export type EqBandType = 'bell' | 'lowshelf' | 'highshelf' | 'highpass' | 'lowpass' | 'notch';

export const EQ_BAND_TYPES: readonly EqBandType[] = ['bell', 'lowshelf', 'highshelf', 'highpass', 'lowpass', 'notch'];

/** One EQ band; every field left out takes its default. */
export interface EqBandOptions {
  /** Shape of the band. @default 'bell' */
  readonly type?: EqBandType;
  /** Centre (bell, notch), corner (shelves, passes) frequency, Hz; clamped to 0.49 × the sample rate. @default 1000 */
  readonly frequency?: Hertz;
  /** Boost or cut, dB (bell and shelves only). @default 0 */
  readonly gain?: Decibels;
  /** Bandwidth of bell and notch, slope of shelves (0.707 = steepest without overshoot); high/low-passes are Butterworth and ignore it. @default 0.707 */
  readonly q?: number;
  /** High/low-pass steepness, dB/oct (cascaded Butterworth sections). @default 12 */
  readonly slope?: FilterSlope;
}

/** A band with every field resolved. */
export type EqBand = Required<EqBandOptions>;

export const eqBandDefaults: EqBand = { type: 'bell', frequency: 1000, gain: 0, q: BUTTERWORTH_Q, slope: 12 };

export interface EqOptions {
  /** The bands, applied in order. @default [] */
  readonly bands: readonly EqBandOptions[];
}

export const eqDefaults: EqOptions = { bands: [] };

/** Fill a band's missing fields from `eqBandDefaults`. */
export function resolveBand(band: EqBandOptions): EqBand {
  const resolved: Record<string, unknown> = { ...eqBandDefaults };
  // A field spelled out as undefined still means "the default", which a plain spread would lose.
  for (const [key, value] of Object.entries(band)) if (value !== undefined) resolved[key] = value;
  return resolved as unknown as EqBand;
}

/** The biquad sections one band is made of at this sample rate. */
export function eqBandSections(band: EqBandOptions, sampleRate: number): BiquadCoefficients[] {
  const b = resolveBand(band);
  if (b.type === 'highpass' || b.type === 'lowpass') return designButterworth(b.type, b.frequency, sampleRate, b.slope);
  return [designBiquad(b.type, b.frequency, sampleRate, b.q, b.gain)];
}

/** Analytic magnitude response of the whole EQ at `frequency`, dB (exact, from the coefficients). */
export function eqResponseDb(bands: readonly EqBandOptions[], frequency: Hertz, sampleRate: number): Decibels {
  let total = 0;
  for (const band of bands) total += cascadeMagnitudeDb(eqBandSections(band, sampleRate), frequency, sampleRate);
  return total;
}

const BAND_KEYS = new Set(Object.keys(eqBandDefaults));

function validateBand(band: EqBandOptions, index: number): string[] {
  const problems: string[] = [];
  const name = `bands.${index}`;
  if (typeof band !== 'object' || band === null) return [`${name} must be an object like { type: 'bell', frequency: 1000, gain: 3 }`];
  for (const key of Object.keys(band)) if (!BAND_KEYS.has(key)) problems.push(`${name}.${key} is not a band option (use ${[...BAND_KEYS].join(', ')})`);
  const b = resolveBand(band);
  if (!EQ_BAND_TYPES.includes(b.type)) problems.push(`${name}.type must be one of ${EQ_BAND_TYPES.join(', ')}, got '${String(b.type)}'`);
  if (!(b.frequency > 0 && b.frequency <= 100000)) problems.push(`${name}.frequency must be above 0 Hz (it is clamped to just under Nyquist)`);
  if (!(Math.abs(b.gain) <= 48)) problems.push(`${name}.gain must be from -48 to 48 dB`);
  if (!(b.q > 0 && b.q <= 100)) problems.push(`${name}.q must be above 0 and at most 100`);
  if (!FILTER_SLOPES.includes(b.slope)) problems.push(`${name}.slope must be one of ${FILTER_SLOPES.join(', ')} dB/oct`);
  return problems;
}

/** Samples between coefficient updates of an automated band. */
const AUTOMATION_BLOCK = 32;
/** Block size of the float64 scratch buffer when nothing is automated. */
const STATIC_BLOCK = 2048;

/** A band as processed: its resolved settings, its sections, its automation paths. */
interface BandState {
  readonly band: EqBand;
  sections: BiquadCoefficients[];
  readonly gainPath: string;
  readonly frequencyPath: string;
  lastGain: number;
  lastFrequency: number;
  /** Where this band's sections start in the per-channel state arrays. */
  readonly stateOffset: number;
}

function prepareBands(bands: readonly EqBandOptions[], sampleRate: number): BandState[] {
  let offset = 0;
  return bands.map((input, index) => {
    const band = resolveBand(input);
    const sections = eqBandSections(band, sampleRate);
    const state: BandState = {
      band,
      sections,
      gainPath: `bands.${index}.gain`,
      frequencyPath: `bands.${index}.frequency`,
      lastGain: band.gain,
      lastFrequency: band.frequency,
      stateOffset: offset,
    };
    offset += 2 * sections.length;
    return state;
  });
}

/**
 * The EQ over a song, block by block. Coefficients of automated bands follow their curves on
 * a fixed grid of song samples (every 32; 2,048 when nothing is automated), and the biquads'
 * denormal flush happens only at the grid's lines, so any block sizes give the same samples.
 */
class EqStream implements EffectStream {
  private readonly bands: BandState[];
  private readonly sampleRate: number;
  /** Bands with an automation curve, found in the first block (0 until then: the grid is unknown). */
  private automated: BandState[] = [];
  private grid = 0;
  private readonly states: Float64Array[];
  private readonly scratch = new Float64Array(STATIC_BLOCK);

  constructor(context: EffectStreamContext<EqOptions>) {
    this.sampleRate = context.sampleRate;
    this.bands = prepareBands(context.options.bands, context.sampleRate);
    const stateWords = this.bands.reduce((sum, b) => sum + 2 * b.sections.length, 0);
    this.states = [new Float64Array(stateWords), new Float64Array(stateWords)];
  }

  /** The fields (bands with their current sections, the grid, the biquads' states), and which bands follow a curve, by index. */
  checkpoint(): EffectState {
    return { fields: captureFields(this, ['automated']), automated: this.automated.map((band) => this.bands.indexOf(band)) };
  }

  restore(state: EffectState): void {
    const { fields, automated } = state as { fields: EffectState; automated: number[] };
    if (!Array.isArray(automated) || automated.some((index) => !this.bands[index])) throw new StateMismatchError('state.automated', 'not band indices');
    restoreFields(this, fields, ['automated']);
    this.automated = automated.map((index) => this.bands[index]);
  }

  process(start: number, block: EffectBlock): void {
    const { bands, scratch, states } = this;
    if (bands.length === 0) return;
    const automation = block.automation;
    if (this.grid === 0) {
      this.automated = bands.filter((b) => automation[b.gainPath] || automation[b.frequencyPath]);
      // Automated bands were designed from their static values; start them from the curves.
      for (const b of this.automated) b.lastGain = Number.NaN;
      this.grid = this.automated.length > 0 ? AUTOMATION_BLOCK : STATIC_BLOCK;
    }
    const grid = this.grid;
    const count = block.channels[0].length;
    for (let from = 0; from < count; ) {
      const offset = (start + from) % grid;
      if (offset === 0) for (const b of this.automated) this.followAutomation(b, automation, from);
      const to = Math.min(count, from + grid - offset);
      const flush = (start + to) % grid === 0;
      for (let c = 0; c < 2; c++) {
        const channel = block.channels[c];
        const state = states[c];
        const n = to - from;
        // Copy the block to float64 so the cascade's intermediate signal is never rounded to float32.
        for (let i = 0; i < n; i++) scratch[i] = channel[from + i];
        for (const b of bands) {
          for (let s = 0; s < b.sections.length; s++) processBiquad(b.sections[s], state, b.stateOffset + 2 * s, scratch, 0, n, flush);
        }
        for (let i = 0; i < n; i++) channel[from + i] = scratch[i];
      }
      from = to;
    }
  }

  /** Re-design an automated band from its curves' values at block sample `at`, if they moved. */
  private followAutomation(state: BandState, automation: EffectBlock['automation'], at: number): void {
    const gainCurve = automation[state.gainPath];
    const frequencyCurve = automation[state.frequencyPath];
    const gain = gainCurve ? gainCurve[at] : state.band.gain;
    const frequency = frequencyCurve ? frequencyCurve[at] : state.band.frequency;
    if (gain === state.lastGain && frequency === state.lastFrequency) return;
    state.lastGain = gain;
    state.lastFrequency = frequency;
    state.sections = eqBandSections({ ...state.band, gain, frequency }, this.sampleRate);
  }
}

export const eq = defineEffect<EqOptions>({
  name: 'eq',
  version: '1',
  defaults: eqDefaults,
  validate(options) {
    if (!Array.isArray(options.bands)) return ['bands must be an array of bands like [{ type: "bell", frequency: 1000, gain: 3 }]'];
    return options.bands.flatMap(validateBand);
  },
  stream: (context) => new EqStream(context),
});
