/**
 * `mixdown build --shard I/N`: split the songs × variants of a project across N CI jobs.
 * Every shard computes the same split from the same sources: each unit (a song as written,
 * or one variant) weighs the seconds its tasks took when they last rendered, as recorded in
 * `.mixdown/timings.json` (a task not recorded there weighs the mean of those that are), or
 * its task count when nothing is recorded; units go, heaviest first (ties by name), to the
 * least loaded shard (ties to the lowest). Each unit lands in exactly one shard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { sha256 } from '../ir/hash.ts';

/** One CI job's part of a build: `index` of `count`, from 1. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** `'2/4'` → { index: 2, count: 4 }; undefined when it is not `I/N` with 1 ≤ I ≤ N. */
export function parseShard(text: string): Shard | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : undefined;
}

/** A unit's id, as mixdown.lock names it: `song` for the song as written, `song/variant`. */
export function unitId(song: { readonly id: string; readonly variant: string | null }): string {
  return song.variant ? `${song.id}/${song.variant}` : song.id;
}

/** A song as written (`song`) or a variant (`song/variant`), with its planned task ids. */
export interface ShardUnit {
  readonly id: string;
  readonly tasks: readonly string[];
}

/** unit id → task id → seconds its last render took. */
export type TimingRecord = Record<string, Record<string, number>>;

export interface ShardSplit {
  /** unit id → the shard (1-based) that builds it. */
  readonly assignment: ReadonlyMap<string, number>;
  /** Each shard's load, in the split's unit (seconds or tasks). */
  readonly loads: readonly number[];
  readonly by: 'measured seconds' | 'task count';
  /** A short hash of the whole split: every shard of one run must print the same. */
  readonly fingerprint: string;
}

export function splitUnits(units: readonly ShardUnit[], count: number, timings: TimingRecord): ShardSplit {
  const known = units.flatMap((unit) => unit.tasks.flatMap((task) => (typeof timings[unit.id]?.[task] === 'number' ? [timings[unit.id][task]] : [])));
  const by = known.length ? 'measured seconds' : 'task count';
  const fallback = known.length ? known.reduce((sum, seconds) => sum + seconds, 0) / known.length : 1;
  const weighed = units.map((unit) => ({ id: unit.id, weight: unit.tasks.reduce((sum, task) => sum + (timings[unit.id]?.[task] ?? fallback), 0) }));
  weighed.sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const loads = new Array<number>(count).fill(0);
  const assignment = new Map<string, number>();
  for (const unit of weighed) {
    let lightest = 0;
    for (let shard = 1; shard < count; shard++) if (loads[shard] < loads[lightest]) lightest = shard;
    loads[lightest] += unit.weight;
    assignment.set(unit.id, lightest + 1);
  }
  const fingerprint = sha256(JSON.stringify([...assignment].sort(([a], [b]) => (a < b ? -1 : 1)))).slice(0, 12);
  return { assignment, loads, by, fingerprint };
}

/**
 * `.mixdown/timings.json`: each task's seconds the last time it rendered, by unit. This
 * machine's figures, used only to balance shards, never in a key or an output.
 */
export class TimingFile {
  private readonly path: string;
  private record: TimingRecord | undefined;
  private changed = false;

  constructor(root: string) {
    this.path = join(root, '.mixdown', 'timings.json');
  }

  read(): TimingRecord {
    if (!this.record) {
      try {
        this.record = JSON.parse(readFileSync(this.path, 'utf8')) as TimingRecord;
      } catch {
        this.record = {};
      }
    }
    return this.record;
  }

  /** Remember a rendered task's seconds (to the hundredth). */
  measured(unit: string, task: string, seconds: number): void {
    const record = this.read();
    (record[unit] ??= {})[task] = Math.round(seconds * 100) / 100;
    this.changed = true;
  }

  save(): void {
    if (this.changed) writeFileAtomicSync(this.path, `${JSON.stringify(this.record, null, 1)}\n`);
    this.changed = false;
  }
}
