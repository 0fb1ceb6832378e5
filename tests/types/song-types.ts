/**
 * Type tests: what defineSong accepts and rejects. Checked by `tsc` (tests/types.test.ts):
 * every `@ts-expect-error` must meet an error, or tsc fails with "unused directive".
 */
import { beats, defineSong, drums, synth, ticks, type NoteInput, type TrackInput } from 'mixdown';

const lead: TrackInput = { instrument: synth({ wave: 'saw', filter: { cutoff: 800 } }), notes: [{ pitch: 'C#3', start: '0:0:0', length: '8n' }] };

export const ok = defineSong({
  title: 'Types',
  tempo: 120,
  meter: [6, 8],
  sampleRate: 44100,
  tracks: {
    lead,
    beat: { instrument: drums({ kick: { decay: 0.3 } }), gain: -3, pan: 0.5, notes: [{ pitch: 36, start: beats(1), length: ticks(240), velocity: 90 }] },
  },
});

export const fromContext = defineSong(({ id }) => ({ title: id, tempo: 90, tracks: { lead } }));

// @ts-expect-error a misspelt song option
export const typoSong = defineSong({ title: 'x', tempo: 120, temp: 3, tracks: {} });

// @ts-expect-error a misspelt instrument option
synth({ wav: 'saw' });

// @ts-expect-error a misspelt nested instrument option
synth({ filter: { cutof: 300 } });

// @ts-expect-error a waveform the synth does not have
synth({ wave: 'noise' });

// @ts-expect-error a time without a unit
export const bareNumber: NoteInput = { pitch: 60, start: 4, length: '4n' };

// @ts-expect-error milliseconds are not a unit mixdown reads
export const millis: NoteInput = { pitch: 60, start: { ms: 1000 }, length: '4n' };

export const inSeconds: NoteInput = { pitch: 60, start: { seconds: 1.5 }, length: { seconds: 0.25 } };

// @ts-expect-error a pitch name that does not exist
export const badName: NoteInput = { pitch: 'H4', start: '0:0', length: '4n' };

// @ts-expect-error a note value that does not exist
export const badValue: NoteInput = { pitch: 60, start: '0:0', length: '3n' };

// @ts-expect-error a sample rate mixdown does not render at
export const badRate = defineSong({ title: 'x', tempo: 120, sampleRate: 22050, tracks: {} });

// @ts-expect-error a meter with a denominator that is not a power of two
export const badMeter = defineSong({ title: 'x', tempo: 120, meter: [4, 3], tracks: {} });

// @ts-expect-error gain is a number of dB, not a string
export const badGain: TrackInput = { instrument: synth(), notes: [], gain: '-3dB' };
