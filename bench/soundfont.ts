/**
 * General MIDI rendering benchmark: a seeded 3-minute, 8-track, 5,940-note arrangement
 * (piano chords, bass, strings pad, guitar arpeggios, flute melody, brass stabs, kick/snare
 * and hi-hats on the drum bank) rendered
 *   (a) with mixdown's `synth` on every track,
 *   (b) with `soundfont` on FluidR3_GM.sf2 (parse included), in this process and split
 *       over 2 worker processes,
 *   (c) by fluidsynth from the same notes written as a .mid (`-F` file rendering), with its
 *       default reverb and chorus and without them (mixdown's soundfont has neither).
 * Each instrument's `definition.render` is called directly, track by track: the instrument
 * cost alone, no build system. Run: `node bin/run-ts.js bench/soundfont.ts`.
 */
import { renderInstrument } from '../src/ir/plugin.ts';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NoteEvent } from '../src/ir/plugin.ts';
import { createRandom } from '../src/dsp/random.ts';
import { loadSf2, soundfont } from '../src/instruments/soundfont.ts';
import { openProjectFile } from '../src/registry/file-store.ts';
import { synth } from '../src/instruments/synth.ts';
import { encodeMidi } from '../src/io/midi.ts';
import { decodeWav } from '../src/io/wav.ts';
import { PPQ } from '../src/theory/units.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
export const RATE = 48000;
export const BPM = 120;
const BARS = 90; // 90 bars of 4/4 at 120 bpm: 180 s
export const SECONDS = (BARS * 4 * 60) / BPM;
const TAIL = 3;
export const FLUID_R3 = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
const SF2_PATH = 'FluidR3_GM.sf2';

export interface BenchNote {
  readonly pitch: number;
  readonly velocity: number;
  readonly startTick: number;
  readonly lengthTicks: number;
}

export interface BenchTrack {
  readonly name: string;
  readonly program: number;
  readonly bank: 0 | 128;
  readonly notes: BenchNote[];
}

/** I–vi–IV–V in C, one chord a bar, as four-note voicings around middle C. */
const CHORDS = [
  [60, 64, 67, 72],
  [57, 60, 64, 69],
  [53, 57, 60, 65],
  [55, 59, 62, 67],
];
const SCALE = [0, 2, 4, 5, 7, 9, 11];

/** The seeded arrangement: 8 tracks, 5,940 notes over 180 s. */
export function arrangement(seed = 1): BenchTrack[] {
  const random = createRandom(seed);
  const velocity = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const beat = PPQ;
  const bar = 4 * beat;
  const tracks: BenchTrack[] = [
    { name: 'piano', program: 0, bank: 0, notes: [] },
    { name: 'bass', program: 33, bank: 0, notes: [] },
    { name: 'strings', program: 48, bank: 0, notes: [] },
    { name: 'guitar', program: 24, bank: 0, notes: [] },
    { name: 'flute', program: 73, bank: 0, notes: [] },
    { name: 'brass', program: 61, bank: 0, notes: [] },
    { name: 'kit', program: 0, bank: 128, notes: [] },
    { name: 'hats', program: 0, bank: 128, notes: [] },
  ];
  const [piano, bass, strings, guitar, flute, brass, kit, hats] = tracks;
  for (let b = 0; b < BARS; b++) {
    const at = b * bar;
    const chord = CHORDS[b % CHORDS.length];
    // Piano: the chord on every beat (16 notes a bar).
    for (let q = 0; q < 4; q++) for (const pitch of chord) piano.notes.push({ pitch, velocity: velocity(60, 90), startTick: at + q * beat, lengthTicks: Math.round(beat * 0.9) });
    // Bass: eighths on the root and fifth, two octaves down (8 a bar).
    for (let e = 0; e < 8; e++) {
      const pitch = chord[0] - 24 + (e % 4 === 3 ? 7 : 0) + (random() < 0.15 ? 12 : 0);
      bass.notes.push({ pitch, velocity: velocity(80, 110), startTick: at + (e * beat) / 2, lengthTicks: Math.round(beat * 0.45) });
    }
    // Strings: the chord held for the bar, an octave down (4 a bar).
    for (const pitch of chord) strings.notes.push({ pitch: pitch - 12, velocity: velocity(55, 75), startTick: at, lengthTicks: bar });
    // Guitar: eighth-note arpeggio up and down the chord (8 a bar).
    for (let e = 0; e < 8; e++) guitar.notes.push({ pitch: chord[[0, 1, 2, 3, 2, 1, 2, 3][e]] - 12 + (e >= 4 ? 12 : 0), velocity: velocity(50, 85), startTick: at + (e * beat) / 2, lengthTicks: beat });
    // Flute: a quarter-note line on scale and chord tones (4 a bar).
    for (let q = 0; q < 4; q++) {
      const pitch = q % 2 === 0 ? chord[Math.floor(random() * 4)] + 12 : 72 + SCALE[Math.floor(random() * SCALE.length)];
      flute.notes.push({ pitch, velocity: velocity(70, 100), startTick: at + q * beat, lengthTicks: Math.round(beat * 0.95) });
    }
    // Brass: three-note stabs on the "and" of 2 and 4 (6 a bar).
    for (const offset of [1.5, 3.5]) for (const pitch of chord.slice(1)) brass.notes.push({ pitch, velocity: velocity(85, 115), startTick: at + offset * beat, lengthTicks: beat / 4 });
    // Kit: kick on 1 and 3, snare on 2 and 4 (4 a bar).
    for (let q = 0; q < 4; q++) kit.notes.push({ pitch: q % 2 === 0 ? 36 : 38, velocity: velocity(95, 120), startTick: at + q * beat, lengthTicks: beat / 4 });
    // Hats: sixteenths, closed, open on the last-but-one (the two share an exclusive class) (16 a bar).
    for (let s = 0; s < 16; s++) hats.notes.push({ pitch: s === 14 ? 46 : 42, velocity: velocity(s % 4 === 0 ? 85 : 55, s % 4 === 0 ? 105 : 80), startTick: at + (s * beat) / 4, lengthTicks: beat / 4 });
  }
  return tracks;
}

