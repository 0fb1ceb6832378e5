/**
 * Decode an audio file's bytes for a sampler, a clip or an impulse response. The format is
 * recognised by its first bytes (the extension only picks the reader that explains what is
 * wrong with bytes no format claims): WAV and AIFF/AIFF-C by mixdown's own readers, then
 * resampled to the song rate by src/dsp/resample.ts; FLAC, MP3, ADTS AAC and Ogg Vorbis by
 * node-web-audio-api's decodeAudioData (which decodes at the rate of the context it is
 * given: the target rate, so no second resample). Every failure is an Error saying what is wrong, without the file's name (the
 * caller adds the song, track and path); nothing sizes a buffer from a header alone, and
 * no NaN or infinity gets through.
 */
import { extname } from 'node:path';
import { resample } from '../dsp/resample.ts';
import { decodeAiff, isAiff } from './aiff.ts';
import { decodeWav } from './wav.ts';

/** More channels than this is a corrupt header, not a recording (ambisonics stops at 64). */
const MAX_CHANNELS = 256;
/** Source rates outside this range are a corrupt header, not audio (and would make resampling absurd). */
const MIN_SAMPLE_RATE = 1000;
const MAX_SAMPLE_RATE = 768000;
/** At most 2^27 decoded samples (512 MiB of float32: 23 minutes of stereo at 48 kHz). */
const MAX_DECODED_SAMPLES = 2 ** 27;


/** A decoded audio file an effect reads (an impulse response): float channels at the song's rate. */
export interface AudioFileData {
  readonly sampleRate: number;
  readonly channels: readonly Float32Array[];
}

export type AudioFileFormat = 'wav' | 'aiff' | 'flac' | 'ogg' | 'mp3' | 'aac' | 'mp4';

const ascii = (bytes: Uint8Array, at: number) => (bytes.length >= at + 4 ? String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]) : '');

/** The format `bytes` are in, from their magic numbers; undefined when none matches. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFileFormat | undefined {
  const head = ascii(bytes, 0);
  if (head === 'RIFF' && ascii(bytes, 8) === 'WAVE') return 'wav';
  if (isAiff(bytes)) return 'aiff';
  if (head === 'fLaC') return 'flac';
  if (head === 'OggS') return 'ogg';
  if (ascii(bytes, 4) === 'ftyp') return 'mp4';
  // An ID3v2 tag, or an MPEG audio frame sync (11 set bits) with a valid layer.
  if (head.startsWith('ID3') || (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0 && (bytes[1] & 0x06) !== 0)) return 'mp3';
  // ADTS (raw AAC): a 12-bit sync and layer 00.
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0) return 'aac';
  return undefined;
}

const WAV_EXTENSIONS = new Set(['.wav', '.wave']);
const AIFF_EXTENSIONS = new Set(['.aif', '.aiff', '.aifc']);

/** Which of mixdown's own readers takes these bytes, if any. */
function ownReader(bytes: Uint8Array, name: string): 'wav' | 'aiff' | undefined {
  const sniffed = sniffAudioFormat(bytes);
  if (sniffed === 'wav' || sniffed === 'aiff') return sniffed;
  if (sniffed) return undefined;
  // Unrecognised bytes named like WAV/AIFF: that reader says what is wrong with the header.
  const extension = extname(name).toLowerCase();
  if (WAV_EXTENSIONS.has(extension)) return 'wav';
  if (AIFF_EXTENSIONS.has(extension)) return 'aiff';
  return undefined;
}

/** Decode `bytes` (named `name`, for its extension) to float channels at `sampleRate`. */
export async function decodeAudioFile(bytes: Uint8Array, name: string, sampleRate: number): Promise<AudioFileData> {
  checkTargetRate(sampleRate);
  const reader = ownReader(bytes, name);
  if (reader) return decodeOwn(bytes, reader, sampleRate);
  return decodeCompressed(bytes, name, sampleRate);
}

/**
 * decodeAudioFile for WAV and AIFF only, synchronously (for use while a song loads, where
 * nothing can be awaited). Other formats throw, saying to convert them.
 */
export function decodeAudioFileSync(bytes: Uint8Array, name: string, sampleRate: number): AudioFileData {
  checkTargetRate(sampleRate);
  const reader = ownReader(bytes, name);
  if (!reader) throw notReadableSync(bytes);
  return decodeOwn(bytes, reader, sampleRate);
}

