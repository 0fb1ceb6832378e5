/**
 * `npm run bench`: build benchmarks on the demo song as written (not its variants), each
 * build a fresh `mixdown build --variant default` process, then issue 13's peer comparison
 * (bench/peers.ts). `npm run bench -- peers` runs the peer comparison alone.
 * Cold build (× realtime), no-op rebuild and one-track-edit rebuild (as ratios of cold),
 * peak RSS. Ratios are what to compare across machines; seconds are this machine's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { effectRows } from './effects.ts';
import { peerRows } from './peers.ts';
import { benchSoundfont } from './soundfont.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

interface BuildFigures {
  seconds: number;
  rendered: number;
  cached: number;
  maxRssMb: number;
  /** The tasks that rendered, with their own wall seconds (from `--json`). */
  tasks: { id: string; seconds: number }[];
}

/**
 * One `mixdown build --json` exactly as a user runs it, in a fresh process: wall time from
 * process start to exit, peak RSS from a preloaded exit hook.
 */
function buildOnce(root: string, jobs?: number, variant = 'default'): BuildFigures {
  const started = performance.now();
  const child = spawnSync(
    process.execPath,
    ['--import', join(repo, 'bench/rss-reporter.mjs'), join(repo, 'bin/mixdown.js'), 'build', '--json', '--variant', variant, ...(jobs ? ['--jobs', String(jobs)] : [])],
    { cwd: root, encoding: 'utf8' },
  );
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`build failed:\n${child.stdout}\n${child.stderr}`);
  const rss = /BENCH_RSS_MB ([\d.]+)/.exec(child.stderr);
  if (!rss) throw new Error(`unexpected output:\n${child.stderr}`);
  const summary = JSON.parse(child.stdout) as { rendered: number; cached: number; songs: { tasks: { id: string; seconds?: number }[] }[] };
  const tasks = summary.songs.flatMap((song) => song.tasks.flatMap((task) => (task.seconds === undefined ? [] : [{ id: task.id, seconds: task.seconds }])));
  return { seconds, rendered: summary.rendered, cached: summary.cached, maxRssMb: Number(rss[1]), tasks };
}

/** "stem:lead 0.31, bus:hall 2.40, …": where a rebuild's time went. */
function taskBreakdown(figures: BuildFigures): string {
  return figures.tasks.map((task) => `${task.id} ${task.seconds.toFixed(2)}`).join(', ');
}

/** Best of three wall times of a command, in seconds. */
function bestOf(command: string, args: string[], cwd: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const run = spawnSync(command, args, { cwd, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr}`);
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return best;
}

/** `mixdown analyze` (I, LRA, true peak) against `ffmpeg -af ebur128=peak=true` on the demo's master. */
function loudnessRows(master: string, audioSeconds: number): string[][] {
  const ours = bestOf(process.execPath, [join(repo, 'bin/mixdown.js'), 'analyze', master], repo);
  const rows = [['analyze master (I, LRA, TP)', `${ours.toFixed(2)} s = ${(audioSeconds / ours).toFixed(0)}× realtime`]];
  if (spawnSync('ffmpeg', ['-version']).status === 0) {
    const ffmpeg = bestOf('ffmpeg', ['-nostats', '-hide_banner', '-i', master, '-af', 'ebur128=peak=true', '-f', 'null', '-'], repo);
    rows.push(['ffmpeg ebur128=peak=true', `${ffmpeg.toFixed(2)} s; mixdown is ${(ffmpeg / ours).toFixed(2)}× ffmpeg's speed`]);
  } else rows.push(['ffmpeg ebur128=peak=true', 'ffmpeg not installed: no comparison']);
  return rows;
}

