/**
 * Note-writing helpers: pure functions that build or transform lists of notes. Positions
 * and lengths come back as `{ ticks }`. Times given to them are read in 4/4 unless a
 * `meter` is passed (they run before the song's meter map exists).
 */
import { createRandom } from '../dsp/random.ts';
import { parsePitch } from './pitch.ts';
import { lengthToTicks, positionToTicks, type MeterPoint } from './time.ts';
import type { Meter, MidiNote, NoteInput, Pitch, Time, Velocity } from './units.ts';

/** A note with its times in ticks: what every helper returns. */
export interface TickedNote {
  readonly pitch: MidiNote;
  readonly start: { readonly ticks: number };
  readonly length: { readonly ticks: number };
  readonly velocity: Velocity;
}

function meterMap(meter: Meter = [4, 4]): MeterPoint[] {
  return [{ tick: 0, bar: 0, numerator: meter[0], denominator: meter[1] }];
}

const at = (time: Time, meter?: Meter) => positionToTicks(time, meterMap(meter));
const span = (time: Time, meter?: Meter) => lengthToTicks(time, meterMap(meter), 0);

function ticked(note: NoteInput, meter?: Meter): TickedNote {
  const pitch = parsePitch(note.pitch);
  if (pitch === undefined) throw new RangeError(`${JSON.stringify(note.pitch)} is not a pitch`);
  return { pitch, start: { ticks: at(note.start, meter) }, length: { ticks: span(note.length, meter) }, velocity: note.velocity ?? 100 };
}

const make = (pitch: MidiNote, start: number, length: number, velocity: number): TickedNote => ({
  pitch,
  start: { ticks: Math.round(start) },
  length: { ticks: Math.max(1, Math.round(length)) },
  velocity: Math.min(127, Math.max(1, Math.round(velocity))),
});

/**
 * Bjorklund's even distribution of `pulses` onsets over `steps`, rotated left by `rotation`:
 * `euclid(3, 8)` → x..x..x. as booleans.
 */
export function euclid(pulses: number, steps: number, rotation = 0): boolean[] {
  if (!Number.isInteger(pulses) || !Number.isInteger(steps) || pulses < 0 || steps < 1 || pulses > steps) {
    throw new RangeError(`euclid(${pulses}, ${steps}) needs 0 ≤ pulses ≤ steps`);
  }
  // Bjorklund: pair the onset groups with the rest groups until one remainder group is left.
  let groups: number[][] = Array.from({ length: pulses }, () => [1]);
  let remainder: number[][] = Array.from({ length: steps - pulses }, () => [0]);
  while (remainder.length > 1 && groups.length > 0) {
    const pairs = Math.min(groups.length, remainder.length);
    const paired = groups.slice(0, pairs).map((group, i) => [...group, ...remainder[i]]);
    remainder = groups.length > pairs ? groups.slice(pairs) : remainder.slice(pairs);
    groups = paired;
  }
  const aligned = [...groups, ...remainder].flat().map((bit) => bit === 1);
  const shift = ((rotation % steps) + steps) % steps;
  return [...aligned.slice(shift), ...aligned.slice(0, shift)];
}

/** The same as a grid string: `euclidPattern(3, 8)` → `'x..x..x.'`. */
export function euclidPattern(pulses: number, steps: number, rotation = 0): string {
  return euclid(pulses, steps, rotation)
    .map((on) => (on ? 'x' : '.'))
    .join('');
}

export interface GridOptions {
  /** Length of one character. @default '16n' */
  readonly step?: Time;
  /** Where the first character falls. @default '0:0:0' */
  readonly start?: Time;
  /** Velocity of `x`. @default 100 */
  readonly velocity?: Velocity;
  /** Velocity of `X` (accent). @default 127 */
  readonly accent?: Velocity;
  /** Velocity of `o` (ghost note). @default 45 */
  readonly ghost?: Velocity;
  /** Held length of each hit. @default one step */
  readonly length?: Time;
  readonly meter?: Meter;
}

/**
 * Notes from a step string: `x` hit, `X` accent, `o` ghost, `.` or `-` rest; spaces and `|`
 * are ignored, for readability. `grid('x...x...x...x...', 'C2')` is four on the floor.
 */
