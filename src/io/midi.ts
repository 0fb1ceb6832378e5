/**
 * Standard MIDI File writer (format 1). Hand-written rather than midi-writer-js: that
 * library treats an explicit start tick of 0 as "no tick", takes velocities on a 0–100
 * scale (so 127 values cannot all round-trip), and merges explicitly timed notes by
 * splicing; a song's MIDI must reproduce every tick and velocity exactly.
 *
 * Layout: track 0 is the conductor (title, tempo map, meter map); then one track per song
 * track, in song order, with its name, program change and notes. Drums use channel 10;
 * melodic tracks take channels 1–9, 11–16 in order, wrapping after 15.
 */
import type { TempoPoint } from '../ir/types.ts';
import type { MidiParams } from '../plan/graph.ts';
import { TempoClock } from '../theory/time.ts';
import { PPQ } from '../theory/units.ts';

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
    if (track.program !== null) events.push({ tick: 0, order: ORDER_PROGRAM, bytes: [0xc0 | channel, track.program & 0x7f] });
    for (const note of track.notes) {
      events.push({ tick: note.startTick, order: ORDER_NOTE_ON, bytes: [0x90 | channel, note.pitch, note.velocity] });
      // Note-off as 0x80 with velocity 64, the spec's default release velocity.
      events.push({ tick: note.startTick + note.lengthTicks, order: ORDER_NOTE_OFF, bytes: [0x80 | channel, note.pitch, 64] });
    }
    chunks.push(trackChunk(events));
  }
  const header = [...ascii('MThd'), ...u32(6), ...u16(1), ...u16(chunks.length), ...u16(song.ppq)];
  const total = header.length + chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  out.set(header, 0);
  let offset = header.length;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function conductorEvents(song: MidiParams): MidiEvent[] {
  const events: MidiEvent[] = [meta(0, 0x03, text(song.title))];
  for (const point of song.meterMap) {
    const power = Math.log2(point.denominator);
    // 24 MIDI clocks per metronome click and 8 thirty-seconds per quarter: the usual values.
    events.push(meta(point.tick, 0x58, [point.numerator, power, 24, 8]));
  }
  for (const { tick, bpm } of tempoEvents(song.tempoMap)) {
    const microseconds = Math.round(60_000_000 / bpm);
    events.push(meta(tick, 0x51, [(microseconds >> 16) & 0xff, (microseconds >> 8) & 0xff, microseconds & 0xff]));
  }
  // Key signature: signed count of sharps/flats, then 0 major / 1 minor.
  events.push(meta(0, 0x59, [song.key.sharps & 0xff, song.key.minor ? 1 : 0]));
  for (const marker of song.markers) events.push(meta(marker.tick, 0x06, text(marker.name)));
  return events;
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
