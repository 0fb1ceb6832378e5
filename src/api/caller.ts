/**
 * Which module called defineEffect/defineInstrument: a project plugin's source file, so its
 * code (and the project files it imports) can be hashed into the keys of the tasks that use
 * it. Read from the stack — the song loader's bundles carry source maps, so each project
 * module's frames show its own file — as the frame right after the define call. Built-ins
 * (mixdown's own src/ or bundle) give null. Also where a stack frame is (`framePosition`).
 */
import { fileURLToPath } from 'node:url';
import { findSourceMap } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.ts';

export function callerModule(defineName: string): string | null {
  const lines = (new Error().stack ?? '').split('\n');
  const at = lines.findIndex((line) => line.includes(`at ${defineName} (`) || line.includes(`at ${defineName}$`));
  if (at < 0) return null;
  for (const line of lines.slice(at + 1)) {
    const frame = framePosition(line);
    if (!frame) continue;
    if (frame.path.includes('/node_modules/') || frame.path.startsWith(join(packageRoot(), 'src') + '/')) return null;
    return frame.path;
  }
  return null;
}

/** Where one line of a stack trace (`at f (/path:line:col)`, `at /path:line:col`) points, in the project's own files; undefined for other lines. */
export function framePosition(stackLine: string): { path: string; line: number; column: number } | undefined {
  const match = /(?:\(|at )((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?\s*$/.exec(stackLine);
  return match ? originalPosition(match[1], Number(match[2]), Number(match[3])) : undefined;
}

/**
 * A stack frame's place in the project's own files. Node maps frames of the song loader's
 * bundles through their source maps when it formats a stack itself; a test runner that formats
 * stacks its own way leaves them at the bundle's script, which this maps (1-based line and column).
 */
function originalPosition(file: string, line: number, column: number): { path: string; line: number; column: number } {
  const path = file.startsWith('file://') ? fileURLToPath(file) : file;
  const entry = findSourceMap(path)?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (!entry?.originalSource || entry.originalLine === undefined) return { path, line, column };
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
  return { path: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
}
