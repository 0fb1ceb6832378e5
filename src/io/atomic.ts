/**
 * Atomic file writes: write a temp file beside the target, then rename it over the target.
 * A reader, or a build killed at any moment, sees the old file or the new one, never half.
 * No fsync: a killed process cannot lose data the kernel already holds, and syncing every
 * 60 MB stem doubled build times. (Power loss may leave a truncated cache object; reads
 * verify digests, so it would be re-rendered, and a dist file would be rewritten next build.)
 */
import { closeSync, copyFileSync, linkSync, mkdirSync, openSync, renameSync, rmSync, statSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

let counter = 0;

/** Temp name in the target's folder (rename is atomic only within one file system). */
export function tempPath(path: string): string {
  counter += 1;
  // Worker threads share the pid and each has its own counter: the thread id keeps them apart.
  return `${path}.${process.pid}.${threadId}_${counter}.tmp`;
}

/** A temp file (`name.<pid>.<thread>_<n>.tmp`) left by a process that no longer runs: a killed write's. */
export function isOrphanTemp(name: string): boolean {
  const match = /\.(\d+)\.(?:\d+_)?\d+\.tmp$/.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false; // still running: a concurrent build is writing it
  } catch {
    return true;
  }
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPath(path);
  try {
    const fd = openSync(temp, 'w');
    try {
      const bytes = toBytes(data);
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Write a file atomically in the background: the file is opened here and its bytes written
 * by libuv's thread pool in one request, so the copy proceeds while this thread computes;
 * closing and renaming (cheap) happen when the thread next turns the event loop. `data`
 * must not change until the promise settles.
 */
export function writeFileBehind(path: string, data: Uint8Array): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPath(path);
  const fd = openSync(temp, 'w');
  return new Promise<void>((resolveWrite, rejectWrite) => {
    const fail = (error: unknown) => {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
      rmSync(temp, { force: true });
      rejectWrite(error);
    };
    const from = (offset: number) =>
      write(fd, data, offset, data.byteLength - offset, offset, (error, written) => {
        if (error) return fail(error);
        if (offset + written < data.byteLength) return from(offset + written);
        try {
          closeSync(fd);
          renameSync(temp, path);
          resolveWrite();
        } catch (closeError) {
          rmSync(temp, { force: true });
          rejectWrite(closeError);
        }
      });
    from(0);
  });
}

/** Copy a file atomically (the kernel copies; on copy-on-write file systems it shares blocks). */
export function copyFileAtomicSync(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const temp = tempPath(to);
  try {
    copyFileSync(from, temp);
    renameSync(temp, to);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Put a file at `to` that shares `from`'s content: a hard link when both are on one file
 * system (no bytes copied), else a copy; either way by temp name + rename. Used to emit
 * cache objects into dist/; an object edited in place through its link fails its digest
 * check on the next read and is re-rendered.
 */
export function linkOrCopyAtomicSync(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  // Already a link to this object (e.g. a killed build emitted it but did not record it):
  // nothing to do. This check is also needed for correctness, not only speed: rename() of one
  // link onto another link of the same inode succeeds and does nothing (POSIX), which would
  // leave the temp link behind under this live process's pid, where no sweep removes it.
  if (sameFile(from, to)) return;
  const temp = tempPath(to);
  try {
    try {
      linkSync(from, temp);
    } catch {
      copyFileSync(from, temp);
    }
    renameSync(temp, to);
    rmSync(temp, { force: true }); // the same-inode no-op rename above, if `to` became a link meanwhile
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function sameFile(a: string, b: string): boolean {
  const statA = statSync(a, { throwIfNoEntry: false });
  const statB = statSync(b, { throwIfNoEntry: false });
  return statA !== undefined && statB !== undefined && statA.ino === statB.ino && statA.dev === statB.dev;
}
