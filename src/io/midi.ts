/** What the MIDI export writes: the conductor track and one track per part. */
export interface MidiParams {
  readonly title: string;
  readonly ppq: number;
  readonly tempoMap: readonly TempoPoint[];
  readonly meterMap: readonly MeterPoint[];
  /** Key signature: sharps (+) or flats (−), and whether minor. */
  readonly key: { readonly sharps: number; readonly minor: boolean };
  readonly markers: readonly { readonly tick: number; readonly name: string }[];
  readonly tracks: readonly {
    readonly name: string;
    readonly program: number | null;
    readonly drums: boolean;
    readonly notes: readonly { pitch: number; velocity: number; startTick: number; lengthTicks: number }[];
  }[];
}

/**
 * Standard MIDI File writer (format 1). Hand-written rather than with midi-writer-js
 * (which is not a dependency): its note events take `tick: fields.tick || null`, so an
 * explicit start at tick 0 means "after the previous event"; `velocity || 50`, so 0 turns
 * into 50; and velocities on a 1–100 scale, `Math.round(v / 100 * 127)`, so whole-number
 * inputs reach only 100 of the 127 MIDI velocities. A song's MIDI must reproduce every
 * tick and velocity exactly, and this file is small enough to own.
 *
 * Layout: track 0 is the conductor (title, tempo map, meter map); then one track per song
 * track, in song order, with its name, program change and notes. Drums use channel 10;
 * melodic tracks take channels 1–9, 11–16 in order, wrapping after 15.
 */
import { TempoClock, type MeterPoint, type TempoPoint } from '../theory/time.ts';
import { PPQ } from '../theory/units.ts';
import { concatBytes } from './bytes.ts';

type MidiEvent = { readonly tick: number; readonly order: number; readonly bytes: readonly number[] };

const DRUM_CHANNEL = 9; // 0-based: MIDI channel 10
const MELODIC_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15];

// At one tick: meta first, then program changes, note-offs, note-ons, so a note that ends
// where the next begins never cuts it off.
const ORDER_META = 0;
const ORDER_PROGRAM = 1;
const ORDER_NOTE_OFF = 2;
const ORDER_NOTE_ON = 3;

export function encodeMidi(song: MidiParams): Uint8Array {
  const chunks: number[][] = [];
  chunks.push(trackChunk(conductorEvents(song)));
  let melodic = 0;
  for (const track of song.tracks) {
    const channel = track.drums ? DRUM_CHANNEL : MELODIC_CHANNELS[melodic++ % MELODIC_CHANNELS.length];
    const events: MidiEvent[] = [meta(0, 0x03, text(track.name))];
    if (track.program !== null) {
      checkDataByte(track.program, 0, `track '${track.name}' program`);
      events.push({ tick: 0, order: ORDER_PROGRAM, bytes: [0xc0 | channel, track.program] });
    }
    for (const note of keyedNotes(track.name, track.notes)) {
      events.push({ tick: note.startTick, order: ORDER_NOTE_ON, bytes: [0x90 | channel, note.pitch, note.velocity] });
      // Note-off as 0x80 with velocity 64, the spec's default release velocity.
      events.push({ tick: note.endTick, order: ORDER_NOTE_OFF, bytes: [0x80 | channel, note.pitch, 64] });
    }
    chunks.push(trackChunk(events));
  }
  // Division with the top bit clear is ticks per quarter note (set, it would mean SMPTE frames).
  if (!(Number.isInteger(song.ppq) && song.ppq >= 1 && song.ppq <= 0x7fff)) throw new RangeError(`${song.ppq} ticks per quarter note cannot be written to a MIDI header (1 to 32767)`);
  if (chunks.length > 0xffff) throw new RangeError(`${chunks.length - 1} tracks: a MIDI file holds at most 65534 plus the conductor`);
  const header = [...ascii('MThd'), ...u32(6), ...u16(1), ...u16(chunks.length), ...u16(song.ppq)];
  return concatBytes([header, ...chunks]);
}

type TrackNote = MidiParams['tracks'][number]['notes'][number];

