/**
 * `convolution`: reverb (or any linear filter) from a recorded impulse response. A mono IR
 * convolves both channels; a stereo IR convolves left with its left channel and right with
 * its right (true-stereo 4-channel IRs are not supported; extra channels are ignored).
 * Output is only the convolved signal (no dry): the slot's `mix` blends.
 *
 * Uniformly partitioned overlap-add convolution in the frequency domain: the IR is cut into
 * blocks of B samples, each transformed once; every input block is transformed once, kept
 * in a frequency-domain delay line, and multiplied with every IR block. Both channels
 * travel in one complex FFT (left as real part, right as imaginary) and are separated by
 * conjugate symmetry, halving the transforms. B is chosen per IR to minimise work.
 *
 * Streamed with a latency of B frames: an input block is transformed once it is complete
 * (at a multiple of B from the song's first frame, whatever blocks the engine hands over),
 * and its output goes out during the next B frames; the engine shifts it back into line.
 * Every output sample is therefore computed from whole input blocks, the same arithmetic
 * for any block sizes, and the same bits as convolving the whole song at once. State: the
 * IR spectra, the last ⌈IR/B⌉ input spectra, the block being gathered and the block being
 * played out: it follows the IR, never the song.
 *
 * Tail: tail() sees only options, not the file, so it returns predelay alone; the song's
 * `tail` must cover the IR's length (sound past the song's end is cut).
 */
import { PlannedFft } from '../dsp/fft.ts';
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields } from '../ir/effect-state.ts';
import type { Decibels, Seconds } from '../theory/units.ts';
import { checkRange } from './modulation.ts';

export interface ConvolutionOptions {
  /** Project path of the impulse-response WAV (mono, or stereo for L→L, R→R). @default '' */
  readonly impulse: string;
  /** Gain applied to the impulse response, dB. @default 0 */
  readonly gain: Decibels;
  /** Silence added before the impulse response, seconds. @default 0 */
  readonly predelay: Seconds;
}

export const convolutionDefaults: ConvolutionOptions = { impulse: '', gain: 0, predelay: 0 };

/**
 * Block size minimising estimated operations per sample: two FFTs of 2B (≈ 5·2B·log₂2B
 * each) plus one complex multiply-add per bin, channel and IR block (≈ 8·(B+1)·2·P).
 */
export function partitionSize(irLength: number): number {
  let best = 64;
  let bestCost = Infinity;
  for (let b = 64; b <= 65536; b <<= 1) {
    const n = 2 * b;
    const partitions = Math.max(1, Math.ceil(irLength / b));
    const cost = (2 * 5 * n * Math.log2(n) + 16 * (b + 1) * partitions) / b;
    if (cost < bestCost) {
      bestCost = cost;
      best = b;
    }
    if (b >= irLength) break;
  }
  return best;
}

/** Half-spectra (bins 0…B) of every B-sample block of `ir`, real and imaginary, block after block. */
function partitionSpectra(ir: Float64Array, block: number, partitions: number, fft: PlannedFft): { re: Float64Array; im: Float64Array } {
  const bins = block + 1;
  const re = new Float64Array(partitions * bins);
  const im = new Float64Array(partitions * bins);
  const bufferRe = new Float64Array(2 * block);
  const bufferIm = new Float64Array(2 * block);
  for (let p = 0; p < partitions; p++) {
    bufferRe.fill(0);
    bufferIm.fill(0);
    const from = p * block;
    for (let t = 0; t < block && from + t < ir.length; t++) bufferRe[t] = ir[from + t];
    fft.transform(bufferRe, bufferIm, false);
    re.set(bufferRe.subarray(0, bins), p * bins);
    im.set(bufferIm.subarray(0, bins), p * bins);
  }
  return { re, im };
}

/** Both channels' impulse responses, predelayed and scaled, as float64. */
function preparedImpulses(channels: readonly Float32Array[], predelay: number, gain: number): [Float64Array, Float64Array] {
  const prepare = (source: Float32Array): Float64Array => {
    const out = new Float64Array(predelay + source.length);
    for (let i = 0; i < source.length; i++) out[predelay + i] = source[i] * gain;
    return out;
  };
  const leftIr = prepare(channels[0] ?? new Float32Array(0));
  const rightIr = channels.length > 1 ? prepare(channels[1]) : leftIr;
  return [leftIr, rightIr];
}

