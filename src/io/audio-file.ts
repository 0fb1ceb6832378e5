/**
 * Decode an audio file's bytes for a sampler, a clip or an impulse response: WAV by
 * mixdown's own reader; other formats by node-web-audio-api's decodeAudioData (which
 * decodes at the rate of the context it is given: the target rate, so no second resample).
 */
import { extname } from 'node:path';
import type { AudioFileData } from '../api/plugin.ts';
import { resample } from '../dsp/resample.ts';
import { decodeWav } from './wav.ts';

/** Decode `bytes` (named `name`, for its extension and errors) to float channels at `sampleRate`. */
export async function decodeAudioFile(bytes: Uint8Array, name: string, sampleRate: number): Promise<AudioFileData> {
  const extension = extname(name).toLowerCase();
  if (extension === '.wav' || extension === '.wave') {
    const decoded = decodeWav(bytes);
    return { sampleRate, channels: decoded.channels.map((channel) => resample(channel, decoded.sampleRate, sampleRate)) };
  }
  const { OfflineAudioContext } = await import('node-web-audio-api');
  const context = new OfflineAudioContext(1, 1, sampleRate);
  const buffer = await context.decodeAudioData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { sampleRate: buffer.sampleRate, channels: Array.from({ length: buffer.numberOfChannels }, (_, c) => Float32Array.from(buffer.getChannelData(c))) };
}
