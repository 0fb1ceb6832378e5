/**
 * The musical half of `mixdown diff`: two SongIRs of one song (or variant) compared as a
 * reviewer reads a change — arrangement (tempo, meter, key, form, sections), notes per track
 * and section occurrence (added, removed, moved, changed) and every mix parameter by its path
 * (`tracks.bass.effects.compressor.ratio: 4 → 6`). Plain data in, plain data out: no audio.
 */
import type { AutomationIR, ChannelIR, MeterPoint, SectionIR, SongIR, TrackIR } from '../ir/types.ts';
import { pitchName } from '../theory/pitch.ts';
import { barToTick, meterAtTick, tickToBar, ticksPerBeat } from '../theory/time.ts';
import { PPQ } from '../theory/units.ts';

/** A value as the diff shows it: JSON scalars only, so the result is plain data. */
export type DiffScalar = string | number | boolean | null;

/** One changed field: `a` is omitted when it was added, `b` when it was removed. */
export interface FieldChange {
  /** Dotted path (`tracks.bass.effects.compressor.ratio`) or label (`tempo at 0:0:0`). */
  readonly path: string;
  readonly a?: DiffScalar;
  readonly b?: DiffScalar;
}

/** A note as the diff shows it: name, position (`bars:beats:ticks` from `0:0:0`), length as a fraction of a whole note. */
export interface NoteView {
  readonly pitch: string;
  readonly midi: number;
  readonly start: string;
  readonly startTick: number;
  readonly length: string;
  readonly lengthTicks: number;
  readonly velocity: number;
}

export interface NoteChange {
  readonly kind: 'added' | 'removed' | 'moved' | 'changed';
  /** The note in A (absent for an added note). */
  readonly a?: NoteView;
  /** The note in B (absent for a removed note). */
  readonly b?: NoteView;
  /** What changed: the distance of a move (`+1/16`, a fraction of a whole note), or `velocity 100 → 90`, `pitch C2 → D2 (+2)`. */
  readonly detail?: string;
}

/** The note changes of one track in one section occurrence. */
export interface NoteGroup {
  /** Section occurrence (`chorus 2`), `song` when the song has no sections, `after the form` past its last section. */
  readonly section: string;
  readonly track: string;
  readonly added: number;
  readonly removed: number;
  /** Moves grouped by distance (ticks; positive is later), largest group first. */
  readonly moved: readonly { readonly byTicks: number; readonly by: string; readonly count: number }[];
  /** Pitch changes grouped by interval (semitones). */
  readonly transposed: readonly { readonly bySemitones: number; readonly count: number }[];
  readonly lengthChanged: number;
  readonly velocityChanged: number;
  /** `6 notes moved by +1/16, 2 added`. */
  readonly summary: string;
  readonly notes: readonly NoteChange[];
}

export interface MusicDiff {
  readonly arrangement: readonly FieldChange[];
  readonly notes: readonly NoteGroup[];
  readonly mix: readonly FieldChange[];
}

/** Compare two elaborations of the same song and variant. */
export function diffMusic(a: SongIR, b: SongIR): MusicDiff {
  return {
    arrangement: diffFields(arrangementView(a), arrangementView(b)),
    notes: diffNotes(a, b),
    mix: diffFields(mixView(a), mixView(b)),
  };
}

// ---------------------------------------------------------------------------------------
// Field maps: each side flattened into ordered path → scalar entries, then compared.

/**
 * A flattened side. `entity` paths name things that come and go as a whole (a track, an
 * instrument, an effect slot, a send): their value is their identity (an effect's plugin),
 * and when one is added, removed or replaced by another kind, its fields are not listed one
 * by one — the entity's summary says what it is. `order` paths list the order of a
 * collection; they are shown only when the members are the same and only their order changed.
 */
interface FieldMap {
  readonly values: Map<string, DiffScalar>;
  /** Entity path → what to show when it is added or removed. */
  readonly entities: Map<string, DiffScalar>;
  readonly orders: Set<string>;
}

