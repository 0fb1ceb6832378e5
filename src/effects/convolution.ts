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
 * conjugate symmetry, halving the transforms. B is chosen per IR to minimise work; the song
 * is offline, so latency does not constrain it.
 *
 * Tail: tail() sees only options, not the file, so it returns predelay alone; the song's
 * `tail` must cover the IR's length (sound past the song's end is cut).
 */
import { PlannedFft } from '../dsp/fft.ts';
import { defineEffect } from '../api/define-effect.ts';
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

/** Convolve left with `leftIr` and right with `rightIr` in place (output cut at the signal's end). */
export function convolveStereo(left: Float32Array, right: Float32Array, leftIr: Float64Array, rightIr: Float64Array): void {
  const irLength = Math.max(leftIr.length, rightIr.length);
  if (irLength === 0) {
    left.fill(0);
    right.fill(0);
    return;
  }
  const block = partitionSize(irLength);
  const n = 2 * block;
  const bins = block + 1;
  const partitions = Math.ceil(irLength / block);
  const fft = new PlannedFft(n);
  const hl = partitionSpectra(leftIr, block, partitions, fft);
  const hr = rightIr === leftIr ? hl : partitionSpectra(rightIr, block, partitions, fft);

  // Frequency-domain delay line: the last `partitions` input blocks' half-spectra per channel.
  const xlRe = new Float64Array(partitions * bins);
  const xlIm = new Float64Array(partitions * bins);
  const xrRe = new Float64Array(partitions * bins);
  const xrIm = new Float64Array(partitions * bins);
  const ylRe = new Float64Array(bins);
  const ylIm = new Float64Array(bins);
  const yrRe = new Float64Array(bins);
  const yrIm = new Float64Array(bins);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const overlapL = new Float64Array(block);
  const overlapR = new Float64Array(block);
  const length = left.length;
  const blocks = Math.ceil(length / block);

  for (let k = 0; k < blocks; k++) {
    const from = k * block;
    const count = Math.min(block, length - from);
    re.fill(0);
    im.fill(0);
    for (let t = 0; t < count; t++) {
      re[t] = left[from + t];
      im[t] = right[from + t];
    }
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
      multiplyAccumulate(xlRe, xlIm, x, hl.re, hl.im, h, ylRe, ylIm, bins);
      multiplyAccumulate(xrRe, xrIm, x, hr.re, hr.im, h, yrRe, yrIm, bins);
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

    for (let t = 0; t < count; t++) {
      left[from + t] = re[t] + overlapL[t];
      right[from + t] = im[t] + overlapR[t];
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
  process(ctx) {
    const { options, sampleRate } = ctx;
    const audio = ctx.readAudio(options.impulse);
    const [leftIr, rightIr] = preparedImpulses(audio.channels, Math.round(options.predelay * sampleRate), Math.pow(10, options.gain / 20));
    convolveStereo(ctx.channels[0], ctx.channels[1], leftIr, rightIr);
  },
});
