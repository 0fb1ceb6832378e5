/**
 * Audio clips on the timeline: `audioTrack([clip('vox/verse.wav', '8:0:0', { fadeIn: 0.01 })])`
 * is a track whose instrument is the clip player and whose notes are the clips (note i plays
 * clip i at its position). Everything after it — inserts, sends, buses, automation, the
 * cache — treats it like any other track.
 *
 * A track holds at most 128 clips (one per MIDI note number); split longer lists over tracks.
 */
import { clipDataDefaults, clipPlayer, type ClipData } from './clips.ts';
import type { Decibels, Seconds, Time } from '../theory/units.ts';
import type { TrackInput } from '../api/song.ts';

/** How a clip plays. */
export interface ClipOptions {
  /** Seconds cut from the file's start. @default 0 */
  readonly trimStart?: Seconds;
  /** Seconds cut from the file's end. @default 0 */
  readonly trimEnd?: Seconds;
  /** Linear fade-in, seconds. @default 0 */
  readonly fadeIn?: Seconds;
  /** Linear fade-out ending at the clip's last sample, seconds. @default 0 */
  readonly fadeOut?: Seconds;
  /** Level, dB. @default 0 */
  readonly gain?: Decibels;
  /** Repeat the (trimmed) clip to fill `length`. @default false */
  readonly loop?: boolean;
  /**
   * How long the clip plays: it stops there (or loops to fill it). Without it the whole trimmed
   * clip plays, but the song's length does not know the file's: give a length (or the song a
   * `tail`) for a clip that ends the song. @default the whole clip
   */
  readonly length?: Time;
}

/** An audio clip placed on the timeline. */
export interface Clip extends ClipOptions {
  /** Project path of the audio file. */
  readonly file: string;
  /** Where its first sample plays, e.g. `'4:0:0'` or `{ seconds: 12.5 }`. */
  readonly at: Time;
}

/** Place an audio file on the timeline. `clip('loops/break.wav', '2:0:0', { length: '4m', loop: true })`. */
export function clip(file: string, at: Time, options: ClipOptions = {}): Clip {
  return { ...options, file, at };
}

/** Note length of a clip without a length: the clip player plays such clips through whatever the note's length. */
const WHOLE_CLIP_NOTE: Time = { ticks: 1 };

/** A track playing audio clips, with the usual channel strip. */
export function audioTrack(clips: readonly Clip[], channel: Omit<TrackInput, 'instrument' | 'notes' | 'parts'> = {}): TrackInput {
  if (clips.length > 128) throw new Error(`audioTrack: ${clips.length} clips, but a track holds at most 128 (one per MIDI note); split them over several audio tracks`);
  const data: ClipData[] = clips.map((c) => ({
    file: c.file,
    trimStart: c.trimStart ?? clipDataDefaults.trimStart,
    trimEnd: c.trimEnd ?? clipDataDefaults.trimEnd,
    fadeIn: c.fadeIn ?? clipDataDefaults.fadeIn,
    fadeOut: c.fadeOut ?? clipDataDefaults.fadeOut,
    gain: c.gain ?? clipDataDefaults.gain,
    loop: c.loop ?? clipDataDefaults.loop,
    toNoteEnd: c.length !== undefined,
  }));
  return {
    ...channel,
    instrument: clipPlayer({ clips: data }),
    notes: clips.map((c, i) => ({ pitch: i, start: c.at, length: c.length ?? WHOLE_CLIP_NOTE })),
  };
}