/** A note as written to the file: its key goes down at startTick and up at endTick. */
interface KeyedNote {
  readonly pitch: number;
  readonly velocity: number;
  readonly startTick: number;
  readonly endTick: number;
}

/**
 * The notes of one track as key presses. A key on a channel is either down or up, and when
 * two notes of one pitch overlap, readers disagree about which one a note-off ends (the
 * oldest, the newest, or every voice on the key): one note would be cut short, or a reader
 * pairs the offs the other way round. So presses of a key never overlap in the file. A note
 * that starts while its key is still down ends the earlier press there and strikes the key
 * again, which stays down until the later of the two ends: every onset and velocity is
 * kept, the key sounds for the union of the notes (as the audio does), and every reader
 * pairs the events alike. (Humanized timing makes such overlaps common on repeated notes.)
 * Notes of one pitch at the same tick are one press, at the highest of their velocities.
 * Notes that overlap nothing are unchanged, and the input order is kept.
 */
export function keyedNotes(trackName: string, notes: readonly TrackNote[]): KeyedNote[] {
  notes.forEach((note, index) => checkNote(trackName, note, index));
  const keyed: (KeyedNote | null)[] = notes.map((note) => ({ pitch: note.pitch, velocity: note.velocity, startTick: note.startTick, endTick: note.startTick + note.lengthTicks }));
  const byPitch = new Map<number, number[]>();
  notes.forEach((note, index) => {
    const indices = byPitch.get(note.pitch);
    if (indices) indices.push(index);
    else byPitch.set(note.pitch, [index]);
  });
  for (const indices of byPitch.values()) {
    // Stable: equal starts keep their input order, so the first of them is the one kept.
    indices.sort((a, b) => notes[a].startTick - notes[b].startTick);
    let held = -1; // index of the press whose key is down, if any
    for (const index of indices) {
      const note = keyed[index]!;
      const previous = held < 0 ? null : keyed[held]!;
      if (!previous || note.startTick >= previous.endTick) {
        held = index;
      } else if (note.startTick === previous.startTick) {
        keyed[held] = { ...previous, velocity: Math.max(previous.velocity, note.velocity), endTick: Math.max(previous.endTick, note.endTick) };
        keyed[index] = null;
      } else {
        keyed[held] = { ...previous, endTick: note.startTick };
        keyed[index] = { ...note, endTick: Math.max(previous.endTick, note.endTick) };
        held = index;
      }
    }
  }
  return keyed.filter((note): note is KeyedNote => note !== null);
}

function checkNote(trackName: string, note: TrackNote, index: number): void {
  const what = `track '${trackName}' note ${index}`;
  checkDataByte(note.pitch, 0, `${what} pitch`);
  // Velocity 0 would be read as a note-off.
  checkDataByte(note.velocity, 1, `${what} velocity`);
  if (!(Number.isInteger(note.startTick) && note.startTick >= 0)) throw new RangeError(`${what}: start tick ${note.startTick} is not a whole number ≥ 0`);
  if (!(Number.isInteger(note.lengthTicks) && note.lengthTicks >= 1)) throw new RangeError(`${what}: length ${note.lengthTicks} ticks is not a whole number ≥ 1`);
}

/** MIDI data bytes are 7-bit: a value of 128 or more would be read as a status byte. */
function checkDataByte(value: number, min: number, what: string): void {
  if (!(Number.isInteger(value) && value >= min && value <= 127)) throw new RangeError(`${what} is ${value}; MIDI needs a whole number from ${min} to 127`);
}