/**
 * Stereo convolution, block by block, B frames late (B = partitionSize(IR), `latency`). Per
 * frame: out goes the output computed for the frame B earlier, in goes the input; when an
 * input block is complete it is transformed, multiplied with the IR blocks, transformed back
 * and overlap-added into the block to play out next.
 */
/** StereoConvolver's fields fixed by the impulse: left out of its checkpoints (large, and never changed by processing). */
const CONSTANT_FIELDS = ['hl', 'hr', 'fft'];

export class StereoConvolver {
  /** Frames the output lags the input: the partition size (0 for an empty IR, whose output is silence). */
  readonly latency: number;
  private readonly block: number;
  private readonly partitions: number;
  private readonly fft: PlannedFft | null;
  private readonly hl: { re: Float64Array; im: Float64Array };
  private readonly hr: { re: Float64Array; im: Float64Array };
  // Frequency-domain delay line: the last `partitions` input blocks' half-spectra per channel.
  private readonly xlRe: Float64Array;
  private readonly xlIm: Float64Array;
  private readonly xrRe: Float64Array;
  private readonly xrIm: Float64Array;
  private readonly ylRe: Float64Array;
  private readonly ylIm: Float64Array;
  private readonly yrRe: Float64Array;
  private readonly yrIm: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly overlapL: Float64Array;
  private readonly overlapR: Float64Array;
  /** The input block being gathered, and the output block being played out. */
  private readonly inputL: Float64Array;
  private readonly inputR: Float64Array;
  private readonly outputL: Float64Array;
  private readonly outputR: Float64Array;
  /** Frames of the current block gathered so far, and blocks transformed so far. */
  private fill = 0;
  private count = 0;

  constructor(leftIr: Float64Array, rightIr: Float64Array) {
    const irLength = Math.max(leftIr.length, rightIr.length);
    const block = irLength === 0 ? 1 : partitionSize(irLength);
    const n = 2 * block;
    const bins = block + 1;
    this.latency = irLength === 0 ? 0 : block;
    this.block = block;
    this.partitions = Math.max(1, Math.ceil(irLength / block));
    this.fft = irLength === 0 ? null : new PlannedFft(n);
    const empty = { re: new Float64Array(0), im: new Float64Array(0) };
    this.hl = this.fft ? partitionSpectra(leftIr, block, this.partitions, this.fft) : empty;
    this.hr = rightIr === leftIr || !this.fft ? this.hl : partitionSpectra(rightIr, block, this.partitions, this.fft);
    const spectra = this.fft ? this.partitions * bins : 0;
    [this.xlRe, this.xlIm, this.xrRe, this.xrIm] = [0, 1, 2, 3].map(() => new Float64Array(spectra));
    [this.ylRe, this.ylIm, this.yrRe, this.yrIm] = [0, 1, 2, 3].map(() => new Float64Array(this.fft ? bins : 0));
    [this.re, this.im] = [0, 1].map(() => new Float64Array(this.fft ? n : 0));
    [this.overlapL, this.overlapR, this.inputL, this.inputR, this.outputL, this.outputR] = [0, 1, 2, 3, 4, 5].map(() => new Float64Array(block));
  }

  /** Take the next `left.length` input frames and put out as many output frames, `latency` late, in place. */
  process(left: Float32Array, right: Float32Array): void {
    const { block, inputL, inputR, outputL, outputR } = this;
    const length = left.length;
    if (!this.fft) {
      left.fill(0);
      right.fill(0);
      return;
    }
    for (let i = 0; i < length; ) {
      const fill = this.fill;
      const count = Math.min(length - i, block - fill);
      for (let t = 0; t < count; t++) {
        inputL[fill + t] = left[i + t];
        inputR[fill + t] = right[i + t];
        left[i + t] = outputL[fill + t];
        right[i + t] = outputR[fill + t];
      }
      i += count;
      this.fill = fill + count;
      if (this.fill === block) {
        this.convolveBlock();
        this.fill = 0;
      }
    }
  }

