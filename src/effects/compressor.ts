/**
 * Feed-forward compressor: stereo-linked level detector (peak or RMS) on the key, a soft-knee
 * gain computer (Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor Design",
 * JAES 2012), and attack/release smoothing of the gain reduction in dB.
 *
 * Timing, exactly: the smoothed gain reduction g follows g[n] = α·g[n−1] + (1−α)·t[n], with
 * α = exp(−1/(τ·fs)), τ = `attack` while t is below g (more reduction) and `release` while
 * above. A step in the target therefore covers 1 − 1/e ≈ 63.2% of its distance in exactly τ
 * seconds. The peak detector holds the loudest key sample for `window` seconds (so a sine
 * reads its crest, not its zero crossings), so a drop in level reaches the gain computer
 * `window` after it happens and the release runs from there; a rise reaches it at once.
 *
 * Lookahead reads the key `lookahead` seconds ahead of the audio, so the gain is already
 * coming down when a transient arrives: the gain for sample i is the one the key reached at
 * i + lookahead. Streamed, that is a delay line: the stream declares the lookahead as its
 * latency (EffectStream.latency), the engine compensates it, and the output stays aligned
 * with its input (no comb filter when blended with the dry signal). Past the song's end the
 * gain releases as if the key had gone silent.
 *
 * The key is the slot's sidechain when it has one, otherwise the input itself.
 *
 * Automation: `threshold`, `ratio` and `makeup` follow their curves sample by sample.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields, type EffectState } from '../ir/effect-state.ts';
import type { EffectBlock, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import type { Decibels, Seconds } from '../theory/units.ts';

export type DetectionMode = 'peak' | 'rms';

export interface CompressorOptions {
  /** Key level above which gain is reduced, dBFS (a sine's peak level, in either detection mode). @default -18 */
  readonly threshold: Decibels;
  /** Input dB over the threshold per output dB over it (1 = off, 20+ ≈ limiting). @default 4 */
  readonly ratio: number;
  /** Width of the soft knee centred on the threshold, dB (0 = hard knee). @default 6 */
  readonly knee: Decibels;
  /** Time for the gain reduction to reach 63% of a step down in gain, seconds. @default 0.01 */
  readonly attack: Seconds;
  /** Time for the gain reduction to recover 63% after the level falls, seconds. @default 0.1 */
  readonly release: Seconds;
  /** Gain added after compression, dB. @default 0 */
  readonly makeup: Decibels;
  /** Level detector: 'peak' holds the loudest sample of the window, 'rms' averages its power (+3.01 dB, so a sine reads its peak). @default 'peak' */
  readonly detection: DetectionMode;
  /** Detector window, seconds: peak hold time, or RMS averaging length (10 ms reads sines down to 50 Hz steadily). @default 0.01 */
  readonly window: Seconds;
  /** How far ahead of the audio the key is read, seconds, so the gain falls before a transient arrives (no added latency). @default 0 */
  readonly lookahead: Seconds;
}

export const compressorDefaults: CompressorOptions = {
  threshold: -18,
  ratio: 4,
  knee: 6,
  attack: 0.01,
  release: 0.1,
  makeup: 0,
  detection: 'peak',
  window: 0.01,
  lookahead: 0,
};

/** dB → natural-log gain factor: exp(dB · ln10/20) = 10^(dB/20) without Math.pow. */
export const DB_TO_LOG = Math.LN10 / 20;
/** Natural log of an amplitude → dB. */
const LOG_TO_DB = 20 / Math.LN10;
/** Level reported for silence, dB. */
export const SILENCE_DB = -200;
/** Amplitude below which the key counts as silence (−200 dB). */
const SILENCE_AMPLITUDE = 1e-10;
/** 10·log10(2): the power of a sine is half its squared peak. */
const SINE_CREST_DB = 3.0102999566398116;

/**
 * Gain change in dB (≤ 0) the compressor applies to a key at `levelDb`: none below the knee,
 * (1/ratio − 1)·(level − threshold) above it, and in the knee the quadratic that joins them
 * with matching slopes (Giannoulis et al. 2012, eq. 4).
 */
