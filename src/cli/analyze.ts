/**
 * `mixdown analyze <file…> [--json] [--reference ref]`: loudness and peaks of any audio
 * file. WAV and AIFF are read by mixdown's own readers at their own rate; other formats
 * (FLAC, MP3, AAC, Ogg) by node-web-audio-api's decodeAudioData behind size checks, at 48 kHz.
 */
import { readFileSync } from 'node:fs';
import { decodeAudioFile as decodeFile, readAudioFileSync, sniffAudioFormat } from '../io/audio-file.ts';
import { measureLoudness, type LoudnessReport } from '../master/loudness.ts';

export interface DecodedAudio {
  readonly sampleRate: number;
  readonly channels: Float32Array[];
}

/** Rate compressed formats are decoded at (decodeAudioData resamples to its context's rate). */
const DECODE_RATE = 48000;

/**
 * WAV and AIFF at their own rate (mixdown's readers); FLAC, MP3, AAC and Ogg through the
 * guarded decodeAudioData path at 48 kHz. A corrupt or lying file is an Error, not a hang.
 */
export async function decodeAudioFile(path: string): Promise<DecodedAudio> {
  const bytes = new Uint8Array(readFileSync(path));
  const data = sniffAudioFormat(bytes) === 'wav' || sniffAudioFormat(bytes) === 'aiff' ? readAudioFileSync(bytes, path) : await decodeFile(bytes, path, DECODE_RATE);
  return { sampleRate: data.sampleRate, channels: [...data.channels] };
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
