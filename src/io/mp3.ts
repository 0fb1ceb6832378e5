/** MP3 encoding through lamejs (a JavaScript port of LAME): a master for previews and delivery. */
import lame from '@breezystack/lamejs';
import { concatBytes } from './bytes.ts';

const FRAME = 1152;

/** Encode float channels (clamped to ±1) at a constant bitrate, kbit/s. */
export function encodeMp3(channels: readonly Float32Array[], sampleRate: number, kbps: number): Uint8Array {
  const stream = new Mp3Stream(channels.length, sampleRate, kbps);
  stream.push(channels, channels[0]?.length ?? 0);
  return stream.finish();
}

/**
 * An MP3 encoder fed block by block: samples gather into LAME's 1,152-frame chunks, so any
 * block sizes make the same calls, and the same bytes, as encoding the whole song at once.
 */
export class Mp3Stream {
  private readonly encoder: InstanceType<typeof lame.Mp3Encoder>;
  private readonly left = new Int16Array(FRAME);
  private readonly right?: Int16Array;
  private fill = 0;
  private readonly parts: Uint8Array[] = [];

  constructor(channelCount: number, sampleRate: number, kbps: number) {
    if (channelCount > 1) this.right = new Int16Array(FRAME);
    this.encoder = new lame.Mp3Encoder(this.right ? 2 : 1, sampleRate, kbps);
  }

  /** The next `count` samples of each channel (the first two are encoded). */
  push(channels: readonly Float32Array[], count: number): void {
    const [left, right] = channels;
    for (let i = 0; i < count; i++) {
      this.left[this.fill] = Math.max(-32768, Math.min(32767, Math.round(left[i] * 32768)));
      if (this.right) this.right[this.fill] = Math.max(-32768, Math.min(32767, Math.round(right[i] * 32768)));
      if (++this.fill === FRAME) this.encode();
    }
  }

  private encode(): void {
    const left = this.left.subarray(0, this.fill);
    const chunk = this.right ? this.encoder.encodeBuffer(left, this.right.subarray(0, this.fill)) : this.encoder.encodeBuffer(left);
    if (chunk.length) this.parts.push(Uint8Array.from(chunk));
    this.fill = 0;
  }

  finish(): Uint8Array {
    if (this.fill > 0) this.encode();
    const last = this.encoder.flush();
    if (last.length) this.parts.push(Uint8Array.from(last));
    return concatBytes(this.parts);
  }
}
