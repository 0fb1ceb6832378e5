/**
 * Finds where in a song's source a track or a song option is written, so a validation
 * error can point at a line. A text search is enough for the common layout
 * (`tracks: { bass: { … } }`); when the key is not written literally the error names the
 * file alone.
 */
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import { codeFrame } from '../diagnostics/diagnostic.ts';

export interface SongSource {
  /** Song file relative to the project root. */
  readonly file: string;
  /** Its text, when it could be read. */
  readonly text?: string;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Location of the first `key:` (quoted or not) in the source, after `after` when given. */
export function locateKey(source: SongSource, key: string, after?: string): SourceLocation & { frame?: string } {
  const text = source.text;
  if (!text) return { file: source.file };
  let from = 0;
  if (after) {
    const anchor = new RegExp(`(^|[\\s{,])['"]?${escape(after)}['"]?\\s*:`, 'm').exec(text);
    if (anchor) from = anchor.index + anchor[0].length;
  }
  const pattern = new RegExp(`(^|[\\s{,])(['"]?)${escape(key)}\\2\\s*:`, 'gm');
  pattern.lastIndex = from;
  const match = pattern.exec(text);
  if (!match) return { file: source.file };
  const offset = match.index + match[1].length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { file: source.file, line, column, frame: codeFrame(text, line, column) };
}