export type FieldMapBuilder = FieldMap & {
  set(path: string, value: DiffScalar): void;
  entity(path: string, identity: DiffScalar, summary?: DiffScalar): void;
  order(path: string, ids: readonly string[]): void;
  flatten(path: string, value: unknown): void;
};

export function fieldMap(): FieldMapBuilder {
  const values = new Map<string, DiffScalar>();
  const entities = new Map<string, DiffScalar>();
  const orders = new Set<string>();
  const flatten = (path: string, value: unknown): void => {
    if (value === undefined) return;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values.set(path, value);
    else if (Array.isArray(value)) {
      if (value.every((item) => item === null || typeof item !== 'object')) values.set(path, value.map(String).join(', '));
      else value.forEach((item, i) => flatten(`${path}.${i}`, item));
    } else for (const [key, item] of Object.entries(value as Record<string, unknown>)) flatten(`${path}.${key}`, item);
  };
  return {
    values,
    entities,
    orders,
    set: (path, value) => void values.set(path, value),
    entity: (path, identity, summary = identity) => {
      values.set(path, identity);
      entities.set(path, summary);
    },
    order: (path, ids) => {
      values.set(path, ids.join(', '));
      orders.add(path);
    },
    flatten,
  };
}

export function diffFields(a: FieldMap, b: FieldMap): FieldChange[] {
  const paths = unionOrder([...a.values.keys()], [...b.values.keys()]);
  // An entity added, removed or replaced by another kind: its fields are not listed.
  const replaced = paths.filter((path) => (a.entities.has(path) || b.entities.has(path)) && a.values.get(path) !== b.values.get(path));
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const inA = a.values.has(path);
    const inB = b.values.has(path);
    const before = inA && a.entities.has(path) && !inB ? a.entities.get(path) : a.values.get(path);
    const after = inB && b.entities.has(path) && !inA ? b.entities.get(path) : b.values.get(path);
    if (inA && inB && before === after) continue;
    if (replaced.some((entity) => path.startsWith(`${entity}.`))) continue;
    if ((a.orders.has(path) || b.orders.has(path)) && !sameMembers(String(before ?? ''), String(after ?? ''))) continue;
    changes.push({ path, ...(inA ? { a: before } : {}), ...(inB ? { b: after } : {}) });
  }
  return changes;
}

function sameMembers(a: string, b: string): boolean {
  const members = (list: string) => list.split(', ').filter(Boolean).sort().join('\u0000');
  return members(a) === members(b);
}

function arrangementView(song: SongIR): FieldMap {
  const map = fieldMap();
  map.set('title', song.title);
  map.set('sample rate', song.sampleRate);
  map.set('seed', song.seed);
  map.set('key', `${song.key.tonic} ${song.key.mode}`);
  for (const point of song.tempoMap) map.entity(`tempo at ${formatPosition(song.meterMap, point.tick)}`, `${point.bpm} bpm${point.rampToNext ? ', ramp' : ''}`);
  for (const point of song.meterMap) map.entity(`meter at bar ${point.bar}`, `${point.numerator}/${point.denominator}`);
  map.set('length', barsText(song.lengthTicks, song.meterMap));
  map.set('rendered length', `${(song.lengthSamples / song.sampleRate).toFixed(3)} s`);
  if (song.sections.length) map.set('form', song.sections.map((section) => section.name).join(' '));
  const declared = new Map<string, number>();
  for (const section of song.sections) if (!declared.has(section.name)) declared.set(section.name, section.bars);
  for (const [name, bars] of declared) map.entity(`section ${name}`, `${bars} bar${bars === 1 ? '' : 's'}`);
  return map;
}

function barsText(ticks: number, meterMap: readonly MeterPoint[]): string {
  const bar = tickToBar(meterMap, ticks);
  const rest = ticks - barToTick(meterMap, bar);
  return rest === 0 ? `${bar} bar${bar === 1 ? '' : 's'}` : formatPosition(meterMap, ticks);
}

