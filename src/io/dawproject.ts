/**
 * DAWproject 1.0 writer: project.xml + metadata.xml + the audio they reference, in one zip.
 *
 * What goes where (element names per the format's Project.xsd and MetaData.xsd):
 * - Transport: the opening tempo and meter; Arrangement/TempoAutomation: every tempo point
 *   (`linear` into a ramp, `hold` before a jump; the format interpolates in beats, as mixdown's
 *   ramps glide in ticks); TimeSignatureAutomation: every meter change; Markers: one per
 *   section occurrence.
 * - Structure: one Track per mixdown track, one per bus (role `submix` for a bus fed by
 *   outputs, `effect` for a return fed only by sends), the master, and a muted folder of the
 *   rendered stems. Channels carry volume (linear gain), pan (normalised 0–1), mute, solo,
 *   destination (the channel's output) and sends (level, pre/post). Instruments and inserts
 *   are named devices (not loadable: mixdown's DSP is not a plugin format), an insert keyed
 *   by a sidechain says so in its comment: the format has no sidechain routing.
 * - Arrangement/Lanes: per track, one note Clip per section occurrence (times in beats:
 *   ticks / 960, exact; velocities / 127), audio clips for audio tracks (in seconds), and
 *   automation Points (in seconds) for volume, pan and send levels.
 *
 * Bytes are fixed by the inputs: elements and attributes in a fixed order, numbers in
 * JavaScript's shortest round-trip form, zip entries in a fixed order with a fixed time.
 * XML comes from fast-xml-parser's builder (escaping, indentation); the zip from ./zip.ts.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { zip, type ZipEntry } from './zip.ts';

/** An automation point: a sample position and a value in the target's unit. */
export interface DawPoint {
  readonly sample: number;
  readonly value: number;
  /** How the value travels to the next point: `linear`, or `hold` (a step at the next point). */
  readonly interpolation: 'hold' | 'linear';
}

export interface DawNote {
  readonly pitch: number;
  readonly velocity: number;
  /** Ticks from the clip's start. */
  readonly startTick: number;
  readonly lengthTicks: number;
}

/** A note clip: one section occurrence of one track. */
export interface DawNoteClip {
  readonly name: string;
  readonly startTick: number;
  readonly lengthTicks: number;
  readonly notes: readonly DawNote[];
}

/** An audio clip of an audio track (mixdown's `clip()`). */
export interface DawAudioClip {
  /** Project path of the audio file. */
  readonly file: string;
  readonly startSample: number;
  /** Samples it plays for, or null: the trimmed file once through. */
  readonly lengthSamples: number | null;
  readonly trimStart: number;
  readonly trimEnd: number;
  readonly fadeIn: number;
  readonly fadeOut: number;
  readonly gainDb: number;
  readonly loop: boolean;
}

/**
 * Automation as the writer takes it (`A`): the format's points. The plan carries mixdown's
 * automation instead, turned into points where the curves are rendered.
 */
export type DawPoints = readonly DawPoint[];

export interface DawSend<A = DawPoints> {
  readonly to: string;
  /** Linear gain. */
  readonly volume: number;
  readonly pre: boolean;
  /** Level automation (linear gain). */
  readonly automation: A | null;
}

export interface DawChannel<A = DawPoints> {
  /** The mixdown track or bus id. */
  readonly id: string;
  readonly kind: 'track' | 'bus';
  readonly name: string;
  /** Linear gain of the fader. */
  readonly volume: number;
  /** 0 left … 0.5 centre … 1 right. */
  readonly pan: number;
  readonly mute: boolean;
  readonly solo: boolean;
  /** `'master'` or a bus id. */
  readonly output: string;
  readonly sends: readonly DawSend<A>[];
  /** The instrument (tracks) and the inserts, in order. */
  readonly devices: readonly { readonly name: string; readonly role: 'instrument' | 'audioFX'; readonly comment: string }[];
  /** Linear gain. */
  readonly volumeAutomation: A | null;
  /** 0 left … 1 right. */
  readonly panAutomation: A | null;
  readonly noteClips: readonly DawNoteClip[];
  /** MIDI channel of its notes, 0-based: 9 for drums (General MIDI's channel 10), else 0. */
  readonly midiChannel: number;
  readonly audioClips: readonly DawAudioClip[];
  /** Fed only by sends (a return), for the channel's role. */
  readonly returnOnly: boolean;
}

