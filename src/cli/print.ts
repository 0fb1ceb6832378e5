/**
 * Progress for `mixdown build`. On a terminal (and not under CI=true) a single line per
 * song redraws with a bar, the count of tasks done and an ETA; otherwise plain lines, one
 * per task. `--quiet` keeps only errors and the summary; no colours are used, so NO_COLOR
 * needs nothing.
 */
import type { Writable } from 'node:stream';
import type { BuildEvent, BuildResult } from '../pipeline/build.ts';
import { formatDiagnostic } from '../diagnostics/diagnostic.ts';

export interface PrinterOptions {
  readonly explain?: boolean;
  readonly quiet?: boolean;
  /** Redraw a progress bar in place (a terminal outside CI). */
  readonly tty?: boolean;
}

export function createBuildPrinter(out: Writable, options: PrinterOptions = {}) {
  const started = performance.now();
  const write = (line: string) => {
    if (barShown) {
      out.write('\r\u001b[2K');
      barShown = false;
    }
    out.write(`${line}\n`);
  };
  let currentVariant: string | null = null;
  let barShown = false;
  let total = 0;
  let done = 0;
  let songStarted = performance.now();
  const drawBar = () => {
    const width = 24;
    const filled = total ? Math.round((done / total) * width) : 0;
    const elapsed = (performance.now() - songStarted) / 1000;
    const eta = done > 0 && done < total ? ` ETA ${((elapsed / done) * (total - done)).toFixed(1)}s` : '';
    out.write(`\r\u001b[2K  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} tasks${eta}`);
    barShown = true;
  };
  return {
    event(event: BuildEvent): void {
      if (options.quiet) {
        if (event.type === 'song-failed' || event.type === 'warning') {
          const list = event.type === 'warning' ? [event.diagnostic] : event.diagnostics;
          for (const diagnostic of list) process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
        }
        return;
      }
      if (options.tty && event.type === 'task-start') return;
      if (options.tty && event.type === 'task-done' && !options.explain) {
        done++;
        drawBar();
        return;
      }
      switch (event.type) {
        case 'song-start':
          write(`${event.song}`);
          currentVariant = null;
          break;
        case 'plan':
          songStarted = performance.now();
          done = 0;
          total = event.tasks;
          break;
        case 'task-done': {
          const { result } = event;
          if (event.variant !== currentVariant) {
            currentVariant = event.variant;
            write(`${event.song} — variant ${event.variant ?? 'default'}`);
          }
          const where = options.explain && result.inWorker ? '  in a worker' : '';
          const resumed = result.resumedFrom ? `  resumed from frame ${result.resumedFrom}` : '';
          write(result.status === 'cached' ? `  cached    ${result.id}${result.remote ? '  from the remote cache' : ''}` : `  rendered  ${result.id}  ${result.seconds.toFixed(2)}s${resumed}${where}`);
          if (options.explain && result.coldBecause) write(`              from frame 0: ${result.coldBecause}`);
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
        case 'shard':
          write(
            `shard ${event.shard.index}/${event.shard.count} (split ${event.split.fingerprint}, by ${event.split.by}): ${event.units.length ? event.units.join(', ') : 'nothing to build'}`,
          );
          break;
        case 'task-start':
          break;
      }
    },
    summary(result: BuildResult): void {
      if (barShown) write('');
      const failed = result.songs.filter((song) => !song.ok).length;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      write(
        `${result.songs.length - failed} of ${result.songs.length} songs built, ${result.rendered} tasks rendered, ${result.cached} cached${result.fromRemote ? ` (${result.fromRemote} from the remote cache)` : ''}, in ${seconds}s` +
          (failed ? ` — ${failed} failed` : ''),
      );
      const { remote } = result;
      if (remote) {
        const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
        write(
          `remote cache ${remote.url}${remote.readOnly ? ' (read-only)' : ''}: ${remote.hits} hits, ${remote.misses} misses, ${mb(remote.downloadedBytes)} down; ` +
            `${remote.uploadedEntries} entries and ${remote.uploadedObjects} objects up (${mb(remote.uploadedBytes)})${remote.rejected ? `; ${remote.rejected} rejected` : ''}${remote.disabled ? '; switched off after a fault' : ''}`,
        );
      }
    },
  };
}
