/**
 * Issue 13's peer comparison, part of `npm run bench` (alone: `npm run bench -- peers`).
 * The seeded 180 s, 8-track, 5,940-note General MIDI arrangement of bench/soundfont.ts
 * (keys, bass, strings pad, arpeggios, two leads, kick/snare and hats on channel 10) is
 * written as a format-1 MIDI file at 120 BPM, imported with `mixdown import-midi` into a
 * fresh project and built cold in a fresh process
 *   (a) with the synths the import gives it, against Csound rendering the same notes
 *       (per note vco2 saw → lowpass2 → linsegr → pan2, ksmps=32, 48 kHz float WAV);
 *   (b) with every track on `soundfont()` and FluidR3_GM, against fluidsynth rendering the
 *       MIDI file (`-ni -q -R 0 -C 0 -z 1024 -o synth.cpu-cores=2 -r 48000 -T wav`).
 * Every figure is a whole process: wall seconds from spawn to exit and the kernel's peak RSS
 * of that process (GNU time's %M; without it, /proc/<pid>/status VmHWM sampled every 10 ms).
 * Each command runs once to warm the OS file cache (and mixdown's command bundle), then the
 * faster of two measured runs is kept, mixdown's with its cache and dist/ removed before each.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PPQ } from '../src/theory/units.ts';
import { arrangement, arrangementMidi, BPM, FLUID_R3, RATE, SECONDS, type BenchTrack } from './soundfont.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const SONG = 'peers';
const GNU_TIME = '/usr/bin/time';
const SF2_NAME = 'FluidR3_GM.sf2';

/** Targets from issue 13: mixdown's speed as a multiple of the peer's, its peak RSS as one. */
const TARGETS = { csoundSpeed: 1.5, fluidsynthSpeed: 1.5, fluidsynthRss: 2 };

/** One measured process: wall seconds and peak resident memory. */
export interface ProcessFigures {
  readonly seconds: number;
  readonly maxRssMb: number;
}

const hasGnuTime = (): boolean => spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0;

/** How peak RSS is read on this machine, for the printed rows. */
export function rssMethod(): string {
  return hasGnuTime() ? 'peak RSS by GNU time (%M)' : 'peak RSS sampled from /proc/<pid>/status VmHWM every 10 ms';
}

