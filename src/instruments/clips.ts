/**
 * `clip-player`: the instrument behind audio tracks (`audioTrack` in src/instruments/audio-track.ts).
 * Note i plays clip i of `clips`: the file from `trimStart` to its end less `trimEnd`, from the
 * note's start sample exactly, with linear fades of exact lengths and a gain. A clip given a
 * length (`toNoteEnd`) stops at the note's end, or with `loop` repeats to fill it; otherwise it
 * plays through once.
 *
 * Audio is copied, not resampled or interpolated: `readAudio` already gives the song's rate,
 * so sample n of the clip is sample n of the file. Mono files go to both sides at unity (the
 * track's pan places them); stereo files keep their sides.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import type { Decibels, Seconds } from '../theory/units.ts';

/** One clip as the player receives it (built by `clip()` and `audioTrack()`). */
export interface ClipData {
  /** Project path of the audio file. */
  readonly file: string;
  /** Seconds cut from the file's start. @default 0 */
  readonly trimStart: Seconds;
  /** Seconds cut from the file's end. @default 0 */
  readonly trimEnd: Seconds;
  /** Linear fade-in from silence, seconds from the clip's start. @default 0 */
  readonly fadeIn: Seconds;
  /** Linear fade-out to silence, seconds before the clip's last sample. @default 0 */
  readonly fadeOut: Seconds;
  /** Level, dB. @default 0 */
  readonly gain: Decibels;
  /** Repeat the trimmed clip to fill its note (needs `toNoteEnd`). @default false */
  readonly loop: boolean;
  /** True: play until the note's end (cut there, or looped to fill it); false: play the trimmed clip through once. @default false */
  readonly toNoteEnd: boolean;
}

export interface ClipPlayerOptions {
  /** The clips; note i plays clips[i]. @default [] */
  readonly clips: readonly ClipData[];
}

export const clipDataDefaults: Omit<ClipData, 'file'> = { trimStart: 0, trimEnd: 0, fadeIn: 0, fadeOut: 0, gain: 0, loop: false, toNoteEnd: false };

export const clipPlayerDefaults: ClipPlayerOptions = { clips: [] };

export const clipPlayer = defineInstrument<ClipPlayerOptions>({
  name: 'clip-player',
  version: '1',
  defaults: clipPlayerDefaults,
  channels: 2,
  // A clip without a length plays past its (one-tick) note; its file's length is not known
  // when the song is planned, so the song's length covers it only through other notes or
  // the song's `tail`. Clips with a length end with their notes.
  tail: () => 0,
  files: (options) => [...new Set(options.clips.map((clip) => clip.file))].map((path) => ({ path, as: 'audio' as const })),
  validate(options) {
    const problems: string[] = [];
    if (!Array.isArray(options.clips)) return ['clips must be an array of clips'];
    if (options.clips.length > 128) problems.push('at most 128 clips per audio track (one per MIDI note): split them over more tracks');
    options.clips.forEach((clip, i) => {
      const at = `clips[${i}]`;
      if (typeof clip.file !== 'string' || clip.file === '') problems.push(`${at}.file must be a project path to an audio file`);
      for (const key of ['trimStart', 'trimEnd', 'fadeIn', 'fadeOut'] as const) {
        if (!(clip[key] >= 0 && Number.isFinite(clip[key]))) problems.push(`${at}.${key} must be seconds ≥ 0`);
      }
      if (!Number.isFinite(clip.gain)) problems.push(`${at}.gain must be a number of dB`);
      if (clip.loop && !clip.toNoteEnd) problems.push(`${at}: a looping clip needs a length to fill`);
    });
    return problems;
  },
  render({ options, notes, output, sampleRate, readAudio }) {
    const length = output[0]?.length ?? 0;
    const left = output[0];
    const right = output.length > 1 ? output[1] : null;
    for (const note of notes) {
      const clip = options.clips[note.pitch];
      if (!clip || note.startSample >= length) continue;
      const channels = readAudio(clip.file).channels;
      const frames = channels[0]?.length ?? 0;
      const first = Math.min(frames, Math.round(clip.trimStart * sampleRate));
      const last = Math.max(first, frames - Math.round(clip.trimEnd * sampleRate));
      const span = last - first;
      if (span <= 0) continue;
      const plays = clip.toNoteEnd ? (clip.loop ? note.lengthSamples : Math.min(span, note.lengthSamples)) : span;
      const fadeIn = Math.min(plays, Math.round(clip.fadeIn * sampleRate));
      const fadeOut = Math.min(plays, Math.round(clip.fadeOut * sampleRate));
      const fadeOutFrom = plays - fadeOut;
      const gain = Math.pow(10, clip.gain / 20);
      const a = channels[0];
      const b = channels.length > 1 ? channels[1] : a;
      const start = note.startSample;
      const end = Math.min(plays, length - start);
      // Read position inside the trimmed clip, wrapping at its end when looping.
      const from = Math.max(0, -start);
      let read = first + (from % span);
      for (let n = from; n < end; n++) {
        if (read >= last) read = first;
        let level = gain;
        if (n < fadeIn) level *= n / fadeIn;
        if (n >= fadeOutFrom) level *= (plays - n) / fadeOut;
        if (right === null) left[start + n] += (a[read] + b[read]) * 0.5 * level;
        else {
          left[start + n] += a[read] * level;
          right[start + n] += b[read] * level;
        }
        read++;
      }
    }
  },
});
