/**
 * `saturation`: a waveshaper with four curves, run oversampled (4× by default) so the
 * harmonics it creates above Nyquist are filtered off instead of folding back as
 * inharmonic aliases. Signal flow per channel:
 *
 *   x → ·drive → +bias → curve → −curve(bias) → [DC blocker] → [tone low-pass] → ·output
 *
 * Subtracting curve(bias) keeps silence silent; asymmetric settings ('tube', or any bias)
 * also make a signal-dependent DC offset, which a 5 Hz DC blocker removes.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields, type EffectState } from '../ir/effect-state.ts';
import type { Decibels, Hertz } from '../theory/units.ts';
import type { EffectBlock, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import { OVERSAMPLE_FACTORS, type OversampledBlockFn, type OversampleFactor, oversampleLatency, OversampleStream } from './oversample.ts';
import { svfCoefficients, svfState, svfLowpassBlock, type SvfCoefficients } from '../dsp/svf.ts';

export type SaturationType = 'tanh' | 'soft' | 'hard' | 'tube';
export const SATURATION_TYPES: readonly SaturationType[] = ['tanh', 'soft', 'hard', 'tube'];

export interface SaturationOptions {
  /** Gain into the curve, dB: 0 is gentle on a full-scale signal, 24 is heavy. Automatable. @default 6 */
  readonly drive: Decibels;
  /** Curve: 'tanh' smooth and odd, 'soft' cubic knee, 'hard' clip, 'tube' asymmetric (even harmonics). @default 'tanh' */
  readonly type: SaturationType;
  /** Offset added before the curve, −1…1: pushes the signal into one side, adding even harmonics. @default 0 */
  readonly bias: number;
  /** Post low-pass cutoff in Hz that tames the fizz; 0 turns it off. @default 0 */
  readonly tone: Hertz;
  /** Output level, dB. @default 0 */
  readonly output: Decibels;
  /** Oversampling factor for the curve: 1 (off, aliases), 2 or 4. @default 4 */
  readonly oversample: OversampleFactor;
}

export const saturationDefaults: SaturationOptions = {
  drive: 6,
  type: 'tanh',
  bias: 0,
  tone: 0,
  output: 0,
  oversample: 4,
};

/** Base-rate samples between drive-gain updates; the gain ramps linearly across them. */
const DRIVE_BLOCK = 32;

/** The curves, each with slope 1 at 0 and limits ±1. */
function shapeBlock(type: SaturationType, block: Float64Array, from: number, to: number, gain: number, step: number, bias: number, offset: number): void {
  let g = gain;
  switch (type) {
    case 'tanh':
      for (let i = from; i < to; i++, g += step) block[i] = Math.tanh(block[i] * g + bias) - offset;
      return;
    case 'soft':
      // Cubic knee 1.5x − 0.5x³: slope 1.5 at 0, flat (slope 0) where it meets ±1.
      for (let i = from; i < to; i++, g += step) {
        let x = block[i] * g + bias;
        x = x > 1 ? 1 : x < -1 ? -1 : x;
        block[i] = 1.5 * x - 0.5 * x * x * x - offset;
      }
      return;
    case 'hard':
      for (let i = from; i < to; i++, g += step) {
        const x = block[i] * g + bias;
        block[i] = (x > 1 ? 1 : x < -1 ? -1 : x) - offset;
      }
      return;
    case 'tube':
      // Positive half tanh (cubic, odd), negative half e^x − 1 (quadratic near 0): the
      // halves bend differently, so even a small signal gets a 2nd harmonic.
      for (let i = from; i < to; i++, g += step) {
        const x = block[i] * g + bias;
        block[i] = (x >= 0 ? Math.tanh(x) : Math.exp(x) - 1) - offset;
      }
      return;
  }
}

/** The curve at one value: what silence maps to, so it can be subtracted. */
export function saturationCurve(type: SaturationType, x: number): number {
  const block = new Float64Array([x]);
  shapeBlock(type, block, 0, 1, 1, 0, 0, 0);
  return block[0];
}

const DB_TO_LN = Math.LN10 / 20;

/** Frames of a block handled per pass: gathered, shaped as far as the drive allows, written out. */
const RUN = 256;
/** Input frames a channel can hold: a run, plus an incomplete step and one waiting for its drive. */
const PENDING = RUN + 2 * DRIVE_BLOCK;
/** Finished frames held until a block wants them (a power of two above a run plus the latency). */
const OUTPUT_RING = 1024;
/** Drive values kept, by song sample: the shaper reads at most a run and ~80 samples back. */
const DRIVE_RING = 512;

