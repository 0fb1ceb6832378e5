/**
 * `mixdown analyze <file…> [--json] [--reference ref]`: loudness and peaks of any audio
 * file. WAV is read by mixdown's own reader at its own rate; other formats (FLAC, MP3,
 * OGG…) are decoded by node-web-audio-api's decodeAudioData, at 48 kHz.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { decodeWav } from '../io/wav.ts';
import { measureLoudness, type LoudnessReport } from '../master/loudness.ts';

export interface DecodedAudio {
  readonly sampleRate: number;
  readonly channels: Float32Array[];
}

/** Rate other formats are decoded at (decodeAudioData resamples to its context's rate). */
const DECODE_RATE = 48000;

export async function decodeAudioFile(path: string): Promise<DecodedAudio> {
  const bytes = readFileSync(path);
  if (extname(path).toLowerCase() === '.wav') return decodeWav(bytes);
  const { OfflineAudioContext } = await import('node-web-audio-api');
  const context = new OfflineAudioContext(1, 1, DECODE_RATE);
  const buffer = await context.decodeAudioData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { sampleRate: buffer.sampleRate, channels: Array.from({ length: buffer.numberOfChannels }, (_, c) => Float32Array.from(buffer.getChannelData(c))) };
}

export interface FileAnalysis {
  readonly file: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationSeconds: number;
  /** LUFS. */
  readonly integrated: number | null;
  readonly momentaryMax: number | null;
  readonly shortTermMax: number | null;
  /** LU. */
  readonly range: number;
  /** dBFS. */
  readonly samplePeak: number | null;
  /** dBTP. */
  readonly truePeak: number | null;
}

/** JSON has no -Infinity: silence is null. Values rounded to 0.01. */
const finite = (value: number) => (Number.isFinite(value) ? Math.round(value * 100) / 100 : null);

export function summarise(file: string, audio: DecodedAudio, report: LoudnessReport): FileAnalysis {
  return {
    file,
    sampleRate: audio.sampleRate,
    channels: audio.channels.length,
    durationSeconds: Math.round((audio.channels[0]?.length ?? 0) / audio.sampleRate * 1000) / 1000,
    integrated: finite(report.integrated),
    momentaryMax: finite(report.momentaryMax),
    shortTermMax: finite(report.shortTermMax),
    range: finite(report.range) ?? 0,
    samplePeak: finite(report.samplePeak),
    truePeak: finite(report.truePeak),
  };
}

export async function analyzeFile(path: string): Promise<FileAnalysis> {
  const audio = await decodeAudioFile(path);
  return summarise(path, audio, measureLoudness(audio.channels, audio.sampleRate));
}

const show = (value: number | null, unit: string) => (value === null ? `-inf ${unit}` : `${value.toFixed(1)} ${unit}`);

export function formatAnalysis(analysis: FileAnalysis, reference?: FileAnalysis): string {
  const delta = (a: number | null, b: number | null | undefined) => (reference && a !== null && b !== null && b !== undefined ? `  (${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)} vs reference)` : '');
  return [
    `${analysis.file}  ${analysis.channels} ch, ${analysis.sampleRate} Hz, ${analysis.durationSeconds.toFixed(1)} s`,
    `  integrated   ${show(analysis.integrated, 'LUFS')}${delta(analysis.integrated, reference?.integrated)}`,
    `  range        ${analysis.range.toFixed(1)} LU${delta(analysis.range, reference?.range)}`,
    `  momentary    ${show(analysis.momentaryMax, 'LUFS')} max`,
    `  short-term   ${show(analysis.shortTermMax, 'LUFS')} max`,
    `  true peak    ${show(analysis.truePeak, 'dBTP')}${delta(analysis.truePeak, reference?.truePeak)}`,
    `  sample peak  ${show(analysis.samplePeak, 'dBFS')}`,
  ].join('\n');
}
