/**
 * Running a song leaves garbage behind: the loader bundles the module (an imported MIDI
 * file's song is 500 KB of note literals, its bundle and source map as large again) and
 * elaboration builds its records. V8 collects it only when this thread allocates enough
 * again, and during a build it mostly waits for the workers: the peers bench's main thread
 * kept ~85 MB of it (heap 117 MB, 30 MB live) through every stem. Collected once the song
 * is analysed, it is gone before the tasks start (a full collection of that heap: ~25 ms).
 *
 * Node exposes no collector to scripts without --expose-gc; the flag can be set at run time
 * and the function taken from a fresh context, as jest's leak detector does.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | null | undefined;

/** A full garbage collection of this thread's heap, where the runtime allows one; otherwise nothing. */
export function collectGarbage(): void {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collector = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collector = null;
    }
  }
  collector?.();
}
