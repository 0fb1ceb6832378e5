/**
 * Files a task reads by their project path (samples, impulse responses, a reference track, a
 * SoundFont): their content hash is in the task's key, so the bytes read must be the bytes hashed.
 */
import { join } from 'node:path';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import type { RandomAccessFile } from '../io/file-pieces.ts';
import { openProjectFile, readProjectFile } from '../registry/file-store.ts';

/** Read `file` from the project and check it against its hash (MD312 when it changed since planning). */
export function readDeclaredFile(projectRoot: string, file: { readonly path: string; readonly sha256: string }, where: { readonly file: string; readonly song: string }): Uint8Array {
  // Read and hashed once per thread while the file is unchanged: every track playing the
  // same sample gets the same bytes.
  const { bytes, sha256 } = readProjectFile(join(projectRoot, file.path));
  if (sha256 !== file.sha256) throw new MixdownError(d.referenceChanged(where, file.path));
  return bytes;
}

/**
 * `file` for positioned reads, checked against its hash like `readDeclaredFile` but without
 * reading it whole: the digest is the one this thread (or the thread that planned, which
 * vouched for it) took while the file's stat is unchanged, and each read checks the stat
 * again (a file changed since throws FileChangedError, which a task reports as MD312).
 */
export function openDeclaredFile(projectRoot: string, file: { readonly path: string; readonly sha256: string }, where: { readonly file: string; readonly song: string }): { readonly file: RandomAccessFile; readonly sha256: string } {
  const opened = openProjectFile(join(projectRoot, file.path));
  if (opened.sha256 !== file.sha256) throw new MixdownError(d.referenceChanged(where, file.path));
  return opened;
}
