/**
 * Helpers for writing variants: pure functions from a song to a changed copy. Use them in
 * `variants: { radio: (s) => withForm(s, […]), instrumental: (s) => removeTracks(s, 'lead') }`.
 */
import { findInstrument } from '../registry/registry.ts';
import { parsePitch } from '../theory/pitch.ts';
import type { InstrumentRef } from '../ir/plugin.ts';
import type { BPM } from '../theory/units.ts';
import type { NoteInput, PartInput, SongInput, TrackInput } from './song.ts';

/** The song with another form (section order). */
export function withForm(song: SongInput, form: readonly string[]): SongInput {
  return { ...song, form };
}

/** The song without these tracks. */
export function removeTracks(song: SongInput, ...ids: string[]): SongInput {
  return { ...song, tracks: Object.fromEntries(Object.entries(song.tracks).filter(([id]) => !ids.includes(id))) };
}

/** The song with these tracks muted (their stems are written, silent). */
export function muteTracks(song: SongInput, ...ids: string[]): SongInput {
  return mapTracks(song, (track, id) => (ids.includes(id) ? { ...track, mute: true } : track));
}

/** The song with one track changed by `change`. */
export function withTrack(song: SongInput, id: string, change: (track: TrackInput) => TrackInput): SongInput {
  const track = song.tracks[id];
  if (!track) throw new RangeError(`withTrack: the song has no track '${id}'`);
  return { ...song, tracks: { ...song.tracks, [id]: change(track) } };
}

/** The song with a track played by another instrument. */
export function swapInstrument(song: SongInput, id: string, instrument: InstrumentRef): SongInput {
  return withTrack(song, id, (track) => ({ ...track, instrument }));
}

/** The song at another tempo (a tempo map is scaled by the same ratio as its first point). */
export function withTempo(song: SongInput, bpm: BPM): SongInput {
  if (typeof song.tempo === 'number') return { ...song, tempo: bpm };
  const ratio = bpm / song.tempo[0].bpm;
  return { ...song, tempo: song.tempo.map((change) => ({ ...change, bpm: change.bpm * ratio })) };
}

/** The song with another seed: every track's randomness changes. */
export function reseed(song: SongInput, seed: number): SongInput {
  return { ...song, seed };
}

/** The song transposed by `semitones`, except drum tracks (their note numbers are sounds, not pitches). */
export function transposeSong(song: SongInput, semitones: number): SongInput {
  return mapTracks(song, (track) => {
    const definition = findInstrument(track.instrument.plugin);
    if (definition?.midi?.(track.instrument.options).drums) return track;
    const shiftNotes = (notes: readonly NoteInput[]) => notes.map((note) => ({ ...note, pitch: (parsePitch(note.pitch) ?? Number.NaN) + semitones }));
    const shiftPart = (part: PartInput): PartInput => (Array.isArray(part) ? shiftNotes(part) : { ...part, notes: shiftNotes((part as { notes: readonly NoteInput[] }).notes) });
    return {
      ...track,
      ...(track.notes ? { notes: shiftNotes(track.notes) } : {}),
      ...(track.parts ? { parts: Object.fromEntries(Object.entries(track.parts).map(([name, part]) => [name, shiftPart(part)])) } : {}),
    };
  });
}

function mapTracks(song: SongInput, change: (track: TrackInput, id: string) => TrackInput): SongInput {
  return { ...song, tracks: Object.fromEntries(Object.entries(song.tracks).map(([id, track]) => [id, change(track, id)])) };
}
