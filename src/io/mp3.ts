/** MP3 encoding through lamejs (a JavaScript port of LAME): a master for previews and delivery. */
import lame from '@breezystack/lamejs';
import { concatBytes } from './bytes.ts';

const FRAME = 1152;

/** Encode float channels (clamped to ±1) at a constant bitrate, kbit/s. */
export function encodeMp3(channels: readonly Float32Array[], sampleRate: number, kbps: number): Uint8Array {
  const toInt16 = (channel: Float32Array) => Int16Array.from(channel, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))));
  const left = toInt16(channels[0]);
  const right = channels.length > 1 ? toInt16(channels[1]) : undefined;
  const encoder = new lame.Mp3Encoder(right ? 2 : 1, sampleRate, kbps);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < left.length; i += FRAME) {
    const chunk = right ? encoder.encodeBuffer(left.subarray(i, i + FRAME), right.subarray(i, i + FRAME)) : encoder.encodeBuffer(left.subarray(i, i + FRAME));
    if (chunk.length) parts.push(Uint8Array.from(chunk));
  }
  const last = encoder.flush();
  if (last.length) parts.push(Uint8Array.from(last));
  return concatBytes(parts);
}