/**
 * The arrangement as a format-1 Standard MIDI File at 120 BPM in 4/4: a conductor track, then
 * one track per part with its General MIDI program; the drum-bank parts on channel 10.
 */
export function arrangementMidi(tracks: readonly BenchTrack[], title = 'GM bench'): Uint8Array {
  return encodeMidi({
    title,
    ppq: PPQ,
    tempoMap: [{ tick: 0, bpm: BPM, rampToNext: false }],
    meterMap: [{ tick: 0, bar: 0, numerator: 4, denominator: 4 }],
    key: { sharps: 0, minor: false },
    markers: [],
    tracks: tracks.map((track) => ({ name: track.name, program: track.program, drums: track.bank === 128, notes: track.notes })),
  });
}

/** Notes as an instrument receives them, sorted by start sample then pitch. */
export function noteEvents(track: BenchTrack): NoteEvent[] {
  const secondsPerTick = 60 / BPM / PPQ;
  return track.notes
    .map((note) => ({
      ...note,
      startSample: Math.round(note.startTick * secondsPerTick * RATE),
      lengthSamples: Math.max(1, Math.round(note.lengthTicks * secondsPerTick * RATE)),
    }))
    .sort((a, b) => a.startSample - b.startSample || a.pitch - b.pitch);
}

const noAudio = (): never => {
  throw new Error('no audio files in this benchmark');
};

/**
 * CPU seconds (user + system) of this process, and of its finished children (Linux's
 * /proc/self/stat cutime + cstime, in clock ticks of 1/100 s; NaN elsewhere). Other work on a
 * shared machine stretches wall times; CPU times stay comparable.
 */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After "pid (comm) ", field 3 of stat is index 0 here: cutime is stat field 16, cstime 17.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

/** Render tracks with soundfont on FluidR3_GM, adding into `mix` when given; wall and CPU seconds (parse included). */
function renderSoundfont(tracks: readonly BenchTrack[], indices: readonly number[], mix?: [Float32Array, Float32Array]): { seconds: number; cpu: number; parseSeconds: number } {
  const length = Math.round((SECONDS + TAIL) * RATE);
  const started = performance.now();
  const cpuStarted = cpuSeconds();
  // As a build opens it: hashed in pieces, samples read where notes play them.
  const opened = openProjectFile(FLUID_R3);
  loadSf2(opened);
  const parseSeconds = (performance.now() - started) / 1000;
  for (const index of indices) {
    const track = tracks[index];
    const output = [new Float32Array(length), new Float32Array(length)];
    renderInstrument(soundfont.definition, {
      sampleRate: RATE,
      options: soundfont({ file: SF2_PATH, program: track.program, bank: track.bank }).options,
      notes: noteEvents(track),
      output,
      seed: index + 1,
      readAudio: noAudio,
      readFile: noAudio,
      openFile: () => opened,
    });
    if (mix) for (let c = 0; c < 2; c++) for (let i = 0; i < length; i++) mix[c][i] += output[c][i];
  }
  return { seconds: (performance.now() - started) / 1000, cpu: cpuSeconds() - cpuStarted, parseSeconds };
}

