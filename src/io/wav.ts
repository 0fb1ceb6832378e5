/**
 * RIFF/WAVE read and write, to the Microsoft/IBM spec. Writers emit only `fmt `, `fact`
 * (for float, as the spec requires of non-PCM formats) and `data` chunks: no LIST/INFO,
 * no time, no host, so the same samples always give the same bytes. The reader takes
 * PCM 8/16/24/32, float 32/64 and WAVE_FORMAT_EXTENSIBLE, skips unknown chunks, and
 * rejects malformed files with a WavFormatError that says what is wrong.
 */

export class WavFormatError extends Error {
  constructor(message: string) {
    super(`not a readable WAV file: ${message}`);
    this.name = 'WavFormatError';
  }
}

export interface DecodedWav {
  readonly sampleRate: number;
  readonly channels: Float32Array[];
  readonly bitsPerSample: number;
  readonly format: 'pcm' | 'float';
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function writeAscii(view: DataView, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
}

function frameCount(channels: readonly Float32Array[]): number {
  if (channels.length === 0) throw new RangeError('a WAV file needs at least one channel');
  const length = channels[0].length;
  for (const channel of channels) if (channel.length !== length) throw new RangeError('all channels must have the same length');
  return length;
}

/** 32-bit IEEE float WAV (format tag 3), interleaved, with the `fact` chunk. */
export function encodeWavFloat32(channels: readonly Float32Array[], sampleRate: number): Uint8Array {
  const frames = frameCount(channels);
  const count = channels.length;
  const { bytes, samples } = createFloat32Wav(frames, count, sampleRate);
  for (let c = 0; c < count; c++) {
    const channel = channels[c];
    for (let i = 0, j = c; i < frames; i++, j += count) samples[j] = channel[i];
  }
  return finishFloat32Wav(bytes, samples);
}

/**
 * An empty 32-bit float WAV file of `frames` × `channels`, and a Float32Array view of its
 * interleaved samples to fill in place (then call finishFloat32Wav). Lets a renderer write
 * straight into the file instead of building channel arrays first.
 */
export function createFloat32Wav(frames: number, channels: number, sampleRate: number): { bytes: Uint8Array; samples: Float32Array } {
  if (channels < 1) throw new RangeError('a WAV file needs at least one channel');
  const dataBytes = frames * channels * 4;
  const headerBytes = 12 + (8 + 18) + (8 + 4) + 8;
  // The data starts at byte 58, which is not 4-aligned; placing the file 2 bytes into its
  // buffer makes the samples aligned, so they are written straight through a Float32Array.
  const buffer = new ArrayBuffer(2 + headerBytes + dataBytes);
  const bytes = new Uint8Array(buffer, 2, headerBytes + dataBytes);
  const view = new DataView(buffer, 2);
  writeAscii(view, 0, 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  writeAscii(view, 8, 'WAVE');
  writeAscii(view, 12, 'fmt ');
  view.setUint32(16, 18, true);
  view.setUint16(20, FORMAT_FLOAT, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 4, true);
  view.setUint16(32, channels * 4, true);
  view.setUint16(34, 32, true);
  view.setUint16(36, 0, true); // cbSize
  writeAscii(view, 38, 'fact');
  view.setUint32(42, 4, true);
  view.setUint32(46, frames, true);
  writeAscii(view, 50, 'data');
  view.setUint32(54, dataBytes, true);
  return { bytes, samples: new Float32Array(buffer, 2 + headerBytes, frames * channels) };
}

/** Finish a file from createFloat32Wav: fix the byte order on a big-endian host. */
export function finishFloat32Wav(bytes: Uint8Array, samples: Float32Array): Uint8Array {
  if (!LITTLE_ENDIAN) swap32(samples);
  return bytes;
}

/**
 * Integer PCM WAV (format tag 1), 16 or 24 bits, samples × `gain` rounded to nearest and
 * clamped to full scale. No dither (that is a mastering stage).
 */
export function encodeWavPcm(channels: readonly Float32Array[], sampleRate: number, bits: 16 | 24, gain = 1, dither?: () => number): Uint8Array {
  const frames = frameCount(channels);
  const count = channels.length;
  const interleaved = new Float32Array(frames * count);
  for (let c = 0; c < count; c++) {
    const channel = channels[c];
    for (let i = 0, j = c; i < frames; i++, j += count) interleaved[j] = channel[i];
  }
  return encodeWavPcmInterleaved(interleaved, count, sampleRate, bits, gain, dither);
}

/** encodeWavPcm from samples already interleaved (a float WAV's data, as the master reads its mix). */
export function encodeWavPcmInterleaved(
  samples: Float32Array,
  channelCount: number,
  sampleRate: number,
  bits: 16 | 24,
  gain = 1,
  /** TPDF dither source: returns triangular noise in LSBs (see master/dither.ts); none when omitted. */
  dither?: () => number,
): Uint8Array {
  if (channelCount < 1) throw new RangeError('a WAV file needs at least one channel');
  const width = bits / 8;
  const dataBytes = samples.length * width;
  const pad = dataBytes % 2;
  const headerBytes = 12 + (8 + 16) + 8;
  const bytes = new Uint8Array(headerBytes + dataBytes + pad);
  const view = new DataView(bytes.buffer);
  writeAscii(view, 0, 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  writeAscii(view, 8, 'WAVE');
  writeAscii(view, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channelCount * width, true);
  view.setUint16(32, channelCount * width, true);
  view.setUint16(34, bits, true);
  writeAscii(view, 36, 'data');
  view.setUint32(40, dataBytes, true);
  const scale = 2 ** (bits - 1) * gain;
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  const quantise = (k: number): number => {
    const scaled = dither ? samples[k] * scale + dither() : samples[k] * scale;
    // NaN fails both comparisons and lands on 0 through `| 0`.
    return scaled >= max ? max : scaled <= min ? min : Math.round(scaled) | 0;
  };
  let k = 0;
  if (LITTLE_ENDIAN) {
    // The data starts at byte 44, 4-aligned: whole 32-bit words are written at once.
    const words = new Uint32Array(bytes.buffer, headerBytes, Math.floor(dataBytes / 4));
    let w = 0;
    if (width === 3) {
      // Four 24-bit samples fill three words.
      for (; k + 4 <= samples.length; k += 4, w += 3) {
        const a = quantise(k) & 0xffffff;
        const b = quantise(k + 1) & 0xffffff;
        const c = quantise(k + 2) & 0xffffff;
        const d = quantise(k + 3) & 0xffffff;
        words[w] = a | (b << 24);
        words[w + 1] = (b >>> 8) | (c << 16);
        words[w + 2] = (c >>> 16) | (d << 8);
      }
    } else {
      for (; k + 2 <= samples.length; k += 2, w += 1) words[w] = (quantise(k) & 0xffff) | (quantise(k + 1) << 16);
    }
  }
  let offset = headerBytes + k * width;
  for (; k < samples.length; k++) {
    const value = quantise(k);
    bytes[offset] = value;
    bytes[offset + 1] = value >> 8;
    if (width === 3) bytes[offset + 2] = value >> 16;
    offset += width;
  }
  return bytes;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swap32(samples: Float32Array): void {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  for (let i = 0; i < bytes.length; i += 4) {
    const a = bytes[i];
    const b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

function readAscii(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

interface FormatChunk {
  readonly tag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly blockAlign: number;
  readonly bitsPerSample: number;
}

export function decodeWav(input: Uint8Array): DecodedWav {
  const bytes = input;
  if (bytes.length < 12) throw new WavFormatError(`only ${bytes.length} bytes`);
  if (readAscii(bytes, 0) !== 'RIFF' || readAscii(bytes, 8) !== 'WAVE') throw new WavFormatError('no RIFF/WAVE header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: FormatChunk | undefined;
  let dataOffset = -1;
  let dataLength = 0;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = readAscii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length) throw new WavFormatError('truncated fmt chunk');
      let tag = view.getUint16(body, true);
      if (tag === FORMAT_EXTENSIBLE) {
        if (size < 40) throw new WavFormatError('WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes');
        // The sub-format GUID starts with the format tag it stands for.
        tag = view.getUint16(body + 24, true);
      }
      format = {
        tag,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      dataOffset = body;
      // Some writers leave the size at 0 or 0xFFFFFFFF while streaming; a size past the end is an error.
      if (body + size > bytes.length) throw new WavFormatError(`data chunk claims ${size} bytes but the file ends after ${bytes.length - body}`);
      dataLength = size;
      break;
    }
    // Chunks are word-aligned: an odd-sized chunk is followed by a pad byte.
    offset = body + size + (size % 2);
  }
  if (!format) throw new WavFormatError('no fmt chunk');
  if (dataOffset < 0) throw new WavFormatError('no data chunk');
  const { tag, channels: channelCount, sampleRate, bitsPerSample } = format;
  if (channelCount === 0) throw new WavFormatError('zero channels');
  if (sampleRate === 0) throw new WavFormatError('sample rate 0');
  const isFloat = tag === FORMAT_FLOAT;
  if (tag !== FORMAT_PCM && !isFloat) throw new WavFormatError(`unsupported format tag ${tag}`);
  const supported = isFloat ? [32, 64] : [8, 16, 24, 32];
  if (!supported.includes(bitsPerSample)) throw new WavFormatError(`unsupported ${isFloat ? 'float' : 'PCM'} bit depth ${bitsPerSample}`);
  const width = bitsPerSample / 8;
  const frameBytes = width * channelCount;
  const frames = Math.floor(dataLength / frameBytes);
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  if (isFloat && bitsPerSample === 32 && LITTLE_ENDIAN) {
    // Fast path for what mixdown itself writes.
    const samples = float32Samples(bytes, dataOffset, frames * channelCount);
    for (let c = 0; c < channelCount; c++) {
      const channel = channels[c];
      for (let i = 0, j = c; i < frames; i++, j += channelCount) channel[i] = samples[j];
    }
    return { sampleRate, channels, bitsPerSample, format: 'float' };
  }
  if (!isFloat && bitsPerSample === 24) {
    // 24-bit PCM (what masters are): assemble from bytes directly, no DataView per sample.
    let at = dataOffset;
    if (channelCount === 2) {
      const [left, right] = channels;
      for (let i = 0; i < frames; i++, at += 6) {
        left[i] = (((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) << 8) >> 8) / 8388608;
        right[i] = (((bytes[at + 3] | (bytes[at + 4] << 8) | (bytes[at + 5] << 16)) << 8) >> 8) / 8388608;
      }
      return { sampleRate, channels, bitsPerSample, format: 'pcm' };
    }
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < channelCount; c++) {
        const value = ((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) << 8) >> 8;
        channels[c][i] = value / 8388608;
        at += 3;
      }
    }
    return { sampleRate, channels, bitsPerSample, format: 'pcm' };
  }
  let position = dataOffset;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channelCount; c++) {
      channels[c][i] = readSample(view, position, isFloat, bitsPerSample);
      position += width;
    }
  }
  return { sampleRate, channels, bitsPerSample, format: isFloat ? 'float' : 'pcm' };
}

function readSample(view: DataView, offset: number, isFloat: boolean, bits: number): number {
  if (isFloat) return bits === 32 ? view.getFloat32(offset, true) : view.getFloat64(offset, true);
  switch (bits) {
    case 8:
      return (view.getUint8(offset) - 128) / 128; // 8-bit WAV is unsigned
    case 16:
      return view.getInt16(offset, true) / 32768;
    case 24: {
      const value = view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getInt8(offset + 2) << 16);
      return value / 8388608;
    }
    default:
      return view.getInt32(offset, true) / 2147483648;
  }
}

/** Interleaved float32 samples at `offset`: a view when aligned, else one aligned copy. */
function float32Samples(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  if (start % 4 === 0) return new Float32Array(bytes.buffer, start, count);
  const aligned = new Float32Array(count);
  new Uint8Array(aligned.buffer).set(bytes.subarray(offset, offset + count * 4));
  return aligned;
}

/** A float32 WAV's interleaved samples as a view (no copy when aligned), or undefined for other formats. */
export function interleavedFloat32(bytes: Uint8Array): { samples: Float32Array; channels: number; frames: number; sampleRate: number } | undefined {
  const header = readDataLocation(bytes);
  if (!header || !header.float32 || !LITTLE_ENDIAN) return undefined;
  const samples = float32Samples(bytes, header.offset, header.frames * header.channels);
  return { samples, channels: header.channels, frames: header.frames, sampleRate: header.sampleRate };
}

/**
 * Add a WAV file into interleaved stereo `target` (a mono file feeds both sides). For a
 * float stereo file this is one contiguous loop: how the mix sums stems.
 */
export function addWavIntoStereo(bytes: Uint8Array, target: Float32Array): void {
  const source = interleavedFloat32(bytes);
  if (source && source.channels === 2) {
    const length = Math.min(target.length, source.samples.length);
    const samples = source.samples;
    for (let k = 0; k < length; k++) target[k] += samples[k];
    return;
  }
  const channels = source?.channels === 1 ? [source.samples] : decodeWav(bytes).channels;
  const left = channels[0];
  const right = channels[1] ?? channels[0];
  const frames = Math.min(target.length / 2, left.length);
  for (let i = 0, j = 0; i < frames; i++, j += 2) {
    target[j] += left[i];
    target[j + 1] += right[i];
  }
}

/** Where the samples of a float32 file are, for the fast path; undefined sends callers to decodeWav. */
function readDataLocation(bytes: Uint8Array): { float32: boolean; channels: number; offset: number; frames: number; sampleRate: number } | undefined {
  try {
    if (bytes.length < 12 || readAscii(bytes, 0) !== 'RIFF' || readAscii(bytes, 8) !== 'WAVE') return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 12;
    let float32 = false;
    let channels = 0;
    let sampleRate = 0;
    while (offset + 8 <= bytes.length) {
      const id = readAscii(bytes, offset);
      const size = view.getUint32(offset + 4, true);
      if (id === 'fmt ' && size >= 16 && offset + 8 + size <= bytes.length) {
        float32 = view.getUint16(offset + 8, true) === FORMAT_FLOAT && view.getUint16(offset + 22, true) === 32;
        channels = view.getUint16(offset + 10, true);
        sampleRate = view.getUint32(offset + 12, true);
      } else if (id === 'data') {
        if (channels === 0 || offset + 8 + size > bytes.length) return undefined;
        return { float32, channels, offset: offset + 8, frames: Math.floor(size / (4 * channels)), sampleRate };
      }
      offset += 8 + size + (size % 2);
    }
  } catch {
    return undefined;
  }
  return undefined;
}
