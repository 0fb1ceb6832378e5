/**
 * The mixdown command line. `main(args)` returns the exit code:
 * 0 everything built, 1 a song failed, 2 bad usage.
 */
import { resolve } from 'node:path';
import { build } from '../build/build.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { formatDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { parseArgs, type CommandLine } from './args.ts';
import { createBuildPrinter } from './print.ts';

const HELP = `mixdown — songs as code, rendered to stems, mix, master and MIDI

usage:
  mixdown build [song…] [options]   render every song in songs/ (or the ones named) into dist/
  mixdown help                      this text

build options:
  --no-cache     render every task again (results are still stored in the cache)
  --out DIR      write outputs under DIR instead of ./dist
  --jobs N       render up to N tasks at once in worker threads (default: the core count)
  --explain      say, for each task that rendered, which of its inputs changed
  --variant V    build only variant V ('default' is the song as written); repeatable

exit codes: 0 built, 1 a song failed, 2 bad usage
`;

export async function main(args: readonly string[]): Promise<number> {
  let command: CommandLine;
  try {
    command = parseArgs(args);
  } catch (error) {
    printDiagnostics([(error as { diagnostic: Diagnostic }).diagnostic ?? d.badFlag('arguments', String(error))]);
    return 2;
  }
  if (command.name === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const printer = createBuildPrinter(process.stdout, { explain: command.explain });
  const result = await build({
    root: process.cwd(),
    songs: command.songs,
    outDir: command.outDir ? resolve(command.outDir) : undefined,
    useCache: command.useCache,
    jobs: command.jobs,
    variants: command.variants,
    onEvent: printer.event,
  });
  printDiagnostics(result.diagnostics);
  printer.summary(result);
  return result.ok ? 0 : result.diagnostics.some((diagnostic) => diagnostic.code.startsWith('MD4')) && result.songs.length === 0 ? 2 : 1;
}

function printDiagnostics(list: readonly Diagnostic[]): void {
  for (const diagnostic of list) process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
}
