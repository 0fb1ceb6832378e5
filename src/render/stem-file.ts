/**
 * The file dist/ gets for a stem or bus stem when the song asks for `stems: { format }` other
 * than float: the post-fader signal as 24-bit PCM WAV or as FLAC of those 24-bit samples,
 * encoded block by block as the strip produces it (the whole-song strip hands it the song as
 * one block: the same bytes). Written as the task's `file` output, beside the float `audio`
 * the mix and the buses read.
 */
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { createFlacStream, type FlacStream } from '../io/flac.ts';
import { pcmWavHeader, quantiseInt24, quantiseInterleaved } from '../io/wav.ts';
import type { ObjectWriter } from '../cache/object-writer.ts';

export interface StemFileWriter {
  /** Interleaved stereo post-fader samples of the next `frames` frames. */
  add(samples: Float32Array, frames: number): void;
  /** Store the file; its record. */
  finish(): Promise<OutputRecord>;
  abort(): Promise<void>;
}

export async function createStemFile(format: 'wav24' | 'flac', lengthSamples: number, sampleRate: number, cache: CacheStore): Promise<StemFileWriter> {
  let scratch = new Uint8Array(0);
  let integers = new Int32Array(0);
  if (format === 'wav24') {
    const writer: ObjectWriter = cache.createWriter();
    writer.write(pcmWavHeader(lengthSamples, 2, sampleRate, 24));
    return {
      add(samples, frames) {
        if (scratch.length < 6 * frames) scratch = new Uint8Array(6 * frames);
        const bytes = scratch.subarray(0, 6 * frames);
        quantiseInterleaved(samples.subarray(0, 2 * frames), 24, bytes);
        writer.write(bytes);
      },
      // Stereo 24-bit frames are 6 bytes: the data chunk is always even, no pad byte.
      finish: async () => cache.installWritten(await writer.finish()),
      abort: () => writer.abort(),
    };
  }
  const flac: FlacStream = await createFlacStream(2, sampleRate, 24);
  return {
    add(samples, frames) {
      if (integers.length < 2 * frames) integers = new Int32Array(2 * frames);
      const block = integers.subarray(0, 2 * frames);
      quantiseInt24(samples.subarray(0, 2 * frames), block);
      flac.push(block);
    },
    async finish() {
      const record = cache.putObject(flac.finish());
      await cache.flush([record.digest]);
      return record;
    },
    async abort() {},
  };
}