/** Render the given tracks with the subtractive synth; seconds taken. */
export function renderSynth(tracks: readonly BenchTrack[], indices: readonly number[]): number {
  const length = Math.round((SECONDS + TAIL) * RATE);
  const started = performance.now();
  for (const index of indices) {
    const track = tracks[index];
    const output = [new Float32Array(length)];
    renderInstrument(synth.definition, { sampleRate: RATE, options: synth({ program: track.program }).options, notes: noteEvents(track), output, seed: index + 1, readAudio: noAudio, readFile: noAudio, openFile: noAudio });
  }
  return (performance.now() - started) / 1000;
}

function rms(channels: readonly Float32Array[]): number {
  let sum = 0;
  let count = 0;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) sum += channel[i] * channel[i];
    count += channel.length;
  }
  return 10 * Math.log10(sum / count + 1e-30);
}

/** Run two worker processes, each rendering half the tracks: wall time and each one's render time. */
async function twoWorkers(kind: 'synth' | 'soundfont'): Promise<{ wall: number; renders: number[] }> {
  // Split by measured cost: piano, guitar, brass, hats | bass, strings, flute, kit.
  const halves = kind === 'soundfont' ? ['0,3,5,7', '1,2,4,6'] : ['0,1,4,6', '2,3,5,7'];
  const started = performance.now();
  const results = await Promise.all(
    halves.map(
      (indices) =>
        new Promise<number>((resolveRun, reject) => {
          const child = spawn(process.execPath, [join(repo, 'bin/run-ts.js'), 'bench/soundfont.ts', '--worker', kind, indices], { cwd: repo });
          let output = '';
          let errors = '';
          child.stdout.on('data', (chunk) => (output += chunk));
          child.stderr.on('data', (chunk) => (errors += chunk));
          child.on('exit', (code) => {
            const match = /WORKER_SECONDS ([\d.]+)/.exec(output);
            if (code !== 0 || !match) reject(new Error(`worker ${indices} failed (${code}):\n${output}\n${errors}`));
            else resolveRun(Number(match[1]));
          });
        }),
    ),
  );
  return { wall: (performance.now() - started) / 1000, renders: results };
}

/** One fluidsynth file render of the song: wall and CPU seconds. */
function fluidsynth(midiFile: string, wavFile: string, extra: string[]): { seconds: number; cpu: number } {
  const started = performance.now();
  const cpuStarted = childCpuSeconds();
  const run = spawnSync('fluidsynth', ['-ni', ...extra, '-F', wavFile, '-r', String(RATE), '-g', '0.5', FLUID_R3, midiFile], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`fluidsynth failed: ${run.stderr}`);
  return { seconds, cpu: childCpuSeconds() - cpuStarted };
}

/** The faster of two runs (the first also warms the OS file cache for the 148 MB bank). */
function bestFluidsynth(midiFile: string, wavFile: string, extra: string[]): { seconds: number; cpu: number } {
  const first = fluidsynth(midiFile, wavFile, extra);
  const second = fluidsynth(midiFile, wavFile, extra);
  return { seconds: Math.min(first.seconds, second.seconds), cpu: Math.min(first.cpu, second.cpu) };
}

