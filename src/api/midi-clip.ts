/**
 * `midiClip()`: notes from a .mid file, for a track's `notes` or a part. The file is read
 * while the song loads, and recorded so that editing it re-runs the song.
 */
import { readFileSync } from 'node:fs';
import { readMidi, type MidiFileData } from '../io/midi-read.ts';
import { useProjectFile } from '../registry/dependencies.ts';
import { lengthToTicks } from '../theory/time.ts';
import type { Time } from '../theory/units.ts';
import type { NoteInput } from './song.ts';

export interface MidiClipOptions {
  /** Which track: its name or its index among the tracks that hold notes. @default 0 */
  readonly track?: string | number;
  /** Bars to take, `[from, to)`, 0-based, counted in the file's own meter; notes move to start at 0. @default the whole track */
  readonly bars?: readonly [number, number];
  /** Semitones to shift every note. @default 0 */
  readonly transpose?: number;
  /** Snap note starts to this grid. @default no quantising */
  readonly quantize?: Time;
}

/**
 * Notes from a Standard MIDI File. `path` is relative to the project root, absolute, or a
 * URL such as `new URL('./riff.mid', import.meta.url)`.
 */
export function midiClip(path: string | URL, options: MidiClipOptions = {}): NoteInput[] {
  const file = useProjectFile(path);
  let data: MidiFileData;
  try {
    data = readMidi(readFileSync(file));
  } catch (error) {
    throw new Error(`midiClip: cannot read '${String(path)}': ${error instanceof Error ? error.message : String(error)}`);
  }
  const track =
    typeof options.track === 'string' ? data.tracks.find((candidate) => candidate.name === options.track) : data.tracks[options.track ?? 0];
  if (!track) {
    throw new Error(`midiClip: '${String(path)}' has no track ${JSON.stringify(options.track ?? 0)}; its tracks: ${data.tracks.map((t, i) => `${i} '${t.name}'`).join(', ')}`);
  }
  const meter = data.meters[0] ?? { numerator: 4, denominator: 4 };
  const barTicks = meter.numerator * ((960 * 4) / meter.denominator);
  const [fromBar, toBar] = options.bars ?? [0, Infinity];
  const from = fromBar * barTicks;
  const to = toBar * barTicks;
  const grid = options.quantize ? lengthToTicks(options.quantize, [{ tick: 0, bar: 0, numerator: meter.numerator, denominator: meter.denominator }], 0) : 0;
  return track.notes
    .filter((note) => note.startTick >= from && note.startTick < to)
    .map((note) => {
      const start = grid ? Math.round(note.startTick / grid) * grid : note.startTick;
      return {
        pitch: note.pitch + (options.transpose ?? 0),
        start: { ticks: Math.max(0, start - from) },
        length: { ticks: Math.max(1, Math.min(note.lengthTicks, to - note.startTick)) },
        velocity: note.velocity,
      };
    });
}