export function grid(pattern: string, pitch: Pitch, options: GridOptions = {}): TickedNote[] {
  const midi = parsePitch(pitch);
  if (midi === undefined) throw new RangeError(`${JSON.stringify(pitch)} is not a pitch`);
  const step = span(options.step ?? '16n', options.meter);
  const start = at(options.start ?? '0:0:0', options.meter);
  const length = options.length ? span(options.length, options.meter) : step;
  const velocities: Record<string, number> = { x: options.velocity ?? 100, X: options.accent ?? 127, o: options.ghost ?? 45 };
  const notes: TickedNote[] = [];
  let index = 0;
  for (const cell of pattern) {
    if (cell === ' ' || cell === '|') continue;
    if (cell in velocities) notes.push(make(midi, start + index * step, length, velocities[cell]));
    else if (cell !== '.' && cell !== '-') throw new RangeError(`grid: '${cell}' is not one of x X o . -`);
    index++;
  }
  return notes;
}

export interface ArpeggioOptions {
  /** Length of each arpeggio note. @default '16n' */
  readonly rate?: Time;
  /** Order within each chord. `'random'` draws from `seed`. @default 'up' */
  readonly pattern?: 'up' | 'down' | 'updown' | 'random';
  /** Octaves the pattern spans. @default 1 */
  readonly octaves?: number;
  /** How long each chord lasts. @default '1m' */
  readonly chordLength?: Time;
  /** Where the first chord starts. @default '0:0:0' */
  readonly start?: Time;
  /** Seed for `'random'`. @default 0 */
  readonly seed?: number;
  readonly velocity?: Velocity;
  /** Held fraction of each step, 0–1. @default 0.9 */
  readonly gate?: number;
  readonly meter?: Meter;
}

/** An arpeggio over chords, each chord for `chordLength`, one note every `rate`. */
export function arpeggiate(chords: readonly (readonly MidiNote[])[], options: ArpeggioOptions = {}): TickedNote[] {
  const rate = span(options.rate ?? '16n', options.meter);
  const chordLength = span(options.chordLength ?? '1m', options.meter);
  const start = at(options.start ?? '0:0:0', options.meter);
  const octaves = Math.max(1, Math.floor(options.octaves ?? 1));
  const random = createRandom(options.seed ?? 0);
  const gate = Math.min(1, Math.max(0.01, options.gate ?? 0.9));
  const notes: TickedNote[] = [];
  chords.forEach((chordNotes, chordIndex) => {
    const sorted = [...chordNotes].sort((a, b) => a - b);
    const ladder = Array.from({ length: octaves }, (_, octave) => sorted.map((note) => note + 12 * octave)).flat();
    const order =
      options.pattern === 'down'
        ? [...ladder].reverse()
        : options.pattern === 'updown'
          ? [...ladder, ...ladder.slice(1, -1).reverse()]
          : ladder;
    const steps = Math.floor(chordLength / rate);
    for (let step = 0; step < steps; step++) {
      const pitch = options.pattern === 'random' ? ladder[Math.floor(random() * ladder.length)] : order[step % order.length];
      notes.push(make(pitch, start + chordIndex * chordLength + step * rate, rate * gate, options.velocity ?? 100));
    }
  });
  return notes;
}

/**
 * Swing: notes on the off-beats of `grid` move later. `ratio` is the on-beat's share of
 * each pair: 0.5 straight, 2/3 triplet swing, 0.75 hard.
 */
export function swing(notes: readonly NoteInput[], ratio: number, gridValue: Time = '8n', meter?: Meter): TickedNote[] {
  const grid = span(gridValue, meter);
  const shift = Math.round((ratio - 0.5) * 2 * grid);
  return notes.map((note) => {
    const t = ticked(note, meter);
    const offbeat = t.start.ticks % (2 * grid) === grid;
    return offbeat ? make(t.pitch, t.start.ticks + shift, t.length.ticks, t.velocity) : t;
  });
}

/** Seeded random timing (± ticks) and velocity (±) variation. Tracks can also ask for it with `humanize:`, seeded per track. */
export function humanize(notes: readonly NoteInput[], options: { timing?: number; velocity?: number; seed: number; meter?: Meter }): TickedNote[] {
  const random = createRandom(options.seed);
  return notes.map((note) => {
    const t = ticked(note, options.meter);
    const start = Math.max(0, t.start.ticks + Math.round((random() * 2 - 1) * (options.timing ?? 0)));
    return make(t.pitch, start, t.length.ticks, t.velocity + Math.round((random() * 2 - 1) * (options.velocity ?? 0)));
  });
}