/** Why bytes that are neither WAV nor AIFF cannot be read synchronously. */
function notReadableSync(bytes: Uint8Array): Error {
  const sniffed = sniffAudioFormat(bytes);
  return new Error(
    sniffed
      ? `${sniffed.toUpperCase()} audio cannot be read here (only WAV and AIFF are read while a song loads): convert it to WAV`
      : 'not a WAV or AIFF file (it starts with neither RIFF/WAVE nor FORM/AIFF)',
  );
}

function checkTargetRate(sampleRate: number): void {
  if (!(Number.isInteger(sampleRate) && sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE)) {
    throw new RangeError(`cannot decode audio to ${sampleRate} Hz: the rate must be a whole number from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}`);
  }
}

/**
 * A WAV or AIFF file at its own sample rate (no resampling), synchronously: for analysis
 * such as hit detection, where converting the rate would only cost time.
 */
export function readAudioFileSync(bytes: Uint8Array, name: string): AudioFileData {
  const reader = ownReader(bytes, name);
  if (!reader) throw notReadableSync(bytes);
  const decoded = readOwn(bytes, reader);
  checkFinite(decoded.channels);
  return decoded;
}

function readOwn(bytes: Uint8Array, reader: 'wav' | 'aiff'): AudioFileData {
  const decoded = reader === 'wav' ? decodeWav(withStreamedDataSize(bytes)) : decodeAiff(bytes);
  const kind = reader === 'wav' ? 'WAV' : 'AIFF';
  if (decoded.channels.length === 0) throw new Error(`the ${kind} file has no channels`);
  if (decoded.channels.length > MAX_CHANNELS) throw new Error(`the ${kind} file claims ${decoded.channels.length} channels (more than ${MAX_CHANNELS}: a corrupt header?)`);
  if (!(decoded.sampleRate >= MIN_SAMPLE_RATE && decoded.sampleRate <= MAX_SAMPLE_RATE)) {
    throw new Error(`the ${kind} file's sample rate of ${decoded.sampleRate} Hz is outside ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz (a corrupt header?)`);
  }
  return { sampleRate: decoded.sampleRate, channels: decoded.channels };
}

function decodeOwn(bytes: Uint8Array, reader: 'wav' | 'aiff', sampleRate: number): AudioFileData {
  const decoded = readOwn(bytes, reader);
  const frames = decoded.channels[0].length;
  const resampledFrames = Math.round((frames * sampleRate) / decoded.sampleRate);
  checkDecodedSize(decoded.channels.length, resampledFrames);
  const channels = decoded.channels.map((channel) => (decoded.sampleRate === sampleRate ? channel : resample(channel, decoded.sampleRate, sampleRate)));
  checkFinite(channels);
  return { sampleRate, channels };
}

/**
 * Writers streaming to a pipe (ffmpeg's `-f wav -`) cannot go back to fill in the data
 * size and leave 0xFFFFFFFF: the data then runs to the end of the file. decodeWav rejects
 * that as a size past the end; this hands it a copy with the size that is really there.
 */
function withStreamedDataSize(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const size = view.getUint32(offset + 4, true);
    if (ascii(bytes, offset) === 'data') {
      if (size !== 0xffffffff) return bytes;
      const patched = bytes.slice();
      new DataView(patched.buffer).setUint32(offset + 4, bytes.length - offset - 8, true);
      return patched;
    }
    offset += 8 + size + (size % 2);
  }
  return bytes;
}

function checkDecodedSize(channelCount: number, frames: number): void {
  if (channelCount * frames > MAX_DECODED_SAMPLES) {
    throw new Error(`${channelCount} channels of ${frames} samples is more audio than mixdown decodes at once (${MAX_DECODED_SAMPLES} samples)`);
  }
}

function checkFinite(channels: readonly Float32Array[]): void {
  for (let c = 0; c < channels.length; c++) {
    const channel = channels[c];
    for (let i = 0; i < channel.length; i++) {
      // x − x is 0 for every finite x and NaN for NaN and ±Infinity: one test for both.
      if (channel[i] - channel[i] !== 0) throw new Error(`sample ${i} of channel ${c + 1} is ${channel[i]}: the file is corrupt`);
    }
  }
}

