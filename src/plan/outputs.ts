/**
 * What executing a build graph yields, as plain data: each task's result and where each
 * output lands in dist/. The orchestration produces these; the report and the CLI read them.
 */
import type { OutputRecord } from '../cache/store.ts';
import type { Task } from './graph.ts';

/** One output file of a task and where it lands inside dist/<song>/. */
export interface OutputPath {
  readonly task: string;
  /** The task's output name (`audio`, `audio16`, `midi`). */
  readonly output: string;
  readonly path: string;
}

export type TaskStatus = 'rendered' | 'cached';

export interface TaskResult {
  readonly id: string;
  readonly kind: Task['kind'];
  readonly key: string;
  readonly status: TaskStatus;
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  readonly meta: Readonly<Record<string, number>>;
  /** Wall time of the render, 0 for a cache hit. Printed, never written to outputs. */
  readonly seconds: number;
  /** Rendered by a worker thread rather than the main thread. Printed, never written to outputs. */
  readonly inWorker?: boolean;
  /** A cache hit that came from the remote cache (verified, then stored locally). */
  readonly remote?: boolean;
  /** A bus rendered from a checkpoint of its last render: the frame it started from (printed, never written to outputs). */
  readonly resumedFrom?: number;
  /** Why a bus with an earlier render started from frame 0 instead (printed with --explain). */
  readonly coldBecause?: string;
}