function conductorEvents(song: MidiParams): MidiEvent[] {
  const events: MidiEvent[] = [meta(0, 0x03, text(song.title))];
  for (const point of song.meterMap) {
    const power = Math.log2(point.denominator);
    // The file stores the denominator as a power of two, the numerator as one byte.
    if (!Number.isInteger(power) || power < 0 || power > 255) throw new RangeError(`meter ${point.numerator}/${point.denominator}: MIDI needs a power-of-two denominator`);
    if (!(Number.isInteger(point.numerator) && point.numerator >= 1 && point.numerator <= 255)) throw new RangeError(`meter ${point.numerator}/${point.denominator}: MIDI needs a numerator from 1 to 255`);
    // 24 MIDI clocks per metronome click and 8 thirty-seconds per quarter: the usual values.
    events.push(meta(point.tick, 0x58, [point.numerator, power, 24, 8]));
  }
  for (const { tick, bpm } of tempoEvents(song.tempoMap)) {
    const microseconds = Math.round(60_000_000 / bpm);
    // A set-tempo event holds microseconds per quarter in 24 bits: about 3.58 bpm at the slowest.
    if (!(microseconds >= 1 && microseconds <= 0xffffff)) throw new RangeError(`tempo ${bpm} bpm at tick ${tick} cannot be written to MIDI (24-bit microseconds per quarter)`);
    events.push(meta(tick, 0x51, [(microseconds >> 16) & 0xff, (microseconds >> 8) & 0xff, microseconds & 0xff]));
  }
  // Key signature: signed count of sharps/flats, then 0 major / 1 minor.
  events.push(meta(0, 0x59, [midiSharps(song.key.sharps) & 0xff, song.key.minor ? 1 : 0]));
  for (const marker of song.markers) events.push(meta(marker.tick, 0x06, text(marker.name)));
  return events;
}

/**
 * The key signature as MIDI allows it, −7 to 7: a key spelled with more (G# major, eight
 * sharps) is written as its enharmonic twin twelve fifths away (Ab major, four flats).
 */
export function midiSharps(sharps: number): number {
  if (!Number.isInteger(sharps)) throw new RangeError(`key signature of ${sharps} sharps is not a whole number`);
  if (Math.abs(sharps) <= 7) return sharps;
  return sharps - 12 * Math.round(sharps / 12); // now within −6…6
}

/** Ticks between tempo events that stand for a ramp: a 64th note at PPQ 960. */
const RAMP_STEP = 60;

/**
 * MIDI has no tempo ramps, so a ramp is written as steps, each with the tempo that makes
 * the step last exactly as long as the ramp does over it: the file's clock agrees with
 * the audio at every step boundary.
 */
export function tempoEvents(tempoMap: readonly TempoPoint[]): { tick: number; bpm: number }[] {
  const clock = new TempoClock(tempoMap);
  const events: { tick: number; bpm: number }[] = [];
  tempoMap.forEach((point, index) => {
    const next = tempoMap[index + 1];
    if (!point.rampToNext || !next) {
      events.push({ tick: point.tick, bpm: point.bpm });
      return;
    }
    for (let tick = point.tick; tick < next.tick; tick += RAMP_STEP) {
      const end = Math.min(next.tick, tick + RAMP_STEP);
      const seconds = clock.seconds(end) - clock.seconds(tick);
      events.push({ tick, bpm: (60 * (end - tick)) / (PPQ * seconds) });
    }
  });
  return events;
}

function meta(tick: number, type: number, data: readonly number[]): MidiEvent {
  return { tick, order: ORDER_META, bytes: [0xff, type, ...varLength(data.length), ...data] };
}

function trackChunk(events: MidiEvent[]): number[] {
  // A stable sort keeps equal events in the order they were added.
  const sorted = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.tick - b.event.tick || a.event.order - b.event.order || a.index - b.index)
    .map(({ event }) => event);
  const data: number[] = [];
  let last = 0;
  for (const event of sorted) {
    data.push(...varLength(event.tick - last), ...event.bytes);
    last = event.tick;
  }
  data.push(0x00, 0xff, 0x2f, 0x00); // end of track
  return [...ascii('MTrk'), ...u32(data.length), ...data];
}

/** Variable-length quantity: 7 bits per byte, high bit set on all but the last. */
export function varLength(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0x0fffffff) throw new RangeError(`cannot encode ${value} as a MIDI variable-length quantity`);
  const bytes = [value & 0x7f];
  let rest = value >>> 7;
  while (rest > 0) {
    bytes.unshift((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  return bytes;
}

function text(value: string): number[] {
  return [...Buffer.from(value, 'utf8')];
}

function ascii(value: string): number[] {
  return [...value].map((char) => char.charCodeAt(0));
}

function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}