/** Run a command to completion, timing it and reading its peak RSS; throws on a non-zero exit. */
export async function measureProcess(command: string, args: readonly string[], cwd: string): Promise<ProcessFigures> {
  if (hasGnuTime()) {
    const dir = mkdtempSync(join(tmpdir(), 'mixdown-peer-time-'));
    try {
      const rssFile = join(dir, 'rss');
      const started = performance.now();
      const run = spawnSync(GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
      const seconds = (performance.now() - started) / 1000;
      if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
      return { seconds, maxRssMb: Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // No GNU time: VmHWM is the kernel's high-water mark of the process's RSS, so sampling it
  // misses only growth in the last few milliseconds before exit.
  const started = performance.now();
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  let peakKb = 0;
  child.stderr.on('data', (chunk) => (errors += chunk));
  const sample = () => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // Gone already: the last sample stands.
    }
  };
  const timer = setInterval(sample, 10);
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${errors}`);
  return { seconds, maxRssMb: peakKb / 1024 };
}

/** The faster of `runs` measured runs (by wall time), each preceded by `before`. */
async function fastest(runs: number, measure: () => Promise<ProcessFigures>, before: () => void = () => {}): Promise<ProcessFigures> {
  let best: ProcessFigures | undefined;
  for (let run = 0; run < runs; run++) {
    before();
    const figures = await measure();
    if (!best || figures.seconds < best.seconds) best = figures;
  }
  return best!;
}

/** Seconds at 120 BPM of a tick position, to the microsecond (the score's time unit is the second). */
const tickSeconds = (tick: number): string => String(Math.round((tick * 60 * 1e6) / (BPM * PPQ)) / 1e6);

/** A track's place in the stereo field, 0 (left) to 1 (right): the eight spread from 0.15 to 0.85. */
const trackPan = (index: number, count: number): number => Math.round((0.15 + (0.7 * index) / Math.max(1, count - 1)) * 100) / 100;

/**
 * The arrangement as a Csound 6 .csd: one `i 1` score line per note (start and duration in
 * seconds, MIDI pitch, velocity, pan), rendered by one instrument per note — a vco2 sawtooth,
 * lowpass2 at six times the pitch, a linsegr envelope with a 150 ms release, pan2 — at 48 kHz,
 * ksmps 32, to `outFile` as a 32-bit float WAV.
 */
export function csoundFile(tracks: readonly BenchTrack[], outFile: string): string {
  const lines = [
    '<CsoundSynthesizer>',
    '<CsOptions>',
    `-d -m0 -W -f -o ${outFile}`,
    '</CsOptions>',
    '<CsInstruments>',
    `sr = ${RATE}`,
    'ksmps = 32',
    'nchnls = 2',
    '0dbfs = 1',
    '',
    'instr 1',
    '  ifreq = cpsmidinn(p4)',
    '  aenv linsegr 0, 0.005, 1, 0.2, 0.6, 0.15, 0',
    '  asaw vco2 0.1 * p5 / 127, ifreq',
    '  alow lowpass2 asaw, limit(ifreq * 6, 200, 12000), 2',
    '  aleft, aright pan2 alow * aenv, p6',
    '  outs aleft, aright',
    'endin',
    '</CsInstruments>',
    '<CsScore>',
  ];
  tracks.forEach((track, index) => {
    for (const note of track.notes) lines.push(csoundNote(note, trackPan(index, tracks.length)));
  });
  lines.push('e', '</CsScore>', '</CsoundSynthesizer>', '');
  return lines.join('\n');
}

/** One note's score line: `i 1 start duration pitch velocity pan`. */
export function csoundNote(note: BenchTrack['notes'][number], pan: number): string {
  return `i 1 ${tickSeconds(note.startTick)} ${tickSeconds(note.lengthTicks)} ${note.pitch} ${note.velocity} ${pan}`;
}

/**
 * The imported song module with every track on FluidR3_GM: `drums()` becomes the standard
 * kit (bank 128, preset 0), `synth({ program: n })` the General MIDI preset n (a track without
 * a program change, `synth()`, preset 0, as a General MIDI player starts). `sf2` is the
 * bank's path from the project root (a soundfont's `file` is a project path, not an absolute one).
 */
export function onSoundfont(source: string, sf2: string): string {
  let tracks = 0;
  const file = `'${sf2.replace(/[\\']/g, '\\$&')}'`;
  const rewritten = source
    .replace(/^import \{[^}]*\} from 'mixdown';/m, "import { defineSong, soundfont } from 'mixdown';")
    .replace(/instrument: drums\(\)/g, () => (tracks++, `instrument: soundfont({ file: ${file}, bank: 128, program: 0 })`))
    .replace(/instrument: synth\((?:\{ program: (\d+) \})?\)/g, (_, program: string | undefined) => (tracks++, `instrument: soundfont({ file: ${file}, program: ${program ?? 0} })`));
  if (!/import \{ defineSong, soundfont \}/.test(rewritten) || tracks === 0 || /instrument: (?!soundfont)/.test(rewritten)) {
    throw new Error('mixdown import-midi wrote a song module this bench cannot move onto soundfont(): update onSoundfont');
  }
  return rewritten;
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

/** "1.62× (target ≥ 1.5×: met)". */
function against(value: number, target: number, more: boolean): string {
  const met = more ? value >= target : value <= target;
  return `${fixed(value)}× (target ${more ? '≥' : '≤'} ${target}×: ${met ? 'met' : 'NOT met'})`;
}

