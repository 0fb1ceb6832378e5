/**
 * The master's files written by another thread. The master task's chain (stages, gain,
 * limiter, meters) is one serial pass; what it feeds (the 24-bit and dithered 16-bit files,
 * FLAC, MP3, their hashes and the listening room's analysis) cost as much again and need only
 * the finished blocks. So free workers run those parts (masterPart) on blocks this thread
 * posts them over MessagePorts, while this thread limits the next ones. A worker runs the very
 * code this thread would, on copies of the same samples, so the files are the same bytes.
 *
 * The protocol on the port: this side posts `block` (transferred copies), then `finish` (the
 * master's facts) or `abort`; the worker answers `ack` per block written, then `done` (the
 * records of what it wrote) or `aborted`, or `error` at any point.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import type { MasterBlock, MasterFacts, OutputMeasure } from '../master/chain.ts';
import { joinParts, masterFiles, masterPart, type MasterFilesOpener, type MasterFilesResult, type MasterFilesSpec, type MasterPart, type MasterPartWriter } from './master-task.ts';

type ToFiles =
  | { readonly type: 'block'; readonly channels: Float32Array[]; readonly start: number; readonly count: number }
  | { readonly type: 'measure' }
  | { readonly type: 'finish'; readonly facts: MasterFacts; readonly audio?: OutputRecord }
  | { readonly type: 'abort' };

type FromFiles =
  | { readonly type: 'ack' }
  | { readonly type: 'measured'; readonly measure: OutputMeasure }
  | { readonly type: 'done'; readonly result: MasterFilesResult }
  | { readonly type: 'aborted' }
  | { readonly type: 'error'; readonly message: string };

/** Blocks posted but not yet written by the worker before `write` waits: bounds the memory in flight (a block is ~0.5 MB). */
const MAX_IN_FLIGHT = 4;

/** What another thread is asked to serve: the pool's `lend` takes it (undefined: no worker free). */
export interface MasterFilesService {
  readonly service: 'master-files';
  readonly port: MessagePort;
  readonly cacheRoot: string;
  readonly spec: MasterFilesSpec;
  /** Which part of the master's output the worker writes. */
  readonly part: MasterPart;
}

/** Lends a free worker to a service; undefined when none is free; the promise ends with the service (rejects if the worker died). */
export type LendWorker = (request: MasterFilesService) => Promise<void> | undefined;

/**
 * An opener of the master's files in the workers `lend` gives: with two free, the files in one
 * and the room's analysis in the other (each about as costly as the chain itself); with one,
 * the files there and the analysis here; with none, all here. `cacheRoot` is the root the workers open their stores at: `cache`'s.
 */
export function lentMasterFiles(lend: LendWorker, cache: CacheStore, cacheRoot: string): MasterFilesOpener {
  const lent = (spec: MasterFilesSpec, part: MasterPart): MasterPartWriter | undefined => {
    const { port1, port2 } = new MessageChannel();
    const served = lend({ service: 'master-files', port: port2, cacheRoot, spec, part });
    if (served) return remotePart(port1, cache, served);
    port1.close();
    port2.close();
    return undefined;
  };
  return async (spec) => {
    const files = lent(spec, 'files');
    if (!files) return masterFiles(cache, spec);
    // One worker free: the analysis stays in this thread, beside the chain.
    return joinParts(files, lent(spec, 'analysis') ?? (await masterPart(cache, spec, 'analysis')));
  };
}

/**
 * This thread's side: a part whose writes go to the worker on the other end of `port`.
 * `cache` adopts what the worker wrote (it wrote and hashed the objects itself).
 */
function remotePart(port: MessagePort, cache: CacheStore, served: Promise<void>): MasterPartWriter {
  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let ended: ((message: FromFiles) => void) | undefined;
  const endedPromise = new Promise<FromFiles>((resolve) => (ended = resolve));
  const over = (message: FromFiles) => {
    if (message.type === 'error') failure ??= new Error(`master files (worker): ${message.message}`);
    ended!(message);
    port.close();
    wake?.();
  };
  let measured: ((measure: OutputMeasure) => void) | undefined;
  port.on('message', (message: FromFiles) => {
    if (message.type === 'measured') return measured?.(message.measure);
    if (message.type !== 'ack') return over(message);
    inFlight--;
    wake?.();
  });
  // A worker that died answers nothing more on the port.
  served.catch((error: unknown) => over({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
  const check = () => {
    if (failure) throw failure;
  };
  return {
    async write({ channels, start, count }: MasterBlock) {
      check();
      const copies = channels.map((channel) => channel.slice(0, count));
      port.postMessage({ type: 'block', channels: copies, start, count } satisfies ToFiles, copies.map((copy) => copy.buffer));
      inFlight++;
      while (inFlight >= MAX_IN_FLIGHT && !failure) await new Promise<void>((resolve) => (wake = resolve));
      check();
    },
    async measure() {
      check();
      const answer = new Promise<OutputMeasure>((resolve) => (measured = resolve));
      port.postMessage({ type: 'measure' } satisfies ToFiles);
      // The answer, or the worker's end (an error: thrown below).
      await Promise.race([answer, endedPromise]);
      check();
      return answer;
    },
    async finish(facts: MasterFacts, audio?: OutputRecord) {
      check();
      port.postMessage({ type: 'finish', facts, audio } satisfies ToFiles);
      const reply = await endedPromise;
      if (reply.type !== 'done') throw failure ?? new Error('master files (worker): ended without its files');
      for (const record of Object.values(reply.result.outputs)) cache.adoptFile(record);
      return reply.result;
    },
    async abort() {
      port.postMessage({ type: 'abort' } satisfies ToFiles);
      await endedPromise;
    },
  };
}

/**
 * The worker's side: write the master's files from the blocks arriving on `port`, in order,
 * into `cache`; resolves when finished or aborted.
 */
export function serveMasterFiles(port: MessagePort, cache: CacheStore, spec: MasterFilesSpec, part: MasterPart): Promise<void> {
  return new Promise<void>((resolve) => {
    // One message at a time, in order: each waits for the one before it.
    let queue: Promise<unknown> = masterPart(cache, spec, part).then((files) => (opened = files));
    let opened: MasterPartWriter | undefined;
    let over = false;
    const end = (message: FromFiles) => {
      if (over) return;
      over = true;
      port.postMessage(message);
      port.close();
      resolve();
    };
    const fail = async (error: unknown) => {
      await opened?.abort().catch(() => {});
      end({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    };
    port.on('message', (message: ToFiles) => {
      queue = queue.then(async () => {
        if (over) return;
        const files = opened!;
        if (message.type === 'block') {
          await files.write({ channels: message.channels, start: message.start, count: message.count });
          port.postMessage({ type: 'ack' } satisfies FromFiles);
        } else if (message.type === 'measure') {
          if (!files.measure) throw new Error(`the ${part} part measures nothing`);
          port.postMessage({ type: 'measured', measure: await files.measure() } satisfies FromFiles);
        } else if (message.type === 'finish') end({ type: 'done', result: await files.finish(message.facts, message.audio) });
        else {
          await files.abort();
          end({ type: 'aborted' });
        }
      }).catch(fail);
    });
    queue = queue.catch(fail);
  });
}
