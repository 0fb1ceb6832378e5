/**
 * Which module called defineEffect/defineInstrument: a project plugin's source file, so its
 * code (and the project files it imports) can be hashed into the keys of the tasks that use
 * it. Read from the stack — vite-node runs project modules under their own file paths — as
 * the frame right after the define call. Built-ins (mixdown's own src/ or bundle) give null.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { packageRoot } from '../paths.ts';

export function callerModule(defineName: string): string | null {
  const lines = (new Error().stack ?? '').split('\n');
  const at = lines.findIndex((line) => line.includes(`at ${defineName} (`) || line.includes(`at ${defineName}$`));
  if (at < 0) return null;
  for (const line of lines.slice(at + 1)) {
    const match = /(?:\(|at )((?:file:\/\/)?\/[^():\s]+):\d+:\d+\)?\s*$/.exec(line);
    if (!match) continue;
    const path = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    if (path.includes('/node_modules/') || path.startsWith(join(packageRoot(), 'src') + '/')) return null;
    return path;
  }
  return null;
}