export function gainComputerDb(levelDb: number, threshold: number, ratio: number, knee: number): number {
  const over = levelDb - threshold;
  const slope = 1 / ratio - 1;
  if (2 * over <= -knee) return 0;
  if (2 * over < knee) {
    const x = over + knee / 2;
    return (slope * x * x) / (2 * knee);
  }
  return slope * over;
}

/** Output level in dB for a steady input at `inputDb` (static curve, makeup included). */
export function compressorStaticCurveDb(inputDb: Decibels, options: Pick<CompressorOptions, 'threshold' | 'ratio' | 'knee' | 'makeup'>): Decibels {
  return inputDb + gainComputerDb(inputDb, options.threshold, options.ratio, options.knee) + options.makeup;
}

/** One-pole coefficient for a time constant: a step covers 1 − 1/e in `seconds`. */
export function timeCoefficient(seconds: Seconds, sampleRate: number): number {
  return seconds > 0 ? Math.exp(-1 / (seconds * sampleRate)) : 0;
}

/**
 * Stereo-linked level detector over a window, in dB, run chunk by chunk over a song (calls
 * continue where the last ended, whatever arrays and offsets they use).
 * Peak: the largest |sample| of either channel over the last `windowSamples` samples (a
 * monotonic deque makes the running maximum O(1) per sample). RMS: the mean of the squared
 * louder channel over the window, +3.01 dB so a sine reads its peak level.
 */
export class LevelDetector {
  private readonly windowSamples: number;
  private readonly rms: boolean;
  // Peak: a ring-buffer deque of (index, value) with decreasing values.
  private readonly dequeIndex: Int32Array;
  private readonly dequeValue: Float64Array;
  private head = 0;
  private size = 0;
  /** Samples seen so far: the deque's clock. */
  private time = 0;
  // RMS: ring of the window's squares and their running sum.
  private readonly squares: Float64Array;
  private position = 0;
  private sum = 0;
  private wraps = 0;

  constructor(mode: DetectionMode, windowSamples: number) {
    this.windowSamples = Math.max(1, Math.round(windowSamples));
    this.rms = mode === 'rms';
    this.dequeIndex = new Int32Array(this.rms ? 0 : this.windowSamples + 1);
    this.dequeValue = new Float64Array(this.rms ? 0 : this.windowSamples + 1);
    this.squares = new Float64Array(this.rms ? this.windowSamples : 0);
  }

  /** Levels of key samples [from, to) into `out[0, to − from)`, dB. */
  run(left: Float32Array, right: Float32Array, from: number, to: number, out: Float64Array): void {
    if (this.rms) this.runRms(left, right, from, to, out);
    else this.runPeak(left, right, from, to, out);
  }

  private runPeak(left: Float32Array, right: Float32Array, from: number, to: number, out: Float64Array): void {
    const index = this.dequeIndex;
    const value = this.dequeValue;
    const capacity = index.length;
    const window = this.windowSamples;
    let head = this.head;
    let size = this.size;
    let time = this.time;
    for (let i = from; i < to; i++, time++) {
      const l = left[i] < 0 ? -left[i] : left[i];
      const r = right[i] < 0 ? -right[i] : right[i];
      const v = l > r ? l : r;
      // Drop held values no larger than the new one: they can never be the maximum again.
      while (size > 0) {
        let back = head + size - 1;
        if (back >= capacity) back -= capacity;
        if (value[back] > v) break;
        size--;
      }
      let slot = head + size;
      if (slot >= capacity) slot -= capacity;
      value[slot] = v;
      index[slot] = time;
      size++;
      // Times increase along the deque, so at most the front one leaves the window per step.
      if (index[head] <= time - window) {
        head = head + 1 === capacity ? 0 : head + 1;
        size--;
      }
      const held = value[head];
      out[i - from] = held > SILENCE_AMPLITUDE ? Math.log(held) * LOG_TO_DB : SILENCE_DB;
    }
    this.head = head;
    this.size = size;
    this.time = time;
  }

