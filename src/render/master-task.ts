/**
 * The master task, streamed: the mix is read a block at a time (from memory when this thread
 * holds it, else from its file), the chain's stages write their output to a temp float file in
 * the store's folder (the spool its passes read back), and the master goes block by block into
 * master.wav, master-16.wav and the FLAC/MP3 files, and into the listening room's analysis of
 * master.wav (MasterAnalyser) — no song-long array anywhere. A second limiting pass starts the
 * files again.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionEntry, CacheStore, OutputRecord } from '../cache/store.ts';
import { storeMeasurement } from '../cache/measurement.ts';
import type { ObjectWriter } from '../cache/object-writer.ts';
import { bucketCount } from '../dsp/peaks.ts';
import { NOISE_STEP } from '../dsp/random.ts';
import { tempPath } from '../io/atomic.ts';
import { createFlacStream, type FlacStream } from '../io/flac.ts';
import { Mp3Stream } from '../io/mp3.ts';
import { decodeWav, encodeWavPcm, encodeWavPcm16Dithered, FLOAT32_WAV_HEADER_BYTES, interleavedFloat32, pcmWavHeader, quantiseInt24, stereoFloat32Frames } from '../io/wav.ts';
import type { MasterIR } from '../ir/types.ts';
import { MASTER_ANALYSIS_KIND, MasterAnalyser, masterOvers, QuantiseScratch, underCeiling, type MasterAnalysisKey } from '../master/analysis.ts';
import { masterStream, OutputMeter, type MasterBlock, type MasterFacts, type MasterSink, type MasterSource, type MasterSpool, type OutputMeasure } from '../master/chain.ts';
import { OctaveBalanceMeter } from '../master/reference.ts';

/** The mix as a MasterSource; `whole` reads it whole (a layout other than mixdown's stereo float, or a missing object: it throws). */
export function mixSource(record: OutputRecord, cache: CacheStore, held: Uint8Array | undefined, whole: () => Uint8Array): MasterSource & { readonly sampleRate: number } {
  const bytes = held ?? cache.peekObject(record.digest);
  const inMemory = bytes ? interleavedFloat32(bytes) : undefined;
  if (inMemory) return { ...interleavedSource(inMemory.samples, inMemory.channels, inMemory.frames), sampleRate: inMemory.sampleRate };
  let file = cache.trustedObjectFile(record.digest);
  // Checked in pieces first (its digest), then read a block at a time.
  if (!file && cache.readObjectInPieces(record.digest, FLOAT32_WAV_HEADER_BYTES, () => {})) file = cache.trustedObjectFile(record.digest);
  if (file) {
    const fd = openSync(file, 'r');
    try {
      const header = new Uint8Array(FLOAT32_WAV_HEADER_BYTES);
      const frames = readSync(fd, header, 0, header.byteLength, 0) === header.byteLength ? stereoFloat32Frames(header) : undefined;
      if (frames !== undefined) return { ...fileSource(file, FLOAT32_WAV_HEADER_BYTES, 2, frames, whole), sampleRate: new DataView(header.buffer).getUint32(24, true) };
    } finally {
      closeSync(fd);
    }
  }
  const decoded = decodeWav(whole());
  const channels = decoded.channels as Float32Array[];
  const length = channels[0]?.length ?? 0;
  return { channelCount: channels.length, length, sampleRate: decoded.sampleRate, blocks: (block) => copies(channels, length, block) };
}

/** Decoded channels as blocks (subarrays: the chain may change them, they are this task's own). */
function* copies(channels: readonly Float32Array[], length: number, block: number): Iterable<MasterBlock> {
  for (let start = 0; start < length; start += block) {
    const count = Math.min(block, length - start);
    yield { channels: channels.map((channel) => channel.subarray(start, start + count)), start, count };
  }
}

/** Interleaved float samples in memory as blocks of channels. */
function interleavedSource(samples: Float32Array, channelCount: number, frames: number): MasterSource {
  return {
    channelCount,
    length: frames,
    *blocks(block) {
      const scratch = Array.from({ length: channelCount }, () => new Float32Array(block));
      for (let start = 0; start < frames; start += block) {
        const count = Math.min(block, frames - start);
        yield { channels: deinterleaveInto(samples, start * channelCount, count, scratch), start, count };
      }
    },
  };
}

function deinterleaveInto(samples: Float32Array, offset: number, count: number, into: Float32Array[]): Float32Array[] {
  const channelCount = into.length;
  return into.map((buffer, c) => {
    const channel = buffer.subarray(0, count);
    for (let i = 0, j = offset + c; i < count; i++, j += channelCount) channel[i] = samples[j];
    return channel;
  });
}

