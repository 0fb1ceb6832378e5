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
import type { Decibels, Hertz } from '../theory/units.ts';
import type { EffectBlock, EffectStreamContext } from '../ir/plugin.ts';
import { OVERSAMPLE_FACTORS, type OversampledBlockFn, type OversampleFactor, oversampleLatency, OversampleStream } from './oversample.ts';
import { svfCoefficients, svfState, svfLowpassBlock, type SvfCoefficients } from '../dsp/svf.ts';
import { type LatentEffectStream, processThroughStream } from './stream-latency.ts';

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

/** Frames of finished output a channel holds before the block that wants them: > the latency's slack. */
const OUTPUT_RING = 128;
/** Drive values kept, by song sample: the shaper reads at most ~50 samples behind the input. */
const DRIVE_RING = 64;

/**
 * One channel's path: the drive step being gathered, the oversampler, then the DC blocker
 * (one-pole y = x − x₁ + R·y₁ at 5 Hz), the optional tone low-pass and the output gain,
 * rounded to float32 between stages as the whole-song form stored them.
 */
class SaturationChannel {
  /** Input of the drive step being gathered (base rate), from song sample `pendingStart`. */
  readonly pending = new Float64Array(DRIVE_BLOCK);
  pendingCount = 0;
  pendingStart = 0;
  /** The step is complete and waits for the drive value at its end. */
  waiting = false;
  readonly oversampler: OversampleStream;
  /** Oversampler output for one step, then the finished samples. */
  readonly produced = new Float64Array(DRIVE_BLOCK);
  /** Finished samples by song frame, modulo OUTPUT_RING. */
  readonly output = new Float32Array(OUTPUT_RING);
  dcIn = 0;
  dcOut = 0;
  readonly tone = svfState();

  constructor(factor: OversampleFactor) {
    this.oversampler = new OversampleStream(factor, DRIVE_BLOCK);
  }
}

/**
 * Saturation over a song, block by block. The drive ramps in 32-sample steps on a fixed grid
 * of song samples, each step from the gain at its start to the gain at its end, so a step is
 * shaped only once it is complete and the drive at its end is known; with the oversampling
 * filters' own lookahead that makes the stream's latency (see stream-latency.ts).
 */
class SaturationStream implements LatentEffectStream {
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
    // One shaper for every step: the step's gain ramps from its start to its end.
    this.shape = (block, count, start) => {
      const g0 = this.driveGain(start);
      const g1 = this.driveGain(start + count / this.factor);
      shapeBlock(this.type, block, 0, count, g0, (g1 - g0) / count, this.bias, this.offset);
    };
  }

  /** Drive gain at song sample `index`, clamped into the song as the drive curve is. */
  private driveGain(index: number): number {
    const at = index < 0 ? 0 : index >= this.length ? this.length - 1 : index;
    return Math.exp(this.driveDb[at % DRIVE_RING] * DB_TO_LN);
  }

  process(start: number, block: EffectBlock): void {
    const count = block.channels[0].length;
    const curve = block.automation['drive'];
    const { length, feedEnd, latency, channels } = this;
    for (let i = 0; i < count; i++) {
      const t = start + i;
      if (t < length) this.driveDb[t % DRIVE_RING] = curve ? curve[i] : this.drive;
      for (let c = 0; c < 2; c++) {
        const lane = channels[c];
        const data = block.channels[c];
        if (lane.waiting) this.tryStep(lane, t);
        if (t < feedEnd) {
          if (lane.pendingCount === 0) lane.pendingStart = t;
          lane.pending[lane.pendingCount++] = t < length ? data[i] : 0;
          if (lane.pendingCount === DRIVE_BLOCK || t === feedEnd - 1) {
            lane.waiting = true;
            this.tryStep(lane, t);
          }
        }
        const frame = t - latency;
        data[i] = frame >= 0 && frame < length ? lane.output[frame % OUTPUT_RING] : 0;
      }
    }
  }

  /** Shape and finish a complete step if the drive at its end is known by song sample `now`. */
  private tryStep(lane: SaturationChannel, now: number): void {
    const count = lane.pendingCount;
    const end = lane.pendingStart + count - this.shaperDelay;
    if ((end < this.length ? end : this.length - 1) > now) return;
    lane.waiting = false;
    lane.pendingCount = 0;
    const produced = lane.produced;
    lane.oversampler.process(lane.pending, count, produced, lane.pendingStart, this.shape);
    // produced[j] is song frame pendingStart + j − filterLatency; frames before 0 are the filters filling.
    const first = lane.pendingStart - this.filterLatency;
    const skip = first < 0 ? Math.min(count, -first) : 0;
    const n = count - skip;
    if (n === 0) return;
    const r = this.dcCoefficient;
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
    const gain = this.outputGain;
    const scale = this.tone !== null || gain !== 1;
    for (let j = 0; j < n; j++) lane.output[(first + skip + j) % OUTPUT_RING] = scale ? produced[j] * gain : produced[j];
  }
}

const streamSaturation = (context: EffectStreamContext<SaturationOptions>): SaturationStream => new SaturationStream(context);

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
  stream: streamSaturation,
  // Until processEffect compensates a stream's latency itself (see stream-latency.ts).
  process: processThroughStream(streamSaturation),
});
