/**
 * `npm run bench`: build benchmarks on the demo song, each build in a fresh process.
 * Cold build (× realtime), no-op rebuild and one-track-edit rebuild (as ratios of cold),
 * peak RSS. Ratios are what to compare across machines; seconds are this machine's.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

interface BuildFigures {
  ok: boolean;
  seconds: number;
  rendered: number;
  cached: number;
  audioSeconds: number;
  maxRssMb: number;
}

/** Wall time of the whole command (process start included, as a user waits for it). */
function buildOnce(root: string, jobs?: number): BuildFigures {
  const started = performance.now();
  const child = spawnSync(process.execPath, [join(repo, 'bin/run-ts.js'), 'bench/build-once.ts', root, ...(jobs ? [String(jobs)] : [])], {
    cwd: repo,
    encoding: 'utf8',
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0) throw new Error(`build failed:\n${child.stdout}\n${child.stderr}`);
  return { ...(JSON.parse(line) as BuildFigures), seconds: (performance.now() - started) / 1000 };
}

export async function main(): Promise<number> {
  const song = 'demo';
  const root = mkdtempSync(join(tmpdir(), 'mixdown-bench-'));
  try {
    cpSync(join(repo, 'songs', song), join(root, 'songs', song), { recursive: true });
    const cold = buildOnce(root);
    const noop = buildOnce(root);
    const file = join(root, 'songs', song, 'song.ts');
    const source = readFileSync(file, 'utf8');
    const edited = source.replace('BENCH_EDIT_SEED = 1', 'BENCH_EDIT_SEED = 2');
    if (edited === source) throw new Error(`songs/${song}/song.ts lost its BENCH_EDIT_SEED marker`);
    writeFileSync(file, edited);
    const edit = buildOnce(root);
    rmSync(join(root, '.mixdown'), { recursive: true, force: true });
    const coldOneJob = buildOnce(root, 1);
    const rows = [
      ['demo audio', `${cold.audioSeconds.toFixed(1)} s`],
      ['cold build (default jobs)', `${cold.seconds.toFixed(2)} s = ${(cold.audioSeconds / cold.seconds).toFixed(1)}× realtime, ${cold.rendered} tasks, peak RSS ${cold.maxRssMb.toFixed(0)} MB`],
      ['cold build (--jobs 1)', `${coldOneJob.seconds.toFixed(2)} s = ${(coldOneJob.audioSeconds / coldOneJob.seconds).toFixed(1)}× realtime, peak RSS ${coldOneJob.maxRssMb.toFixed(0)} MB`],
      ['no-op rebuild', `${noop.seconds.toFixed(2)} s = ${((noop.seconds / cold.seconds) * 100).toFixed(1)}% of cold (${noop.rendered} rendered)`],
      ['one-track edit', `${edit.seconds.toFixed(2)} s = ${((edit.seconds / cold.seconds) * 100).toFixed(1)}% of cold (${edit.rendered} rendered)`],
    ];
    for (const [name, value] of rows) console.log(`${name.padEnd(28)} ${value}`);
    console.log('targets: cold ≥ 50× realtime, no-op ≤ 10% of cold, one-track edit ≤ 35% of cold');
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
