/**
 * plan(): SongIR → BuildGraph. Each task names its kind, the plain-data params its renderer
 * needs, the tasks whose outputs it reads, and a key: sha256 over the engine version, the
 * hash of each named input and the keys of the tasks it reads. The per-input hashes are
 * kept (`inputs`) so a build can say which input made a key change.
 */
import type { NoteEvent } from '../ir/plugin.ts';
import type { AutomationIR, ChannelIR, EffectSlotIR, InstrumentIR, MasterIR, MeterPoint, SongIR, TempoPoint } from '../ir/types.ts';
import { hashValue } from '../ir/hash.ts';
import type { MidiParams } from '../io/midi.ts';
import { dawprojectFiles, dawprojectParams, type DawprojectTaskParams } from './dawproject.ts';

/** Bump when any renderer's output for the same inputs changes. Part of every key. */
export const ENGINE_VERSION = 'mixdown-engine/5';

/** A channel strip as a task renders it: inserts, then the fader. */
export interface StripParams {
  readonly kind: 'track' | 'bus';
  readonly channelId: string;
  readonly sampleRate: number;
  readonly lengthSamples: number;
  readonly effects: readonly EffectSlotIR[];
  readonly gainDb: number;
  readonly pan: number;
  readonly mute: boolean;
  readonly invert: boolean;
  readonly gainAutomation: AutomationIR | null;
  readonly panAutomation: AutomationIR | null;
  /**
   * `'mono'`: a mono source placed by the constant-power pan law (−3 dB each side at centre);
   * `'balance'`: a stereo source (a bus, a stereo instrument) kept at unity at centre, the far side turned down.
   */
  readonly panLaw: 'mono' | 'balance';
  /** Also output the signal before the fader (`prefader`), for pre-fader sends. */
  readonly prefader: boolean;
  readonly beatSeconds: number;
  readonly seed: number;
  /** Channel ids of the sidechain keys, one per dependency after the bus sources. */
  readonly sidechains: readonly string[];
  /** Also write the post-fader signal in this format as output `file` (what dist/ gets); absent: the float `audio` is the file. */
  readonly stemFormat?: 'wav24' | 'flac';
}

export interface StemParams extends StripParams {
  readonly trackId: string;
  readonly instrument: InstrumentIR;
  readonly instrumentAutomation: Readonly<Record<string, AutomationIR>>;
  readonly notes: readonly NoteEvent[];
}

/** One input of a bus: a channel's output (level 0 dB, no automation) or a send. */
export interface BusSource {
  readonly channel: string;
  readonly levelDb: number;
  readonly automation: AutomationIR | null;
}

export interface BusParams extends StripParams {
  readonly busId: string;
  /** Summed in this order; one per dependency, before the sidechain keys. */
  readonly sources: readonly BusSource[];
}

export interface MixParams {
  readonly sampleRate: number;
  readonly lengthSamples: number;
}

export interface MasterParams {
  readonly settings: MasterIR;
  /** Seed of the 16-bit dither (from the song seed). */
  readonly ditherSeed: number;
}

