/**
 * Runs one task where it stands (main thread or worker): reads its dependencies' outputs
 * from the object store by digest, renders, writes its outputs to the object store, and
 * returns their records and the facts it measured. Big buffers never cross threads; only
 * digests do. The result depends on nothing but the task's key.
 */
import { CacheStore, type OutputRecord } from '../cache/store.ts';
import { addWavInto, decodeWav, encodeWavFloat32, encodeWavPcm } from '../io/wav.ts';
import { encodeMidi } from '../io/midi.ts';
import { peakSafe } from '../master/peak-safe.ts';
import type { Task } from '../plan/graph.ts';
import { samplePeak } from './levels.ts';
import { renderStem } from './stem.ts';
import '../instruments/index.ts';

export interface TaskOutput {
  /** Output name (`audio`, `midi`) → its object in the store. */
  readonly outputs: Record<string, OutputRecord>;
  readonly meta: Record<string, number>;
}

export interface TaskContext {
  readonly song: string;
  readonly file: string;
  /** The object store's folder, so a worker can open the same store. */
  readonly cacheRoot: string;
}

/** A dependency's object was missing or failed its digest check when a task read it. */
export class InputMissingError extends Error {
  constructor(
    readonly digest: string,
    readonly corrupt: boolean,
  ) {
    super(`input object ${digest} is ${corrupt ? 'corrupt' : 'missing'}`);
    this.name = 'InputMissingError';
  }
}

const stores = new Map<string, CacheStore>();
/** Digests that failed their check while reading, in this thread. */
const corrupted = new Set<string>();

function storeFor(root: string): CacheStore {
  let store = stores.get(root);
  if (!store) {
    store = new CacheStore(root, (digest) => corrupted.add(digest));
    stores.set(root, store);
  }
  return store;
}

export function runTask(task: Task, inputs: readonly OutputRecord[], context: TaskContext): TaskOutput {
  const cache = storeFor(context.cacheRoot);
  const read = (record: OutputRecord): Uint8Array => {
    const bytes = cache.getObject(record.digest);
    if (!bytes) throw new InputMissingError(record.digest, corrupted.delete(record.digest));
    return bytes;
  };
  const store = (bytes: Uint8Array): OutputRecord => cache.putObject(bytes);
  switch (task.kind) {
    case 'stem': {
      const channels = renderStem(task.params, context);
      return { outputs: { audio: store(encodeWavFloat32(channels, task.params.sampleRate)) }, meta: { peak: samplePeak(channels) } };
    }
    case 'mix': {
      const { lengthSamples, sampleRate } = task.params;
      const bus = [new Float32Array(lengthSamples), new Float32Array(lengthSamples)];
      // Summed in the song's track order: float addition is not associative, order is fixed.
      for (const input of inputs) addWavInto(read(input), bus);
      return { outputs: { audio: store(encodeWavFloat32(bus, sampleRate)) }, meta: { peak: samplePeak(bus) } };
    }
    case 'master': {
      const mix = decodeWav(read(inputs[0]));
      const { channels, gain } = peakSafe(mix.channels, task.params.ceilingDb);
      return { outputs: { audio: store(encodeWavPcm(channels, mix.sampleRate, 24)) }, meta: { peak: samplePeak(channels), gain } };
    }
    case 'midi':
      return { outputs: { midi: store(encodeMidi(task.params)) }, meta: {} };
  }
}
