/**
 * The listening room's page data (`room.json`): plain JSON, written beside every song's
 * index.html and embedded in it. The browser entry (browser/) reads only this, so a later
 * page (a diff of two builds) can reuse the same shell with two of these. No imports: the
 * build and the browser bundle share this file.
 */

export const ROOM_FORMAT = 'mixdown-room/1';

/** Min/max envelope of one audio file (over all its channels), `count` equal buckets. */
export interface RoomPeaks {
  /** Lowest sample value in each bucket, rounded to 1e-4. */
  readonly min: readonly number[];
  /** Highest sample value in each bucket, rounded to 1e-4. */
  readonly max: readonly number[];
}

/** A stem or a bus as a lane of the page. */
export interface RoomLane {
  readonly id: string;
  readonly kind: 'track' | 'bus';
  /** `'master'` or the bus it feeds. */
  readonly output: string;
  /** The built file the page plays, relative to the page (`stems/bass.wav`). */
  readonly audio: string;
  readonly peaks: RoomPeaks;
  /** Sample peak, dBFS (null for silence). */
  readonly peakDb: number | null;
}

export interface RoomLoudness {
  /** Seconds between two values of `momentary` and `shortTerm`. */
  readonly step: number;
  /** Momentary (400 ms) loudness, LUFS, the window ending at (i · step + 0.4) s; null below −70. */
  readonly momentary: readonly (number | null)[];
  /** Short-term (3 s) loudness, LUFS, the window ending at (i · step + 3) s; null below −70. */
  readonly shortTerm: readonly (number | null)[];
  readonly integrated: number | null;
  readonly target: { readonly integrated: number; readonly tolerance: number; readonly ceilingDb: number } | null;
  /** The ceiling overs are counted against: the target's, or 0 dBTP. */
  readonly ceilingDb: number;
  /** Each `step`-long stretch whose true peak exceeds the ceiling: its start (s) and true peak (dBTP). */
  readonly overs: readonly { readonly seconds: number; readonly dbtp: number }[];
}

export interface RoomNumbers {
  readonly integrated: number | null;
  readonly range: number | null;
  readonly truePeakDb: number | null;
  /** Peak-to-loudness ratio: true peak − integrated, LU. */
  readonly plr: number | null;
  readonly momentaryMax: number | null;
  readonly shortTermMax: number | null;
  readonly peakDb: number | null;
  readonly meetsTarget: boolean;
  readonly target: { readonly integrated: number; readonly tolerance: number; readonly ceilingDb: number } | null;
}

export interface RoomData {
  readonly format: typeof ROOM_FORMAT;
  readonly song: string;
  /** null for the song as written. */
  readonly variant: string | null;
  readonly title: string;
  readonly sampleRate: number;
  readonly durationSeconds: number;
  readonly lengthSamples: number;
  /** The page of the song as written and of each variant built so far, relative to this page. */
  readonly variants: readonly { readonly name: string | null; readonly href: string; readonly audio: string }[];
  /** The master the page plays and draws (`master-16.wav`, else `master.wav`). */
  readonly master: { readonly audio: string; readonly peaks: RoomPeaks };
  /** Tracks, then buses, in the song's order. */
  readonly lanes: readonly RoomLane[];
  /** One per section occurrence (`verse 2`), bar 1-based. */
  readonly markers: readonly { readonly name: string; readonly bar: number; readonly seconds: number }[];
  /** Start of every bar (1-based), for the ruler. */
  readonly bars: readonly { readonly bar: number; readonly seconds: number }[];
  readonly loudness: RoomLoudness;
  /** Octave-band balance (dB re the track's total) of the master and of the reference. */
  readonly spectrum: { readonly hz: readonly number[]; readonly master: readonly (number | null)[]; readonly reference: readonly (number | null)[] | null };
  /** The reference track, when the song names one: a 16-bit copy the page plays, and the gain that matches its loudness to the master's. */
  readonly reference: { readonly file: string; readonly audio: string; readonly integrated: number | null; readonly matchDb: number } | null;
  readonly numbers: RoomNumbers;
}

/** One row of dist/index.html. */
export interface RoomIndexEntry {
  readonly song: string;
  readonly variant: string | null;
  readonly title: string;
  readonly href: string;
  readonly durationSeconds: number;
  readonly integrated: number | null;
  readonly truePeakDb: number | null;
  /** The integrated loudness target, null when the song sets none. */
  readonly target: number | null;
  readonly meetsTarget: boolean;
}

export const DIFF_PAGE_FORMAT = 'mixdown-diff-page/1';

/** A note of the diff page's piano roll: pitch and position in ticks, as diff.json has it. */
export interface DiffPageNote {
  readonly midi: number;
  readonly pitch: string;
  /** `bars:beats:ticks`, as the song writes positions. */
  readonly start: string;
  readonly startTick: number;
  readonly lengthTicks: number;
  readonly velocity: number;
}

/** A time range where the two renders differ (from diff.json's sound section). */
export interface DiffPageRange {
  readonly start: number;
  readonly end: number;
  readonly from?: string;
  readonly to?: string;
}

/** One output drawn on the diff page's timeline: the master, and each changed stem or bus. */
export interface DiffPageLane {
  /** Output path in the song's folder (`master.wav`, `stems/bass.wav`). */
  readonly path: string;
  readonly status: 'unchanged' | 'changed' | 'added' | 'removed';
  /** Both sides' envelopes over the same buckets of the longer file (a side's missing end reads as silence); null where a side's render was not at hand. */
  readonly peaks: { readonly a: RoomPeaks | null; readonly b: RoomPeaks | null };
  readonly ranges: readonly DiffPageRange[];
  /** One line on what changed (largest difference, loudness A → B), or why it was not compared. */
  readonly summary: string;
}

/** diff.html's data: one song (or variant) compared across two sides, as `mixdown diff --save` measured it. */
export interface DiffPageData {
  readonly format: typeof DIFF_PAGE_FORMAT;
  readonly song: string;
  readonly variant: string | null;
  readonly a: { readonly label: string; readonly kind: string; readonly commit?: string };
  readonly b: { readonly label: string; readonly kind: string; readonly commit?: string };
  readonly status: 'changed' | 'unchanged' | 'added' | 'removed';
  readonly musicalChange: boolean | null;
  /** Length of the timeline: the longest file drawn (the longer side's master). */
  readonly durationSeconds: number;
  readonly lanes: readonly DiffPageLane[];
  /** What kind of change this is, as the terminal prints it (`changed; 3 of 8 outputs differ`). */
  readonly headline: string;
  /** Arrangement and mix changes, one line each as the terminal prints them (`tracks.bass.effects.compressor.ratio: 4 → 6`). */
  readonly arrangement: readonly string[];
  readonly mix: readonly string[];
  readonly notes: readonly {
    readonly section: string;
    readonly track: string;
    readonly summary: string;
    readonly notes: readonly { readonly kind: 'added' | 'removed' | 'moved' | 'changed'; readonly a?: DiffPageNote; readonly b?: DiffPageNote; readonly detail?: string }[];
  }[];
  /** The two sides' masters (16-bit copies beside the page), relative to it; null where a side's master was not at hand. */
  readonly audio: { readonly a: string | null; readonly b: string | null };
  /** Every other output and its status (unchanged ones included), for the table. */
  readonly outputs: readonly { readonly path: string; readonly status: string; readonly summary: string }[];
}
