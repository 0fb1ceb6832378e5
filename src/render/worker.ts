/** Runs tasks sent by WorkerPool. Outputs go straight to the object store; only records come back. */
import { parentPort } from 'node:worker_threads';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import type { WorkerReply, WorkerRequest } from './pool.ts';
import { InputMissingError, runTask } from './run-task.ts';

const port = parentPort!;
port.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id: request.id, ok: true, output: await runTask(request.task, request.inputs, request.context) };
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
