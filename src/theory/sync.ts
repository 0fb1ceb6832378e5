/**
 * Tempo-synced times for effects: a delay of `'8n.'` or an LFO at `'1m'` becomes seconds at
 * the song's opening tempo (EffectProcessContext.beatSeconds, one quarter note).
 */
import type { NoteValue, Seconds } from './units.ts';

/** A time an effect option takes: seconds, or a note value synced to the tempo. */
export type SyncedTime = Seconds | NoteValue;

const NOTE_VALUE = /^(\d+)(n|t)(\.?)$|^(\d+(?:\.\d+)?)m$/;

/** True when `value` is seconds (a finite number ≥ 0) or a note value mixdown understands. */
export function isSyncedTime(value: unknown): value is SyncedTime {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  return typeof value === 'string' && NOTE_VALUE.test(value);
}

/**
 * Seconds of `value`: a number is seconds; `'4n'` a quarter, `'8t'` an eighth triplet (2/3),
 * `'8n.'` a dotted eighth (3/2), `'2m'` two bars of four quarters.
 */
export function syncedSeconds(value: SyncedTime, beatSeconds: number): Seconds {
  if (typeof value === 'number') return value;
  const match = NOTE_VALUE.exec(value);
  if (!match) throw new Error(`'${value}' is not a note value (use '4n', '8t', '8n.', '1m' or seconds)`);
  if (match[4] !== undefined) return Number(match[4]) * 4 * beatSeconds;
  const quarters = 4 / Number(match[1]);
  const factor = match[2] === 't' ? 2 / 3 : match[3] ? 1.5 : 1;
  return quarters * factor * beatSeconds;
}
