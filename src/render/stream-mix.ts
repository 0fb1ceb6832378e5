/**
 * The mix, streamed: every input (the channels routed to the master, in the song's order)
 * read a block at a time from its object and summed into one block, written on into the mix
 * object. Nothing is held for the whole song, so a mix costs the same memory at 3 minutes or
 * 30. The sums are the whole-song mix task's, input by input in the same order (float
 * addition is not associative: the order is part of the result), so the bytes are the same.
 */
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { float32WavHeader } from '../io/wav.ts';
import type { StereoBlockReader } from './stream-strip.ts';

/** Frames summed at a time: the sums do not depend on it; larger reads cost fewer system calls (128 KiB per input). */
const MIX_BLOCK_FRAMES = 16_384;

export interface StreamedMix {
  readonly audio: OutputRecord;
  /** Sample peak of the mix (linear), over every sample written. */
  readonly peak: number;
}

export async function streamMix(inputs: readonly StereoBlockReader[], lengthSamples: number, sampleRate: number, cache: CacheStore): Promise<StreamedMix> {
  const writer = cache.createWriter();
  try {
    writer.write(float32WavHeader(lengthSamples, 2, sampleRate));
    const block = new Float32Array(2 * MIX_BLOCK_FRAMES);
    let peak = 0;
    for (let start = 0; start < lengthSamples; start += MIX_BLOCK_FRAMES) {
      const frames = Math.min(MIX_BLOCK_FRAMES, lengthSamples - start);
      const count = 2 * frames;
      block.fill(0, 0, count);
      for (const input of inputs) {
        // An input shorter than the song (it cannot be, but a file may lie) adds what it has.
        const available = Math.min(frames, input.frames - start);
        if (available > 0) addInto(block, input.read(start, available), 2 * available);
      }
      peak = Math.max(peak, blockPeak(block, count));
      writer.writeFloat32(block, count);
      if (writer.full) await writer.room();
    }
    return { audio: cache.installWritten(await writer.finish()), peak };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function addInto(target: Float32Array, samples: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) target[i] += samples[i];
}

function blockPeak(samples: Float32Array, count: number): number {
  let peak = 0;
  for (let i = 0; i < count; i++) {
    const magnitude = Math.abs(samples[i]);
    if (magnitude > peak) peak = magnitude;
  }
  return peak;
}
