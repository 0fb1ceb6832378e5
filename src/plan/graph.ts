/**
 * plan(): SongIR → BuildGraph. Each task names its kind, the plain-data params its renderer
 * needs, the tasks whose outputs it reads, and a key: sha256 over the engine version, the
 * hash of each named input and the keys of the tasks it reads. The per-input hashes are
 * kept (`inputs`) so a build can say which input made a key change.
 */
import type { NoteEvent } from '../api/plugin.ts';
import type { InstrumentIR, MasterIR, MeterPoint, SongIR, TempoPoint } from '../ir/types.ts';
import { hashValue } from './hash.ts';

/** Bump when any renderer's output for the same inputs changes. Part of every key. */
export const ENGINE_VERSION = 'mixdown-engine/3';

export interface StemParams {
  readonly trackId: string;
  readonly sampleRate: number;
  readonly lengthSamples: number;
  readonly instrument: InstrumentIR;
  readonly notes: readonly NoteEvent[];
  readonly gainDb: number;
  readonly pan: number;
  readonly mute: boolean;
  readonly seed: number;
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

interface TaskBase<Kind extends string, Params> {
  /** `stem:<track>`, `mix`, `master`, `midi`. Unique within a song. */
  readonly id: string;
  readonly kind: Kind;
  readonly params: Params;
  /** Ids of tasks whose outputs this one reads, in summing order. */
  readonly deps: readonly string[];
  /** Hash of each named input, plus the engine version: why the key is what it is. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly key: string;
}

export type StemTask = TaskBase<'stem', StemParams>;
export type MixTask = TaskBase<'mix', MixParams>;
export type MasterTask = TaskBase<'master', MasterParams>;
export type MidiTask = TaskBase<'midi', MidiParams>;
export type Task = StemTask | MixTask | MasterTask | MidiTask;

export interface BuildGraph {
  readonly song: string;
  /** In dependency order: every task comes after the tasks it reads. */
  readonly tasks: readonly Task[];
}

function makeTask<T extends Task>(
  id: string,
  kind: T['kind'],
  params: T['params'],
  namedInputs: Record<string, unknown>,
  deps: readonly Task[],
): T {
  const inputs: Record<string, string> = { engine: ENGINE_VERSION };
  for (const [name, value] of Object.entries(namedInputs)) inputs[name] = hashValue(value);
  for (const dep of deps) inputs[`task:${dep.id}`] = dep.key;
  const key = hashValue({ kind, inputs });
  return { id, kind, params, deps: deps.map((dep) => dep.id), inputs, key } as unknown as T;
}

export function plan(song: SongIR): BuildGraph {
  const stems: StemTask[] = song.tracks.map((track) => {
    const params: StemParams = {
      trackId: track.id,
      sampleRate: song.sampleRate,
      lengthSamples: song.lengthSamples,
      instrument: track.instrument,
      notes: track.notes,
      gainDb: track.gainDb,
      pan: track.pan,
      mute: track.mute,
      seed: track.seed,
    };
    // Named so --explain can say "notes of track bass" rather than "something changed".
    return makeTask<StemTask>(
      `stem:${track.id}`,
      'stem',
      params,
      {
        notes: track.notes,
        instrument: track.instrument,
        fader: { gainDb: track.gainDb, pan: track.pan, mute: track.mute },
        seed: track.seed,
        format: { sampleRate: song.sampleRate, lengthSamples: song.lengthSamples },
        trackId: track.id,
      },
      [],
    );
  });
  const toMaster = stems.filter((_, index) => song.tracks[index].output === 'master');
  const mixParams: MixParams = { sampleRate: song.sampleRate, lengthSamples: song.lengthSamples };
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
  return { song: song.id, tasks: [...stems, mix, master, midi] };
}
