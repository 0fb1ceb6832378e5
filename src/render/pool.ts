/**
 * A fixed pool of worker threads for render tasks. Tasks are plain data and their results
 * bytes, so a task renders the same bytes in any worker, in any order, at any --jobs.
 */
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import type { Task } from '../plan/graph.ts';
import { packageRoot, publicApiPath, workerEntryPath } from '../paths.ts';
import type { OutputRecord } from '../cache/store.ts';
import { InputMissingError, type TaskContext, type TaskOutput } from './run-task.ts';
import { vouchedDigests, type VouchedDigest } from '../registry/file-store.ts';
import type { MasterFilesService } from './master-files-thread.ts';

/** A worker lent to stream work a task in another thread feeds it over the service's port (see master-files-thread.ts). */
export interface ServiceRequest extends MasterFilesService {
  readonly id: number;
}

export interface WorkerRequest {
  readonly id: number;
  readonly task: Task;
  readonly inputs: OutputRecord[];
  readonly context: TaskContext;
  /** Input objects the main thread holds in memory, copied along: no disk read or re-hash in the worker. */
  readonly inline?: Map<string, Uint8Array>;
  /** Input objects the main thread knows are intact on disk (it wrote or verified them): read there without a re-hash. */
  readonly trusted?: readonly string[];
  /** Project files' digests the main thread took (a SoundFont's, at planning), trusted there while each file's stat is unchanged. */
  readonly digests?: readonly VouchedDigest[];
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly output: TaskOutput }
  | {
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      readonly diagnostics?: Diagnostic[];
      readonly missing?: { digest: string; corrupt: boolean };
    };

/**
 * A worker's young generation, MB. A task's bulk lives outside the JS heap (audio in typed
 * arrays, voice buffers, file pieces); what it allocates on the heap is small and short-lived,
 * so V8's default young generation (grown to 16-32 MB per worker in the peers bench's
 * SoundFont build, 11-14 MB of it live) held memory a scavenge of a smaller one frees as well.
 * At 8 MB each worker's heap is 22 MB instead of 30-46, with the same stems time.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  busy: boolean;
  /** Its engine is loaded (ready resolved). */
  started: boolean;
  /** Set while the worker waits for work: when it fires, the worker is told it is idle. */
  idle?: ReturnType<typeof setTimeout>;
}

/**
 * A worker that has had no task for this long lets go of what it kept for the next one (parsed
 * SoundFonts and their voice buffers) and collects its garbage: the peers bench's workers held
 * ~20-30 MB each through the mix and master, which the main thread renders. Long enough that a
 * build handing a worker its next task (a turn of the event loop later) never waits on it.
 */
const IDLE_MS = 100;

/** The message that tells a worker it is idle. */
export interface WorkerIdle {
  readonly idle: true;
}

interface Pending {
  readonly resolve: (output: TaskOutput) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Tasks waiting for a worker, each with its priority and arrival number. */
  private readonly waiting: { readonly priority: number; readonly order: number; readonly take: (slot: Slot) => void }[] = [];
  private arrivals = 0;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** Workers start on first use, so a build that is all cache hits starts none. */
  constructor(private readonly size: number) {}

