/**
 * AIFF and AIFF-C reading (Apple's Audio IFF 1.3 and the AIFC draft): big-endian IFF chunks,
 * a COMM chunk with an 80-bit extended sample rate, samples in SSND. AIFC compression types
 * read: NONE/twos (big-endian integers), sowt (little-endian 16-bit integers, as macOS
 * writes them), in24/in32, fl32/FL32 and fl64/FL64. Every read is bounds-checked first and
 * the chunk walk always moves forward, so malformed input throws AiffFormatError (never a
 * RangeError) and ends on any input; the sample arrays are sized by the bytes actually
 * present, never by a header's claim alone.
 */

export class AiffFormatError extends Error {
  constructor(message: string) {
    super(`not a readable AIFF file: ${message}`);
    this.name = 'AiffFormatError';
  }
}

export interface DecodedAiff {
  /** Hertz; may be fractional (old Macintosh rates such as 22254.5454…). */
  readonly sampleRate: number;
  readonly channels: Float32Array[];
  readonly bitsPerSample: number;
  readonly format: 'pcm' | 'float';
}

/** How one AIFC compression type stores a sample. */
interface Encoding {
  readonly kind: 'int' | 'float';
  readonly littleEndian: boolean;
  /** Bytes per sample; 0 = from COMM's sampleSize (NONE and twos). */
  readonly width: number;
}

const ENCODINGS: Readonly<Record<string, Encoding>> = {
  NONE: { kind: 'int', littleEndian: false, width: 0 },
  twos: { kind: 'int', littleEndian: false, width: 0 },
  sowt: { kind: 'int', littleEndian: true, width: 0 },
  in24: { kind: 'int', littleEndian: false, width: 3 },
  in32: { kind: 'int', littleEndian: false, width: 4 },
  fl32: { kind: 'float', littleEndian: false, width: 4 },
  FL32: { kind: 'float', littleEndian: false, width: 4 },
  fl64: { kind: 'float', littleEndian: false, width: 8 },
  FL64: { kind: 'float', littleEndian: false, width: 8 },
};

/** True when `bytes` start like an AIFF or AIFF-C file (for format sniffing). */
export function isAiff(bytes: Uint8Array): boolean {
  if (bytes.length < 12 || readId(bytes, 0) !== 'FORM') return false;
  const form = readId(bytes, 8);
  return form === 'AIFF' || form === 'AIFC';
}