  /** The gathered input block is complete: its output (with the overlap of the last) becomes the block to play out. */
  private convolveBlock(): void {
    const { block, partitions, re, im, xlRe, xlIm, xrRe, xrIm, ylRe, ylIm, yrRe, yrIm, overlapL, overlapR } = this;
    const fft = this.fft as PlannedFft;
    const n = 2 * block;
    const bins = block + 1;
    const k = this.count++;
    re.set(this.inputL);
    im.set(this.inputR);
    re.fill(0, block);
    im.fill(0, block);
    fft.transform(re, im, false);

    // Split the packed spectrum: X_L = (X[m] + conj X[N−m])/2, X_R = (X[m] − conj X[N−m])/2i.
    const slot = (k % partitions) * bins;
    for (let m = 0; m < bins; m++) {
      const mirror = (n - m) & (n - 1);
      const a = re[m];
      const b = im[m];
      const c = re[mirror];
      const d = im[mirror];
      xlRe[slot + m] = 0.5 * (a + c);
      xlIm[slot + m] = 0.5 * (b - d);
      xrRe[slot + m] = 0.5 * (b + d);
      xrIm[slot + m] = 0.5 * (c - a);
    }

    ylRe.fill(0);
    ylIm.fill(0);
    yrRe.fill(0);
    yrIm.fill(0);
    const used = Math.min(partitions, k + 1);
    for (let p = 0; p < used; p++) {
      const x = ((k - p) % partitions) * bins;
      const h = p * bins;
      multiplyAccumulate(xlRe, xlIm, x, this.hl.re, this.hl.im, h, ylRe, ylIm, bins);
      multiplyAccumulate(xrRe, xrIm, x, this.hr.re, this.hr.im, h, yrRe, yrIm, bins);
    }

    // Repack Z = Y_L + i·Y_R over the full spectrum so one inverse FFT yields both channels.
    for (let m = 0; m < bins; m++) {
      re[m] = ylRe[m] - yrIm[m];
      im[m] = ylIm[m] + yrRe[m];
      if (m > 0 && m < block) {
        re[n - m] = ylRe[m] + yrIm[m];
        im[n - m] = yrRe[m] - ylIm[m];
      }
    }
    fft.transform(re, im, true);

    for (let t = 0; t < block; t++) {
      this.outputL[t] = re[t] + overlapL[t];
      this.outputR[t] = im[t] + overlapR[t];
    }
    for (let t = 0; t < block; t++) {
      overlapL[t] = re[block + t];
      overlapR[t] = im[block + t];
    }
  }
}

/** y += x·h over `bins` complex bins (x and h at their offsets). */
function multiplyAccumulate(
  xRe: Float64Array,
  xIm: Float64Array,
  xOffset: number,
  hRe: Float64Array,
  hIm: Float64Array,
  hOffset: number,
  yRe: Float64Array,
  yIm: Float64Array,
  bins: number,
): void {
  for (let m = 0; m < bins; m++) {
    const ar = xRe[xOffset + m];
    const ai = xIm[xOffset + m];
    const br = hRe[hOffset + m];
    const bi = hIm[hOffset + m];
    yRe[m] += ar * br - ai * bi;
    yIm[m] += ar * bi + ai * br;
  }
}

export const convolution = defineEffect<ConvolutionOptions>({
  name: 'convolution',
  version: '1',
  defaults: convolutionDefaults,
  tail(options) {
    // The IR's own length is unknown here: the song's tail must cover it.
    return options.predelay;
  },
  files(options) {
    return options.impulse ? [options.impulse] : [];
  },
  validate(options) {
    const problems: string[] = [];
    if (typeof options.impulse !== 'string' || options.impulse === '') problems.push("impulse: give the project path of an impulse-response WAV, e.g. 'irs/hall.wav'");
    problems.push(...checkRange('gain', options.gain, -60, 24, ' dB'));
    problems.push(...checkRange('predelay', options.predelay, 0, 1, ' s'));
    return problems;
  },
  stream(ctx) {
    const { options, sampleRate } = ctx;
    const audio = ctx.readAudio(options.impulse);
    const [leftIr, rightIr] = preparedImpulses(audio.channels, Math.round(options.predelay * sampleRate), Math.pow(10, options.gain / 20));
    const convolver = new StereoConvolver(leftIr, rightIr);
    return {
      latency: convolver.latency,
      // The impulse's spectra and the FFT's tables are fixed by the options: only the running buffers are state.
      checkpoint: () => captureFields(convolver, CONSTANT_FIELDS),
      restore: (state) => restoreFields(convolver, state, CONSTANT_FIELDS),
      process(_start, block) {
        convolver.process(block.channels[0], block.channels[1]);
      },
    };
  },
});
