/**
 * elaborate(): a loaded song module's value → SongIR. Fills every default once, resolves
 * every time to ticks and samples, derives per-track seeds. Input comes from user code at
 * run time, so nothing about its shape is trusted: every problem becomes a coded
 * diagnostic naming the song and track, and all of them are collected, not just the first.
 */
import { createHash } from 'node:crypto';
import type { NoteEvent } from '../api/plugin.ts';
import type { NoteInput, SongInput, TrackInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { findInstrument, instrumentNames } from '../render/registry.ts';
import { parsePitch } from '../theory/pitch.ts';
import { lengthToTicks, positionToTicks, TempoClock, TimeFormatError, tickToBar, barToTick } from '../theory/time.ts';
import { PPQ, type Time } from '../theory/units.ts';
import { locateKey, type SongSource } from './locate.ts';
import type { InstrumentIR, MeterPoint, SongIR, TempoPoint, TrackIR } from './types.ts';
import { validate } from './validate.ts';

export interface SongOrigin extends SongSource {
  /** Song id: its folder name under songs/. */
  readonly id: string;
}

export type ElaborateResult = { ok: true; song: SongIR } | { ok: false; diagnostics: Diagnostic[] };

const SAMPLE_RATES = [44100, 48000, 88200, 96000];
const TRACK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const DEFAULT_VELOCITY = 100;
const DEFAULT_TAIL_SECONDS = 0.5;

export function elaborate(input: SongInput, origin: SongOrigin): ElaborateResult {
  const problems: Diagnostic[] = [];
  const at = (key: string) => ({ ...locateKey(origin, key), song: origin.id });
  const atTrack = (id: string) => ({ ...locateKey(origin, id, 'tracks'), song: origin.id, track: id });

  if (typeof input.title !== 'string' || input.title.trim() === '') problems.push(d.badTitle(at('title')));
  const tempo = input.tempo;
  if (typeof tempo !== 'number' || !Number.isFinite(tempo) || tempo < 1 || tempo > 999) problems.push(d.badTempo(at('tempo'), tempo));
  const meter = input.meter ?? [4, 4];
  const meterOk =
    Array.isArray(meter) &&
    meter.length === 2 &&
    Number.isInteger(meter[0]) &&
    meter[0] >= 1 &&
    meter[0] <= 64 &&
    [1, 2, 4, 8, 16, 32].includes(meter[1]);
  if (!meterOk) problems.push(d.badMeter(at('meter'), meter));
  const sampleRate = input.sampleRate ?? 48000;
  if (!SAMPLE_RATES.includes(sampleRate)) problems.push(d.badSampleRate(at('sampleRate'), sampleRate));
  const seed = input.seed ?? 0;
  if (!Number.isInteger(seed)) problems.push(d.badNumber(at('seed'), `song '${origin.id}' seed`, seed, 'as a whole number'));
  const tail = input.tail ?? DEFAULT_TAIL_SECONDS;
  if (typeof tail !== 'number' || !(tail >= 0 && tail <= 60)) problems.push(d.badNumber(at('tail'), `song '${origin.id}' tail`, tail, 'from 0 to 60 seconds'));
  const ceilingDb = input.master?.ceiling ?? -1;
  if (typeof ceilingDb !== 'number' || !(ceilingDb <= 0 && ceilingDb >= -60)) {
    problems.push(d.badNumber(at('ceiling'), `song '${origin.id}' master ceiling`, ceilingDb, 'from -60 to 0 dBFS'));
  }
  if (problems.length) return { ok: false, diagnostics: problems };

  const tempoMap: TempoPoint[] = [{ tick: 0, bpm: tempo }];
  const meterMap: MeterPoint[] = [{ tick: 0, bar: 0, numerator: meter[0], denominator: meter[1] }];
  const clock = new TempoClock(tempoMap);

  const trackEntries = input.tracks && typeof input.tracks === 'object' ? Object.entries(input.tracks) : [];
  const tracks: TrackIR[] = [];
  trackEntries.forEach(([id, track], index) => {
    const where = atTrack(id);
    if (!TRACK_ID_PATTERN.test(id)) {
      problems.push(d.badTrackId(where, id));
      return;
    }
    const resolved = elaborateTrack(id, index, track, { seed, sampleRate, meterMap, clock }, where, problems);
    if (resolved) tracks.push(resolved);
  });
  if (problems.length) return { ok: false, diagnostics: problems };

  let lastTick = 0;
  let longestTail = 0;
  for (const track of tracks) {
    if (track.notes.length === 0) continue;
    for (const note of track.notes) lastTick = Math.max(lastTick, note.startTick + note.lengthTicks);
    longestTail = Math.max(longestTail, findInstrument(track.instrument.plugin)?.tail(track.instrument.options) ?? 0);
  }
  // The song ends at the bar line after the last note-off, so stems line up in a DAW grid.
  const lastBar = tickToBar(meterMap, Math.max(0, lastTick - 1));
  const lengthTicks = lastTick === 0 ? 0 : barToTick(meterMap, lastBar + 1);
  const lengthSamples = clock.sample(lengthTicks, sampleRate) + Math.ceil((longestTail + tail) * sampleRate);

  const song: SongIR = {
    id: origin.id,
    file: origin.file,
    title: input.title,
    sampleRate,
    ppq: PPQ,
    seed,
    tempoMap,
    meterMap,
    lengthTicks,
    lengthSamples,
    tracks,
    master: { ceilingDb },
  };
  const invalid = validate(song, origin);
  return invalid.length ? { ok: false, diagnostics: invalid } : { ok: true, song };
}

interface Timing {
  readonly seed: number;
  readonly sampleRate: number;
  readonly meterMap: readonly MeterPoint[];
  readonly clock: TempoClock;
}

type Where = ReturnType<typeof locateKey> & { song: string; track: string };

function elaborateTrack(
  id: string,
  index: number,
  track: TrackInput,
  timing: Timing,
  where: Where,
  problems: Diagnostic[],
): TrackIR | undefined {
  const before = problems.length;
  const instrument = track?.instrument as InstrumentIR | undefined;
  if (!instrument || typeof instrument.plugin !== 'string') {
    problems.push(d.unknownInstrument(where, String(instrument?.plugin ?? 'nothing'), instrumentNames()));
    return undefined;
  }
  const definition = findInstrument(instrument.plugin);
  if (!definition) {
    problems.push(d.unknownInstrument(where, instrument.plugin, instrumentNames()));
    return undefined;
  }
  checkOptions(definition.defaults, instrument.options, '', instrument.plugin, where, problems);
  if (problems.length === before) {
    for (const problem of definition.validate?.(instrument.options) ?? []) problems.push(d.badOptionValue(where, instrument.plugin, '', problem));
  }

  const gainDb = track.gain ?? 0;
  if (typeof gainDb !== 'number' || !Number.isFinite(gainDb) || gainDb > 24) {
    problems.push(d.badNumber(where, `track '${id}' gain`, gainDb, 'in dB, at most +24'));
  }
  const pan = track.pan ?? 0;
  if (typeof pan !== 'number' || !(pan >= -1 && pan <= 1)) problems.push(d.badNumber(where, `track '${id}' pan`, pan, 'from -1 to 1'));
  const notesInput: readonly NoteInput[] = Array.isArray(track.notes) ? track.notes : [];
  if (!Array.isArray(track.notes)) problems.push(d.badNumber(where, `track '${id}' notes`, track.notes, 'as an array of notes'));

  const notes: NoteEvent[] = [];
  notesInput.forEach((input, noteIndex) => {
    const note = elaborateNote(input, noteIndex, timing, where, problems);
    if (note) notes.push(note);
  });
  if (problems.length > before) return undefined;
  // A fixed order makes rendering, hashing and MIDI independent of how the song built its list.
  notes.sort((a, b) => a.startSample - b.startSample || a.pitch - b.pitch || a.lengthSamples - b.lengthSamples || a.velocity - b.velocity);

  const midi = definition.midi?.(instrument.options) ?? {};
  return {
    id,
    name: typeof track.name === 'string' && track.name ? track.name : id,
    index,
    instrument: { plugin: instrument.plugin, version: definition.version, options: instrument.options },
    notes,
    gainDb,
    pan,
    output: track.output ?? 'master',
    mute: track.mute === true,
    seed: trackSeed(timing.seed, id),
    midiProgram: midi.program ?? null,
    midiDrums: midi.drums === true,
  };
}

function elaborateNote(input: NoteInput, index: number, timing: Timing, where: Where, problems: Diagnostic[]): NoteEvent | undefined {
  const pitch = parsePitch(input?.pitch as never);
  if (pitch === undefined || !Number.isInteger(pitch)) {
    problems.push(d.badPitch(where, index, input?.pitch));
    return undefined;
  }
  if (pitch < 0 || pitch > 127) {
    problems.push(d.pitchOutOfRange(where, index, pitch));
    return undefined;
  }
  const velocity = input.velocity ?? DEFAULT_VELOCITY;
  if (!Number.isInteger(velocity) || velocity < 1 || velocity > 127) {
    problems.push(d.badVelocity(where, index, velocity));
    return undefined;
  }
  const startTick = readTime(() => positionToTicks(input.start, timing.meterMap), `track '${where.track}' note ${index} start`, input.start, where, problems);
  if (startTick === undefined) return undefined;
  if (startTick < 0) {
    problems.push(d.negativeStart(where, index, JSON.stringify(input.start)));
    return undefined;
  }
  const lengthTicks = readTime(() => lengthToTicks(input.length, timing.meterMap, startTick), `track '${where.track}' note ${index} length`, input.length, where, problems);
  if (lengthTicks === undefined) return undefined;
  if (lengthTicks <= 0) {
    problems.push(d.badLength(where, index, JSON.stringify(input.length)));
    return undefined;
  }
  const startSample = timing.clock.sample(startTick, timing.sampleRate);
  const endSample = timing.clock.sample(startTick + lengthTicks, timing.sampleRate);
  return { pitch, velocity, startTick, lengthTicks, startSample, lengthSamples: Math.max(1, endSample - startSample) };
}

function readTime(convert: () => number, what: string, value: Time, where: Where, problems: Diagnostic[]): number | undefined {
  try {
    return convert();
  } catch (error) {
    if (!(error instanceof TimeFormatError)) throw error;
    problems.push(d.badTime(where, what, value, error.message));
    return undefined;
  }
}

/** Compare options against the defaults' shape: unknown keys and wrong types are named. */
function checkOptions(defaults: unknown, options: unknown, path: string, plugin: string, where: Where, problems: Diagnostic[]): void {
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) return;
  if (typeof options !== 'object' || options === null) {
    problems.push(d.badOptionValue(where, plugin, path || 'options', `must be an object, got ${JSON.stringify(options)}`));
    return;
  }
  const known = Object.keys(defaults);
  for (const [key, value] of Object.entries(options)) {
    const name = path ? `${path}.${key}` : key;
    if (!(key in defaults)) {
      problems.push(d.unknownOption(where, plugin, name, known));
      continue;
    }
    const expected = (defaults as Record<string, unknown>)[key];
    if (typeof expected === 'number' && (typeof value !== 'number' || !Number.isFinite(value))) {
      problems.push(d.badOptionValue(where, plugin, name, `must be a finite number, got ${JSON.stringify(value)}`));
    } else if (typeof expected !== typeof value) {
      problems.push(d.badOptionValue(where, plugin, name, `must be a ${typeof expected}, got ${JSON.stringify(value)}`));
    } else {
      checkOptions(expected, value, name, plugin, where, problems);
    }
  }
}

/** seed = hash(song seed, track id): adding a track never changes another track's randomness. */
export function trackSeed(songSeed: number, trackId: string): number {
  return createHash('sha256').update(`${songSeed}\u0000${trackId}`).digest().readUInt32LE(0);
}
