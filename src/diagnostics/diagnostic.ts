/**
 * Errors are values: a code, a message, a source location and a hint. They are made by
 * the named factories in catalogue.ts and thrown (when they must unwind) as MixdownError.
 */

export interface SourceLocation {
  /** File path relative to the project root, forward slashes. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
}

export interface Diagnostic extends SourceLocation {
  /** Stable code, e.g. `MD201`. Documented in README.md. */
  readonly code: string;
  readonly severity: 'error' | 'warning';
  /** What is wrong, naming the song and the track or bus. */
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
  /** Song id the diagnostic belongs to. */
  readonly song?: string;
  /** Track id, when it is about one track. */
  readonly track?: string;
  /** A few lines of the source with a caret under the column. */
  readonly frame?: string;
  /** Keys and indices from the song object to the value it is about; refined into line and column by source-path.ts. */
  readonly path?: readonly (string | number)[];
}

export class MixdownError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: Diagnostic | readonly Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? (diagnostics as readonly Diagnostic[]) : [diagnostics as Diagnostic];
    super(list.map((d) => `${d.code} ${d.message}`).join('\n'));
    this.name = 'MixdownError';
    this.diagnostics = list;
  }
}

/** `file:line:col code message` then the frame and the hint, as the CLI prints it. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = [diagnostic.file, diagnostic.line, diagnostic.line ? diagnostic.column ?? 1 : undefined]
    .filter((part) => part !== undefined)
    .join(':');
  const lines = [`${where} ${diagnostic.severity === 'warning' ? 'warning ' : ''}${diagnostic.code} ${diagnostic.message}`];
  if (diagnostic.frame) lines.push(diagnostic.frame);
  if (diagnostic.hint) lines.push(`  hint: ${diagnostic.hint}`);
  return lines.join('\n');
}

/** A code frame: the line before, the line, the line after, and a caret. */
export function codeFrame(source: string, line: number, column = 1): string {
  const lines = source.split(/\r?\n/);
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}