const DECODE_PREFIX = /^Failed to execute 'decodeAudioData':\s*/;
/** Time allowed to decode: generous for real files (libFLAC-class decoders run at 100 MB/s and more), finite for any. */
const DECODE_TIMEOUT_MS = 20000;
const DECODE_TIMEOUT_MS_PER_MB = 1000;

/**
 * FLAC, MP3, ADTS AAC and Ogg Vorbis through Symphonia (inside node-web-audio-api). Its
 * metadata readers trust the sizes they read (a lying FLAC comment or ID3 frame length makes
 * it allocate gigabytes), so those sizes are checked against the file first; the decode runs
 * off the main thread and is abandoned if it takes too long.
 */
async function decodeCompressed(bytes: Uint8Array, name: string, sampleRate: number): Promise<AudioFileData> {
  if (bytes.length === 0) throw new Error('the file is empty');
  const format = sniffAudioFormat(bytes);
  if (format === 'mp4') throw new Error('MP4/M4A audio is not read: convert it to WAV, FLAC or MP3');
  if (!format) {
    const extension = extname(name).toLowerCase();
    throw new Error(`not a recognised audio format${extension ? ` (for a '${extension}' file)` : ''}: WAV, AIFF, FLAC, MP3, AAC (ADTS) and Ogg Vorbis are read`);
  }
  if (format === 'flac') checkFlacMetadata(bytes);
  if (format === 'mp3') checkId3(bytes);
  const { OfflineAudioContext } = await import('node-web-audio-api');
  const context = new OfflineAudioContext(1, 1, sampleRate);
  let buffer: Awaited<ReturnType<typeof context.decodeAudioData>>;
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = DECODE_TIMEOUT_MS + (DECODE_TIMEOUT_MS_PER_MB * bytes.length) / 1e6;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`decoding took longer than ${Math.round(limit / 1000)} s (a corrupt file?)`)), limit);
      timer.unref();
    });
    // decodeAudioData takes (and detaches) an ArrayBuffer of its own.
    buffer = await Promise.race([context.decodeAudioData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer), timeout]);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(DECODE_PREFIX, '');
    if (/no suitable format reader/.test(message)) throw new Error(`not a readable ${format.toUpperCase()} file (no decoder recognised it)`);
    if (/end of stream|underrun|out of bounds/.test(message)) throw new Error(`the ${format.toUpperCase()} data ends early or is corrupt (${message})`);
    throw new Error(`cannot decode the ${format.toUpperCase()} file: ${message}`);
  } finally {
    clearTimeout(timer);
  }
  const channelCount = buffer.numberOfChannels;
  const frames = buffer.length;
  if (channelCount === 0) throw new Error('the decoded audio has no channels');
  checkDecodedSize(channelCount, frames);
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  // copyFromChannel, not getChannelData: it never hands back a view of a detached buffer.
  if (frames > 0) for (let c = 0; c < channelCount; c++) buffer.copyFromChannel(channels[c], c);
  checkFinite(channels);
  return { sampleRate: buffer.sampleRate, channels };
}

const uint32be = (bytes: Uint8Array, at: number) => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
const uint32le = (bytes: Uint8Array, at: number) => ((bytes[at + 3] << 24) | (bytes[at + 2] << 16) | (bytes[at + 1] << 8) | bytes[at]) >>> 0;

/**
 * FLAC's metadata blocks (RFC 9639 §8): STREAMINFO first and sane, every block inside the
 * file, and the length fields inside VORBIS_COMMENT and PICTURE blocks inside their block.
 */