function mixView(song: SongIR): FieldMap {
  const map = fieldMap();
  map.order('tracks', song.tracks.map((track) => track.id));
  for (const track of song.tracks) {
    const base = `tracks.${track.id}`;
    map.entity(base, 'track', track.instrument.plugin);
    map.entity(`${base}.instrument`, track.instrument.plugin);
    map.set(`${base}.instrument.version`, track.instrument.version);
    map.flatten(`${base}.instrument`, track.instrument.options);
    pluginCode(map, `${base}.instrument`, track.instrument);
    for (const file of track.instrument.files) map.set(`${base}.instrument.files.${file.path}`, shortHash(file.sha256));
    map.set(`${base}.midi.program`, track.midiProgram);
    map.set(`${base}.midi.drums`, track.midiDrums);
    channelView(map, base, track, song);
  }
  map.order('buses', song.buses.map((bus) => bus.id));
  for (const bus of song.buses) {
    map.entity(`buses.${bus.id}`, 'bus');
    channelView(map, `buses.${bus.id}`, bus, song);
  }
  const { master } = song;
  map.set('master.ceiling', master.ceilingDb);
  // An optional stage reads `off` or `on`, and lists its settings when on.
  const stage = (name: string, settings: object | null) => {
    map.set(`master.${name}`, settings ? 'on' : 'off');
    map.flatten(`master.${name}`, settings ?? undefined);
  };
  stage('loudness', master.loudness);
  stage('limiter', master.limiter);
  stage('eq', master.eq.length ? master.eq : null);
  stage('compressor', master.compressor);
  stage('multiband', master.multiband);
  map.set('master.width', master.width);
  map.set('master.dither', master.dither);
  stage('reference', master.reference && { path: master.reference.path, sha256: shortHash(master.reference.sha256) });
  map.set('master.match', master.match ?? 'off');
  map.set('master.formats', master.formats.length ? master.formats.join(', ') : 'wav only');
  map.set('master.mp3Bitrate', master.mp3Bitrate);
  return map;
}

/** Effect slot fields; an effect option with one of these names is listed under `options.`. */
const SLOT_FIELDS = new Set(['plugin', 'version', 'mix', 'sidechain', 'source', 'code', 'files', 'automation']);

function channelView(map: FieldMapBuilder, base: string, channel: ChannelIR, song: SongIR): void {
  map.set(`${base}.gain`, channel.gainDb);
  map.set(`${base}.pan`, channel.pan);
  map.set(`${base}.output`, channel.output);
  map.set(`${base}.mute`, channel.mute);
  map.set(`${base}.invert`, channel.invert);
  map.order(`${base}.effects`, channel.effects.map((slot) => slot.id));
  for (const slot of channel.effects) {
    const path = `${base}.effects.${slot.id}`;
    map.entity(path, slot.plugin);
    map.set(`${path}.version`, slot.version);
    map.set(`${path}.mix`, slot.mix);
    map.set(`${path}.sidechain`, slot.sidechain ? `from ${slot.sidechain.from}${slot.sidechain.highpass > 0 ? `, high-pass ${slot.sidechain.highpass} Hz` : ''}` : 'none');
    for (const [option, value] of Object.entries(slot.options)) map.flatten(SLOT_FIELDS.has(option) ? `${path}.options.${option}` : `${path}.${option}`, value);
    pluginCode(map, path, slot);
    for (const file of slot.files) map.set(`${path}.files.${file.path}`, shortHash(file.sha256));
  }
  for (const send of channel.sends) {
    map.entity(`${base}.sends.${send.to}`, 'send', `${send.levelDb} dB${send.pre ? ' pre' : ''}`);
    map.set(`${base}.sends.${send.to}.level`, send.levelDb);
    map.set(`${base}.sends.${send.to}.pre`, send.pre);
  }
  const automation = (target: string, value: AutomationIR | null) => value && map.entity(`${base}.automation.${target}`, automationText(value, song.sampleRate));
  automation('gain', channel.gainAutomation);
  automation('pan', channel.panAutomation);
  for (const send of channel.sends) automation(`send.${send.to}`, send.automation);
  for (const slot of channel.effects) for (const [option, value] of Object.entries(slot.automation)) automation(`fx.${slot.id}.${option}`, value);
  const track = channel as Partial<TrackIR>;
  for (const [option, value] of Object.entries(track.instrumentAutomation ?? {})) automation(`instrument.${option}`, value);
}

