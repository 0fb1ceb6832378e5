/**
 * Why a task rendered: its key's breakdown (the hash of each named input) compared with
 * the breakdown of the same task the last time this song built. Nx and Turborepo keep
 * the same kind of record to answer the same question.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic.ts';
import type { Task } from '../plan/graph.ts';

/** task id → the inputs its key was made from. */
export type KeyRecord = Record<string, Readonly<Record<string, string>>>;

export class LastBuildRecord {
  constructor(private readonly cacheRoot: string) {}

  private path(song: string): string {
    return join(this.cacheRoot, 'last', `${song}.json`);
  }

  read(song: string): KeyRecord {
    try {
      return JSON.parse(readFileSync(this.path(song), 'utf8')) as KeyRecord;
    } catch {
      return {};
    }
  }

  write(song: string, tasks: readonly Task[]): void {
    const record: KeyRecord = {};
    for (const task of tasks) record[task.id] = task.inputs;
    writeFileAtomicSync(this.path(song), JSON.stringify(record));
  }
}

/** Plain-words reasons, e.g. `notes of track bass changed`. */
export function explainTask(task: Task, previous: Readonly<Record<string, string>> | undefined, useCache: boolean): string[] {
  if (!useCache) return ['--no-cache'];
  if (!previous) return ['no earlier build of this task'];
  const names = new Set([...Object.keys(task.inputs), ...Object.keys(previous)]);
  const reasons: string[] = [];
  for (const name of [...names].sort()) {
    if (task.inputs[name] === previous[name]) continue;
    reasons.push(describeInput(task, name));
  }
  return reasons.length ? reasons : ['same inputs as last build, but not in the cache (pruned or corrupt)'];
}

function describeInput(task: Task, name: string): string {
  const track = task.kind === 'stem' ? ` of track ${task.params.trackId}` : task.kind === 'bus' ? ` of bus ${task.params.busId}` : '';
  if (name.startsWith('task:')) return `input ${name.slice(5)} changed`;
  if (name.startsWith('code:')) return `code of plugin ${name.slice(5)} changed`;
  if (name.startsWith('file:')) return `content of file ${name.slice(5)} changed`;
  if (name.startsWith('effect:')) return `effect ${name.slice(7)}${track} changed (options, mix, sidechain or automation)`;
  switch (name) {
    case 'engine':
      return 'mixdown engine version changed';
    case 'notes':
      return `notes${track} changed`;
    case 'instrument':
      return `instrument or its options${track} changed`;
    case 'fader':
      return `gain, pan, mute or their automation${track} changed`;
    case 'effects':
      return `effect chain${track} changed`;
    case 'instrumentAutomation':
      return `instrument automation${track} changed`;
    case 'sources':
      return `what feeds the bus (outputs, sends, send levels)${track} changed`;
    case 'seed':
      return `seed${track} changed`;
    case 'format':
      return 'song length or sample rate changed';
    case 'master':
      return 'master settings changed';
    case 'midi':
      return 'MIDI content (notes, names, tempo, meter) changed';
    case 'dawproject':
      return 'DAWproject content (tracks, routing, clips, automation, tempo) changed';
    default:
      return `${name} changed`;
  }
}