  private runRms(left: Float32Array, right: Float32Array, from: number, to: number, out: Float64Array): void {
    const squares = this.squares;
    const window = this.windowSamples;
    const inverse = 1 / window;
    let position = this.position;
    let sum = this.sum;
    for (let i = from; i < to; i++) {
      const l = left[i] * left[i];
      const r = right[i] * right[i];
      const v = l > r ? l : r;
      sum += v - squares[position];
      squares[position] = v;
      if (++position === window) {
        position = 0;
        // Re-add the window now and then so rounding in the running sum cannot drift.
        if (++this.wraps === 64) {
          this.wraps = 0;
          sum = 0;
          for (let k = 0; k < window; k++) sum += squares[k];
        }
      }
      const meanSquare = sum * inverse;
      out[i - from] = meanSquare > SILENCE_AMPLITUDE * SILENCE_AMPLITUDE ? Math.log(meanSquare) * (LOG_TO_DB / 2) + SINE_CREST_DB : SILENCE_DB;
    }
    this.position = position;
    this.sum = sum;
  }
}

/** Samples per detector chunk: the level buffer is this long, not the whole song. */
export const DETECTOR_CHUNK = 4096;

/** The key an effect listens to in a block: the slot's sidechain, or its own input. Checks lengths match. */
export function keyChannels(block: EffectBlock, effect: string): readonly [Float32Array, Float32Array] {
  const { channels, sidechain } = block;
  if (!sidechain) return channels;
  if (sidechain[0].length < channels[0].length || sidechain[1].length < channels[0].length) {
    throw new Error(`${effect}: sidechain key is ${sidechain[0].length} samples, shorter than the ${channels[0].length}-sample input`);
  }
  return sidechain;
}

/**
 * What the compressor, gate and ducker share as streams: the key (the slot's sidechain, else
 * the input) through a level detector chunk by chunk, each chunk's levels handed to `apply`
 * before any of its samples is overwritten, which is what makes keying from the input itself
 * safe in place. Frames past the song's end (a latency's tail) are not detected.
 */
export abstract class KeyedStream implements EffectStream {
  /** The levels of the chunk `apply` is given, dB: levels[i − from] for block sample i. */
  protected readonly levels = new Float64Array(DETECTOR_CHUNK);

  constructor(
    private readonly effect: string,
    private readonly detector: LevelDetector,
    private readonly length: number,
  ) {}

  /** Every field is the stream's state or a constant of its setup: all of it, for `restore`. */
  checkpoint(): EffectState {
    return captureFields(this);
  }

  restore(state: EffectState): void {
    restoreFields(this, state);
  }

  process(start: number, block: EffectBlock): void {
    const count = block.channels[0].length;
    const key = keyChannels(block, this.effect);
    const inSong = Math.max(0, Math.min(count, this.length - start));
    for (let from = 0; from < count; from += DETECTOR_CHUNK) {
      const to = Math.min(count, from + DETECTOR_CHUNK);
      if (from < inSong) this.detector.run(key[0], key[1], from, Math.min(to, inSong), this.levels);
      this.apply(block, from, to, inSong);
    }
  }

  /** Process block samples [from, to); those from `inSong` on are past the song's end. */
  protected abstract apply(block: EffectBlock, from: number, to: number, inSong: number): void;
}

function validateCompressor(o: Readonly<CompressorOptions>): string[] {
  const problems: string[] = [];
  if (!(o.threshold >= -120 && o.threshold <= 24)) problems.push('threshold must be from -120 to 24 dBFS');
  if (!(o.ratio >= 1)) problems.push('ratio must be at least 1 (1 is no compression, 20 or more limits)');
  if (!(o.knee >= 0 && o.knee <= 48)) problems.push('knee must be from 0 (hard) to 48 dB');
  if (!(o.attack >= 0 && o.attack <= 5)) problems.push('attack must be from 0 to 5 seconds');
  if (!(o.release >= 0 && o.release <= 10)) problems.push('release must be from 0 to 10 seconds');
  if (!(Math.abs(o.makeup) <= 48)) problems.push('makeup must be from -48 to 48 dB');
  if (o.detection !== 'peak' && o.detection !== 'rms') problems.push(`detection must be 'peak' or 'rms', got '${String(o.detection)}'`);
  if (!(o.window > 0 && o.window <= 1)) problems.push('window must be above 0 and at most 1 second (0.01 is typical)');
  if (!(o.lookahead >= 0 && o.lookahead <= 0.1)) problems.push('lookahead must be from 0 to 0.1 seconds');
  return problems;
}

