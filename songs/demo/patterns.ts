/**
 * Pattern helpers for the demo song: a shared module the song imports, as a user's songs
 * would share helpers. Positions are built in ticks (960 per quarter, 3,840 per 4/4 bar).
 */
import type { NoteInput, Pitch } from 'mixdown';

const BAR = 3840;
const STEP = 240; // a sixteenth

/** A position: bar (0-based) and sixteenth step within it. */
export function at(bar: number, step = 0): { ticks: number } {
  return { ticks: bar * BAR + step * STEP };
}

/** A length in sixteenths. */
export function steps(count: number): { ticks: number } {
  return { ticks: count * STEP };
}

/**
 * Notes from a step string, one character per sixteenth: `x` hit, `X` accent, `o` ghost,
 * `.` rest. Repeated over `bars` bars starting at `fromBar`.
 */
export function grid(pattern: string, pitch: Pitch, fromBar: number, bars: number, velocities = { x: 96, X: 120, o: 50 }): NoteInput[] {
  const notes: NoteInput[] = [];
  const cells = pattern.replace(/\s+/g, '');
  for (let bar = fromBar; bar < fromBar + bars; bar++) {
    for (let step = 0; step < cells.length; step++) {
      const cell = cells[step] as 'x' | 'X' | 'o' | '.';
      if (cell === '.') continue;
      const startStep = step % 16;
      const barOffset = Math.floor(step / 16);
      notes.push({ pitch, start: at(bar + barOffset, startStep), length: steps(1), velocity: velocities[cell] });
    }
    if (cells.length > 16) bar += Math.ceil(cells.length / 16) - 1;
  }
  return notes;
}

/** A chord (list of pitches) held from a position for a length. */
export function chord(pitches: readonly Pitch[], bar: number, lengthSteps: number, velocity = 80, step = 0): NoteInput[] {
  return pitches.map((pitch) => ({ pitch, start: at(bar, step), length: steps(lengthSteps), velocity }));
}

/** A small deterministic generator for the demo's variations (xorshift32). */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}
