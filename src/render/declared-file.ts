/**
 * Files a task reads by their project path (samples, impulse responses, a reference track):
 * their content hash is in the task's key, so the bytes read must be the bytes hashed.
 */
import { join } from 'node:path';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import { readProjectFile } from '../registry/file-store.ts';

/** Read `file` from the project and check it against its hash (MD312 when it changed since planning). */
export function readDeclaredFile(projectRoot: string, file: { readonly path: string; readonly sha256: string }, where: { readonly file: string; readonly song: string }): Uint8Array {
  // Read and hashed once per thread while the file is unchanged: every track playing the
  // same SoundFont gets the same bytes (and so the same parsed bank).
  const { bytes, sha256 } = readProjectFile(join(projectRoot, file.path));
  if (sha256 !== file.sha256) throw new MixdownError(d.referenceChanged(where, file.path));
  return bytes;
}