function checkFlacMetadata(bytes: Uint8Array): void {
  let offset = 4;
  for (let index = 0; ; index++) {
    if (offset + 4 > bytes.length) throw new Error('the FLAC file ends inside its metadata');
    const type = bytes[offset] & 0x7f;
    const last = (bytes[offset] & 0x80) !== 0;
    const size = (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
    const body = offset + 4;
    if (body + size > bytes.length) throw new Error(`a FLAC metadata block (type ${type}) claims ${size} bytes but the file ends after ${bytes.length - body}`);
    if (index === 0) {
      if (type !== 0 || size !== 34) throw new Error('the FLAC stream does not start with a 34-byte STREAMINFO block');
      const minBlock = (bytes[body] << 8) | bytes[body + 1];
      const maxBlock = (bytes[body + 2] << 8) | bytes[body + 3];
      const rate = (bytes[body + 10] << 12) | (bytes[body + 11] << 4) | (bytes[body + 12] >> 4);
      if (minBlock < 16 || maxBlock < minBlock) throw new Error(`FLAC block sizes ${minBlock}–${maxBlock} (16 or more, min ≤ max)`);
      if (rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) throw new Error(`the FLAC sample rate of ${rate} Hz is outside ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`);
    } else if (type === 0) {
      throw new Error('the FLAC stream has a second STREAMINFO block');
    } else if (type === 127) {
      throw new Error('invalid FLAC metadata block type 127');
    } else if (type === 4) {
      // VORBIS_COMMENT: little-endian lengths (vendor, count, then each comment).
      const end = body + size;
      let at = body;
      const take = (what: string) => {
        if (at + 4 > end) throw new Error(`the FLAC comment block ends inside its ${what}`);
        const value = uint32le(bytes, at);
        at += 4;
        return value;
      };
      const vendor = take('vendor length');
      if (vendor > end - at) throw new Error(`the FLAC vendor string claims ${vendor} bytes, more than its block holds`);
      at += vendor;
      const count = take('comment count');
      if (count > (end - at) / 4) throw new Error(`the FLAC comment block claims ${count} comments, more than it can hold`);
      for (let i = 0; i < count; i++) {
        const length = take('comment length');
        if (length > end - at) throw new Error(`FLAC comment ${i + 1} claims ${length} bytes, more than its block holds`);
        at += length;
      }
    } else if (type === 6) {
      // PICTURE: big-endian type, MIME length + MIME, description length + text, 4 numbers, data length + data.
      const end = body + size;
      let at = body + 4;
      for (const what of ['MIME type', 'description']) {
        if (at + 4 > end) throw new Error(`the FLAC picture block ends inside its ${what}`);
        const length = uint32be(bytes, at);
        if (length > end - at - 4) throw new Error(`the FLAC picture ${what} claims ${length} bytes, more than its block holds`);
        at += 4 + length;
      }
      at += 16;
      if (at + 4 > end || uint32be(bytes, at) > end - at - 4) throw new Error('the FLAC picture data is longer than its block');
    }
    offset = body + size;
    if (last) return;
  }
}

/**
 * An ID3v2 tag at the start of an MP3 (id3.org, v2.2–2.4): the tag and every frame inside
 * the file. Sizes are checked, contents are not.
 */
function checkId3(bytes: Uint8Array): void {
  if (bytes.length < 3 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return;
  if (bytes.length < 10) throw new Error('the MP3 file ends inside its ID3 tag header');
  const version = bytes[3];
  const flags = bytes[5];
  const syncsafe = (at: number) => {
    if ((bytes[at] | bytes[at + 1] | bytes[at + 2] | bytes[at + 3]) & 0x80) throw new Error('an ID3 size is not a syncsafe integer (corrupt tag)');
    return (bytes[at] << 21) | (bytes[at + 1] << 14) | (bytes[at + 2] << 7) | bytes[at + 3];
  };
  if (version < 2 || version > 4) throw new Error(`ID3v2.${version} tags are not read`);
  const size = syncsafe(6);
  const end = 10 + size;
  if (end + (flags & 0x10 ? 10 : 0) > bytes.length) throw new Error(`the ID3 tag claims ${size} bytes but the file ends after ${bytes.length - 10}`);
  // An unsynchronised tag escapes its bytes; its frame sizes count the escaped data, so leave them be.
  if (flags & 0x80) return;
  let at = 10;
  if (flags & 0x40 && version >= 3) {
    if (at + 4 > end) throw new Error('the ID3 tag ends inside its extended header');
    const extended = version === 4 ? syncsafe(at) : uint32be(bytes, at) + 4;
    if (extended > end - at) throw new Error(`the ID3 extended header claims ${extended} bytes, more than the tag holds`);
    at += extended;
  }
  const header = version === 2 ? 6 : 10;
  while (at + header <= end && bytes[at] !== 0) {
    const frameSize =
      version === 2 ? (bytes[at + 3] << 16) | (bytes[at + 4] << 8) | bytes[at + 5] : version === 4 ? syncsafe(at + 4) : uint32be(bytes, at + 4);
    if (frameSize > end - at - header) {
      const id = String.fromCharCode(...bytes.subarray(at, at + (version === 2 ? 3 : 4)));
      throw new Error(`the ID3 frame ${JSON.stringify(id)} claims ${frameSize} bytes, more than the tag holds`);
    }
    at += header + frameSize;
  }
}