/**
 * One channel's path after the gathered input: the oversampler, then the DC blocker (one-pole
 * y = x − x₁ + R·y₁ at 5 Hz), the optional tone low-pass and the output gain, rounded to
 * float32 between stages as the whole-song form stored them.
 */
class SaturationChannel {
  /** Gathered input (base rate) from song sample `SaturationStream.pendingStart` on. */
  readonly pending = new Float64Array(PENDING);
  readonly oversampler: OversampleStream;
  /** Oversampler output for one pass, then the finished samples. */
  readonly produced = new Float64Array(PENDING);
  /** Finished samples by song frame, modulo OUTPUT_RING. */
  readonly output = new Float32Array(OUTPUT_RING);
  dcIn = 0;
  dcOut = 0;
  readonly tone = svfState();

  constructor(factor: OversampleFactor) {
    this.oversampler = new OversampleStream(factor, PENDING);
  }
}

/**
 * Saturation over a song, block by block. The drive ramps in 32-sample steps on a fixed grid
 * of song samples, each step from the gain at its start to the gain at its end, so a step is
 * shaped only once it is complete and the drive at its end is known; with the oversampling
 * filters' own lookahead that makes the stream's latency (EffectStream.latency): 32 frames
 * at 1×, 58 at 2×, 65 at 4×.
 */
class SaturationStream implements EffectStream {
  readonly latency: number;
  private readonly length: number;
  private readonly type: SaturationType;
  private readonly bias: number;
  private readonly offset: number;
  private readonly factor: OversampleFactor;
  private readonly drive: number;
  private readonly filterLatency: number;
  /** The shaper's view lags its input by this many base samples. */
  private readonly shaperDelay: number;
  /** Song frames of input the oversampler takes: the song and `filterLatency` zeros after it. */
  private readonly feedEnd: number;
  private readonly blockDc: boolean;
  private readonly dcCoefficient: number;
  private readonly tone: SvfCoefficients | null;
  private readonly outputGain: number;
  private readonly driveDb = new Float64Array(DRIVE_RING);
  private readonly channels: [SaturationChannel, SaturationChannel];
  private readonly shape: OversampledBlockFn;
  /** Song sample of the channels' `pending[0]` (on the step grid), and how many are gathered. */
  private pendingStart = 0;
  private pendingCount = 0;

  constructor(context: EffectStreamContext<SaturationOptions>) {
    const o = context.options;
    this.length = context.lengthSamples;
    this.type = o.type;
    this.bias = o.bias;
    this.offset = saturationCurve(o.type, o.bias);
    this.factor = o.oversample;
    this.drive = o.drive;
    this.filterLatency = oversampleLatency(o.oversample);
    this.shaperDelay = Math.round(this.filterLatency / 2);
    // A step waits for its last input sample, and without oversampling for the next one's drive too.
    this.latency = this.filterLatency + DRIVE_BLOCK - 1 + (this.shaperDelay === 0 ? 1 : 0);
    this.feedEnd = this.length + this.filterLatency;
    this.blockDc = o.type === 'tube' || o.bias !== 0;
    this.dcCoefficient = Math.exp((-2 * Math.PI * 5) / context.sampleRate);
    this.tone = o.tone > 0 ? svfCoefficients(o.tone, context.sampleRate, Math.SQRT2, { a1: 0, a2: 0, a3: 0, k: 0 }) : null;
    this.outputGain = Math.exp(o.output * DB_TO_LN);
    this.channels = [new SaturationChannel(o.oversample), new SaturationChannel(o.oversample)];
    // One shaper for every pass: steps of 32 base samples, each ramping from its start's gain to its end's.
    const perBase = this.factor;
    const chunk = DRIVE_BLOCK * perBase;
    this.shape = (block, count, start) => {
      for (let from = 0; from < count; from += chunk) {
        const to = Math.min(count, from + chunk);
        const base = start + from / perBase;
        const g0 = this.driveGain(base);
        const g1 = this.driveGain(base + (to - from) / perBase);
        shapeBlock(this.type, block, from, to, g0, (g1 - g0) / (to - from), this.bias, this.offset);
      }
    };
  }

  /** Drive gain at song sample `index`, clamped into the song as the drive curve is. */
  private driveGain(index: number): number {
    const at = index < 0 ? 0 : index >= this.length ? this.length - 1 : index;
    return Math.exp(this.driveDb[at % DRIVE_RING] * DB_TO_LN);
  }

