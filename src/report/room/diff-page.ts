/**
 * The listening room's diff page: `diff.html` beside a saved diff.json, built with the room's
 * shell (data, uPlot, the room's code and styles inline). It draws the master and every
 * changed stem or bus with both sides' envelopes and the differing ranges marked, lists the
 * arrangement and mix changes, draws the changed notes as a piano roll, and plays A/B between
 * the two sides' masters at the same position. The masters are copied beside the page as
 * 16-bit files (`diff-a.wav`, `diff-b.wav`: the side's master-16.wav as built, or its
 * master.wav written as 16-bit PCM when the build made no dithered copy), so the page needs
 * nothing outside its folder, from file:// or over `mixdown watch --serve`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../io/atomic.ts';
import { readAudioFileSync } from '../../io/audio-file.ts';
import { encodeWavPcm } from '../../io/wav.ts';
import type { DiffSide, SongDiff } from '../diff.ts';
import { fieldText, groupTitle, headline, soundLines } from '../diff-format.ts';
import type { NoteView } from '../diff-music.ts';
import type { OutputSide, SoundDiff } from '../diff-sound.ts';
import { bucketCount, computePeaks } from './analysis.ts';
import { renderShell } from './page.ts';
import { DIFF_PAGE_FORMAT, type DiffPageData, type DiffPageLane, type DiffPageNote } from './types.ts';

/** The page's file name, beside diff.json. */
export const DIFF_PAGE = 'diff.html';
/** The two sides' masters, 16-bit, beside the page. */
export const DIFF_AUDIO = { a: 'diff-a.wav', b: 'diff-b.wav' } as const;

/** Outputs drawn on the timeline besides the master: stems and buses that differ. */
const LANE_OUTPUT = /^(stems|buses)\/.+\.wav$/;

/** A side's bytes of one output of the song (undefined when not at hand). */
export type DiffReader = (side: 'a' | 'b', path: string, output: OutputSide) => Uint8Array | undefined;

/**
 * Write `diff.html` (and the two masters it plays) into `dir`, the folder of the song's
 * diff.json. Files are rewritten only when their bytes change; the same diff gives the same
 * bytes. Returns the names written or kept, relative to `dir`.
 */
export async function writeDiffPage(dir: string, sides: { a: DiffSide; b: DiffSide }, song: SongDiff, read: DiffReader): Promise<string[]> {
  const files: string[] = [];
  const audio: { a: string | null; b: string | null } = { a: null, b: null };
  for (const side of ['a', 'b'] as const) {
    const bytes = masterPreview(song.sound, side, read);
    if (!bytes) continue;
    writeIfChanged(join(dir, DIFF_AUDIO[side]), bytes);
    audio[side] = DIFF_AUDIO[side];
    files.push(DIFF_AUDIO[side]);
  }
  const data = diffPageData(sides, song, read, audio);
  const name = song.variant ? `${song.song} (${song.variant})` : song.song;
  writeIfChanged(join(dir, DIFF_PAGE), await renderShell('diff', `${name}: ${sides.a.label} → ${sides.b.label} — mixdown diff`, data));
  files.push(DIFF_PAGE);
  return files;
}

/** A side's master as 16-bit PCM: its dithered master-16.wav when built, else master.wav converted. */
function masterPreview(sound: readonly SoundDiff[], side: 'a' | 'b', read: DiffReader): Uint8Array | undefined {
  const dithered = sound.find((output) => output.path === 'master-16.wav')?.[side];
  if (dithered) {
    const bytes = read(side, 'master-16.wav', dithered);
    if (bytes) return bytes;
  }
  const master = sound.find((output) => output.path === 'master.wav')?.[side];
  const bytes = master && read(side, 'master.wav', master);
  if (!bytes) return undefined;
  const decoded = readAudioFileSync(bytes, `master.wav (${side.toUpperCase()})`);
  return encodeWavPcm(decoded.channels, decoded.sampleRate, 16);
}

