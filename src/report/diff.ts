/**
 * The result of `mixdown diff`: plain, JSON-serialisable data (no times, no absolute
 * paths), printed as text or Markdown and written as diff.json for a page to render.
 * One SongDiff per song and variant, from two SongIRs and the two sides' outputs.
 */
import type { SongIR } from '../ir/types.ts';
import { canonicalJson } from '../ir/hash.ts';
import { TempoClock } from '../theory/time.ts';
import { diffFields, diffMusic, fieldMap, formatPosition, type FieldChange, type NoteGroup } from './diff-music.ts';
import { diffOutput, type OutputSide, type SoundDiff } from './diff-sound.ts';
import type { SongReport } from './report.ts';

/** Version of the diff.json format. */
export const DIFF_VERSION = 1;

export interface DiffSide {
  /** As given on the command line (`HEAD~1`), `working tree`, or the folder or lock file. */
  readonly label: string;
  readonly kind: 'commit' | 'working tree' | 'output folder' | 'lock file';
  /** The commit a revision resolved to. */
  readonly commit?: string;
}

export interface SongDiff {
  readonly song: string;
  /** Variant name; null for the song as written. */
  readonly variant: string | null;
  /** `added`/`removed`: the song (or variant) exists on one side only. */
  readonly status: 'changed' | 'unchanged' | 'added' | 'removed';
  /**
   * Whether anything a listener could hear differs in the songs' data: false when the two
   * SongIRs are identical (a pure refactor of the song's code); null when a side has no SongIR (output folders, lock files).
   */
  readonly musicalChange: boolean | null;
  readonly arrangement: readonly FieldChange[];
  readonly notes: readonly NoteGroup[];
  readonly mix: readonly FieldChange[];
  /** Every output of either side: unchanged (same digest), changed (and how), added or removed. */
  readonly sound: readonly SoundDiff[];
}

export interface DiffResult {
  readonly diffVersion: typeof DIFF_VERSION;
  readonly a: DiffSide;
  readonly b: DiffSide;
  readonly songs: readonly SongDiff[];
}

/** One side of a song and variant: its SongIR when known, its report when known, its outputs, and how to read them. */
export interface SongSide {
  readonly ir?: SongIR;
  readonly report?: Pick<SongReport, 'title' | 'key' | 'tempo' | 'meter' | 'markers' | 'durationSeconds' | 'tracks' | 'buses'>;
  /** Outputs by path inside the song's folder, in the order the build lists them. */
  readonly outputs: ReadonlyMap<string, OutputSide>;
  readonly read: (path: string, output: OutputSide) => Uint8Array | undefined;
}

/** A song or variant that exists on one side only. */
export function oneSidedSong(song: string, variant: string | null, status: 'added' | 'removed'): SongDiff {
  return { song, variant, status, musicalChange: null, arrangement: [], notes: [], mix: [], sound: [] };
}

/** Compare one song (or variant) across the two sides. */
export function diffSong(song: string, variant: string | null, a: SongSide, b: SongSide): SongDiff {
  let arrangement: readonly FieldChange[] = [];
  let notes: readonly NoteGroup[] = [];
  let mix: readonly FieldChange[] = [];
  let musicalChange: boolean | null = null;
  if (a.ir && b.ir) {
    const music = diffMusic(a.ir, b.ir);
    ({ arrangement, mix } = music);
    ({ notes } = music);
    musicalChange = canonicalJson(a.ir) !== canonicalJson(b.ir);
    // Every field a SongIR holds is shown above; should one ever differ unlisted, say so rather than claim no change.
    if (musicalChange && !arrangement.length && !notes.length && !mix.length) mix = [{ path: 'SongIR', a: 'differs', b: 'in a field the diff does not list' }];
  } else if (a.report && b.report) {
    arrangement = diffFields(reportView(a.report), reportView(b.report));
  }
  const paths = [...b.outputs.keys()];
  for (const path of a.outputs.keys()) if (!b.outputs.has(path)) paths.push(path);
  const position = b.ir ? positionOf(b.ir) : undefined;
  const sound = paths.map((path) =>
    diffOutput(path, a.outputs.get(path) ?? null, b.outputs.get(path) ?? null, (side, output) => (side === 'a' ? a : b).read(path, output), position),
  );
  const changed = musicalChange === true || arrangement.length > 0 || notes.length > 0 || mix.length > 0 || sound.some((output) => output.status !== 'unchanged');
  return { song, variant, status: changed ? 'changed' : 'unchanged', musicalChange, arrangement, notes, mix, sound };
}

/** Sample → song position through the song's tempo map. */
function positionOf(song: SongIR): (sample: number) => string {
  const clock = new TempoClock(song.tempoMap);
  return (sample) => formatPosition(song.meterMap, Math.round(clock.ticksAt(sample / song.sampleRate)));
}

/** What report.json says of a song's arrangement and channels, for sides without a SongIR. */
function reportView(report: NonNullable<SongSide['report']>) {
  const map = fieldMap();
  map.set('title', report.title);
  map.set('key', report.key);
  for (const point of report.tempo) map.entity(`tempo at bar ${point.bar}`, `${point.bpm} bpm${point.ramp ? ', ramp' : ''}`);
  for (const point of report.meter) map.entity(`meter at bar ${point.bar}`, point.meter);
  map.set('form', report.markers.map((marker) => `${marker.name}@${marker.bar}`).join(' '));
  map.set('duration', `${report.durationSeconds} s`);
  for (const track of report.tracks) {
    map.entity(`tracks.${track.id}`, track.instrument);
    map.set(`tracks.${track.id}.notes`, track.notes);
    map.set(`tracks.${track.id}.output`, track.output);
    map.set(`tracks.${track.id}.effects`, track.effects.join(', '));
    map.set(`tracks.${track.id}.sends`, track.sends.join(', '));
    map.set(`tracks.${track.id}.mute`, track.mute);
  }
  for (const bus of report.buses) {
    map.entity(`buses.${bus.id}`, 'bus');
    map.set(`buses.${bus.id}.output`, bus.output);
    map.set(`buses.${bus.id}.effects`, bus.effects.join(', '));
    map.set(`buses.${bus.id}.sends`, bus.sends.join(', '));
  }
  return map;
}