/**
 * The compressor over a song, block by block. Without lookahead each sample is scaled by the
 * gain its key reached; with it, the audio waits in a `lookahead`-sample ring while the key
 * runs ahead (gains rounded to float32, as the whole-song form stored them).
 */
class CompressorStream extends KeyedStream {
  readonly latency: number;
  private readonly attack: number;
  private readonly release: number;
  private readonly knee: number;
  /** The delayed audio (lookahead only) and where the oldest frame sits. */
  private readonly ringLeft: Float32Array;
  private readonly ringRight: Float32Array;
  private ringAt = 0;
  /** Smoothed gain reduction, dB. */
  private reduction = 0;
  /** Settings of the last sample in the song: what frames past its end use. */
  private threshold: number;
  private ratio: number;
  private makeup: number;

  constructor(context: EffectStreamContext<CompressorOptions>) {
    const o = context.options;
    const rate = context.sampleRate;
    super('compressor', new LevelDetector(o.detection, o.window * rate), context.lengthSamples);
    this.attack = timeCoefficient(o.attack, rate);
    this.release = timeCoefficient(o.release, rate);
    this.knee = o.knee;
    this.latency = Math.round(o.lookahead * rate);
    this.ringLeft = new Float32Array(this.latency);
    this.ringRight = new Float32Array(this.latency);
    this.threshold = o.threshold;
    this.ratio = o.ratio;
    this.makeup = o.makeup;
  }

  protected apply(block: EffectBlock, from: number, to: number, inSong: number): void {
    const [left, right] = block.channels;
    const { threshold: thresholdCurve, ratio: ratioCurve, makeup: makeupCurve } = block.automation;
    const { attack, release, knee, latency, levels, ringLeft, ringRight } = this;
    let { reduction, threshold, ratio, makeup, ringAt } = this;
    for (let i = from; i < to; i++) {
      // Past the song's end the key counts as silent and the settings hold their last values.
      let level = -Infinity;
      if (i < inSong) {
        level = levels[i - from];
        if (thresholdCurve) threshold = thresholdCurve[i];
        if (ratioCurve) ratio = ratioCurve[i];
        if (makeupCurve) makeup = makeupCurve[i];
      }
      const target = gainComputerDb(level, threshold, ratio, knee);
      reduction = target < reduction ? attack * reduction + (1 - attack) * target : release * reduction + (1 - release) * target;
      // Snap a vanishing reduction to 0 so a long release cannot crawl through subnormals.
      if (reduction > -1e-9) reduction = 0;
      const gain = Math.exp((reduction + makeup) * DB_TO_LOG);
      if (latency === 0) {
        left[i] *= gain;
        right[i] *= gain;
        continue;
      }
      const delayedGain = Math.fround(gain);
      const l = ringLeft[ringAt];
      const r = ringRight[ringAt];
      ringLeft[ringAt] = left[i];
      ringRight[ringAt] = right[i];
      if (++ringAt === latency) ringAt = 0;
      left[i] = l * delayedGain;
      right[i] = r * delayedGain;
    }
    this.reduction = reduction;
    this.threshold = threshold;
    this.ratio = ratio;
    this.makeup = makeup;
    this.ringAt = ringAt;
  }
}

export const compressor = defineEffect<CompressorOptions>({
  name: 'compressor',
  version: '2',
  defaults: compressorDefaults,
  sidechain: true,
  validate: validateCompressor,
  stream: (context) => new CompressorStream(context),
});