/** Move starts toward the nearest `grid` line by `strength` (1 = fully on the grid). */
export function quantize(notes: readonly NoteInput[], gridValue: Time = '16n', strength = 1, meter?: Meter): TickedNote[] {
  const grid = span(gridValue, meter);
  return notes.map((note) => {
    const t = ticked(note, meter);
    const target = Math.round(t.start.ticks / grid) * grid;
    return make(t.pitch, t.start.ticks + (target - t.start.ticks) * strength, t.length.ticks, t.velocity);
  });
}

/** Shift every pitch by `semitones`. */
export function transpose(notes: readonly NoteInput[], semitones: number, meter?: Meter): TickedNote[] {
  return notes.map((note) => {
    const t = ticked(note, meter);
    return make(t.pitch + semitones, t.start.ticks, t.length.ticks, t.velocity);
  });
}

/** Velocities along a line from `from` to `to` over the notes' time span (a crescendo or a fade). */
export function velocityRamp(notes: readonly NoteInput[], from: Velocity, to: Velocity, meter?: Meter): TickedNote[] {
  const list = notes.map((note) => ticked(note, meter));
  const first = Math.min(...list.map((t) => t.start.ticks));
  const last = Math.max(...list.map((t) => t.start.ticks));
  return list.map((t) => make(t.pitch, t.start.ticks, t.length.ticks, from + ((to - from) * (t.start.ticks - first)) / Math.max(1, last - first)));
}

/**
 * Velocities from a curve over the notes' time span: `curve(0)` at the first note,
 * `curve(1)` at the last, e.g. `(t) => 60 + 60 * Math.sin(Math.PI * t)` swells and falls.
 */
export function velocityCurve(notes: readonly NoteInput[], curve: (position: number) => Velocity, meter?: Meter): TickedNote[] {
  const list = notes.map((note) => ticked(note, meter));
  const first = Math.min(...list.map((t) => t.start.ticks));
  const last = Math.max(...list.map((t) => t.start.ticks));
  return list.map((t) => make(t.pitch, t.start.ticks, t.length.ticks, curve((t.start.ticks - first) / Math.max(1, last - first))));
}

/** Each note held until the next start (plus `overlap` ticks); the last keeps its length. */
export function legato(notes: readonly NoteInput[], overlap = 0, meter?: Meter): TickedNote[] {
  const list = notes.map((note) => ticked(note, meter)).sort((a, b) => a.start.ticks - b.start.ticks);
  return list.map((t, i) => {
    const next = list.slice(i + 1).find((other) => other.start.ticks > t.start.ticks);
    return next ? make(t.pitch, t.start.ticks, next.start.ticks - t.start.ticks + overlap, t.velocity) : t;
  });
}

/** Each note shortened to `fraction` of its length. */
export function staccato(notes: readonly NoteInput[], fraction = 0.5, meter?: Meter): TickedNote[] {
  return notes.map((note) => {
    const t = ticked(note, meter);
    return make(t.pitch, t.start.ticks, t.length.ticks * fraction, t.velocity);
  });
}

/** `pitches.length` notes sharing `span` evenly: `tuplet(['C4','E4','G4'], '4n')` is a quarter-note triplet. */
export function tuplet(pitches: readonly Pitch[], spanValue: Time, options: { start?: Time; velocity?: Velocity; meter?: Meter } = {}): TickedNote[] {
  const total = span(spanValue, options.meter);
  if (total % pitches.length !== 0) throw new RangeError(`a ${pitches.length}-tuplet does not divide ${total} ticks evenly`);
  const each = total / pitches.length;
  const start = at(options.start ?? '0:0:0', options.meter);
  return pitches.map((pitch, i) => {
    const midi = parsePitch(pitch);
    if (midi === undefined) throw new RangeError(`${JSON.stringify(pitch)} is not a pitch`);
    return make(midi, start + i * each, each, options.velocity ?? 100);
  });
}

/** Notes moved later by `by`. */
export function shift(notes: readonly NoteInput[], by: Time, meter?: Meter): TickedNote[] {
  const offset = span(by, meter);
  return notes.map((note) => {
    const t = ticked(note, meter);
    return make(t.pitch, t.start.ticks + offset, t.length.ticks, t.velocity);
  });
}

/** Notes played `times` times, `every` apart. */
export function repeat(notes: readonly NoteInput[], times: number, every: Time, meter?: Meter): TickedNote[] {
  return Array.from({ length: times }, (_, i) => shift(notes, { ticks: i * span(every, meter) }, meter)).flat();
}
