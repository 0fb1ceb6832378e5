/** Plain-line progress for `mixdown build`: one line per task as it renders or comes from the cache. */
import type { Writable } from 'node:stream';
import type { BuildEvent, BuildResult } from '../build/build.ts';
import { formatDiagnostic } from '../diagnostics/diagnostic.ts';

export function createBuildPrinter(out: Writable, options: { explain?: boolean } = {}) {
  const started = performance.now();
  const write = (line: string) => out.write(`${line}\n`);
  let currentVariant: string | null = null;
  return {
    event(event: BuildEvent): void {
      switch (event.type) {
        case 'song-start':
          write(`${event.song}`);
          currentVariant = null;
          break;
        case 'task-done': {
          const { result } = event;
          if (event.variant !== currentVariant) {
            currentVariant = event.variant;
            write(`${event.song} — variant ${event.variant ?? 'default'}`);
          }
          write(result.status === 'cached' ? `  cached    ${result.id}` : `  rendered  ${result.id}  ${result.seconds.toFixed(2)}s`);
          if (options.explain && event.reasons) for (const reason of event.reasons) write(`              because ${reason}`);
          break;
        }
        case 'song-done':
          {
            const m = event.report.master;
            write(`  → ${event.dir}  (${event.report.durationSeconds.toFixed(1)}s, master ${m.integrated ?? '-inf'} LUFS, ${m.truePeakDb ?? '-inf'} dBTP${m.target ? `, target ${m.target.integrated} LUFS ${m.meetsTarget ? 'met' : 'MISSED'}` : ''})`);
            if (m.reference) {
              const r = m.reference;
              const signed = (value: number | null) => (value === null ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(1)}`);
              write(`    vs ${r.file}: ${signed(r.deltas.integrated)} LU, range ${signed(r.deltas.range)} LU, true peak ${signed(r.deltas.truePeakDb)} dB, width ${signed(r.deltas.sideToMidDb)} dB`);
              write(`    octaves ${r.bands.map((band) => `${band.hz >= 1000 ? `${band.hz / 1000}k` : band.hz}:${signed(band.delta)}`).join(' ')}`);
            }
          }
          break;
        case 'song-failed':
          write(`  failed: ${event.song}${event.variant ? ` (variant ${event.variant})` : ''}`);
          for (const diagnostic of event.diagnostics) process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
          break;
        case 'warning':
          process.stderr.write(`${formatDiagnostic(event.diagnostic)}\n`);
          break;
        case 'task-start':
          break;
      }
    },
    summary(result: BuildResult): void {
      const failed = result.songs.filter((song) => !song.ok).length;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      write(
        `${result.songs.length - failed} of ${result.songs.length} songs built, ${result.rendered} tasks rendered, ${result.cached} cached, in ${seconds}s` +
          (failed ? ` — ${failed} failed` : ''),
      );
    },
  };
}