function diffPageData(sides: { a: DiffSide; b: DiffSide }, song: SongDiff, read: DiffReader, audio: DiffPageData['audio']): DiffPageData {
  // The master first, then the changed stems and buses in the build's order.
  const drawn = [
    ...song.sound.filter((output) => output.path === 'master.wav'),
    ...song.sound.filter((output) => LANE_OUTPUT.test(output.path) && output.status !== 'unchanged'),
  ];
  const lanes: DiffPageLane[] = [];
  let durationSeconds = 0;
  for (const output of drawn) {
    const lane = laneOf(output, read);
    lanes.push(lane.lane);
    durationSeconds = Math.max(durationSeconds, lane.seconds);
  }
  const note = (view: NoteView | undefined): DiffPageNote | undefined =>
    view && { midi: view.midi, pitch: view.pitch, start: view.start, startTick: view.startTick, lengthTicks: view.lengthTicks, velocity: view.velocity };
  return {
    format: DIFF_PAGE_FORMAT,
    song: song.song,
    variant: song.variant,
    a: sides.a,
    b: sides.b,
    status: song.status,
    musicalChange: song.musicalChange,
    headline: headline(song),
    durationSeconds,
    lanes,
    arrangement: song.arrangement.map((change) => fieldText(change)),
    mix: song.mix.map((change) => fieldText(change)),
    notes: song.notes.map((group) => ({
      section: group.section,
      track: group.track,
      summary: `${groupTitle(group)}: ${group.summary}`,
      notes: group.notes.map((change) => ({ kind: change.kind, ...(change.a ? { a: note(change.a) } : {}), ...(change.b ? { b: note(change.b) } : {}), ...(change.detail ? { detail: change.detail } : {}) })),
    })),
    audio,
    outputs: song.sound.map((output) => ({ path: output.path, status: output.status, summary: output.status === 'unchanged' ? 'identical' : soundLines(output).join('; ') })),
  };
}

/** Both sides' envelopes of one output over the same buckets (the longer file's length; the shorter reads as silence past its end). */
function laneOf(output: SoundDiff, read: DiffReader): { lane: DiffPageLane; seconds: number } {
  const decode = (side: 'a' | 'b') => {
    const present = output[side];
    const bytes = present && read(side, output.path, present);
    if (!bytes) return undefined;
    try {
      return readAudioFileSync(bytes, `${output.path} (${side.toUpperCase()})`);
    } catch {
      return undefined;
    }
  };
  const a = decode('a');
  const b = decode('b');
  const sampleRate = (b ?? a)?.sampleRate ?? 48000;
  const length = Math.max(a?.channels[0]?.length ?? 0, b?.channels[0]?.length ?? 0);
  const buckets = bucketCount(length, sampleRate);
  const padded = (channels: readonly Float32Array[]) =>
    channels.map((channel) => {
      if (channel.length === length) return channel;
      const longer = new Float32Array(length);
      longer.set(channel);
      return longer;
    });
  const summary = output.status === 'unchanged' ? 'identical on both sides' : soundLines(output).join('; ');
  return {
    lane: {
      path: output.path,
      status: output.status,
      peaks: { a: a && length ? computePeaks(padded(a.channels), buckets) : null, b: b && length ? computePeaks(padded(b.channels), buckets) : null },
      ranges: (output.audio?.ranges ?? []).map((range) => ({ start: range.start, end: range.end, ...(range.from ? { from: range.from, to: range.to } : {}) })),
      summary,
    },
    seconds: Math.round((length / sampleRate) * 1000) / 1000,
  };
}

/** Write a file atomically, and only when its bytes differ. */
function writeIfChanged(path: string, content: string | Uint8Array): void {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  try {
    if (Buffer.compare(readFileSync(path), bytes) === 0) return;
  } catch {
    // Not there yet.
  }
  writeFileAtomicSync(path, content);
}