interface TaskBase<Kind extends string, Params> {
  /** `stem:<track>`, `bus:<bus>`, `mix`, `master`, `midi`. Unique within a song. */
  readonly id: string;
  readonly kind: Kind;
  readonly params: Params;
  /** Outputs this task reads, in summing order: a task id (its first output) or `<task id>#<output>`. */
  readonly deps: readonly string[];
  /** Hash of each named input, plus the engine version: why the key is what it is. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly key: string;
}

export type StemTask = TaskBase<'stem', StemParams>;
export type BusTask = TaskBase<'bus', BusParams>;
export type MixTask = TaskBase<'mix', MixParams>;
export type MasterTask = TaskBase<'master', MasterParams>;
export type MidiTask = TaskBase<'midi', MidiParams>;
export type DawprojectTask = TaskBase<'dawproject', DawprojectTaskParams>;
export type Task = StemTask | BusTask | MixTask | MasterTask | MidiTask | DawprojectTask;

/** What a build plans beyond the audio and the MIDI file. */
export interface PlanOptions {
  /** Also plan the `dawproject` task (dist/<song>/<song>.dawproject). @default false */
  readonly dawproject?: boolean;
}

export interface BuildGraph {
  readonly song: string;
  /** In dependency order: every task comes after the tasks it reads. */
  readonly tasks: readonly Task[];
}

/** A dependency: a task, and which of its outputs is read (its first when not named). */
type DepRef = Task | { readonly task: Task; readonly output: string };

/** The task id of a dependency reference (`stem:bass#prefader` → `stem:bass`). */
export function depTaskId(dep: string): string {
  const hash = dep.indexOf('#');
  return hash < 0 ? dep : dep.slice(0, hash);
}

/** The output a dependency reference names, or undefined for the task's first output. */
export function depOutput(dep: string): string | undefined {
  const hash = dep.indexOf('#');
  return hash < 0 ? undefined : dep.slice(hash + 1);
}

function makeTask<T extends Task>(
  id: string,
  kind: T['kind'],
  params: T['params'],
  namedInputs: Record<string, unknown>,
  deps: readonly DepRef[],
): T {
  const inputs: Record<string, string> = { engine: ENGINE_VERSION };
  for (const [name, value] of Object.entries(namedInputs)) inputs[name] = hashValue(value);
  const refs = deps.map((dep) => ('output' in dep && 'task' in dep ? `${dep.task.id}#${dep.output}` : (dep as Task).id));
  deps.forEach((dep, i) => {
    inputs[`task:${refs[i]}`] = 'task' in dep && 'output' in dep ? dep.task.key : (dep as Task).key;
  });
  const key = hashValue({ kind, inputs });
  return { id, kind, params, deps: refs, inputs, key } as unknown as T;
}

/**
 * Key inputs for what a channel renders with, named finely so --explain can say which one
 * changed: each effect slot's settings (`effect:<slot>`), each project plugin's code
 * (`code:<plugin>`), each file read (`file:<path>`, its content hash).
 */
function pluginInputs(instrument: string | null, instrumentCode: string | null, instrumentFiles: InstrumentIR['files'], effects: readonly EffectSlotIR[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  if (instrument && instrumentCode) inputs[`code:${instrument}`] = instrumentCode;
  for (const file of instrumentFiles) inputs[`file:${file.path}`] = file.sha256;
  inputs.effects = effects.map((slot) => slot.id);
  for (const slot of effects) {
    const { code, files, ...settings } = slot;
    inputs[`effect:${slot.id}`] = settings;
    if (code) inputs[`code:${slot.plugin}`] = code;
    for (const file of files) inputs[`file:${file.path}`] = file.sha256;
  }
  return inputs;
}

export function plan(song: SongIR, options: PlanOptions = {}): BuildGraph {
  const format = { sampleRate: song.sampleRate, lengthSamples: song.lengthSamples };
  const channels: (ChannelIR & { kind: 'track' | 'bus' })[] = [...song.tracks.map((t) => ({ ...t, kind: 'track' as const })), ...song.buses.map((b) => ({ ...b, kind: 'bus' as const }))];
  const taskIdOf = (channel: string) => (song.tracks.some((track) => track.id === channel) ? `stem:${channel}` : `bus:${channel}`);
  // A pre-fader send anywhere makes its source channel also write its pre-fader signal.
  const prefader = new Set(channels.flatMap((channel) => (channel.sends.some((send) => send.pre) ? [channel.id] : [])));
  const done = new Map<string, Task>();
  const strip = (channel: ChannelIR, kind: 'track' | 'bus'): StripParams => ({
    kind,
    panLaw: channel.panLaw,
    channelId: channel.id,
    ...format,
    effects: channel.effects,
    gainDb: channel.gainDb,
    pan: channel.pan,
    mute: channel.mute,
    invert: channel.invert,
    gainAutomation: channel.gainAutomation,
    panAutomation: channel.panAutomation,
    prefader: prefader.has(channel.id),
    beatSeconds: song.beatSeconds,
    seed: channel.seed,
    sidechains: channel.effects.flatMap((slot) => (slot.sidechain ? [slot.sidechain.from] : [])),
    // Absent for float stems, so their task keys stay what they were.
    ...(song.stemFormat !== 'float32' ? { stemFormat: song.stemFormat } : {}),
  });
  const fader = (channel: ChannelIR) => ({ panLaw: channel.panLaw, gainDb: channel.gainDb, pan: channel.pan, mute: channel.mute, invert: channel.invert, gain: channel.gainAutomation, panAutomation: channel.panAutomation });
  const keyDeps = (params: StripParams) => params.sidechains.map((from) => done.get(taskIdOf(from))!);
  const ready = (channel: (typeof channels)[number]): boolean => {
    const needs = channel.effects.flatMap((slot) => (slot.sidechain ? [slot.sidechain.from] : []));
    if (channel.kind === 'bus') needs.push(...sourcesOf(channel.id).map((source) => source.channel));
    return needs.every((id) => done.has(taskIdOf(id)));
  };
  /** What a bus sums, in a fixed order: tracks by index, then buses by index; outputs and sends alike. */
  const sourcesOf = (busId: string): (BusSource & { pre: boolean })[] =>
    channels.flatMap((channel) => {
      const list: (BusSource & { pre: boolean })[] = [];
      if (channel.output === busId) list.push({ channel: channel.id, levelDb: 0, automation: null, pre: false });
      for (const send of channel.sends) if (send.to === busId) list.push({ channel: channel.id, levelDb: send.levelDb, automation: send.automation, pre: send.pre });
      return list;
    });
  // Routing is acyclic (checked when elaborating): emit each channel once its inputs are planned.
  const order: Task[] = [];
  for (let pending = [...channels]; pending.length; ) {
    const next = pending.find(ready);
    if (!next) throw new Error(`routing of song '${song.id}' has a cycle (elaboration should have caught it)`);
    pending = pending.filter((channel) => channel !== next);
    const params = strip(next, next.kind);
    let task: Task;
    if (next.kind === 'track') {
      const track = song.tracks.find((entry) => entry.id === next.id)!;
      const stemParams: StemParams = { ...params, trackId: track.id, instrument: track.instrument, instrumentAutomation: track.instrumentAutomation, notes: track.notes };
      // Named so --explain can say "notes of track bass" rather than "something changed".
      task = makeTask<StemTask>(
        `stem:${track.id}`,
        'stem',
        stemParams,
        {
          notes: track.notes,
          instrument: { plugin: track.instrument.plugin, version: track.instrument.version, options: track.instrument.options },
          instrumentAutomation: track.instrumentAutomation,
          ...pluginInputs(track.instrument.plugin, track.instrument.code, track.instrument.files, track.effects),
          fader: fader(track),
          seed: track.seed,
          format,
          trackId: track.id,
          prefader: params.prefader,
        },
        keyDeps(params),
      );
    } else {
      const bus = song.buses.find((entry) => entry.id === next.id)!;
      const sources = sourcesOf(bus.id);
      const busParams: BusParams = { ...params, busId: bus.id, sources: sources.map(({ pre: _pre, ...source }) => source) };
      const sourceDeps = sources.map((source) => {
        const from = done.get(taskIdOf(source.channel))!;
        return source.pre ? { task: from, output: 'prefader' } : from;
      });
      task = makeTask<BusTask>(
        `bus:${bus.id}`,
        'bus',
        busParams,
        { sources: busParams.sources, ...pluginInputs(null, null, [], bus.effects), fader: fader(bus), seed: bus.seed, format, busId: bus.id, prefader: params.prefader },
        [...sourceDeps, ...keyDeps(params)],
      );
    }
    done.set(task.id, task);
    order.push(task);
  }
  const toMaster = channels.filter((channel) => channel.output === 'master').map((channel) => done.get(taskIdOf(channel.id))!);
  const mixParams: MixParams = format;
  const mix = makeTask<MixTask>('mix', 'mix', mixParams, { format: mixParams }, toMaster);
  const masterParams: MasterParams = { settings: song.master, ditherSeed: song.seed };
  const master = makeTask<MasterTask>('master', 'master', masterParams, { master: masterParams }, [mix]);

  const midiParams: MidiParams = {
    title: song.title,
    ppq: song.ppq,
    tempoMap: song.tempoMap,
    meterMap: song.meterMap,
    key: { sharps: song.key.sharps, minor: song.key.minor },
    markers: song.markers.map(({ tick, name }) => ({ tick, name })),
    tracks: song.tracks.map((track) => ({
      name: track.name,
      program: track.midiProgram,
      drums: track.midiDrums,
      notes: track.notes.map(({ pitch, velocity, startTick, lengthTicks }) => ({ pitch, velocity, startTick, lengthTicks })),
    })),
  };
  const midi = makeTask<MidiTask>('midi', 'midi', midiParams, { midi: midiParams }, []);
  const exports: Task[] = [];
  if (options.dawproject) {
    // It reads every channel's stem (the project's muted stems folder), in channel order.
    const project = dawprojectParams(song, ENGINE_VERSION);
    const params: DawprojectTaskParams = { project, files: dawprojectFiles(song), stems: channels.map((channel) => channel.id) };
    exports.push(makeTask<DawprojectTask>('dawproject', 'dawproject', params, { dawproject: project, files: params.files }, channels.map((channel) => done.get(taskIdOf(channel.id))!)));
  }
  return { song: song.id, tasks: [...order, mix, master, midi, ...exports] };
}

/** A project plugin (not a built-in) a task renders with. */
export interface TaskPlugin {
  readonly kind: 'instrument' | 'effect';
  readonly name: string;
  /** Its module, relative to the project root. */
  readonly source: string;
}

/** The project plugins a task renders with: its instrument and its inserts. */
export function taskPlugins(task: Task): TaskPlugin[] {
  if (task.kind !== 'stem' && task.kind !== 'bus') return [];
  const list: TaskPlugin[] = [];
  if (task.kind === 'stem' && task.params.instrument.source) list.push({ kind: 'instrument', name: task.params.instrument.plugin, source: task.params.instrument.source });
  for (const slot of task.params.effects) if (slot.source) list.push({ kind: 'effect', name: slot.plugin, source: slot.source });
  return list;
}