  /** Every field is the stream's state or a constant of its setup: all of it, for `restore`. */
  checkpoint(): EffectState {
    return captureFields(this);
  }

  restore(state: EffectState): void {
    restoreFields(this, state);
  }

  process(start: number, block: EffectBlock): void {
    const count = block.channels[0].length;
    const curve = block.automation['drive'];
    const { length, feedEnd, latency } = this;
    for (let from = 0; from < count; from += RUN) {
      const to = Math.min(count, from + RUN);
      for (let i = from; i < to && start + i < length; i++) this.driveDb[(start + i) % DRIVE_RING] = curve ? curve[i] : this.drive;
      // Gather the run's input (silence past the song), up to where the filters stop being fed.
      const gather = Math.max(0, Math.min(to, feedEnd - start) - from);
      for (let c = 0; c < 2; c++) {
        const pending = this.channels[c].pending;
        const data = block.channels[c];
        for (let j = 0; j < gather; j++) {
          const t = start + from + j;
          pending[this.pendingCount + j] = t < length ? data[from + j] : 0;
        }
      }
      this.pendingCount += gather;
      this.shapeReady(start + to - 1);
      for (let c = 0; c < 2; c++) {
        const output = this.channels[c].output;
        const data = block.channels[c];
        for (let i = from; i < to; i++) {
          const frame = start + i - latency;
          data[i] = frame >= 0 && frame < length ? output[frame % OUTPUT_RING] : 0;
        }
      }
    }
  }

  /** Shape and finish every gathered step that is complete and whose end's drive is known by song sample `now`. */
  private shapeReady(now: number): void {
    const { pendingStart, pendingCount, length } = this;
    let ready = pendingCount - (pendingCount % DRIVE_BLOCK);
    // The song's last step may be short: it ends where the filters stop being fed.
    if (pendingStart + pendingCount === this.feedEnd) ready = pendingCount;
    while (ready > 0) {
      const end = pendingStart + ready - this.shaperDelay;
      if ((end < length ? end : length - 1) <= now) break;
      ready -= ready % DRIVE_BLOCK || DRIVE_BLOCK;
    }
    if (ready === 0) return;
    // produced[j] is song frame pendingStart + j − filterLatency; frames before 0 are the filters filling.
    const first = pendingStart - this.filterLatency;
    const skip = first < 0 ? Math.min(ready, -first) : 0;
    const n = ready - skip;
    const r = this.dcCoefficient;
    const gain = this.outputGain;
    const scale = this.tone !== null || gain !== 1;
    for (const lane of this.channels) {
      const produced = lane.produced;
      lane.oversampler.process(lane.pending, ready, produced, pendingStart, this.shape);
      lane.pending.copyWithin(0, ready, pendingCount);
      for (let j = 0; j < n; j++) {
        let v = Math.fround(produced[skip + j]);
        if (this.blockDc) {
          lane.dcOut = v - lane.dcIn + r * lane.dcOut;
          lane.dcIn = v;
          v = Math.fround(lane.dcOut);
        }
        produced[j] = v;
      }
      if (this.tone) svfLowpassBlock(lane.tone, this.tone, produced, n);
      for (let j = 0; j < n; j++) lane.output[(first + skip + j) % OUTPUT_RING] = scale ? produced[j] * gain : produced[j];
    }
    this.pendingStart = pendingStart + ready;
    this.pendingCount = pendingCount - ready;
  }
}


export const saturation = defineEffect<SaturationOptions>({
  name: 'saturation',
  version: '1',
  defaults: saturationDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!(Number.isFinite(options.drive) && options.drive >= -24 && options.drive <= 60)) problems.push('drive must be a number of dB from -24 to 60');
    if (!SATURATION_TYPES.includes(options.type)) problems.push(`type must be one of ${SATURATION_TYPES.join(', ')}, got '${options.type}'`);
    if (!(options.bias >= -1 && options.bias <= 1)) problems.push('bias must be from -1 to 1');
    if (!(options.tone === 0 || options.tone >= 20)) problems.push('tone must be 0 (off) or a cutoff of at least 20 Hz');
    if (!Number.isFinite(options.output)) problems.push('output must be a number of dB');
    if (!OVERSAMPLE_FACTORS.includes(options.oversample)) problems.push(`oversample must be 1, 2 or 4, got ${options.oversample}`);
    return problems;
  },
  stream: (context) => new SaturationStream(context),
});
