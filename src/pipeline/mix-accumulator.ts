/**
 * Sums stems into the mix as they complete, in track order, so a stem's bytes can be let go
 * as soon as it has been added: peak memory stays one bus plus the few stems that finish
 * early, however many tracks a song has. The order is the song's track order, exactly as
 * the mix task sums, so the bytes are the same either way.
 */
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { addWavIntoStereo, createFloat32Wav } from '../io/wav.ts';
import type { MixTask } from '../plan/graph.ts';

export class MixAccumulator {
  private readonly order: readonly string[];
  private readonly ready = new Map<string, OutputRecord>();
  private next = 0;
  private failed = false;
  readonly bytes: Uint8Array;
  readonly samples: Float32Array;

  constructor(
    readonly task: MixTask,
    private readonly cache: CacheStore,
  ) {
    this.order = task.deps;
    const file = createFloat32Wav(task.params.lengthSamples, 2, task.params.sampleRate);
    this.bytes = file.bytes;
    this.samples = file.samples;
  }

  /** A stem (rendered or from the cache) is done: add it, and any in-order successors. */
  offer(taskId: string, record: OutputRecord): void {
    if (this.failed || !this.order.includes(taskId)) return;
    this.ready.set(taskId, record);
    while (this.next < this.order.length && this.ready.has(this.order[this.next])) {
      const stem = this.ready.get(this.order[this.next])!;
      const data = this.cache.getObject(stem.digest);
      if (!data) {
        // Missing or corrupt: the mix task will read (and re-render) its inputs the usual way.
        this.failed = true;
        return;
      }
      addWavIntoStereo(data, this.samples);
      this.cache.forget(stem.digest);
      this.next++;
    }
  }

  /** The finished bus, when every stem was added in order from exactly these inputs. */
  complete(inputs: readonly OutputRecord[]): boolean {
    return !this.failed && this.next === this.order.length && inputs.every((input, i) => this.ready.get(this.order[i])?.digest === input.digest);
  }
}