export interface DawprojectParams<A = DawPoints> {
  readonly title: string;
  /** Key as text, e.g. `A minor`. */
  readonly key: string;
  /** Written as the Application's version. */
  readonly engine: string;
  /** Song file, relative to the project root (for the metadata comment). */
  readonly file: string;
  readonly sampleRate: number;
  readonly ppq: number;
  /** Length of every rendered stem, in samples. */
  readonly lengthSamples: number;
  readonly tempo: readonly { readonly tick: number; readonly bpm: number; readonly ramp: boolean }[];
  readonly meters: readonly { readonly tick: number; readonly numerator: number; readonly denominator: number }[];
  readonly markers: readonly { readonly tick: number; readonly name: string }[];
  /** Tracks, then buses, in the song's order. */
  readonly channels: readonly DawChannel<A>[];
  /** What the master chain does, in words (the master Track's comment). */
  readonly masterComment: string;
}

/** An audio file referenced by audio clips, as read for the export. */
export interface DawMedia {
  readonly bytes: Uint8Array;
  readonly channels: number;
  readonly sampleRate: number;
  readonly frames: number;
}

/** Zip paths inside the project. */
export const dawPaths = {
  stem: (channel: DawChannel) => `audio/${channel.kind === 'track' ? 'stems' : 'buses'}/${channel.id}.wav`,
  clip: (file: string) => `audio/clips/${file}`,
};

/**
 * The .dawproject zip: project.xml, metadata.xml, each channel's stem (by `stems`, keyed by
 * channel id) and each audio clip's file (by `media`, keyed by project path).
 */
export function encodeDawproject(params: DawprojectParams, stems: ReadonlyMap<string, Uint8Array>, media: ReadonlyMap<string, DawMedia>): Uint8Array {
  const encoder = new TextEncoder();
  const entries: ZipEntry[] = [
    { name: 'project.xml', data: encoder.encode(projectXml(params, media)), deflate: true },
    { name: 'metadata.xml', data: encoder.encode(metadataXml(params)), deflate: true },
  ];
  // Audio is stored, not deflated: float samples barely compress and deflating them costs seconds.
  for (const channel of params.channels) {
    const bytes = stems.get(channel.id);
    if (bytes) entries.push({ name: dawPaths.stem(channel), data: bytes });
  }
  for (const file of [...media.keys()].sort()) entries.push({ name: dawPaths.clip(file), data: media.get(file)!.bytes });
  return zip(entries);
}

/** An XML element: tag, attributes in order (undefined ones are left out), children in order. */
interface Node {
  readonly tag: string;
  readonly attrs: readonly (readonly [string, string | number | boolean | undefined])[];
  readonly children: readonly Node[];
  /** Text content (a `#text` node). */
  readonly text?: string;
}

const el = (tag: string, attrs: Node['attrs'] = [], children: readonly Node[] = []): Node => ({ tag, attrs, children });

const builder = new XMLBuilder({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true });

function serialise(root: Node): string {
  type Ordered = Record<string, unknown>;
  const convert = (node: Node): Ordered => {
    if (node.text !== undefined) return { '#text': node.text };
    const attrs: Record<string, string> = {};
    for (const [name, value] of node.attrs) if (value !== undefined) attrs[`@_${name}`] = formatValue(value, `${node.tag}@${name}`);
    return { [node.tag]: node.children.map(convert), ...(Object.keys(attrs).length ? { ':@': attrs } : {}) };
  };
  const declaration = { '?xml': [], ':@': { '@_version': '1.0', '@_encoding': 'UTF-8', '@_standalone': 'yes' } };
  return `${builder.build([declaration, convert(root)]).trim()}\n`;
}

function formatValue(value: string | number | boolean, where: string): string {
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) throw new Error(`DAWproject: ${where} is ${value}`);
  // Shortest round-trip form; -0 written as 0.
  return String(value === 0 ? 0 : value);
}

