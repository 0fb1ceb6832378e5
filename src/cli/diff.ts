/**
 * `mixdown diff [<a>] [<b>] [song…]`: which positionals are sides and which are songs, the
 * comparison, and its printing (text, --json, --format md) and saving (--save).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diffProject, saveDiffs } from '../pipeline/diff.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { formatDiffMarkdown, formatDiffText } from '../report/diff-format.ts';
import type { CommandLine } from './args.ts';

export interface DiffCommandOutput {
  readonly code: number;
  readonly stdout: string;
  /** Progress and file notes, for stderr. */
  readonly messages: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Exit code 2 for what was asked wrongly (a side that is no revision, mismatched sides, no git). */
const USAGE_CODES = new Set(['MD402', 'MD420', 'MD423', 'MD424']);

export async function diffCommand(root: string, command: Extract<CommandLine, { name: 'diff' }>, onProgress?: (message: string) => void): Promise<DiffCommandOutput> {
  // Positionals are sides until the first one that names a song of the working tree (or two
  // sides were given); the rest are songs. After `--` everything is a song.
  const sides: string[] = [];
  const songs: string[] = [];
  for (const arg of command.positionals) {
    if (songs.length || sides.length === 2 || existsSync(join(root, 'songs', arg, 'song.ts'))) songs.push(arg);
    else sides.push(arg);
  }
  songs.push(...command.songs);
  const outcome = await diffProject({ root, a: sides[0], b: sides[1], songs, variants: command.variants, jobs: command.jobs, onProgress });
  const messages: string[] = [];
  let stdout = '';
  if (outcome.result) {
    const options = { notes: command.notes };
    stdout = command.json ? `${JSON.stringify(outcome.result, null, 2)}\n` : command.format === 'md' ? formatDiffMarkdown(outcome.result, options) : formatDiffText(outcome.result, options);
    if (command.save) for (const path of await saveDiffs(root, resolve(root, command.outDir ?? 'dist'), outcome.result)) messages.push(`wrote ${path}`);
  }
  const code = outcome.ok ? 0 : outcome.diagnostics.some((diagnostic) => USAGE_CODES.has(diagnostic.code)) ? 2 : 1;
  return { code, stdout, messages, diagnostics: outcome.diagnostics };
}