function pluginCode(map: FieldMapBuilder, path: string, plugin: { source: string | null; code: string | null }): void {
  if (plugin.source) map.set(`${path}.source`, plugin.source);
  if (plugin.code) map.set(`${path}.code`, shortHash(plugin.code));
}

const shortHash = (sha: string) => sha.slice(0, 12);

/** An automation lane in one line: its points (value @ seconds, shape) or its LFO. */
function automationText(automation: AutomationIR, sampleRate: number): string {
  const seconds = (sample: number) => `${(sample / sampleRate).toFixed(3)}s`;
  if (automation.lfo) {
    const { lfo } = automation;
    const [first, second] = lfo.anchors;
    const period = first && second && second.phase !== first.phase ? `, period ${((second.sample - first.sample) / (second.phase - first.phase) / sampleRate).toFixed(3)}s` : '';
    return `lfo ${lfo.shape} ${lfo.min}–${lfo.max}${period}`;
  }
  const points = automation.points.map((point) => `${point.value} @${seconds(point.sample)}${point.shape === 'step' ? '' : ` ${point.shape}${point.shape === 'curve' ? ` ${point.curve}` : ''}`}`);
  return `${points.length} point${points.length === 1 ? '' : 's'}: ${points.join(', ')}`;
}

// ---------------------------------------------------------------------------------------
// Notes: per track and section occurrence, positions relative to the occurrence's start,
// so a section inserted earlier in the form does not make every later note "moved".

interface Placed {
  readonly note: TrackIR['notes'][number];
  /** Ticks from the start of its section occurrence. */
  readonly rel: number;
}

const AFTER_FORM = 'after the form';

function bucketOf(sections: readonly SectionIR[], tick: number): { label: string; start: number } {
  if (sections.length === 0) return { label: 'song', start: 0 };
  const section = sections.find((candidate) => tick >= candidate.startTick && tick < candidate.endTick);
  if (section) return { label: `${section.name} ${section.occurrence}`, start: section.startTick };
  const last = sections[sections.length - 1];
  return tick >= last.endTick ? { label: AFTER_FORM, start: last.endTick } : { label: 'before the form', start: 0 };
}

function bucketNotes(song: SongIR, track: TrackIR | undefined): Map<string, Placed[]> {
  const buckets = new Map<string, Placed[]>();
  for (const note of track?.notes ?? []) {
    const { label, start } = bucketOf(song.sections, note.startTick);
    const list = buckets.get(label) ?? [];
    list.push({ note, rel: note.startTick - start });
    buckets.set(label, list);
  }
  return buckets;
}

function diffNotes(a: SongIR, b: SongIR): NoteGroup[] {
  const trackIds = unionOrder(a.tracks.map((track) => track.id), b.tracks.map((track) => track.id));
  const sectionOrder = unionOrder(
    [...a.sections.map((section) => `${section.name} ${section.occurrence}`), AFTER_FORM],
    [...b.sections.map((section) => `${section.name} ${section.occurrence}`), AFTER_FORM],
  );
  if (!a.sections.length || !b.sections.length) sectionOrder.unshift('song', 'before the form');
  const groups: NoteGroup[] = [];
  // Section by section (as the song plays), then track by track.
  const perTrack = trackIds.map((id) => ({
    id,
    a: bucketNotes(a, a.tracks.find((track) => track.id === id)),
    b: bucketNotes(b, b.tracks.find((track) => track.id === id)),
  }));
  for (const section of sectionOrder) {
    for (const track of perTrack) {
      const changes = matchNotes(track.a.get(section) ?? [], track.b.get(section) ?? [], a, b);
      if (changes.length) groups.push(group(section, track.id, changes));
    }
  }
  return groups;
}