  private spawn(): Slot {
    // Where the package and its public API are: a worker needs them to load project plugins.
    const worker = new Worker(workerEntryPath(), { workerData: { packageRoot: packageRoot(), apiEntry: publicApiPath() }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    const ready = new Promise<void>((resolveReady, rejectReady) => {
      const onMessage = (message: { ready?: boolean }) => {
        if (message?.ready) {
          worker.off('message', onMessage);
          resolveReady();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', rejectReady);
    });
    worker.on('message', (reply: WorkerReply & { ready?: boolean }) => {
      if (reply.ready) return;
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve({ ...reply.output, inWorker: true });
      else if (reply.missing) pending.reject(new InputMissingError(reply.missing.digest, reply.missing.corrupt));
      else pending.reject(reply.diagnostics ? new MixdownError(reply.diagnostics) : new Error(reply.message));
    });
    worker.on('error', (error) => {
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    });
    const slot: Slot = { worker, ready, busy: false, started: false };
    ready.then(() => (slot.started = true), () => {});
    // A worker that died (out of memory, a crash) leaves the pool: the next task starts a new
    // one, so a pool kept across builds (`watch`) outlives a failed build.
    worker.once('exit', () => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
    });
    return slot;
  }

  /** Start every worker now (each loads the engine once) and wait until they are ready: `watch` does, so a save finds them running. */
  async start(): Promise<void> {
    while (this.slots.length < this.size) this.slots.push(this.spawn());
    await Promise.all(this.slots.map((slot) => slot.ready));
  }

  /**
   * Run a task in the first free worker. When all are busy it waits its turn: the lowest
   * `priority` first (the build gives each variant of a song its index, so the earliest
   * variant's tasks go first and its outputs are finished first), then in order of arrival.
   */
  async run(task: Task, inputs: OutputRecord[], context: TaskContext, inline?: Map<string, Uint8Array>, trusted?: readonly string[], priority = 0): Promise<TaskOutput> {
    const slot = await this.acquire(priority);
    try {
      await slot.ready;
      const id = this.nextId++;
      return await new Promise<TaskOutput>((resolveRun, rejectRun) => {
        this.pending.set(id, { resolve: resolveRun, reject: rejectRun });
        const digests = vouchedDigests();
        const request: WorkerRequest = { id, task, inputs, context, ...(inline?.size ? { inline } : {}), ...(trusted?.length ? { trusted } : {}), ...(digests.length ? { digests } : {}) };
        slot.worker.postMessage(request);
      });
    } finally {
      this.release(slot);
    }
  }

  /**
   * Lend a started worker that is free right now to a service fed over `port` (the port goes
   * with the request); it rejoins the pool when the service ends. Undefined when none is free:
   * the caller then does the work itself rather than wait.
   */
  lend(request: Omit<ServiceRequest, 'id'>): Promise<void> | undefined {
    const slot = this.slots.find((candidate) => !candidate.busy && candidate.started);
    if (!slot) return undefined;
    slot.busy = true;
    clearTimeout(slot.idle);
    const id = this.nextId++;
    return new Promise<TaskOutput>((resolveRun, rejectRun) => {
      this.pending.set(id, { resolve: resolveRun, reject: rejectRun });
      slot.worker.postMessage({ ...request, id } satisfies ServiceRequest, [request.port]);
    }).then(
      () => this.release(slot),
      (error: unknown) => {
        this.release(slot);
        throw error;
      },
    );
  }

  private acquire(priority: number): Promise<Slot> {
    const free = this.slots.find((slot) => !slot.busy);
    if (free) {
      free.busy = true;
      clearTimeout(free.idle);
      return Promise.resolve(free);
    }
    if (this.slots.length < this.size) return Promise.resolve(this.spawnBusy());
    return new Promise<Slot>((take) => this.waiting.push({ priority, order: this.arrivals++, take }));
  }

  /** A finished task's worker goes straight to the waiting task that comes first (a dead one's place to a new worker). */
  private release(slot: Slot): void {
    let next = -1;
    this.waiting.forEach((entry, index) => {
      const best = this.waiting[next];
      if (!best || entry.priority < best.priority || (entry.priority === best.priority && entry.order < best.order)) next = index;
    });
    if (next < 0) {
      slot.busy = false;
      clearTimeout(slot.idle);
      slot.idle = setTimeout(() => {
        if (!slot.busy) slot.worker.postMessage({ idle: true } satisfies WorkerIdle);
      }, IDLE_MS);
      // A pool waiting for work keeps no process alive.
      slot.idle.unref();
      return;
    }
    const [entry] = this.waiting.splice(next, 1);
    entry.take(this.slots.includes(slot) ? slot : this.spawnBusy());
  }

  private spawnBusy(): Slot {
    const slot = this.spawn();
    slot.busy = true;
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    for (const slot of this.slots) clearTimeout(slot.idle);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
