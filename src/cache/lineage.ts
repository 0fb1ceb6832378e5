/**
 * A channel's lineage: its last render, kept under the channel's identity rather than under
 * the task key, so a later render of the same channel with the same settings but other
 * inputs (a note changed upstream) can find it. An entry names that render's task key, its
 * input and output objects, and the checkpoints of its strip's state taken on the way
 * ({ source frame, frames written, state object }). The render that finds one compares the
 * inputs and resumes from the last checkpoint before the first difference.
 *
 * Entries are JSON files in `lineage/`, written atomically after every object they name, as
 * action entries are. Nothing trusts an entry blindly: each object it names is read back
 * through its digest, and anything missing or wrong means rendering from frame 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { hashValue } from '../ir/hash.ts';
import type { OutputRecord } from './store.ts';

/** Bump when the entry's shape or a checkpoint's meaning changes. */
export const LINEAGE_VERSION = 'mixdown-lineage/1';

/** One checkpoint of a render: after `frame` source frames, `written` output frames, the state in object `digest`. */
export interface LineageCheckpoint {
  readonly frame: number;
  readonly written: number;
  readonly digest: string;
}

export interface LineageEntry {
  /** The lineage key this entry is stored under (checked when read). */
  readonly lineage: string;
  /** The task key of the render it describes. */
  readonly task: string;
  /** The render's input objects, in the task's dependency order. */
  readonly inputs: readonly OutputRecord[];
  /** Its output objects by name. */
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  /** Its checkpoints, by rising frame. */
  readonly checkpoints: readonly LineageCheckpoint[];
}

/**
 * The lineage key of a channel: its identity (song, channel) and everything its render reads
 * except its inputs' contents (`params`: settings, plugins' versions and code hashes, the
 * song's length), with the engine version. Two renders under one key differ only in inputs.
 */
export function lineageKey(identity: { readonly song: string; readonly channel: string; readonly engine: string }, params: unknown): string {
  return hashValue({ version: LINEAGE_VERSION, ...identity, params });
}

function lineagePath(cacheRoot: string, key: string): string {
  return join(cacheRoot, 'lineage', key.slice(0, 2), `${key}.json`);
}

/** The entry under `key`, or undefined when there is none or it does not parse as one. */
export function readLineage(cacheRoot: string, key: string): LineageEntry | undefined {
  let entry: LineageEntry;
  try {
    entry = JSON.parse(readFileSync(lineagePath(cacheRoot, key), 'utf8')) as LineageEntry;
  } catch {
    return undefined;
  }
  const record = (value: unknown) => typeof value === 'object' && value !== null && typeof (value as OutputRecord).digest === 'string' && typeof (value as OutputRecord).bytes === 'number';
  if (entry.lineage !== key || typeof entry.task !== 'string' || !Array.isArray(entry.inputs) || !entry.inputs.every(record)) return undefined;
  if (typeof entry.outputs !== 'object' || entry.outputs === null || !Object.values(entry.outputs).every(record) || !Array.isArray(entry.checkpoints)) return undefined;
  const valid = entry.checkpoints.every((point) => Number.isInteger(point.frame) && Number.isInteger(point.written) && typeof point.digest === 'string');
  return valid ? entry : undefined;
}

/** Store an entry (replacing the one before): written last, after the objects it names. */
export function writeLineage(cacheRoot: string, entry: LineageEntry): void {
  writeFileAtomicSync(lineagePath(cacheRoot, entry.lineage), `${JSON.stringify(entry, null, 1)}\n`);
}