function unionOrder(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  let previous = -1;
  for (const item of b) {
    const at = out.indexOf(item);
    if (at >= 0) previous = at;
    else out.splice(++previous, 0, item);
  }
  return out;
}

/**
 * Pair A's notes with B's: identical ones first, then same start and pitch (length or
 * velocity changed), then same pitch, length and velocity at another start (moved, nearest
 * first), then same start and length at another pitch (nearest interval first); what is
 * left was removed or added.
 */
function matchNotes(before: readonly Placed[], after: readonly Placed[], songA: SongIR, songB: SongIR): NoteChange[] {
  const leftA = new Set(before);
  const leftB = new Set(after);
  const changes: { order: number; change: NoteChange }[] = [];
  const viewA = (placed: Placed) => noteView(placed.note, songA.meterMap);
  const viewB = (placed: Placed) => noteView(placed.note, songB.meterMap);
  const pass = (matches: (x: Placed, y: Placed) => boolean, distance: (x: Placed, y: Placed) => number, make: ((x: Placed, y: Placed) => NoteChange) | null) => {
    const candidates: { x: Placed; y: Placed; distance: number }[] = [];
    for (const x of leftA) for (const y of leftB) if (matches(x, y)) candidates.push({ x, y, distance: distance(x, y) });
    candidates.sort((p, q) => p.distance - q.distance || p.x.rel - q.x.rel || p.y.rel - q.y.rel || p.x.note.pitch - q.x.note.pitch);
    for (const { x, y } of candidates) {
      if (!leftA.has(x) || !leftB.has(y)) continue;
      leftA.delete(x);
      leftB.delete(y);
      if (make) changes.push({ order: y.rel, change: make(x, y) });
    }
  };
  const same = (x: Placed, y: Placed) => x.note.pitch === y.note.pitch && x.note.lengthTicks === y.note.lengthTicks && x.note.velocity === y.note.velocity;
  pass((x, y) => x.rel === y.rel && same(x, y), () => 0, null);
  pass(
    (x, y) => x.rel === y.rel && x.note.pitch === y.note.pitch,
    () => 0,
    (x, y) => {
      const parts: string[] = [];
      if (x.note.lengthTicks !== y.note.lengthTicks) parts.push(`length ${wholeFraction(x.note.lengthTicks, false)} → ${wholeFraction(y.note.lengthTicks, false)}`);
      if (x.note.velocity !== y.note.velocity) parts.push(`velocity ${x.note.velocity} → ${y.note.velocity}`);
      return { kind: 'changed', a: viewA(x), b: viewB(y), detail: parts.join(', ') };
    },
  );
  pass(same, (x, y) => Math.abs(y.rel - x.rel), (x, y) => ({ kind: 'moved', a: viewA(x), b: viewB(y), detail: wholeFraction(y.rel - x.rel, true) }));
  pass(
    (x, y) => x.rel === y.rel && x.note.lengthTicks === y.note.lengthTicks,
    (x, y) => Math.abs(y.note.pitch - x.note.pitch),
    (x, y) => ({ kind: 'changed', a: viewA(x), b: viewB(y), detail: `pitch ${pitchName(x.note.pitch)} → ${pitchName(y.note.pitch)} (${signed(y.note.pitch - x.note.pitch)})${x.note.velocity !== y.note.velocity ? `, velocity ${x.note.velocity} → ${y.note.velocity}` : ''}` }),
  );
  for (const x of leftA) changes.push({ order: x.rel, change: { kind: 'removed', a: viewA(x) } });
  for (const y of leftB) changes.push({ order: y.rel, change: { kind: 'added', b: viewB(y) } });
  const kinds = ['moved', 'changed', 'removed', 'added'];
  return changes
    .sort((p, q) => p.order - q.order || kinds.indexOf(p.change.kind) - kinds.indexOf(q.change.kind) || (p.change.a ?? p.change.b)!.midi - (q.change.a ?? q.change.b)!.midi)
    .map((entry) => entry.change);
}