/** A song of `count` identical-length synth tracks, built cold with one job: its peak RSS. */
function rssForTracks(count: number): number {
  const root = mkdtempSync(join(tmpdir(), 'mixdown-rss-'));
  try {
    const tracks = Array.from({ length: count }, (_, i) => `    t${i}: { instrument: synth(), gain: -30, notes: repeat([{ pitch: ${36 + (i % 36)}, start: '0:0', length: '2n' }], 30, '1m') },`).join('\n');
    const song = `import { defineSong, repeat, synth } from 'mixdown';\nexport default defineSong({ title: 'RSS', tempo: 120, tail: 0, tracks: {\n${tracks}\n} });\n`;
    mkdirSync(join(root, 'songs', 'rss'), { recursive: true });
    writeFileSync(join(root, 'songs', 'rss', 'song.ts'), song);
    return buildOnce(root, 1).maxRssMb;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Issue 13's "huge song": `tracks` synth tracks × `seconds` of a note per bar each, mastered to a
 * loudness target, built cold at the default jobs. Peak RSS against the song's size says
 * whether memory is bounded: the same for 64 tracks as for 8, for 10 minutes as for 1.
 */
function hugeSong(tracks: number, seconds: number): { seconds: number; maxRssMb: number; audioMb: number } {
  const root = mkdtempSync(join(tmpdir(), 'mixdown-huge-'));
  try {
    const bars = Math.round(seconds / 2); // 4/4 at 120 BPM: 2 s a bar
    const song = [
      "import { defineSong, repeat, synth } from 'mixdown';",
      `const tracks = Object.fromEntries(Array.from({ length: ${tracks} }, (_, t) => [\`t\${t}\`, { instrument: synth(), gain: -36, pan: ((t % 9) - 4) / 4, notes: repeat([{ pitch: 36 + (t % 36), start: '0:0' as const, length: '2n' as const }], ${bars}, '1m') }]));`,
      "export default defineSong({ title: 'Huge', tempo: 120, tail: 0, tracks, master: { loudness: { target: -16 } } });",
    ].join('\n');
    mkdirSync(join(root, 'songs', 'huge'), { recursive: true });
    writeFileSync(join(root, 'songs', 'huge', 'song.ts'), song);
    const figures = buildOnce(root);
    // Every stem, the mix and the master as float32 stereo: what the build streamed.
    const audioMb = ((tracks + 2) * seconds * 48_000 * 8) / 1e6;
    return { seconds: figures.seconds, maxRssMb: figures.maxRssMb, audioMb };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `npm run bench -- huge`: peak RSS of songs from 8 tracks × 1 minute to 64 tracks × 10 minutes. */
function hugeRows(): string[][] {
  return [[8, 60], [8, 600], [64, 60], [64, 600]].map(([tracks, seconds]) => {
    const run = hugeSong(tracks, seconds);
    return [`${tracks} tracks × ${seconds / 60} min`, `${run.seconds.toFixed(1)} s, peak RSS ${run.maxRssMb.toFixed(0)} MB (${(run.audioMb / 1000).toFixed(1)} GB of float audio streamed)`];
  });
}

/**
 * A stems-dominated song (8 synth tracks of 2 minutes, unison chords, no mastering chain)
 * built cold at --jobs 1 and 2 in fresh processes, its stems phase timed by the build, best
 * of three each: issue 7's "2 jobs ≥ 1.7× faster than 1 on stems".
 */
export function stemsJobs(): { one: number; two: number } {
  const root = mkdtempSync(join(tmpdir(), 'mixdown-stems-'));
  try {
    const song = [
      "import { defineSong, repeat, synth } from 'mixdown';",
      "const chord = (root: number) => [0, 3, 7, 10, 12, 15].map((i) => ({ pitch: root + i, start: '0:0' as const, length: '4n' as const }));",
      "const bar = (root: number) => [...chord(root), ...chord(root).map((n) => ({ ...n, start: '0:2' as const }))];",
      "const tracks = Object.fromEntries(Array.from({ length: 8 }, (_, t) => [`t${t}`, { instrument: synth({ unison: 4 }), gain: -30, notes: repeat(bar(40 + t), 60, '1m') }]));",
      "export default defineSong({ title: 'Stems', tempo: 120, tail: 0, tracks, master: {} });",
    ].join('\n');
    mkdirSync(join(root, 'songs', 'stems'), { recursive: true });
    writeFileSync(join(root, 'songs', 'stems', 'song.ts'), song);
    // The stems phase as the build itself times it (--json stemsSeconds): first stem
    // started to last stem finished, without process start, loading, mix and master.
    const best = (jobs: number): number => {
      let fastest = Infinity;
      for (let run = 0; run < 3; run++) {
        rmSync(join(root, '.mixdown'), { recursive: true, force: true });
        rmSync(join(root, 'dist'), { recursive: true, force: true });
        const child = spawnSync(process.execPath, [join(repo, 'bin/mixdown.js'), 'build', '--json', '--jobs', String(jobs)], { cwd: root, encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`stems bench build failed:\n${child.stdout}\n${child.stderr}`);
        fastest = Math.min(fastest, (JSON.parse(child.stdout) as { songs: { stemsSeconds: number }[] }).songs[0].stemsSeconds);
      }
      return fastest;
    };
    buildOnce(root, 1); // warm the bundle and the file cache
    return { one: best(1), two: best(2) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * What two threads can give on this machine at all: a fixed compute loop (oscillator and two
 * one-pole filters, like a voice) run 64 times in one thread, then 32 times in each of two
 * worker threads. `streaming`: over a 2-minute buffer, as a stem is rendered (memory-bound
 * too); `in-cache`: over a 4096-sample buffer the cores' caches hold (compute only). The
 * ceilings for any --jobs 2 figure here.
 */
export async function parallelCeiling(kind: 'streaming' | 'in-cache'): Promise<number> {
  const { Worker } = await import('node:worker_threads');
  const frames = kind === 'streaming' ? 48000 * 120 : 4096;
  const rounds = (count: number) => Math.round((count * 48000 * 120) / frames);
  // The loop lives in a function in both places, so V8 optimises it the same way.
  const source = (count: number) => `(function () {
    const out = new Float32Array(${frames});
    let p = 0, s1 = 0, s2 = 0;
    for (let k = 0; k < ${rounds(count)}; k++) for (let i = 0; i < ${frames}; i++) { p += 0.01; if (p > 1) p -= 1; s1 += 0.1 * (2 * p - 1 - s1); s2 += 0.1 * (s1 - s2); out[i] += s2; }
    return out[123];
  })()`;
  let started = performance.now();
  (0, eval)(source(64));
  const one = performance.now() - started;
  started = performance.now();
  await Promise.all(
    [0, 1].map(
      () =>
        new Promise<void>((resolveRun, reject) => {
          const worker = new Worker(`require('node:worker_threads').parentPort.postMessage(${source(32)});`, { eval: true });
          worker.once('message', () => resolveRun());
          worker.once('error', reject);
        }),
    ),
  );
  return one / (performance.now() - started);
}

/**
 * Start `mixdown watch`, save two one-track edits of the lead (one early in the song, one in its
 * second half), and read what watch prints for each: save → first audible preview, save → master.
 */
async function watchLatency(root: string, songFile: string): Promise<{ edit: string; preview: number; master: number }[]> {
  const child = spawn(process.execPath, [join(repo, 'bin/mixdown.js'), 'watch', '--variant', 'default'], { cwd: root, env: { ...process.env, CI: 'true' } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const waitFor = async (pattern: RegExp, from: number) => {
    const deadline = Date.now() + 120_000;
    while (!pattern.test(output.slice(from))) {
      if (Date.now() > deadline) throw new Error(`watch did not print ${pattern}:\n${output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
    return pattern.exec(output.slice(from))!;
  };
  const edits = [
    { edit: 'early', marker: /BENCH_EDIT_SEED = \d+/, to: 'BENCH_EDIT_SEED = 7' },
    { edit: 'second half', marker: /BENCH_LATE_EDIT = \d+/, to: 'BENCH_LATE_EDIT = 7' },
  ];
  try {
    await waitFor(/watching songs/, 0);
    const results = [];
    for (const { edit, marker, to } of edits) {
      const from = output.length;
      writeFileSync(songFile, readFileSync(songFile, 'utf8').replace(marker, to));
      const master = Number((await waitFor(/rebuilt ([\d.]+)s after the save/, from))[1]);
      const preview = Number((await waitFor(/preview ([\d.]+)s after the save/, from))[1]);
      await waitFor(/watching songs/, from);
      results.push({ edit, preview, master });
    }
    return results;
  } finally {
    child.kill('SIGINT');
    await new Promise((resolveExit) => child.once('exit', resolveExit));
  }
}

/** Print name/value rows as one aligned table. */
function printRows(rows: readonly string[][]): void {
  for (const [name, value] of rows) console.log(`${name.padEnd(28)} ${value}`);
}

export async function main(args: string[] = []): Promise<number> {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'peers' && args[0] !== 'huge')) {
    console.error(`usage: npm run bench [-- peers | huge]   (unknown arguments: ${args.join(' ')})`);
    return 2;
  }
  if (args[0] === 'huge') {
    printRows(hugeRows());
    return 0;
  }
  if (args[0] === 'peers') {
    printRows(await peerRows());
    return 0;
  }
  const song = 'demo';
  const root = mkdtempSync(join(tmpdir(), 'mixdown-bench-'));
  try {
    cpSync(join(repo, 'songs', song), join(root, 'songs', song), { recursive: true });
    // The demo imports the example plugins from plugins/.
    cpSync(join(repo, 'plugins'), join(root, 'plugins'), { recursive: true });
    buildOnce(root); // warm the command's bundle cache and the OS file cache, then start over
    rmSync(join(root, '.mixdown'), { recursive: true, force: true });
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    const cold = buildOnce(root);
    const audioSeconds = JSON.parse(readFileSync(join(root, 'dist', song, 'report.json'), 'utf8')).durationSeconds as number;
    const noop = buildOnce(root);
    const file = join(root, 'songs', song, 'song.ts');
    const source = readFileSync(file, 'utf8');
    const edited = source.replace('BENCH_EDIT_SEED = 1', 'BENCH_EDIT_SEED = 2');
    if (edited === source) throw new Error(`songs/${song}/song.ts lost its BENCH_EDIT_SEED marker`);
    writeFileSync(file, edited);
    const edit = buildOnce(root);
    // Issue 13's edit: the lead changed in the song's second half only (its last chorus).
    const lateEdited = edited.replace('BENCH_LATE_EDIT = 0', 'BENCH_LATE_EDIT = 1');
    if (lateEdited === edited) throw new Error(`songs/${song}/song.ts lost its BENCH_LATE_EDIT marker`);
    writeFileSync(file, lateEdited);
    const lateEdit = buildOnce(root);
    writeFileSync(file, edited);
    // Any track edit re-renders the mix bus (glue), the mix and the master: editing only the
    // mix bus measures that floor, which no incremental scheme below the master can lower.
    const glueEdited = edited.replace('compressor({ threshold: -14, ratio: 2', 'compressor({ threshold: -14.5, ratio: 2');
    if (glueEdited === edited) throw new Error(`songs/${song}/song.ts lost its glue compressor`);
    writeFileSync(file, glueEdited);
    const mixBusEdit = buildOnce(root);
    rmSync(join(root, '.mixdown'), { recursive: true, force: true });
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    const coldOneJob = buildOnce(root, 1);
    const rows = [
      ['demo audio', `${audioSeconds.toFixed(1)} s`],
      ['cold build (default jobs)', `${cold.seconds.toFixed(2)} s = ${(audioSeconds / cold.seconds).toFixed(1)}× realtime, ${cold.rendered} tasks, peak RSS ${cold.maxRssMb.toFixed(0)} MB`],
      ['cold build (--jobs 1)', `${coldOneJob.seconds.toFixed(2)} s = ${(audioSeconds / coldOneJob.seconds).toFixed(1)}× realtime, peak RSS ${coldOneJob.maxRssMb.toFixed(0)} MB`],
      ['no-op rebuild', `${noop.seconds.toFixed(2)} s = ${((noop.seconds / cold.seconds) * 100).toFixed(1)}% of cold (${noop.rendered} rendered)`],
      ['one-track edit', `${edit.seconds.toFixed(2)} s = ${((edit.seconds / cold.seconds) * 100).toFixed(1)}% of cold (${edit.rendered} rendered)`],
      ['  … task seconds', taskBreakdown(edit)],
      ['one-track edit, second half', `${lateEdit.seconds.toFixed(2)} s = ${((lateEdit.seconds / cold.seconds) * 100).toFixed(1)}% of cold (${lateEdit.rendered} rendered; issue 13's target ≤ 20%)`],
      ['  … task seconds', taskBreakdown(lateEdit)],
      ['mix-bus edit (floor)', `${mixBusEdit.seconds.toFixed(2)} s = ${((mixBusEdit.seconds / cold.seconds) * 100).toFixed(1)}% of cold (${mixBusEdit.rendered} rendered: ${taskBreakdown(mixBusEdit)})`],
    ];
    // The same song without the mastering chain (loudness normalisation and true-peak
    // limiting are the costliest single task): the build engine's own figures.
    rmSync(join(root, '.mixdown'), { recursive: true, force: true });
    const unmastered = buildOnce(root, undefined, 'unmastered');
    rows.push(['cold, unmastered variant', `${unmastered.seconds.toFixed(2)} s = ${(audioSeconds / unmastered.seconds).toFixed(1)}× realtime`]);
    rmSync(join(root, '.mixdown'), { recursive: true, force: true });
    const unmasteredOneJob = buildOnce(root, 1, 'unmastered');
    rows.push(['  … --jobs 1 vs 2', `${unmasteredOneJob.seconds.toFixed(2)} s vs ${unmastered.seconds.toFixed(2)} s = ${(unmasteredOneJob.seconds / unmastered.seconds).toFixed(2)}× speed-up`]);
    const stems = stemsJobs();
    rows.push(['stems phase, 8 tracks × 120 s', `--jobs 1 ${stems.one.toFixed(2)} s vs --jobs 2 ${stems.two.toFixed(2)} s = ${(stems.one / stems.two).toFixed(2)}× speed-up (target ≥ 1.7×)`]);
    rows.push(['  machine ceiling', `one compute loop in 2 threads vs 1: streaming a song-long buffer ${(await parallelCeiling('streaming')).toFixed(2)}×, in cache ${(await parallelCeiling('in-cache')).toFixed(2)}×`]);
    for (const { edit, preview, master } of await watchLatency(root, file)) {
      rows.push([`watch, lead edit (${edit})`, `save → preview ${preview.toFixed(2)} s, → master ${master.toFixed(2)} s (issue 13's targets ≤ 1 s, ≤ 2 s)`]);
    }
    for (const tracks of [8, 32]) rows.push([`peak RSS, ${tracks} tracks × 60 s`, `${rssForTracks(tracks).toFixed(0)} MB`]);
    rows.push(...loudnessRows(join(root, 'dist', song, 'master.wav'), audioSeconds));
    rows.push(...(await effectRows()));
    printRows(rows);
    // Issue 4: a General MIDI arrangement through the synth and through a SoundFont, against fluidsynth.
    for (const row of (await benchSoundfont()).rows) console.log(row);
    console.log('targets: cold ≥ 50× realtime, no-op ≤ 10% (issue 7: ≤ 5%) of cold, one-track edit ≤ 35% (issue 7: ≤ 20%) of cold;');
    console.log('         analyze ≥ 1× ffmpeg; 2 jobs ≥ 1.7× 1 job on stems; RSS not growing with tracks (issue 7)');
    // Issue 13: the imported MIDI song against Csound and fluidsynth, ratios side by side.
    printRows(await peerRows());
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