export async function benchSoundfont(): Promise<{ rows: string[] }> {
  const tracks = arrangement();
  const noteCount = tracks.reduce((sum, track) => sum + track.notes.length, 0);
  const label = `gm ${tracks.length}-track ${SECONDS} s`;
  const rows: string[] = [`${label}: ${noteCount} notes, rendered at ${RATE} Hz`];
  const length = Math.round((SECONDS + TAIL) * RATE);

  // (a) synth on every track (mono).
  const started = performance.now();
  const synthCpuStarted = cpuSeconds();
  for (const [index, track] of tracks.entries()) {
    const output = [new Float32Array(length)];
    renderInstrument(synth.definition, { sampleRate: RATE, options: synth({ program: track.program }).options, notes: noteEvents(track), output, seed: index + 1, readAudio: noAudio, readFile: noAudio, openFile: noAudio });
  }
  const synthSeconds = (performance.now() - started) / 1000;
  const synthCpu = cpuSeconds() - synthCpuStarted;
  rows.push(`${label}: synth ${synthSeconds.toFixed(2)} s = ${(SECONDS / synthSeconds).toFixed(0)}x realtime (CPU ${synthCpu.toFixed(2)} s = ${(SECONDS / synthCpu).toFixed(0)}x; 1 core)`);
  const synthWorkers = await twoWorkers('synth');
  const synthTwoCores = Math.max(...synthWorkers.renders);
  rows.push(`${label}: synth on 2 cores (2 processes, half the tracks each): ${synthTwoCores.toFixed(2)} s = ${(SECONDS / synthTwoCores).toFixed(0)}x realtime (target ≥ 150x; renders ${synthWorkers.renders.map((s) => s.toFixed(2)).join(' s + ')} s)`);

  if (!existsSync(FLUID_R3)) {
    rows.push(`${label}: soundfont and fluidsynth skipped: ${FLUID_R3} is missing (Debian: apt-get install fluid-soundfont-gm)`);
    return { rows };
  }

  // (b) soundfont on FluidR3_GM: cold (the parse and sample conversion included), in one process.
  const mix: [Float32Array, Float32Array] = [new Float32Array(length), new Float32Array(length)];
  const { seconds: sf2Seconds, cpu: sf2Cpu, parseSeconds } = renderSoundfont(tracks, tracks.map((_, i) => i), mix);
  rows.push(
    `${label}: soundfont ${sf2Seconds.toFixed(2)} s = ${(SECONDS / sf2Seconds).toFixed(0)}x realtime (CPU ${sf2Cpu.toFixed(2)} s = ${(SECONDS / sf2Cpu).toFixed(0)}x; 1 process; reading + parsing the 148 MB file ${parseSeconds.toFixed(2)} s of it)`,
  );
  const workers = await twoWorkers('soundfont');
  const sf2TwoCores = Math.max(...workers.renders);
  rows.push(
    `${label}: soundfont on 2 cores (2 processes, half the tracks each): ${sf2TwoCores.toFixed(2)} s = ${(SECONDS / sf2TwoCores).toFixed(0)}x realtime (renders ${workers.renders.map((s) => s.toFixed(2)).join(' s + ')} s; ${workers.wall.toFixed(2)} s wall with process start)`,
  );

  // (c) fluidsynth on the same notes.
  if (spawnSync('fluidsynth', ['--version']).status !== 0) {
    rows.push(`${label}: fluidsynth not installed: no comparison (Debian: apt-get install fluidsynth)`);
    return { rows };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mixdown-gm-bench-'));
  try {
    const midiFile = join(dir, 'song.mid');
    writeFileSync(midiFile, arrangementMidi(tracks));
    const wavFile = join(dir, 'out.wav');
    const withEffects = bestFluidsynth(midiFile, wavFile, []);
    const fluidRms = rms(decodeWav(new Uint8Array(readFileSync(wavFile))).channels);
    const dry = bestFluidsynth(midiFile, wavFile, ['-R', '0', '-C', '0']);
    const ratio = (ours: number, theirs: number) => (theirs >= ours ? `${(theirs / ours).toFixed(2)}x faster` : `${(ours / theirs).toFixed(2)}x slower`);
    const twoCores = (run: { seconds: number }) => `; on 2 cores mixdown is ${ratio(sf2TwoCores, run.seconds)} than fluidsynth (which renders on one)`;
    const compare = (run: { seconds: number; cpu: number }) =>
      `mixdown sf2 / fluidsynth = ${ratio(sf2Seconds, run.seconds)} (wall)${Number.isFinite(run.cpu) ? `, ${ratio(sf2Cpu, run.cpu)} (CPU ${run.cpu.toFixed(2)} s)` : ''}`;
    rows.push(`${label}: fluidsynth -F ${withEffects.seconds.toFixed(2)} s = ${(SECONDS / withEffects.seconds).toFixed(0)}x realtime (reverb + chorus on, its defaults); ${compare(withEffects)}${twoCores(withEffects)}`);
    rows.push(`${label}: fluidsynth -F -R 0 -C 0 ${dry.seconds.toFixed(2)} s = ${(SECONDS / dry.seconds).toFixed(0)}x realtime (no reverb/chorus, like mixdown's); ${compare(dry)}${twoCores(dry)}`);
    rows.push(`${label}: level check: mixdown sf2 mix ${rms(mix).toFixed(1)} dBFS RMS at gain 0 dB; fluidsynth -g 0.5 ${fluidRms.toFixed(1)} dBFS RMS`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows };
}

export async function main(args: string[] = []): Promise<number> {
  if (args[0] === '--worker') {
    // One half of a 2-worker run: render the given tracks, report the time.
    const indices = args[2].split(',').map(Number);
    const seconds = args[1] === 'synth' ? renderSynth(arrangement(), indices) : renderSoundfont(arrangement(), indices).seconds;
    console.log(`WORKER_SECONDS ${seconds}`);
    return 0;
  }
  const { rows } = await benchSoundfont();
  for (const row of rows) console.log(row);
  return 0;
}
