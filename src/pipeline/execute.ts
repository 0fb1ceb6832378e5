/**
 * execute: run the tasks of a build graph whose keys are not in the cache, in dependency
 * order, up to `jobs` at a time. A task reads only its params and its dependencies'
 * outputs (from the object store, digest-verified), so where it runs cannot change its bytes.
 */
import type { CacheStore, OutputRecord } from '../cache/store.ts';
import { createLimiter } from '../io/limiter.ts';
import { depOutput, depTaskId, type BuildGraph, type Task } from '../plan/graph.ts';
import type { TaskResult } from '../plan/outputs.ts';
import type { InputMissingError, TaskContext, TaskOutput } from '../render/run-task.ts';

/** Runs one task somewhere: in this thread or in a worker. */
export type TaskRunner = (task: Task, inputs: OutputRecord[], context: TaskContext) => Promise<TaskOutput>;

export interface ExecuteOptions {
  readonly cache: CacheStore;
  /** Read the action cache (false for --no-cache: render everything, still store results). */
  readonly useCache: boolean;
  readonly jobs: number;
  readonly run: TaskRunner;
  readonly context: TaskContext;
  readonly onStart?: (task: Task) => void;
  readonly onDone?: (result: TaskResult) => void;
  /** A cache object failed its digest check (it was deleted and its task re-rendered). */
  readonly onCorrupt?: (digest: string) => void;
  /**
   * Tasks other graphs of the same build are rendering or have rendered, by key: a task with
   * one of these keys waits for that result instead of rendering it again, and counts as
   * cached, as it would once the other graph's action entry is written. (Variants of a song
   * overlap, so one may ask for a stem another has not committed yet.) Used with the cache only.
   */
  readonly inFlight?: Map<string, Promise<TaskResult>>;
}

/** What a task's result says about resuming (a bus's): the frame it resumed from, or why it did not. */
function resumeFacts(output: TaskOutput): Pick<TaskResult, 'resumedFrom' | 'coldBecause'> {
  return { ...(output.resumedFrom ? { resumedFrom: output.resumedFrom } : {}), ...(output.coldBecause ? { coldBecause: output.coldBecause } : {}) };
}

export async function execute(graph: BuildGraph, options: ExecuteOptions): Promise<Map<string, TaskResult>> {
  const byId = new Map(graph.tasks.map((task) => [task.id, task]));
  const results = new Map<string, TaskResult>();
  const settled = new Map<string, Promise<TaskResult>>();
  const limit = createLimiter(Math.max(1, options.jobs));
  // A task's action entry is its commit marker: written once its objects are on disk (the
  // store may still be writing them behind), while the tasks that read them go on from memory.
  const commits: Promise<void>[] = [];
  const commit = (task: Task, output: TaskOutput): void => {
    const entry = { key: task.key, kind: task.kind, outputs: output.outputs, meta: output.meta, inputs: task.inputs };
    const committed = options.cache.flush(Object.values(output.outputs).map((record) => record.digest)).then(() => options.cache.putAction(entry));
    // Observed now, reported at the end: a failed write must not end the process as an unhandled rejection.
    committed.catch(() => {});
    commits.push(committed);
  };

  /** The output a dependency reference reads: a named one (`stem:x#prefader`) or the task's first. */
  const outputOf = (result: TaskResult, dep: string): OutputRecord => {
    const name = depOutput(dep);
    const record = name ? result.outputs[name] : Object.values(result.outputs)[0];
    if (!record) throw new Error(`task ${result.id} has no output '${name}'`);
    return record;
  };

  const render = async (task: Task): Promise<TaskResult> => {
    let inputs = await Promise.all(task.deps.map(async (dep) => outputOf(await settle(depTaskId(dep)), dep)));
    return limit(async () => {
      // One turn of the event loop first: objects written behind finish (close, rename,
      // action entry) and release their memory between tasks, not only when all are done.
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
      options.onStart?.(task);
      const started = performance.now();
      let output: TaskOutput;
      try {
        output = await options.run(task, inputs, options.context);
      } catch (error) {
        if (!(error instanceof Error && error.name === 'InputMissingError')) throw error;
        // An input vanished or failed its digest check after its hit was taken: render
        // the inputs again (their results replace the cached ones) and retry once.
        const missing = (error as InputMissingError).digest;
        if ((error as InputMissingError).corrupt) options.onCorrupt?.(missing);
        inputs = [];
        for (const dep of task.deps) {
          const id = depTaskId(dep);
          const depTask = byId.get(id)!;
          let result = results.get(id)!;
          if (outputOf(result, dep).digest === missing || !options.cache.hasObject(outputOf(result, dep).digest)) {
            result = await renderUnlimited(depTask);
            results.set(id, result);
          }
          inputs.push(outputOf(result, dep));
        }
        output = await options.run(task, inputs, options.context);
      }
      commit(task, output);
      return { id: task.id, kind: task.kind, key: task.key, status: 'rendered', outputs: output.outputs, meta: output.meta, seconds: (performance.now() - started) / 1000, inWorker: output.inWorker === true, ...resumeFacts(output) };
    });
  };

  /** Re-render a dependency from inside a running task's slot (no second slot: no deadlock). */
  const renderUnlimited = async (task: Task): Promise<TaskResult> => {
    const inputs = task.deps.map((dep) => outputOf(results.get(depTaskId(dep))!, dep));
    const started = performance.now();
    const output = await options.run(task, inputs, options.context);
    commit(task, output);
    const result: TaskResult = { id: task.id, kind: task.kind, key: task.key, status: 'rendered', outputs: output.outputs, meta: output.meta, seconds: (performance.now() - started) / 1000, inWorker: output.inWorker === true, ...resumeFacts(output) };
    options.onDone?.(result);
    return result;
  };

  const settle = (id: string): Promise<TaskResult> => {
    let pending = settled.get(id);
    if (!pending) {
      const task = byId.get(id)!;
      const shared = options.useCache ? options.inFlight : undefined;
      const elsewhere = shared?.get(task.key);
      pending = (async () => {
        const hit = options.useCache ? options.cache.getAction(task.key) : undefined;
        let result: TaskResult;
        if (hit) result = { id, kind: task.kind, key: task.key, status: 'cached', outputs: hit.outputs, meta: hit.meta, seconds: 0 };
        else if (elsewhere) {
          const other = await elsewhere;
          result = { id, kind: task.kind, key: task.key, status: 'cached', outputs: other.outputs, meta: other.meta, seconds: 0 };
        } else result = await render(task);
        results.set(id, result);
        options.onDone?.(result);
        return result;
      })();
      settled.set(id, pending);
      if (shared && !elsewhere && !(options.useCache && options.cache.getAction(task.key))) {
        shared.set(task.key, pending);
        // Observed by whoever waits on it; a failure is reported by this graph.
        pending.catch(() => {});
      }
    }
    return pending;
  };

  // Start everything; the limiter and the dependency awaits give the order.
  try {
    await Promise.all(graph.tasks.map((task) => settle(task.id)));
  } finally {
    // Whatever happened, no write is left running unobserved.
    await Promise.allSettled(commits);
  }
  await Promise.all(commits);
  return new Map(graph.tasks.map((task) => [task.id, results.get(task.id)!]));
}
