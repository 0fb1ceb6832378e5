/**
 * elaborate(): a loaded song module's value → SongIR. Fills every default once, resolves
 * every time to ticks and samples, derives per-track seeds. Input comes from user code at
 * run time, so nothing about its shape is trusted: every problem becomes a coded
 * diagnostic naming the song and track, and all of them are collected, not just the first.
 */
import type { StemFormat } from '../ir/types.ts';
import { createHash } from 'node:crypto';
import { fileErrorDetail, hashProjectFile } from '../registry/dependencies.ts';
import type { NoteEvent } from '../ir/plugin.ts';
import type { HumanizeInput, NoteInput, SongInput, TrackInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { findInstrument, instrumentNames } from '../registry/registry.ts';
import { parsePitch } from '../theory/pitch.ts';
import { createRandom } from '../dsp/random.ts';
import { parseKey } from '../theory/key.ts';
import { lengthToTicks, positionToTicks, TempoClock, TimeFormatError, tickToBar, barToTick } from '../theory/time.ts';
import { PPQ, type Time } from '../theory/units.ts';
import { layoutForm, placeParts } from './arrangement.ts';
import { elaborateMaster } from './master.ts';
import { locateKey, type SongSource } from './locate.ts';
import { buildMeterMap, buildTempoMap } from './timing.ts';
import type { BusIR, InstrumentIR, MeterPoint, SectionIR, SongIR, TrackIR } from '../ir/types.ts';
import { validate } from './validate.ts';
import { attachAutomation, elaborateChannel, type ChannelDraft } from './channels.ts';
import type { PluginCode } from '../registry/registry.ts';
import { checkRouting } from './routing.ts';
import { checkOptions, pluginProblems, type OptionProblem } from './options.ts';
import { chainTail } from '../registry/registry.ts';

/** Track fields decided before the song's length is known (automation waits for it). */
type TrackDraft = Omit<TrackIR, 'gainAutomation' | 'panAutomation' | 'instrumentAutomation' | keyof ChannelDraft> & { readonly channel: ChannelDraft; readonly input: TrackInput };

const BUS_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface SongOrigin extends SongSource {
  /** Song id: its folder name under songs/. */
  readonly id: string;
  /** Variant name; omitted or null for the song as written. */
  readonly variant?: string | null;
  /** Project plugins the song's modules defined: their module and code hash. @default none (built-ins only) */
  readonly pluginCode?: PluginCode;
}

export type ElaborateResult = { ok: true; song: SongIR } | { ok: false; diagnostics: Diagnostic[] };

const SAMPLE_RATES = [44100, 48000, 88200, 96000];
const STEM_FORMATS: readonly StemFormat[] = ['float32', 'wav24', 'flac'];
const TRACK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const DEFAULT_VELOCITY = 100;
const DEFAULT_TAIL_SECONDS = 0.5;

export function elaborate(input: SongInput, origin: SongOrigin): ElaborateResult {
  const problems: Diagnostic[] = [];
  const at = (key: string) => ({ ...locateKey(origin, key), song: origin.id });
  const atTrack = (id: string) => ({ ...locateKey(origin, id, 'tracks'), song: origin.id, track: id });

  if (typeof input.title !== 'string' || input.title.trim() === '') problems.push(d.badTitle(at('title')));
  const meterMap = buildMeterMap(input.meter, at('meter'), problems);
  // With a bad meter, the tempo is still checked (against 4/4) so both problems show at once.
  const tempoMap = buildTempoMap(input.tempo, meterMap ?? [{ tick: 0, bar: 0, numerator: 4, denominator: 4 }], at('tempo'), problems);
  const key = parseKey(input.key ?? 'C major');
  if (!key) problems.push(d.badKey(at('key'), input.key));
  const sampleRate = input.sampleRate ?? 48000;
  if (!SAMPLE_RATES.includes(sampleRate)) problems.push(d.badSampleRate(at('sampleRate'), sampleRate));
  const seed = input.seed ?? 0;
  if (!Number.isInteger(seed)) problems.push(d.badNumber(at('seed'), `song '${origin.id}' seed`, seed, 'as a whole number'));
  const tail = input.tail ?? DEFAULT_TAIL_SECONDS;
  if (typeof tail !== 'number' || !(tail >= 0 && tail <= 60)) problems.push(d.badNumber(at('tail'), `song '${origin.id}' tail`, tail, 'from 0 to 60 seconds'));
  const master = elaborateMaster(input.master, sampleRate, at('master'), problems);
  const stemFormat = input.stems?.format ?? 'float32';
  if (!STEM_FORMATS.includes(stemFormat)) problems.push(d.badNumber(at('stems'), `song '${origin.id}' stems format`, stemFormat, "as 'float32', 'wav24' or 'flac'"));
  if (problems.length || !meterMap || !tempoMap || !key) return { ok: false, diagnostics: problems };
  const clock = new TempoClock(tempoMap);
  const layout = layoutForm(input, meterMap, at(input.form ? 'form' : 'sections'), problems);
  if (problems.length) return { ok: false, diagnostics: problems };

  const env = { pluginCode: origin.pluginCode ?? (() => null) };
  const trackEntries = input.tracks && typeof input.tracks === 'object' ? Object.entries(input.tracks) : [];
  const drafts: TrackDraft[] = [];
  trackEntries.forEach(([id, track], index) => {
    const where = atTrack(id);
    if (!TRACK_ID_PATTERN.test(id)) {
      problems.push(d.badTrackId(where, id));
      return;
    }
    const strip = elaborateChannel('track', id, index, track ?? ({} as TrackInput), trackSeed(seed, id), env, where, problems);
    const mono = findInstrument(String((track?.instrument as { plugin?: unknown } | undefined)?.plugin))?.channels === 1;
    const channel: ChannelDraft = { ...strip, panLaw: mono ? 'mono' : 'balance' };
    const resolved = elaborateTrack(id, track, { seed, sampleRate, meterMap, clock, layout, sectionNames: Object.keys(input.sections ?? {}) }, env.pluginCode, where, problems);
    if (resolved) drafts.push({ ...resolved, channel, input: track });
  });
  const atBus = (id: string, key?: string) => ({ ...(key ? locateKey(origin, key, id) : locateKey(origin, id, 'buses')), song: origin.id, track: id });
  const busDrafts: ChannelDraft[] = [];
  const busEntries = input.buses && typeof input.buses === 'object' ? Object.entries(input.buses) : [];
  busEntries.forEach(([id, bus], index) => {
    if (!BUS_ID_PATTERN.test(id)) problems.push(d.badBusId(atBus(id), id));
    else if (drafts.some((track) => track.channel.id === id)) problems.push(d.duplicateChannel(atBus(id), id));
    else busDrafts.push(elaborateChannel('bus', id, index, bus ?? {}, trackSeed(seed, `bus:${id}`), env, atBus(id), problems));
  });
  if (problems.length) return { ok: false, diagnostics: problems };
  const soloed = new Set([...trackEntries, ...busEntries].filter(([, channel]) => channel?.solo === true).map(([id]) => id));
  const soloMuted = checkRouting(
    { tracks: drafts.map((track) => track.channel), buses: busDrafts, soloed, where: (kind, id, key) => (kind === 'track' ? { ...(key ? locateKey(origin, key, id) : atTrack(id)), song: origin.id, track: id } : atBus(id, key)) },
    problems,
  );
  if (problems.length) return { ok: false, diagnostics: problems };

  let lastTick = layout.length ? layout[layout.length - 1].endTick : 0;
  let longestTail = 0;
  for (const track of drafts) {
    if (track.notes.length === 0) continue;
    for (const note of track.notes) lastTick = Math.max(lastTick, note.startTick + note.lengthTicks);
    longestTail = Math.max(longestTail, findInstrument(track.instrument.plugin)?.tail(track.instrument.options, track.notes) ?? 0);
  }
  // Effect tails (echoes, reverb) add up along a path; the longest chain's sum is a safe bound.
  let effectTail = 0;
  for (const channel of [...drafts.map((track) => track.channel), ...busDrafts]) effectTail += chainTail(channel.effects);
  longestTail += Math.min(effectTail, 30);
  // The song ends at the bar line after the last note-off, so stems line up in a DAW grid.
  const lastBar = tickToBar(meterMap, Math.max(0, lastTick - 1));
  const lengthTicks = lastTick === 0 ? 0 : barToTick(meterMap, lastBar + 1);
  const lengthSamples = clock.sample(lengthTicks, sampleRate) + Math.ceil((longestTail + tail) * sampleRate);

  const timing = { sampleRate, meterMap, clock, layout, lengthSamples };
  const tracks: TrackIR[] = drafts.map(({ channel, input: trackInput, ...track }) => {
    const done = attachAutomation({ ...channel, mute: channel.mute || soloMuted.has(channel.id), ...(soloed.has(channel.id) ? { solo: true } : {}) }, trackInput.automation, track.instrument.options, timing, atTrack(channel.id), problems);
    return { ...done.channel, ...track, instrumentAutomation: done.instrument };
  });
  const buses: BusIR[] = busDrafts.map((draft) => {
    const busInput = input.buses?.[draft.id];
    return attachAutomation({ ...draft, mute: draft.mute || soloMuted.has(draft.id), ...(soloed.has(draft.id) ? { solo: true } : {}) }, busInput?.automation, null, timing, atBus(draft.id), problems).channel;
  });
  if (problems.length) return { ok: false, diagnostics: problems };

  const song: SongIR = {
    id: origin.id,
    variant: origin.variant ?? null,
    file: origin.file,
    title: input.title,
    sampleRate,
    ppq: PPQ,
    seed,
    tempoMap,
    meterMap,
    key,
    sections: layout,
    markers: layout.map((section) => ({
      tick: section.startTick,
      seconds: Math.round(clock.seconds(section.startTick) * 1000) / 1000,
      name: `${section.name} ${section.occurrence}`,
    })),
    lengthTicks,
    lengthSamples,
    tracks,
    buses,
    beatSeconds: 60 / tempoMap[0].bpm,
    master,
    stemFormat,
  };
  const invalid = validate(song, origin);
  return invalid.length ? { ok: false, diagnostics: invalid } : { ok: true, song };
}

interface Timing {
  readonly seed: number;
  readonly sampleRate: number;
  readonly meterMap: readonly MeterPoint[];
  readonly clock: TempoClock;
  readonly layout: readonly SectionIR[];
  /** Every declared section, played or not. */
  readonly sectionNames: readonly string[];
}

/** A note with its times resolved to ticks; samples come after humanising. */
interface TickNote {
  readonly pitch: number;
  readonly velocity: number;
  readonly startTick: number;
  readonly lengthTicks: number;
}

type Where = ReturnType<typeof locateKey> & { song: string; track: string; path?: readonly (string | number)[] };

function elaborateTrack(
  id: string,
  track: TrackInput,
  timing: Timing,
  pluginCode: PluginCode,
  where: Where,
  problems: Diagnostic[],
): Omit<TrackDraft, 'channel' | 'input'> | undefined {
  const before = problems.length;
  const instrument = track?.instrument as unknown as InstrumentIR | undefined;
  if (!instrument || typeof instrument.plugin !== 'string') {
    problems.push(d.unknownInstrument(where, String(instrument?.plugin ?? 'nothing'), instrumentNames()));
    return undefined;
  }
  const definition = findInstrument(instrument.plugin);
  if (!definition) {
    problems.push(d.unknownInstrument(where, instrument.plugin, instrumentNames()));
    return undefined;
  }
  const optionProblems: OptionProblem[] = [];
  checkOptions(definition.defaults, instrument.options, '', optionProblems);
  for (const problem of optionProblems) {
    problems.push(problem.known ? d.unknownOption(where, instrument.plugin, problem.option, problem.known) : d.badOptionValue(where, instrument.plugin, problem.option || 'options', problem.detail));
  }
  for (const problem of pluginProblems(definition.validate?.bind(definition) as never, instrument.options, problems.length > before)) problems.push(d.badOptionValue(where, instrument.plugin, '', problem));

  if (track.notes !== undefined && !Array.isArray(track.notes)) problems.push(d.badNumber(where, `track '${id}' notes`, track.notes, 'as an array of notes'));
  const tickNotes: TickNote[] = [];
  (Array.isArray(track.notes) ? track.notes : []).forEach((input, noteIndex) => {
    const note = elaborateNote(input, `note ${noteIndex}`, noteIndex, 0, 0, Infinity, timing, { ...where, path: ['tracks', id, 'notes', noteIndex] }, problems);
    if (note) tickNotes.push(note);
  });
  if (track.parts) {
    const quietStart = (note: NoteInput, originBar: number) => quietly(() => positionToTicks(note.start, timing.meterMap, originBar, timing.clock));
    const quietEnd = (note: NoteInput, _originBar: number, start: number) => {
      const length = quietly(() => lengthToTicks(note.length, timing.meterMap, start, timing.clock));
      return length === undefined ? undefined : start + length;
    };
    for (const placed of placeParts(track.parts, timing.sectionNames, timing.layout, timing.meterMap, quietStart, quietEnd, where, problems, timing.clock)) {
      const label = `part '${placed.part}' note ${placed.index}`;
      const note = elaborateNote(placed.input, label, placed.index, placed.originBar, placed.offsetTicks, placed.endTick, timing, { ...where, path: ['tracks', id, 'parts', placed.part, placed.index] }, problems);
      if (note) tickNotes.push(note);
    }
  }
  const humanized = track.humanize ? humanize(tickNotes, track.humanize, trackSeed(timing.seed, id), where, problems) : tickNotes;
  if (problems.length > before) return undefined;
  const notes: NoteEvent[] = humanized.map((note) => {
    const startSample = timing.clock.sample(note.startTick, timing.sampleRate);
    const endSample = timing.clock.sample(note.startTick + note.lengthTicks, timing.sampleRate);
    return { ...note, startSample, lengthSamples: Math.max(1, endSample - startSample) };
  });
  // A fixed order makes rendering, hashing and MIDI independent of how the song built its list.
  notes.sort((a, b) => a.startSample - b.startSample || a.pitch - b.pitch || a.lengthSamples - b.lengthSamples || a.velocity - b.velocity);

  const midi = definition.midi?.(instrument.options) ?? {};
  const code = pluginCode('instrument', instrument.plugin);
  const files: InstrumentIR['files'][number][] = [];
  for (const file of definition.files?.(instrument.options) ?? []) {
    try {
      files.push({ path: file.path, sha256: hashProjectFile(file.path), as: file.as });
    } catch (error) {
      problems.push(d.badInstrumentFile(where, instrument.plugin, file.path, fileErrorDetail(error)));
    }
  }
  if (problems.length > before) return undefined;
  return {
    instrument: { plugin: instrument.plugin, version: definition.version, options: instrument.options, source: code?.source ?? null, code: code?.code ?? null, files },
    notes,
    midiProgram: midi.program ?? null,
    midiDrums: midi.drums === true,
  };
}

/**
 * Resolve one note to ticks. `originBar` is where its bars:beats:ticks count from (a
 * section's first bar for a part), `offsetTicks` the loop pass, `endTick` where it is cut.
 * Returns undefined (and records why) for a bad note, or silently for a looped note that
 * falls past its section's end.
 */
function elaborateNote(
  input: NoteInput,
  label: string,
  index: number,
  originBar: number,
  offsetTicks: number,
  endTick: number,
  timing: Timing,
  where: Where,
  problems: Diagnostic[],
): TickNote | undefined {
  const pitch = parsePitch(input?.pitch as never);
  if (pitch === undefined || !Number.isInteger(pitch)) {
    problems.push(d.badPitch(where, label, input?.pitch));
    return undefined;
  }
  if (pitch < 0 || pitch > 127) {
    problems.push(d.pitchOutOfRange(where, label, pitch));
    return undefined;
  }
  const velocity = input.velocity ?? DEFAULT_VELOCITY;
  if (!Number.isInteger(velocity) || velocity < 1 || velocity > 127) {
    problems.push(d.badVelocity(where, label, velocity));
    return undefined;
  }
  const what = `track '${where.track}' ${label}`;
  const start = readTime(() => positionToTicks(input.start, timing.meterMap, originBar, timing.clock), `${what} start`, input.start, where, problems);
  if (start === undefined) return undefined;
  if (start < 0) {
    problems.push(d.negativeStart(where, label, JSON.stringify(input.start)));
    return undefined;
  }
  const lengthTicks = readTime(() => lengthToTicks(input.length, timing.meterMap, start, timing.clock), `${what} length`, input.length, where, problems);
  if (lengthTicks === undefined) return undefined;
  if (lengthTicks <= 0) {
    problems.push(d.badLength(where, label, JSON.stringify(input.length)));
    return undefined;
  }
  const startTick = start + offsetTicks;
  if (startTick >= endTick) return undefined;
  return { pitch, velocity, startTick, lengthTicks: Math.min(lengthTicks, endTick - startTick) };
}

/** Seeded timing and velocity variation; the seed is the track's, so tracks vary independently. */
function humanize(notes: readonly TickNote[], options: HumanizeInput, seed: number, where: Where, problems: Diagnostic[]): TickNote[] {
  const timing = options.timing ?? 0;
  const velocity = options.velocity ?? 0;
  if (!(Number.isInteger(timing) && timing >= 0 && timing <= PPQ)) problems.push(d.badNumber(where, `track '${where.track}' humanize.timing`, timing, `in whole ticks from 0 to ${PPQ}`));
  if (!(velocity >= 0 && velocity <= 127)) problems.push(d.badNumber(where, `track '${where.track}' humanize.velocity`, velocity, 'from 0 to 127'));
  // Notes are drawn in a fixed order (by position, then pitch) so the list's order does not matter.
  const ordered = [...notes].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch || a.lengthTicks - b.lengthTicks || a.velocity - b.velocity);
  const random = createRandom(seed);
  return ordered.map((note) => {
    const shift = Math.round((random() * 2 - 1) * timing);
    const change = Math.round((random() * 2 - 1) * velocity);
    const startTick = Math.max(0, note.startTick + shift);
    return {
      pitch: note.pitch,
      velocity: Math.min(127, Math.max(1, note.velocity + change)),
      startTick,
      lengthTicks: Math.max(1, note.lengthTicks - Math.max(0, startTick - note.startTick)),
    };
  });
}

function quietly(convert: () => number): number | undefined {
  try {
    return convert();
  } catch {
    return undefined;
  }
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

/** seed = hash(song seed, track id): adding a track never changes another track's randomness. */
export function trackSeed(songSeed: number, trackId: string): number {
  return createHash('sha256').update(`${songSeed}\u0000${trackId}`).digest().readUInt32LE(0);
}
