/**
 * What the listening room draws, measured at build time from the built files: min/max peaks
 * of every stem, bus and master, and the master's loudness over time, true-peak overs and
 * octave balance. Each measurement is a cached action keyed by the digest of the file it
 * reads (and this module's version), so a build measures only files it has not measured
 * before: a variant that shares a stem shares its peaks, and a no-op build measures nothing.
 */
import type { CacheStore } from '../../cache/store.ts';
import { decodeWav, encodeWavPcm, interleavedFloat32 } from '../../io/wav.ts';
import { measureLoudness } from '../../master/loudness.ts';
import { octaveBalance } from '../../master/reference.ts';
import { truePeakEnvelope } from '../../master/true-peak.ts';
import { hashValue } from '../../ir/hash.ts';
import { findMeasurement, MEASUREMENT_VERSION, storeMeasurement } from '../../cache/measurement.ts';
import type { RoomPeaks } from './types.ts';
import { bucketCount, computePeaks, peaksOver, round4, scan } from '../../dsp/peaks.ts';


/** Loudness curves and overs are drawn every 100 ms: measureLoudness's block step. */
export const LOUDNESS_STEP = 0.1;

const round2 = (value: number) => (Number.isFinite(value) ? Math.round(value * 100) / 100 : null);

export { bucketCount, computePeaks };

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

/** The master's loudness over time, overs and octave balance, as the page draws them. */
export interface MasterAnalysis {
  readonly peaks: RoomPeaks;
  readonly momentary: (number | null)[];
  readonly shortTerm: (number | null)[];
  readonly overs: { seconds: number; dbtp: number }[];
  /** Empty when not asked for. */
  readonly bands: (number | null)[];
}

/**
 * `bands`: measure the octave balance too (report.json has it already when the song names a
 * reference). `underCeiling`: the master's measured true peak is known to be under the ceiling,
 * so no stretch can pass it and the oversampled envelope need not be computed (the overs are none).
 */
export function analyseMaster(channels: readonly Float32Array[], sampleRate: number, buckets: number, ceilingDb: number, bands: boolean, underCeiling = false): MasterAnalysis {
  const loudness = measureLoudness(channels, sampleRate, { truePeak: false });
  const curve = (values: Float32Array) => Array.from(values, (value) => (value > -70 ? round2(value) : null));
  // Overs: each 100 ms stretch whose oversampled peak passes the ceiling.
  const ceiling = Math.pow(10, ceilingDb / 20);
  const envelope = underCeiling ? new Float32Array(0) : truePeakEnvelope(channels, sampleRate, ceiling);
  const hop = Math.round(sampleRate * LOUDNESS_STEP);
  const overs: { seconds: number; dbtp: number }[] = [];
  for (let start = 0; start < envelope.length; start += hop) {
    let peak = 0;
    for (let i = start, end = Math.min(envelope.length, start + hop); i < end; i++) if (envelope[i] > peak) peak = envelope[i];
    if (peak > ceiling) overs.push({ seconds: round4(start / sampleRate), dbtp: round2(20 * Math.log10(peak))! });
  }
  return {
    peaks: computePeaks(channels, buckets),
    momentary: curve(loudness.momentary),
    shortTerm: curve(loudness.shortTerm),
    overs,
    bands: bands ? octaveBalance(channels, sampleRate).map(round2) : [],
  };
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