/** Interleaved little-endian float32 frames in a file, from byte `offset`, read a block at a time. */
function fileSource(file: string, offset: number, channelCount: number, frames: number, whole: () => unknown): MasterSource {
  return {
    channelCount,
    length: frames,
    *blocks(block) {
      const fd = openSync(file, 'r');
      try {
        const samples = new Float32Array(block * channelCount);
        const bytes = new Uint8Array(samples.buffer);
        const scratch = Array.from({ length: channelCount }, () => new Float32Array(block));
        for (let start = 0; start < frames; start += block) {
          const count = Math.min(block, frames - start);
          const want = count * channelCount * 4;
          for (let got = 0; got < want; ) {
            const n = readSync(fd, bytes, got, want - got, offset + start * channelCount * 4 + got);
            // The file shrank under us: the whole read reports it as missing or corrupt.
            if (n === 0) {
              whole();
              throw new Error(`master: ${file} ended early`);
            }
            got += n;
          }
          if (!LITTLE_ENDIAN) swap32(bytes.subarray(0, want));
          yield { channels: deinterleaveInto(samples, 0, count, scratch), start, count };
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swap32(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4) {
    const [a, b] = [bytes[i], bytes[i + 1]];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

/** Reverse the bytes of each float64 (a big-endian host's spool is little-endian like the rest). */
function swap64(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i += 8) bytes.subarray(i, i + 8).reverse();
  return bytes;
}

/** A temp file of interleaved float32 frames in the store's folder (a killed build's is swept like a writer's). */
class FileSpool implements MasterSpool {
  readonly file: string;
  /** The limiter's envelope of the signal, float64 per frame. */
  private readonly envelopeFile: string;
  private envelopeFd?: number;
  private readonly fd: number;
  private frames = 0;
  private interleaved = new Float32Array(0);

  constructor(
    cache: CacheStore,
    private readonly channelCount: number,
  ) {
    this.file = tempPath(join(cache.root, 'objects', 'incoming'));
    this.envelopeFile = tempPath(join(cache.root, 'objects', 'incoming'));
    this.fd = openSync(this.file, 'w+');
  }

  write(channels: readonly Float32Array[], count: number): void {
    const n = count * this.channelCount;
    if (this.interleaved.length < n) this.interleaved = new Float32Array(n);
    const samples = this.interleaved;
    for (let c = 0; c < this.channelCount; c++) {
      const x = channels[c];
      for (let i = 0, j = c; i < count; i++, j += this.channelCount) samples[j] = x[i];
    }
    const bytes = new Uint8Array(samples.buffer, 0, n * 4);
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, this.frames * this.channelCount * 4 + done);
    this.frames += count;
  }

  read(block: number): Iterable<MasterBlock> {
    return fileSource(this.file, 0, this.channelCount, this.frames, () => undefined).blocks(block);
  }

  writeEnvelope(values: Float64Array, start: number, count: number): void {
    this.envelopeFd ??= openSync(this.envelopeFile, 'w+');
    const view = new Uint8Array(values.buffer, values.byteOffset, count * 8);
    const bytes = LITTLE_ENDIAN ? view : swap64(view.slice());
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(this.envelopeFd, bytes, done, bytes.byteLength - done, start * 8 + done);
  }

  readEnvelope(start: number, count: number, into: Float64Array): void {
    const bytes = new Uint8Array(into.buffer, into.byteOffset, count * 8);
    for (let got = 0; got < bytes.byteLength; ) {
      const n = readSync(this.envelopeFd!, bytes, got, bytes.byteLength - got, start * 8 + got);
      if (n === 0) throw new Error(`master: the envelope spool ${this.envelopeFile} ended early`);
      got += n;
    }
    if (!LITTLE_ENDIAN) swap64(bytes);
  }

  dispose(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
    if (this.envelopeFd !== undefined) closeSync(this.envelopeFd);
    rmSync(this.envelopeFile, { force: true });
  }
}

/** What the master task writes: the files, the room's analysis, the reference's profile figures; and the pass's loudness, measured on what it wrote. */
export interface MasterFiles {
  write(block: MasterBlock): Promise<void>;
  /** The loudness and true peak of what this pass wrote (the files part meters it). */
  measure(): Promise<OutputMeasure>;
  finish(facts: MasterFacts): Promise<MasterFilesResult>;
  abort(): Promise<void>;
}

export interface MasterFilesResult {
  readonly outputs: Record<string, OutputRecord>;
  readonly measurements: ActionEntry[];
  readonly profile?: { bands: number[]; sideToMidDb: number };
}

/** What decides the master's files, as plain data (it crosses to a worker thread when another thread writes them). */
export interface MasterFilesSpec {
  readonly settings: MasterIR;
  readonly ditherSeed: number;
  readonly channelCount: number;
  readonly length: number;
  readonly sampleRate: number;
}

/** Opens the master's files: in this thread (masterFiles) or in another (see master-files-thread.ts). */
export type MasterFilesOpener = (spec: MasterFilesSpec) => Promise<MasterFiles>;

/** An integer PCM WAV written block by block: the header, then each block's data. */
class PcmWavWriter {
  private readonly writer: ObjectWriter;
  private dataBytes = 0;

  constructor(
    private readonly cache: CacheStore,
    frames: number,
    channelCount: number,
    sampleRate: number,
    private readonly bits: 16 | 24,
  ) {
    this.writer = cache.createWriter();
    this.writer.write(pcmWavHeader(frames, channelCount, sampleRate, bits));
  }

  /** A block's data: a whole file of it as encodeWavPcm writes one, header (and pad byte) dropped. */
  async add(file: Uint8Array, frames: number, channelCount: number): Promise<void> {
    const header = 44;
    const data = file.subarray(header, header + frames * channelCount * (this.bits / 8));
    this.writer.write(data);
    this.dataBytes += data.byteLength;
    if (this.writer.full) await this.writer.room();
  }

  async finish(): Promise<OutputRecord> {
    // A RIFF chunk's body is padded to an even length.
    if (this.dataBytes % 2 === 1) this.writer.write(new Uint8Array(1));
    return this.cache.installWritten(await this.writer.finish());
  }

  abort(): Promise<void> {
    return this.writer.abort();
  }
}

/**
 * A part of what the master task writes from the finished blocks: the files (`files`), or the
 * room's analysis and the reference's profile (`analysis`). The analysis is keyed by
 * master.wav's digest, so its `finish` is told it (`audio`) once the files are finished.
 */
export type MasterPart = 'files' | 'analysis';

/** One part's writer: blocks in, then its share of the result. */
export interface MasterPartWriter {
  write(block: MasterBlock): Promise<void>;
  /** The files part: what it was given, metered (the chain's OutputMeter, run where the files are written). */
  measure?(): Promise<OutputMeasure>;
  /** `audio`: master.wav's record (the analysis part needs it; the others ignore it). */
  finish(facts: MasterFacts, audio?: OutputRecord): Promise<MasterFilesResult>;
  abort(): Promise<void>;
}

/** The master's files and analysis written in this thread, into `cache`. */
export async function masterFiles(cache: CacheStore, spec: MasterFilesSpec): Promise<MasterFiles> {
  return joinParts(await masterPart(cache, spec, 'files'), await masterPart(cache, spec, 'analysis'));
}

/** The two parts as one MasterFiles: each block to both, the analysis finished with the files' master.wav. */
export function joinParts(files: MasterPartWriter, analysis: MasterPartWriter): MasterFiles {
  return {
    async write(block) {
      await Promise.all([files.write(block), analysis.write(block)]);
    },
    measure: () => files.measure!(),
    async finish(facts) {
      const written = await files.finish(facts);
      const analysed = await analysis.finish(facts, written.outputs.audio);
      return { outputs: written.outputs, measurements: analysed.measurements, profile: analysed.profile };
    },
    async abort() {
      await Promise.all([files.abort(), analysis.abort()]);
    },
  };
}

/** One part of the master's output, written in this thread into `cache`. */
export async function masterPart(cache: CacheStore, spec: MasterFilesSpec, part: MasterPart): Promise<MasterPartWriter> {
  return part === 'files' ? masterFileWriters(cache, spec) : masterAnalysis(cache, spec);
}

/** master.wav, master-16.wav (dithered), FLAC and MP3, block by block. */
async function masterFileWriters(cache: CacheStore, { settings, ditherSeed, channelCount, length, sampleRate }: MasterFilesSpec): Promise<MasterPartWriter> {
  const wav = new PcmWavWriter(cache, length, channelCount, sampleRate, 24);
  const wav16 = settings.dither ? new PcmWavWriter(cache, length, channelCount, sampleRate, 16) : undefined;
  const flac: FlacStream | undefined = settings.formats.includes('flac') ? await createFlacStream(channelCount, sampleRate, 24) : undefined;
  const mp3 = settings.formats.includes('mp3') ? new Mp3Stream(channelCount, sampleRate, settings.mp3Bitrate) : undefined;
  const meter = new OutputMeter(channelCount, sampleRate, length);
  let integers = new Int32Array(0);
  return {
    async write(block) {
      const { channels, start, count } = block;
      meter.push(block);
      await wav.add(encodeWavPcm(channels, sampleRate, 24), count, channelCount);
      // The dither's noise state at this block's first sample, as the whole file steps it (frame by frame, channel by channel).
      if (wav16) await wav16.add(encodeWavPcm16Dithered(channels, sampleRate, (ditherSeed + Math.imul(NOISE_STEP, start * channelCount)) >>> 0), count, channelCount);
      if (flac) {
        if (integers.length < count * channelCount) integers = new Int32Array(count * channelCount);
        const block = integers.subarray(0, count * channelCount);
        channels.forEach((channel, c) => quantiseInt24(channel, block, c, channelCount));
        flac.push(block);
      }
      mp3?.push(channels, count);
    },
    measure: async () => meter.result(),
    async finish() {
      const outputs: Record<string, OutputRecord> = { audio: await wav.finish() };
      if (wav16) outputs.audio16 = await wav16.finish();
      for (const [name, bytes] of [['flac', flac?.finish()], ['mp3', mp3?.finish()]] as const) {
        if (!bytes) continue;
        outputs[name] = cache.putObject(bytes);
        await cache.flush([outputs[name].digest]);
      }
      return { outputs, measurements: [] };
    },
    async abort() {
      await Promise.all([wav.abort(), wav16?.abort()]);
    },
  };
}

/** The room's analysis of master.wav (measured on its 24-bit values) and, with a reference, the master's profile. */
function masterAnalysis(cache: CacheStore, { settings, channelCount, length, sampleRate }: MasterFilesSpec): MasterPartWriter {
  const ceilingDb = settings.loudness?.ceilingDb ?? 0;
  const buckets = bucketCount(length, sampleRate);
  const bands = settings.reference === null;
  // The overs need the true peak, known at the end: they are found then, from master.wav, if they can exist.
  const analyser = new MasterAnalyser(channelCount, sampleRate, length, { buckets, ceilingDb, bands, underCeiling: true });
  const scratch = new QuantiseScratch();
  const balance = settings.reference ? new OctaveBalanceMeter(channelCount, sampleRate, length) : undefined;
  const side = { mid: 0, side: 0 };
  return {
    async write({ channels, count }) {
      analyser.addQuantised(channels, count, scratch);
      if (balance) {
        balance.add(channels, count);
        if (channelCount >= 2) {
          const [left, right] = channels;
          for (let i = 0; i < count; i++) {
            const m = left[i] + right[i];
            const s = left[i] - right[i];
            side.mid += m * m;
            side.side += s * s;
          }
        }
      }
    },
    async finish(facts, audio) {
      if (!audio) throw new Error('master analysis: finished without master.wav');
      const truePeakDb = Number.isFinite(facts.loudness.truePeak) ? Math.round(facts.loudness.truePeak * 100) / 100 : null;
      const key: MasterAnalysisKey = { digest: audio.digest, buckets, ceilingDb, bands };
      const analysis = analyser.result();
      const overs = underCeiling(truePeakDb, ceilingDb) ? analysis.overs : masterOvers(cache, audio.digest, ceilingDb);
      const measurement = await storeMeasurement(cache, MASTER_ANALYSIS_KIND, { ...key }, { ...analysis, overs }, false);
      const { mid, side: sideEnergy } = side;
      const sideToMidDb = channelCount < 2 ? -Infinity : sideEnergy > 0 && mid > 0 ? 10 * Math.log10(sideEnergy / mid) : sideEnergy > 0 ? Infinity : -Infinity;
      return { outputs: {}, measurements: [measurement], profile: balance ? { bands: balance.result(), sideToMidDb } : undefined };
    },
    async abort() {},
  };
}

export interface StreamedMaster {
  readonly facts: MasterFacts;
  readonly outputs: Record<string, OutputRecord>;
  readonly measurements: ActionEntry[];
  /** The master's octave balance and side/mid ratio (only when the song names a reference). */
  readonly profile?: { bands: number[]; sideToMidDb: number };
}

/**
 * Master `source` into the store a block at a time (see the module comment). `open` opens the
 * files the master goes into: by default in this thread; given another thread's opener, the
 * files (encodes, hashes, the room's analysis) run there while this one runs the chain.
 */
export async function streamMaster(
  source: MasterSource,
  settings: MasterIR,
  ditherSeed: number,
  sampleRate: number,
  cache: CacheStore,
  open: MasterFilesOpener = (spec) => masterFiles(cache, spec),
): Promise<StreamedMaster> {
  const spool = new FileSpool(cache, source.channelCount);
  const spec: MasterFilesSpec = { settings, ditherSeed, channelCount: source.channelCount, length: source.length, sampleRate };
  let files: MasterFiles | undefined;
  try {
    files = await open(spec);
    const sink: MasterSink = {
      write: (block) => files!.write(block),
      restart: async () => {
        await files!.abort();
        files = await open(spec);
      },
      // Metered where the files are written: with them in a worker, off this thread.
      measure: () => files!.measure(),
    };
    const facts = await masterStream(source, spool, sink, sampleRate, settings);
    const finished = await files.finish(facts);
    files = undefined;
    return { facts, ...finished };
  } finally {
    await files?.abort();
    spool.dispose();
  }
}