function readId(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

/**
 * An IEEE 754 80-bit extended float (sign, 15-bit exponent, 64-bit mantissa with an
 * explicit integer bit), as AIFF stores its sample rate. Infinity/NaN come back as such,
 * for the caller to reject.
 */
export function readExtended(view: DataView, offset: number): number {
  const signExponent = view.getUint16(offset, false);
  const hi = view.getUint32(offset + 2, false);
  const lo = view.getUint32(offset + 6, false);
  const sign = signExponent & 0x8000 ? -1 : 1;
  const exponent = signExponent & 0x7fff;
  if (exponent === 0x7fff) return hi === 0 && lo === 0 ? sign * Infinity : Number.NaN;
  if (exponent === 0 && hi === 0 && lo === 0) return 0;
  // mantissa × 2^(exponent − bias − 63); two steps keep 2^e within double range for any e.
  const mantissa = hi * 4294967296 + lo;
  const shift = exponent - 16383 - 63;
  return sign * mantissa * 2 ** Math.trunc(shift / 2) * 2 ** (shift - Math.trunc(shift / 2));
}

interface CommonChunk {
  readonly channels: number;
  readonly frames: number;
  readonly sampleSize: number;
  readonly sampleRate: number;
  readonly compression: string;
}

function readCommon(bytes: Uint8Array, view: DataView, body: number, size: number, aifc: boolean): CommonChunk {
  if (size < 18) throw new AiffFormatError(`COMM chunk of ${size} bytes (at least 18 needed)`);
  let compression = 'NONE';
  if (aifc) {
    if (size < 22) throw new AiffFormatError(`AIFC COMM chunk of ${size} bytes has no compression type (22 needed)`);
    compression = readId(bytes, body + 18);
  }
  return {
    channels: view.getInt16(body, false),
    frames: view.getUint32(body + 2, false),
    sampleSize: view.getInt16(body + 6, false),
    sampleRate: readExtended(view, body + 8),
    compression,
  };
}

/** Printable form of a four-character code for an error message. */
function showId(id: string): string {
  return /^[\x20-\x7e]{4}$/.test(id) ? `'${id}'` : JSON.stringify(id);
}

/**
 * Decode an AIFF or AIFF-C file to one Float32Array per channel (integers scaled to
 * [−1, 1): a sample of `sampleSize` bits is left-justified in its bytes, so dividing the
 * container integer by 2^(8·width − 1) is exact for every size).
 */
export function decodeAiff(bytes: Uint8Array): DecodedAiff {
  if (bytes.length < 12) throw new AiffFormatError(`only ${bytes.length} bytes, shorter than a FORM header`);
  if (!isAiff(bytes)) throw new AiffFormatError('it does not start with a FORM/AIFF or FORM/AIFC header');
  const aifc = readId(bytes, 8) === 'AIFC';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let common: CommonChunk | undefined;
  let soundOffset = -1;
  let soundBytes = 0;
  // The FORM size is often wrong in the wild (streamed writers); the walk goes by the file.
  let offset = 12;
  while (offset + 8 <= bytes.length && (!common || soundOffset < 0)) {
    const id = readId(bytes, offset);
    const size = view.getUint32(offset + 4, false);
    const body = offset + 8;
    if (id === 'COMM' && !common) {
      if (body + size > bytes.length) throw new AiffFormatError(`COMM chunk claims ${size} bytes but the file ends after ${bytes.length - body}`);
      common = readCommon(bytes, view, body, size, aifc);
    } else if (id === 'SSND' && soundOffset < 0) {
      if (body + size > bytes.length) throw new AiffFormatError(`SSND chunk claims ${size} bytes but the file ends after ${bytes.length - body}`);
      if (size < 8) throw new AiffFormatError(`SSND chunk of ${size} bytes (at least 8 needed)`);
      // `offset` skips bytes before the first sample (for block-aligned writers).
      const skip = view.getUint32(body, false);
      if (skip > size - 8) throw new AiffFormatError(`SSND data offset ${skip} is past the chunk's ${size - 8} bytes of data`);
      soundOffset = body + 8 + skip;
      soundBytes = size - 8 - skip;
    }
    // IFF chunks are word-aligned: an odd-sized chunk is followed by a pad byte.
    offset = body + size + (size % 2);
  }
  if (!common) throw new AiffFormatError('no COMM chunk');
  const { channels: channelCount, frames: claimedFrames, sampleSize, sampleRate, compression } = common;
  if (channelCount <= 0) throw new AiffFormatError(`${channelCount} channels`);
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new AiffFormatError(`sample rate ${sampleRate}`);
  const encoding = Object.hasOwn(ENCODINGS, compression) ? ENCODINGS[compression] : undefined;
  if (!encoding) throw new AiffFormatError(`compression type ${showId(compression)}: only NONE, twos, sowt, in24, in32, fl32 and fl64 are read`);
  let width = encoding.width;
  if (width === 0) {
    if (!(sampleSize >= 1 && sampleSize <= 32)) throw new AiffFormatError(`sample size ${sampleSize} bits (1 to 32 are read)`);
    width = Math.ceil(sampleSize / 8);
  }
  if (claimedFrames > 0 && soundOffset < 0) throw new AiffFormatError(`COMM says ${claimedFrames} frames but there is no SSND chunk`);
  const frameBytes = width * channelCount;
  const available = soundOffset < 0 ? 0 : Math.floor(soundBytes / frameBytes);
  if (claimedFrames > available) throw new AiffFormatError(`COMM says ${claimedFrames} frames but SSND holds only ${available} (truncated?)`);
  const frames = claimedFrames;
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  const little = encoding.littleEndian;
  let at = soundOffset;
  if (encoding.kind === 'float') {
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < channelCount; c++, at += width) {
        const value = width === 4 ? view.getFloat32(at, little) : view.getFloat64(at, little);
        // A NaN or infinity is corruption, not audio: say so rather than pass it on.
        if (!Number.isFinite(value) || Math.abs(value) > 3.4e38) throw new AiffFormatError(`sample ${i} of channel ${c + 1} is ${value}`);
        channels[c][i] = value;
      }
    }
    return { sampleRate, channels, bitsPerSample: width * 8, format: 'float' };
  }
  const scale = 1 / 2 ** (8 * width - 1);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channelCount; c++, at += width) channels[c][i] = readInt(view, at, width, little) * scale;
  }
  return { sampleRate, channels, bitsPerSample: sampleSize > 0 && encoding.width === 0 ? sampleSize : width * 8, format: 'pcm' };
}

/** A signed integer of 1–4 bytes (AIFF's 8-bit samples are signed, unlike WAV's). */
function readInt(view: DataView, at: number, width: number, little: boolean): number {
  switch (width) {
    case 1:
      return view.getInt8(at);
    case 2:
      return view.getInt16(at, little);
    case 3:
      return little
        ? view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)
        : (view.getInt8(at) << 16) | (view.getUint8(at + 1) << 8) | view.getUint8(at + 2);
    default:
      return view.getInt32(at, little);
  }
}
