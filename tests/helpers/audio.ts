/** Audio measurements for tests: FFT peak frequency, levels, onsets. */
import { spawnSync } from 'node:child_process';
import { fft } from '../../src/dsp/fft.ts';

export { fft };

/** Magnitude spectrum (Hann-windowed) of `size` samples from `offset`. */
export function spectrum(signal: ArrayLike<number>, offset: number, size: number): Float64Array {
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < size; i++) re[i] = (signal[offset + i] ?? 0) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1)));
  fft(re, im);
  const magnitudes = new Float64Array(size / 2);
  for (let i = 0; i < size / 2; i++) magnitudes[i] = Math.hypot(re[i], im[i]);
  return magnitudes;
}

/**
 * Frequency of the strongest spectral peak between `minHz` and `maxHz`, refined by
 * quadratic interpolation of the log magnitudes around the peak bin.
 */
export function peakFrequency(signal: ArrayLike<number>, sampleRate: number, offset = 0, size = 65536, minHz = 20, maxHz = sampleRate / 2): number {
  const magnitudes = spectrum(signal, offset, size);
  const binHz = sampleRate / size;
  let best = Math.max(1, Math.ceil(minHz / binHz));
  for (let i = best; i < Math.min(magnitudes.length - 1, maxHz / binHz); i++) if (magnitudes[i] > magnitudes[best]) best = i;
  const a = Math.log(magnitudes[best - 1] + 1e-30);
  const b = Math.log(magnitudes[best] + 1e-30);
  const c = Math.log(magnitudes[best + 1] + 1e-30);
  const shift = (0.5 * (a - c)) / (a - 2 * b + c);
  return (best + shift) * binHz;
}

/** RMS level in dBFS of samples [from, to). */
export function rmsDb(signal: ArrayLike<number>, from = 0, to = signal.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += signal[i] * signal[i];
  return 10 * Math.log10(sum / Math.max(1, to - from) + 1e-300);
}

/** Largest absolute sample of [from, to). */
export function peak(signal: ArrayLike<number>, from = 0, to = signal.length): number {
  let max = 0;
  for (let i = from; i < to; i++) max = Math.max(max, Math.abs(signal[i]));
  return max;
}

/** Index of the first sample whose magnitude exceeds `threshold`, or -1. */
export function firstNonSilent(signal: ArrayLike<number>, threshold = 0): number {
  for (let i = 0; i < signal.length; i++) if (Math.abs(signal[i]) > threshold) return i;
  return -1;
}

/** Energy (sum of squared magnitudes) of the spectrum between two frequencies. */
export function bandEnergy(magnitudes: Float64Array, sampleRate: number, size: number, fromHz: number, toHz: number): number {
  const binHz = sampleRate / size;
  let sum = 0;
  for (let i = Math.max(0, Math.floor(fromHz / binHz)); i < Math.min(magnitudes.length, Math.ceil(toHz / binHz)); i++) sum += magnitudes[i] * magnitudes[i];
  return sum;
}

/** ffmpeg's EBU R128 summary of a file (`-af ebur128=peak=true`): integrated loudness, range, true peak. */
export function ffmpegSummary(file: string): { I: number; LRA: number; peak: number } {
  const run = spawnSync('ffmpeg', ['-nostats', '-hide_banner', '-i', file, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { encoding: 'utf8' });
  const summary = run.stderr.slice(run.stderr.lastIndexOf('Summary:'));
  const number = (label: string) => Number(new RegExp(`${label}:\\s+(-?[\\d.]+|-inf)`).exec(summary)![1].replace('-inf', '-Infinity'));
  return { I: number('I'), LRA: number('LRA'), peak: number('Peak') };
}
