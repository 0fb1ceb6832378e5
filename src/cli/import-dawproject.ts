/**
 * `mixdown import-dawproject <file.dawproject> [--name id] [--force]`: a sketch made in a DAW
 * becomes a song module, written by import-midi's module writer: the tempo map (a `linear`
 * tempo point becomes a ramp), meter changes, markers as sections and form (`verse 2` is the
 * second verse), every track that holds notes (clips and note lanes, at exact ticks: beats ×
 * 960), and the routing between them — group and return channels become buses, with outputs,
 * sends (level, pre/post), volume, pan and mute. Audio clips, devices and automation are not
 * imported: mixdown has its own instruments and effects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { unzipSync } from 'fflate';
import { writeFileAtomicSync } from '../io/atomic.ts';
import type { MidiFileData, MidiNoteData, MidiTrackData } from '../io/midi-read.ts';
import type { TempoPoint } from '../ir/types.ts';
import { TempoClock } from '../theory/time.ts';
import { PPQ } from '../theory/units.ts';
import { generateSongModule, slug, trackIds, type ChannelSketch, type ImportOptions, type ModuleExtras } from './import-midi.ts';

type Node = Record<string, unknown> & { readonly [attribute: `@${string}`]: string | undefined };

/** Elements that may repeat: always read as arrays. */
const REPEATED = new Set(['Track', 'Lanes', 'Clips', 'Clip', 'Notes', 'Note', 'Points', 'RealPoint', 'TimeSignaturePoint', 'Marker', 'Send', 'Channel']);

const list = (value: unknown): Node[] => (value === undefined ? [] : Array.isArray(value) ? (value as Node[]) : [value as Node]);
const num = (value: string | undefined, fallback = 0): number => (value === undefined || value === '' ? fallback : Number(value));

interface ChannelData {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly destination: string | undefined;
  readonly mute: boolean;
  readonly volume: number | null;
  readonly pan: number | null;
  readonly sends: readonly { readonly destination: string; readonly volume: number; readonly pre: boolean }[];
}

/** What a project holds that a song module can say. */
export interface DawprojectSketch {
  readonly data: MidiFileData;
  readonly extras: ModuleExtras;
  /** Names of tracks left out (audio only, or empty). */
  readonly skipped: readonly string[];
}