function group(section: string, track: string, notes: NoteChange[]): NoteGroup {
  const moved = new Map<number, number>();
  const transposed = new Map<number, number>();
  let lengthChanged = 0;
  let velocityChanged = 0;
  for (const change of notes) {
    if (change.kind === 'moved') {
      const by = change.b!.startTick - change.a!.startTick;
      moved.set(by, (moved.get(by) ?? 0) + 1);
    }
    if (change.kind !== 'changed') continue;
    if (change.a!.midi !== change.b!.midi) transposed.set(change.b!.midi - change.a!.midi, (transposed.get(change.b!.midi - change.a!.midi) ?? 0) + 1);
    if (change.a!.lengthTicks !== change.b!.lengthTicks) lengthChanged++;
    if (change.a!.velocity !== change.b!.velocity) velocityChanged++;
  }
  const added = notes.filter((change) => change.kind === 'added').length;
  const removed = notes.filter((change) => change.kind === 'removed').length;
  const byCount = <T extends { count: number }>(list: T[], key: (item: T) => number) => list.sort((p, q) => q.count - p.count || key(p) - key(q));
  const movedList = byCount([...moved].map(([byTicks, count]) => ({ byTicks, by: wholeFraction(byTicks, true), count })), (item) => item.byTicks);
  const transposedList = byCount([...transposed].map(([bySemitones, count]) => ({ bySemitones, count })), (item) => item.bySemitones);
  const phrases: { count: number; text: string }[] = [
    ...movedList.map((item) => ({ count: item.count, text: `moved by ${item.by}` })),
    ...transposedList.map((item) => ({ count: item.count, text: `changed pitch by ${signed(item.bySemitones)}` })),
    ...(lengthChanged ? [{ count: lengthChanged, text: 'changed length' }] : []),
    ...(velocityChanged ? [{ count: velocityChanged, text: 'changed velocity' }] : []),
    ...(added ? [{ count: added, text: 'added' }] : []),
    ...(removed ? [{ count: removed, text: 'removed' }] : []),
  ];
  const summary = phrases.map((phrase, i) => (i === 0 ? `${phrase.count} note${phrase.count === 1 ? '' : 's'} ${phrase.text}` : `${phrase.count} ${phrase.text}`)).join(', ');
  return { section, track, added, removed, moved: movedList, transposed: transposedList, lengthChanged, velocityChanged, summary, notes };
}

function noteView(note: TrackIR['notes'][number], meterMap: readonly MeterPoint[]): NoteView {
  return {
    pitch: pitchName(note.pitch),
    midi: note.pitch,
    start: formatPosition(meterMap, note.startTick),
    startTick: note.startTick,
    length: wholeFraction(note.lengthTicks, false),
    lengthTicks: note.lengthTicks,
    velocity: note.velocity,
  };
}

const signed = (value: number) => `${value > 0 ? '+' : ''}${value}`;

/** A tick as `bars:beats:ticks` from `0:0:0`, the way songs write positions. */
export function formatPosition(meterMap: readonly MeterPoint[], tick: number): string {
  const bar = tickToBar(meterMap, tick);
  const meter = meterAtTick(meterMap, tick);
  const inBar = tick - barToTick(meterMap, bar);
  const beat = ticksPerBeat(meter.denominator);
  return `${bar}:${Math.floor(inBar / beat)}:${inBar % beat}`;
}

/** Ticks as a fraction of a whole note (`1/16`, `3/8`, signed for a move), or `N ticks` when no small fraction fits. */
function wholeFraction(ticks: number, sign: boolean): string {
  const whole = PPQ * 4;
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  const magnitude = Math.abs(ticks);
  const divisor = gcd(magnitude, whole) || 1;
  const numerator = magnitude / divisor;
  const denominator = whole / divisor;
  const prefix = sign ? (ticks < 0 ? '-' : '+') : '';
  if (denominator > 96) return `${prefix}${magnitude} ticks`;
  return `${prefix}${numerator}/${denominator}`;
}