/** XML ids are names: the mixdown id when it is one, else its position. */
function xmlIds(channels: readonly DawChannel[]): Map<string, string> {
  const ids = new Map<string, string>();
  channels.forEach((channel, index) => ids.set(channel.id, /^[A-Za-z0-9_.-]+$/.test(channel.id) ? channel.id : `${channel.kind}${index}`));
  return ids;
}

function projectXml(params: DawprojectParams, media: ReadonlyMap<string, DawMedia>): string {
  const ids = xmlIds(params.channels);
  const channelId = (id: string) => (id === 'master' ? 'ch.master' : `ch.${ids.get(id)}`);
  const beats = (tick: number) => tick / params.ppq;
  const seconds = (sample: number) => sample / params.sampleRate;
  const lengthSeconds = seconds(params.lengthSamples);
  const realParameter = (tag: string, id: string, unit: string, value: number, min?: number, max?: number, name?: string): Node =>
    el(tag, [['id', id], ['name', name], ['unit', unit], ['value', value], ['min', min], ['max', max]]);
  const mute = (id: string, value: boolean) => el('Mute', [['id', id], ['name', 'Mute'], ['value', value]]);

  const channelNode = (channel: DawChannel): Node => {
    const cid = channelId(channel.id);
    const devices = channel.devices.map((device, index) =>
      el('BuiltinDevice', [['id', `${cid}.device${index}`], ['name', device.name], ['comment', device.comment || undefined], ['deviceName', device.name], ['deviceRole', device.role], ['deviceVendor', 'mixdown'], ['loaded', false]]),
    );
    const sends = channel.sends.map((send, index) =>
      el('Send', [['id', `${cid}.send${index}`], ['name', send.to], ['destination', channelId(send.to)], ['type', send.pre ? 'pre' : 'post']], [realParameter('Volume', `${cid}.send${index}.volume`, 'linear', send.volume, 0, 2, 'Send')]),
    );
    return el(
      'Channel',
      [['id', cid], ['name', channel.name], ['audioChannels', 2], ['destination', channelId(channel.output)], ['role', channel.kind === 'track' ? 'regular' : channel.returnOnly ? 'effect' : 'submix'], ['solo', channel.solo]],
      [
        ...(devices.length ? [el('Devices', [], devices)] : []),
        mute(`${cid}.mute`, channel.mute),
        realParameter('Pan', `${cid}.pan`, 'normalized', channel.pan, 0, 1, 'Pan'),
        ...(sends.length ? [el('Sends', [], sends)] : []),
        realParameter('Volume', `${cid}.volume`, 'linear', channel.volume, 0, 2, 'Volume'),
      ],
    );
  };
  const contentOf = (channel: DawChannel) => (channel.kind === 'bus' ? 'audio' : channel.audioClips.length ? 'audio' : 'notes');
  const tracks = params.channels.map((channel) =>
    el('Track', [['id', `trk.${ids.get(channel.id)}`], ['name', channel.name], ['contentType', contentOf(channel)], ['loaded', true]], [channelNode(channel)]),
  );
  const master = el('Track', [['id', 'trk.master'], ['name', 'Master'], ['comment', params.masterComment], ['contentType', 'audio'], ['loaded', true]], [
    el('Channel', [['id', 'ch.master'], ['name', 'Master'], ['audioChannels', 2], ['role', 'master'], ['solo', false]], [
      mute('ch.master.mute', false),
      realParameter('Pan', 'ch.master.pan', 'normalized', 0.5, 0, 1, 'Pan'),
      realParameter('Volume', 'ch.master.volume', 'linear', 1, 0, 2, 'Volume'),
    ]),
  ]);
  // The rendered stems, muted as a folder. Inside it the channels that feed the master are
  // unmuted: unmute the folder (and mute the rest) and the project plays the build's mix.
  const feedsMaster = (channel: DawChannel) => channel.output === 'master';
  const stemTracks = params.channels.map((channel) =>
    el('Track', [['id', `trk.stem.${ids.get(channel.id)}`], ['name', `${channel.name} (stem)`], ['contentType', 'audio'], ['loaded', true]], [
      el('Channel', [['id', `ch.stem.${ids.get(channel.id)}`], ['name', `${channel.name} (stem)`], ['audioChannels', 2], ['destination', 'ch.stems'], ['role', 'regular'], ['solo', false]], [
        mute(`ch.stem.${ids.get(channel.id)}.mute`, !feedsMaster(channel)),
        realParameter('Pan', `ch.stem.${ids.get(channel.id)}.pan`, 'normalized', 0.5, 0, 1, 'Pan'),
        realParameter('Volume', `ch.stem.${ids.get(channel.id)}.volume`, 'linear', 1, 0, 2, 'Volume'),
      ]),
    ]),
  );
  const stemsFolder = el('Track', [['id', 'trk.stems'], ['name', 'Stems (rendered by mixdown)'], ['comment', 'Post-fader stems of every track and bus; those that feed the master sum to the mix.'], ['contentType', 'tracks'], ['loaded', true]], [
    el('Channel', [['id', 'ch.stems'], ['name', 'Stems'], ['audioChannels', 2], ['destination', 'ch.master'], ['role', 'submix'], ['solo', false]], [
      mute('ch.stems.mute', true),
      realParameter('Pan', 'ch.stems.pan', 'normalized', 0.5, 0, 1, 'Pan'),
      realParameter('Volume', 'ch.stems.volume', 'linear', 1, 0, 2, 'Volume'),
    ]),
    ...stemTracks,
  ]);

  const points = (id: string, target: string, unit: string, list: readonly DawPoint[]): Node =>
    el('Points', [['id', id], ['timeUnit', 'seconds'], ['unit', unit]], [
      el('Target', [['parameter', target]]),
      ...list.map((point) => el('RealPoint', [['time', seconds(point.sample)], ['value', point.value], ['interpolation', point.interpolation]])),
    ]);
  const audioClip = (clip: DawAudioClip, index: number, lane: string): Node => {
    const file = media.get(clip.file);
    if (!file) throw new Error(`DAWproject: no media for ${clip.file}`);
    const fileSeconds = file.frames / file.sampleRate;
    const playEnd = Math.max(clip.trimStart, fileSeconds - clip.trimEnd);
    const duration = clip.lengthSamples !== null ? seconds(clip.lengthSamples) : playEnd - clip.trimStart;
    return el(
      'Clip',
      [
        ['time', seconds(clip.startSample)],
        ['duration', duration],
        ['name', clip.file.split('/').pop()],
        ['comment', clip.gainDb !== 0 ? `gain ${clip.gainDb} dB` : undefined],
        ['contentTimeUnit', 'seconds'],
        ['playStart', clip.trimStart],
        ['playStop', clip.loop ? undefined : Math.min(playEnd, clip.trimStart + duration)],
        ['loopStart', clip.loop ? clip.trimStart : undefined],
        ['loopEnd', clip.loop ? playEnd : undefined],
        ['fadeTimeUnit', 'seconds'],
        ['fadeInTime', clip.fadeIn],
        ['fadeOutTime', clip.fadeOut],
      ],
      [el('Audio', [['id', `${lane}.audio${index}`], ['timeUnit', 'seconds'], ['duration', fileSeconds], ['channels', file.channels], ['sampleRate', file.sampleRate]], [el('File', [['path', dawPaths.clip(clip.file)]])])],
    );
  };
  const channelLanes = params.channels.map((channel) => {
    const cid = channelId(channel.id);
    const lane = `lanes.${ids.get(channel.id)}`;
    const children: Node[] = [];
    if (channel.noteClips.length) {
      children.push(
        el('Clips', [['id', `${lane}.clips`], ['timeUnit', 'beats']], channel.noteClips.map((clip, index) =>
          el('Clip', [['time', beats(clip.startTick)], ['duration', beats(clip.lengthTicks)], ['name', clip.name], ['contentTimeUnit', 'beats'], ['playStart', 0]], [
            el('Notes', [['id', `${lane}.notes${index}`]], clip.notes.map((note) =>
              el('Note', [['time', beats(note.startTick)], ['duration', beats(note.lengthTicks)], ['channel', channel.midiChannel], ['key', note.pitch], ['vel', note.velocity / 127]]),
            )),
          ]),
        )),
      );
    }
    if (channel.audioClips.length) children.push(el('Clips', [['id', `${lane}.clips`], ['timeUnit', 'seconds']], channel.audioClips.map((clip, index) => audioClip(clip, index, lane))));
    if (channel.volumeAutomation) children.push(points(`${lane}.volume`, `${cid}.volume`, 'linear', channel.volumeAutomation));
    if (channel.panAutomation) children.push(points(`${lane}.pan`, `${cid}.pan`, 'normalized', channel.panAutomation));
    channel.sends.forEach((send, index) => {
      if (send.automation) children.push(points(`${lane}.send${index}`, `${cid}.send${index}.volume`, 'linear', send.automation));
    });
    return el('Lanes', [['id', lane], ['track', `trk.${ids.get(channel.id)}`]], children);
  });
  const stemLanes = params.channels.map((channel) => {
    const lane = `lanes.stem.${ids.get(channel.id)}`;
    return el('Lanes', [['id', lane], ['track', `trk.stem.${ids.get(channel.id)}`]], [
      el('Clips', [['id', `${lane}.clips`], ['timeUnit', 'seconds']], [
        el('Clip', [['time', 0], ['duration', lengthSeconds], ['name', `${channel.name} (stem)`], ['contentTimeUnit', 'seconds'], ['playStart', 0], ['playStop', lengthSeconds]], [
          el('Audio', [['id', `${lane}.audio`], ['timeUnit', 'seconds'], ['duration', lengthSeconds], ['channels', 2], ['sampleRate', params.sampleRate]], [el('File', [['path', dawPaths.stem(channel)]])]),
        ]),
      ]),
    ]);
  });

  const first = params.tempo[0];
  const firstMeter = params.meters[0];
  const project = el('Project', [['version', '1.0']], [
    el('Application', [['name', 'mixdown'], ['version', params.engine]]),
    el('Transport', [], [
      realParameter('Tempo', 'transport.tempo', 'bpm', first.bpm, 20, 999, 'Tempo'),
      el('TimeSignature', [['id', 'transport.meter'], ['numerator', firstMeter.numerator], ['denominator', firstMeter.denominator]]),
    ]),
    el('Structure', [], [...tracks, master, stemsFolder]),
    el('Arrangement', [['id', 'arrangement']], [
      el('Lanes', [['id', 'lanes'], ['timeUnit', 'beats']], [...channelLanes, ...stemLanes]),
      ...(params.markers.length ? [el('Markers', [['id', 'markers'], ['timeUnit', 'beats']], params.markers.map((marker) => el('Marker', [['time', beats(marker.tick)], ['name', marker.name]])))] : []),
      el('TempoAutomation', [['id', 'tempo'], ['timeUnit', 'beats'], ['unit', 'bpm']], [
        el('Target', [['parameter', 'transport.tempo']]),
        ...params.tempo.map((point) => el('RealPoint', [['time', beats(point.tick)], ['value', point.bpm], ['interpolation', point.ramp ? 'linear' : 'hold']])),
      ]),
      el('TimeSignatureAutomation', [['id', 'meters'], ['timeUnit', 'beats']], [
        el('Target', [['parameter', 'transport.meter']]),
        ...params.meters.map((meter) => el('TimeSignaturePoint', [['time', beats(meter.tick)], ['numerator', meter.numerator], ['denominator', meter.denominator]])),
      ]),
    ]),
  ]);
  return serialise(project);
}

function metadataXml(params: DawprojectParams): string {
  const tempo = params.tempo.length === 1 ? `${params.tempo[0].bpm} BPM` : `${params.tempo[0].bpm} BPM at the start, ${params.tempo.length} tempo points`;
  const comment = `Key: ${params.key}. Tempo: ${tempo}. Exported by mixdown from ${params.file}.`;
  return serialise(el('MetaData', [], [el('Title', [], [text(params.title)]), el('Comment', [], [text(comment)])]));
}

/** Text content, as the builder's preserve-order form spells it. */
function text(value: string): Node {
  return { tag: '#text', attrs: [], children: [], text: value };
}
