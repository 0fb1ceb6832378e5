/** Runs tasks sent by WorkerPool. Outputs go straight to the object store; only records come back. */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import { taskPlugins, type Task } from '../plan/graph.ts';
import type { ServiceRequest, WorkerIdle, WorkerReply, WorkerRequest } from './pool.ts';
import { serveMasterFiles } from './master-files-thread.ts';
import { forgetSoundfonts } from '../instruments/soundfont.ts';
import { collectGarbage } from '../load/collect.ts';
import type { ModuleRunner } from '../load/module-runner.ts';
import { isRegistered } from '../registry/registry.ts';
import { vouchDigests } from '../registry/file-store.ts';
import { InputMissingError, runTask, storeFor, trustObjects } from './run-task.ts';

// The launcher's globals (package root, public API) do not reach worker threads: take them
// from the pool, so paths.ts answers here as in the main thread.
const launch = globalThis as { __mixdownPackageRoot?: string; __mixdownApiEntry?: string };
const given = workerData as { packageRoot?: string; apiEntry?: string } | undefined;
if (given?.packageRoot) launch.__mixdownPackageRoot = given.packageRoot;
if (given?.apiEntry) launch.__mixdownApiEntry = given.apiEntry;

/** The runner of the project's plugins, started the first time a task needs one. */
let pluginRunner: Promise<ModuleRunner> | undefined;

/** Execute the project plugins a task uses that this thread has not registered yet. */
async function ensurePlugins(task: Task, projectRoot: string): Promise<void> {
  const needed = taskPlugins(task).filter((plugin) => !isRegistered(plugin.kind, plugin.name)).map((plugin) => plugin.source);
  if (needed.length === 0) return;
  pluginRunner ??= import('../load/module-runner.ts').then(({ ModuleRunner }) => ModuleRunner.create(projectRoot));
  const runner = await pluginRunner;
  for (const source of new Set(needed)) await runner.run(join(projectRoot, source));
}

const port = parentPort!;
port.on('message', async (request: WorkerRequest | ServiceRequest | WorkerIdle) => {
  if ('idle' in request) {
    // No task for a while: what was kept for the next one goes, and the memory it held.
    forgetSoundfonts();
    collectGarbage();
    return;
  }
  if ('service' in request) {
    // The service reports its own errors on its port; the pool only learns it is over.
    await serveMasterFiles(request.port, storeFor(request.cacheRoot), request.spec, request.part);
    port.postMessage({ id: request.id, ok: true, output: { outputs: {}, meta: {}, data: {} } } satisfies WorkerReply);
    return;
  }
  let reply: WorkerReply;
  try {
    await ensurePlugins(request.task, request.context.projectRoot);
    if (request.trusted) trustObjects(request.context.cacheRoot, request.trusted);
    if (request.digests) vouchDigests(request.digests);
    reply = { id: request.id, ok: true, output: await runTask(request.task, request.inputs, request.context, request.inline) };
  } catch (error) {
    if (error instanceof InputMissingError) reply = { id: request.id, ok: false, message: error.message, missing: { digest: error.digest, corrupt: error.corrupt } };
    else if (error instanceof MixdownError) reply = { id: request.id, ok: false, diagnostics: [...error.diagnostics], message: error.message };
    else reply = { id: request.id, ok: false, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  // The bytes move to the main thread without a copy; this thread does not need them again.
  const transfer = reply.ok ? Object.values(reply.output.data).map((bytes) => bytes.buffer as ArrayBuffer) : [];
  port.postMessage(reply, transfer);
});
port.postMessage({ ready: true });