/** Issue 13's peer rows: name and value pairs, ready to print. */
export async function peerRows(): Promise<string[][]> {
  const tracks = arrangement();
  const noteCount = tracks.reduce((sum, track) => sum + track.notes.length, 0);
  const root = mkdtempSync(join(tmpdir(), 'mixdown-peers-'));
  const mixdown = (...args: string[]) => measureProcess(process.execPath, [join(repo, 'bin/mixdown.js'), ...args], root);
  const clean = () => {
    rmSync(join(root, '.mixdown'), { recursive: true, force: true });
    rmSync(join(root, 'dist'), { recursive: true, force: true });
  };
  const rows: string[][] = [['peers: the song', `${SECONDS} s, ${tracks.length} tracks, ${noteCount} notes, ${BPM} BPM, format-1 MIDI (seed 1); ${rssMethod()}`]];
  try {
    const midiFile = join(root, 'song.mid');
    writeFileSync(midiFile, arrangementMidi(tracks, 'Peers'));
    await mixdown('import-midi', midiFile, '--name', SONG);
    const songFile = join(root, 'songs', SONG, 'song.ts');
    const imported = readFileSync(songFile, 'utf8');

    // (a) the synths import-midi gives, against Csound.
    await mixdown('build'); // warm the command's bundle and the OS file cache
    const synths = await fastest(2, () => mixdown('build'), clean);
    const audioSeconds = JSON.parse(readFileSync(join(root, 'dist', SONG, 'report.json'), 'utf8')).durationSeconds as number;
    rows.push(['(a) mixdown cold, synths', `${fixed(synths.seconds)} s = ${fixed(audioSeconds / synths.seconds, 1)}× realtime (${fixed(audioSeconds, 1)} s of audio), peak RSS ${synths.maxRssMb.toFixed(0)} MB`]);
    if (spawnSync('csound', ['--version']).error) rows.push(['    csound', 'csound not installed: no comparison (Debian: apt-get install csound)']);
    else {
      writeFileSync(join(root, 'song.csd'), csoundFile(tracks, 'csound.wav'));
      const csound = await fastest(2, () => measureProcess('csound', ['song.csd'], root));
      rows.push(['    csound, same notes', `${fixed(csound.seconds)} s, peak RSS ${csound.maxRssMb.toFixed(0)} MB (vco2 → lowpass2 → linsegr → pan2, ksmps 32, float WAV)`]);
      rows.push(['    mixdown / csound', `speed ${against(csound.seconds / synths.seconds, TARGETS.csoundSpeed, true)}, RSS ${fixed(synths.maxRssMb / csound.maxRssMb, 1)}×`]);
    }

    // (b) every track on FluidR3_GM, against fluidsynth.
    if (!existsSync(FLUID_R3)) {
      rows.push(['(b) soundfont', `${FLUID_R3} is missing: no SoundFont build or fluidsynth comparison (Debian: apt-get install fluid-soundfont-gm)`]);
      return rows;
    }
    // A soundfont's file is a project path: the bank goes in as a link at the project root.
    symlinkSync(FLUID_R3, join(root, SF2_NAME));
    writeFileSync(songFile, onSoundfont(imported, SF2_NAME));
    clean();
    await mixdown('build'); // warm: the 148 MB bank into the OS file cache
    const sf2 = await fastest(2, () => mixdown('build'), clean);
    rows.push(['(b) mixdown cold, soundfont', `${fixed(sf2.seconds)} s = ${fixed(audioSeconds / sf2.seconds, 1)}× realtime, peak RSS ${sf2.maxRssMb.toFixed(0)} MB`]);
    if (spawnSync('fluidsynth', ['--version']).error) rows.push(['    fluidsynth', 'fluidsynth not installed: no comparison (Debian: apt-get install fluidsynth)']);
    else {
      const args = ['-ni', '-q', '-R', '0', '-C', '0', '-z', '1024', '-o', 'synth.cpu-cores=2', '-r', String(RATE), '-T', 'wav', '-F', 'fluidsynth.wav', FLUID_R3, midiFile];
      await measureProcess('fluidsynth', args, root); // warm
      const fluid = await fastest(2, () => measureProcess('fluidsynth', args, root));
      rows.push(['    fluidsynth, same MIDI', `${fixed(fluid.seconds)} s, peak RSS ${fluid.maxRssMb.toFixed(0)} MB (${args.slice(0, 14).join(' ')})`]);
      rows.push(['    mixdown / fluidsynth', `speed ${against(fluid.seconds / sf2.seconds, TARGETS.fluidsynthSpeed, true)}, RSS ${against(sf2.maxRssMb / fluid.maxRssMb, TARGETS.fluidsynthRss, false)}`]);
    }
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

