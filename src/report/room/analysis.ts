/**
 * What the listening room draws, measured at build time from the built files: min/max peaks
 * of every stem, bus and master, and the master's loudness over time, true-peak overs and
 * octave balance. Each measurement is a cached action keyed by the digest of the file it
 * reads (and this module's version), so a build measures only files it has not measured
 * before: a variant that shares a stem shares its peaks, and a no-op build measures nothing.
 */
import type { CacheStore } from '../../cache/store.ts';
import { decodeWav, encodeWavPcm, interleavedFloat32 } from '../../io/wav.ts';
import { hashValue } from '../../ir/hash.ts';
import { findMeasurement, MEASUREMENT_VERSION, storeMeasurement } from '../../cache/measurement.ts';
import type { RoomPeaks } from './types.ts';
import { bucketCount, computePeaks, peaksOver, scan } from '../../dsp/peaks.ts';

export { bucketCount, computePeaks };
export { analyseMaster, LOUDNESS_STEP, type MasterAnalysis } from '../../master/analysis.ts';

/**
 * The peaks of a built WAV object. A float32 file (stems, buses, the mix) is read in place,
 * interleaved: the same minima and maxima as computePeaks over its decoded channels, without
 * decoding (a 3-minute stem is 70 MB of new arrays otherwise).
 */
export function peaksOfObject(cache: CacheStore, digest: string, count: number): RoomPeaks {
  const bytes = objectBytes(cache, digest);
  const view = interleavedFloat32(bytes);
  if (!view) return computePeaks(decodeWav(bytes).channels, count);
  const { samples, channels, frames } = view;
  return peaksOver(frames, count, (start, end, into) => scan(samples, start * channels, Math.min(end, frames) * channels, into));
}

/**
 * A JSON measurement of one object, through the action cache: key = hash of the kind, this
 * module's version and the inputs; the result is an object in the store like any output.
 */
export async function cachedMeasurement<T>(cache: CacheStore, kind: string, inputs: Record<string, unknown>, measure: () => T): Promise<T> {
  const stored = await findMeasurement<T>(cache, kind, inputs);
  if (stored !== undefined) return stored;
  const value = measure();
  await storeMeasurement(cache, kind, inputs, value);
  return value;
}

/** A cached 16-bit copy of a WAV file (the reference track the page plays): the object's digest. */
export async function cachedPreview(cache: CacheStore, sha256: string, read: () => Uint8Array): Promise<string> {
  const named = { engine: MEASUREMENT_VERSION, source: sha256 };
  const key = hashValue({ kind: 'room-preview', inputs: named });
  const hit = await cache.getActionFromAnyTier(key);
  if (hit && cache.hasObject(hit.outputs.audio.digest)) return hit.outputs.audio.digest;
  const decoded = decodeWav(read());
  const record = cache.putObject(encodeWavPcm(decoded.channels, decoded.sampleRate, 16));
  await cache.flush([record.digest]);
  cache.putActionToAllTiers({ key, kind: 'room-preview', outputs: { audio: record }, meta: {}, inputs: named });
  return record.digest;
}

function objectBytes(cache: CacheStore, digest: string): Uint8Array {
  const bytes = cache.peekObject(digest) ?? cache.getObject(digest);
  if (!bytes) throw new Error(`room: cache object ${digest} is missing`);
  return bytes;
}

/** Decode a built WAV object (float stem, 24-bit master) from the store. */
export function readAudio(cache: CacheStore, digest: string): { channels: Float32Array[]; sampleRate: number } {
  const decoded = decodeWav(objectBytes(cache, digest));
  return { channels: decoded.channels as Float32Array[], sampleRate: decoded.sampleRate };
}
