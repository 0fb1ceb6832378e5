/**
 * Measurements of built objects (a stem's waveform peaks, a master's loudness curve) as
 * actions in the cache like any task: key = hash of the kind, the measurement version and
 * the inputs (the object's digest, the bucket count…); the value a JSON object in the store.
 * The listening room reads them; a streamed strip records its peaks as it writes the stem,
 * so the room finds them there instead of reading the stem again.
 */
import { hashValue } from '../ir/hash.ts';
import type { ActionEntry, CacheStore } from './store.ts';

/** Bump when a measurement changes for the same file. Part of every key here. */
export const MEASUREMENT_VERSION = 'mixdown-room-analysis/1';

/** The action key of a measurement, and its inputs' hashes (the entry's breakdown). */
export function measurementKey(kind: string, inputs: Record<string, unknown>): { key: string; named: Record<string, string> } {
  const named: Record<string, string> = { engine: MEASUREMENT_VERSION };
  for (const [name, value] of Object.entries(inputs)) named[name] = hashValue(value);
  return { key: hashValue({ kind, inputs: named }), named };
}

/** A measurement stored before, or undefined. */
export async function findMeasurement<T>(cache: CacheStore, kind: string, inputs: Record<string, unknown>): Promise<T | undefined> {
  const hit = await cache.getActionFromAnyTier(measurementKey(kind, inputs).key);
  const stored = hit && cache.getObject(hit.outputs.data.digest);
  return stored ? (JSON.parse(new TextDecoder().decode(stored)) as T) : undefined;
}

/**
 * Store a measurement: its object first, then the action that names it. `share`: also hand it
 * to the tier behind the store (the remote cache). A render task's by-product is stored
 * unshared and returned with the task's output: the main thread shares it, so a build uploads
 * the same whichever thread rendered (a worker's store has no tier).
 */
export async function storeMeasurement(cache: CacheStore, kind: string, inputs: Record<string, unknown>, value: unknown, share = true): Promise<ActionEntry> {
  const { key, named } = measurementKey(kind, inputs);
  const record = cache.putObject(new TextEncoder().encode(JSON.stringify(value)));
  await cache.flush([record.digest]);
  const entry: ActionEntry = { key, kind, outputs: { data: record }, meta: {}, inputs: named };
  if (share) cache.putActionToAllTiers(entry);
  else cache.putAction(entry);
  return entry;
}