export function readDawproject(bytes: Uint8Array): DawprojectSketch {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new Error(`not a zip file (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!files['project.xml']) throw new Error('the zip holds no project.xml');
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseAttributeValue: false, parseTagValue: false, isArray: (name) => REPEATED.has(name) });
  const project = (parser.parse(new TextDecoder().decode(files['project.xml'])) as Node).Project as Node | undefined;
  if (!project) throw new Error('project.xml has no <Project> element');
  const metadata = files['metadata.xml'] ? ((parser.parse(new TextDecoder().decode(files['metadata.xml'])) as Node).MetaData as Node | undefined) : undefined;

  const transport = (project.Transport as Node | undefined) ?? {};
  const arrangement = (project.Arrangement as Node | undefined) ?? {};
  const transportTempo = (transport.Tempo as Node | undefined) ?? {};
  const tempoNode = arrangement.TempoAutomation as Node | undefined;
  // Tempo points: bpm, or normalised over the transport tempo's range.
  const bpmOf = (value: number) => (tempoNode?.['@unit'] === 'normalized' ? num(transportTempo['@min'], 20) + value * (num(transportTempo['@max'], 999) - num(transportTempo['@min'], 20)) : value);
  const tempoPoints = list(tempoNode?.RealPoint);
  if (tempoNode && tempoNode['@timeUnit'] === 'seconds') throw new Error('a tempo automation timed in seconds cannot be read (export the project with beats as its time unit)');
  const tempos: { tick: number; bpm: number; ramp: boolean }[] = tempoPoints.length
    ? tempoPoints.map((point) => ({ tick: Math.round(num(point['@time']) * PPQ), bpm: bpmOf(num(point['@value'])), ramp: point['@interpolation'] === 'linear' }))
    : [{ tick: 0, bpm: num(transportTempo['@value'], 120), ramp: false }];
  if (tempos[0].tick !== 0) tempos.unshift({ tick: 0, bpm: tempos[0].bpm, ramp: false });
  const tempoMap: TempoPoint[] = tempos.map((tempo, index) => ({ tick: tempo.tick, bpm: tempo.bpm, rampToNext: tempo.ramp && index < tempos.length - 1 }));
  const clock = new TempoClock(tempoMap);
  /** Ticks of a time on a timeline in beats or seconds. */
  const ticksOf = (time: number, unit: string) => Math.round(unit === 'seconds' ? clock.ticksAt(time) : time * PPQ);

  const transportMeter = (transport.TimeSignature as Node | undefined) ?? {};
  const meterNode = arrangement.TimeSignatureAutomation as Node | undefined;
  const meters = list(meterNode?.TimeSignaturePoint).map((point) => ({ tick: ticksOf(num(point['@time']), meterNode?.['@timeUnit'] ?? 'beats'), numerator: num(point['@numerator']), denominator: num(point['@denominator']) }));
  if (!meters.length || meters[0].tick !== 0) meters.unshift({ tick: 0, numerator: num(transportMeter['@numerator'], 4), denominator: num(transportMeter['@denominator'], 4) });

  // Channels and tracks, folders flattened.
  const channels = new Map<string, ChannelData>();
  const tracks: { id: string; name: string; channel: ChannelData | undefined }[] = [];
  const readChannel = (node: Node, name: string): ChannelData => {
    const param = (tag: string) => node[tag] as Node | undefined;
    const volume = param('Volume');
    const pan = param('Pan');
    const channel: ChannelData = {
      id: node['@id'] ?? '',
      name: node['@name'] ?? name,
      role: node['@role'] ?? 'regular',
      destination: node['@destination'],
      mute: param('Mute')?.['@value'] === 'true',
      volume: volume ? linearOf(volume) : null,
      pan: pan ? normalizedOf(pan) : null,
      sends: list((node.Sends as Node | undefined)?.Send).map((send) => ({ destination: send['@destination'] ?? '', volume: send.Volume ? linearOf(send.Volume as Node) : 1, pre: send['@type'] === 'pre' })),
    };
    if (channel.id) channels.set(channel.id, channel);
    return channel;
  };
  const walkTracks = (nodes: Node[]): void => {
    for (const node of nodes) {
      const channelNode = list(node.Channel)[0];
      const channel = channelNode ? readChannel(channelNode, node['@name'] ?? '') : undefined;
      tracks.push({ id: node['@id'] ?? '', name: node['@name'] ?? '', channel });
      walkTracks(list(node.Track));
    }
  };
  const structure = (project.Structure as Node | undefined) ?? {};
  walkTracks(list(structure.Track));
  for (const channel of list(structure.Channel)) readChannel(channel, channel['@name'] ?? '');

  // Notes by track id, from clips and note lanes anywhere in the arrangement.
  const notesByTrack = new Map<string, MidiNoteData[]>();
  /** Where the last note clip ends: the end of the last section. */
  let clipsEnd = 0;
  const addNotes = (trackId: string | undefined, notes: Node[], offsetTicks: number, unit: string, from: number, to: number) => {
    if (!trackId) return;
    const target = notesByTrack.get(trackId) ?? [];
    for (const note of notes) {
      const time = num(note['@time']);
      if (time < from || time >= to) continue;
      const startTick = offsetTicks + ticksOf(time - from, unit);
      const lengthTicks = Math.max(1, ticksOf(num(note['@duration']), unit));
      const velocity = Math.max(1, Math.min(127, Math.round(num(note['@vel'], 100 / 127) * 127)));
      target.push({ pitch: num(note['@key']), velocity, startTick, lengthTicks });
    }
    notesByTrack.set(trackId, target);
  };
  const walkLanes = (node: Node, trackId: string | undefined, unit: string): void => {
    const track = node['@track'] ?? trackId;
    const timeUnit = node['@timeUnit'] ?? unit;
    for (const notes of list(node.Notes)) addNotes(notes['@track'] ?? track, list(notes.Note), 0, notes['@timeUnit'] ?? timeUnit, 0, Infinity);
    for (const clips of list(node.Clips)) {
      const clipsUnit = clips['@timeUnit'] ?? timeUnit;
      for (const clip of list(clips.Clip)) {
        const start = ticksOf(num(clip['@time']), clipsUnit);
        const contentUnit = clip['@contentTimeUnit'] ?? clipsUnit;
        const playStart = num(clip['@playStart']);
        const duration = clip['@duration'] === undefined ? Infinity : num(clip['@duration']);
        // Content plays from playStart for the clip's duration (loops are not unrolled).
        if (list(clip.Notes).length && clip['@duration'] !== undefined) clipsEnd = Math.max(clipsEnd, ticksOf(num(clip['@time']) + duration, clipsUnit));
        for (const notes of list(clip.Notes)) addNotes(clips['@track'] ?? track, list(notes.Note), start, contentUnit, playStart, playStart + (contentUnit === clipsUnit ? duration : Infinity));
      }
    }
    for (const child of list(node.Lanes)) walkLanes(child, track, timeUnit);
  };
  for (const lanes of list(arrangement.Lanes)) walkLanes(lanes, undefined, 'beats');

  // Tracks with notes become song tracks.
  const noteTracks = tracks.filter((track) => (notesByTrack.get(track.id)?.length ?? 0) > 0);
  const skipped = tracks.filter((track) => !noteTracks.includes(track) && track.channel?.role !== 'master' && (track.channel?.role ?? 'regular') === 'regular').map((track) => track.name);
  const midiTracks: MidiTrackData[] = noteTracks.map((track) => {
    const notes = [...notesByTrack.get(track.id)!].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
    // Drums: notes on MIDI channel 10, as General MIDI has it.
    const drums = hasDrumChannel(project, track.id);
    return { name: track.name, channel: drums ? 9 : 0, program: -1, drums, notes };
  });
  const ids = trackIds(midiTracks);

  // Buses: group and return channels that the imported tracks reach.
  const busChannels: ChannelData[] = [];
  const reach = (channel: ChannelData | undefined): void => {
    if (!channel) return;
    for (const target of [channel.destination, ...channel.sends.map((send) => send.destination)]) {
      const next = target ? channels.get(target) : undefined;
      if (!next || next.role === 'master' || next.role === 'regular' || busChannels.includes(next)) continue;
      busChannels.push(next);
      reach(next);
    }
  };
  for (const track of noteTracks) reach(track.channel);
  const used = new Set(ids);
  const busIds = new Map<string, string>();
  for (const bus of busChannels) {
    const base = slug(bus.name) || 'bus';
    let id = /^[a-z0-9]/.test(base) ? base : `bus-${base}`;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    busIds.set(bus.id, id);
  }
  const sketch = (channel: ChannelData | undefined): ChannelSketch => {
    if (!channel) return {};
    const output = channel.destination ? busIds.get(channel.destination) : undefined;
    return {
      gain: channel.volume !== null && channel.volume > 0 ? 20 * Math.log10(channel.volume) : undefined,
      pan: channel.pan !== null ? channel.pan * 2 - 1 : undefined,
      mute: channel.mute,
      output,
      sends: channel.sends.flatMap((send) => {
        const to = busIds.get(send.destination);
        return to && send.volume > 0 ? [{ to, level: 20 * Math.log10(send.volume), pre: send.pre }] : [];
      }),
    };
  };

  const { sections, form } = sectionsFromMarkers(arrangement, meters, ticksOf, Math.max(clipsEnd, ...midiTracks.flatMap((track) => track.notes.map((note) => note.startTick + note.lengthTicks))));
  const title = typeof metadata?.Title === 'string' ? metadata.Title : '';
  return {
    data: { name: title, tempos: tempos.map(({ tick, bpm }) => ({ tick, bpm })), meters, tracks: midiTracks },
    extras: {
      ramps: new Set(tempos.filter((tempo, index) => tempo.ramp && index < tempos.length - 1).map((tempo) => tempo.tick)),
      sections,
      form,
      channels: noteTracks.map((track) => sketch(track.channel)),
      buses: busChannels.map((bus) => ({ id: busIds.get(bus.id)!, name: bus.name, channel: sketch(bus) })),
      origin: 'Imported from a DAWproject by `mixdown import-dawproject`',
    },
    skipped,
  };
}

/** Linear gain of a Volume parameter (decibel and normalised units converted). */
function linearOf(parameter: Node): number {
  const value = num(parameter['@value'], 1);
  if (parameter['@unit'] === 'decibel') return Math.pow(10, value / 20);
  if (parameter['@unit'] === 'normalized' && parameter['@max'] !== undefined) return num(parameter['@min']) + value * (num(parameter['@max']) - num(parameter['@min']));
  return value;
}

/** Pan as 0 (left) … 1 (right). */
function normalizedOf(parameter: Node): number {
  const value = num(parameter['@value'], 0.5);
  if (parameter['@unit'] === 'normalized') return value;
  const min = num(parameter['@min'], -1);
  const max = num(parameter['@max'], 1);
  return (value - min) / (max - min || 1);
}

/** True when the track's notes are on MIDI channel 10 (0-based 9). */
function hasDrumChannel(project: Node, trackId: string): boolean {
  let found = false;
  const visit = (node: unknown, track: string | undefined): void => {
    if (found || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, track);
      return;
    }
    const record = node as Node;
    const here = record['@track'] ?? track;
    if (here === trackId && Array.isArray(record.Note) && (record.Note as Node[]).some((note) => note['@channel'] === '9')) found = true;
    for (const [key, value] of Object.entries(record)) if (!key.startsWith('@')) visit(value, here);
  };
  visit(project.Arrangement, undefined);
  return found;
}

/**
 * Markers → sections and form. `verse 2` is the second verse (a trailing number is an
 * occurrence); each runs to the next marker, the last to the end of the last note clip (or note), in whole bars.
 */
function sectionsFromMarkers(
  arrangement: Node,
  meters: readonly { tick: number; numerator: number; denominator: number }[],
  ticksOf: (time: number, unit: string) => number,
  endTick: number,
): { sections: { name: string; bars: number }[]; form: string[] } {
  const markersNode = arrangement.Markers as Node | undefined;
  const markers = list(markersNode?.Marker)
    .map((marker) => ({ tick: ticksOf(num(marker['@time']), markersNode?.['@timeUnit'] ?? 'beats'), name: marker['@name'] ?? '' }))
    .sort((a, b) => a.tick - b.tick);
  if (!markers.length) return { sections: [], form: [] };
  const barOf = barIndexer(meters);
  if (markers[0].tick > 0) markers.unshift({ tick: 0, name: 'start' });
  const sections: { name: string; bars: number }[] = [];
  const form: string[] = [];
  markers.forEach((marker, index) => {
    const startBar = barOf(marker.tick, 'floor');
    const endBar = index + 1 < markers.length ? barOf(markers[index + 1].tick, 'floor') : Math.max(startBar + 1, barOf(endTick, 'ceil'));
    const bars = endBar - startBar;
    if (bars < 1) return;
    let name = marker.name.replace(/\s+\d+$/, '').trim().replace(/[^A-Za-z0-9 _-]+/g, '-');
    if (!/^[A-Za-z]/.test(name)) name = `section ${name}`.trim();
    // The same name with another length is another section.
    let unique = name;
    for (let n = 2; sections.some((section) => section.name === unique && section.bars !== bars); n++) unique = `${name}-${n}`;
    if (!sections.some((section) => section.name === unique)) sections.push({ name: unique, bars });
    form.push(unique);
  });
  return { sections, form };
}

/** Bar index of a tick under a meter map (a fraction of a bar rounded as asked). */
function barIndexer(meters: readonly { tick: number; numerator: number; denominator: number }[]): (tick: number, mode: 'floor' | 'ceil') => number {
  const barTicks = (meter: { numerator: number; denominator: number }) => meter.numerator * ((PPQ * 4) / meter.denominator);
  const startBars: number[] = [];
  meters.forEach((meter, i) => startBars.push(i === 0 ? 0 : startBars[i - 1] + Math.round((meter.tick - meters[i - 1].tick) / barTicks(meters[i - 1]))));
  return (tick, mode) => {
    let index = 0;
    for (let i = 0; i < meters.length; i++) if (meters[i].tick <= tick) index = i;
    const within = (tick - meters[index].tick) / barTicks(meters[index]);
    return startBars[index] + (mode === 'floor' ? Math.floor(within + 1e-9) : Math.ceil(within - 1e-9));
  };
}

/** Write songs/<id>/song.ts from a .dawproject; returns the path written (relative to root). */
export function importDawproject(root: string, path: string, options: ImportOptions = {}): string {
  const sketch = readDawproject(readFileSync(path));
  if (sketch.data.tracks.length === 0) throw new Error(`'${path}' has no notes to import${sketch.skipped.length ? ` (tracks without notes: ${sketch.skipped.join(', ')})` : ''}`);
  const id = options.name ?? (slug(basename(path, extname(path))) || 'imported');
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(id)) throw new Error(`'${id}' cannot name a song folder: use letters, digits, - and _`);
  const target = join(root, 'songs', id, 'song.ts');
  if (existsSync(target) && !options.force) throw new Error(`${relative(root, target)} exists; pass --force to replace it`);
  const title = sketch.data.name.trim() || basename(path, extname(path));
  writeFileAtomicSync(target, generateSongModule(sketch.data, title, sketch.extras));
  return relative(root, target);
}
