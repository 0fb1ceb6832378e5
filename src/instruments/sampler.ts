/**
 * `sampler`: multi-sample playback from audio files in the project. Each zone maps a key and
 * velocity range to a file, recorded at a root key; notes between roots are transposed by
 * band-limited interpolation. Zones with identical ranges in the same `group` take turns
 * (round robin); zones in group 0 all sound (layers). Rendering goes through the shared voice
 * engine (`streamZones` in sampler-engine.ts), block by block.
 *
 * ```ts
 * sampler({ zones: [
 *   { file: 'samples/piano-c3.wav', keys: [0, 54], root: 48 },
 *   { file: 'samples/piano-c4.wav', keys: [55, 127], root: 60, loop: { mode: 'sustain', start: 1.2, end: 1.7 } },
 * ] })
 * ```
 */
import { defineInstrument } from '../api/define-instrument.ts';
import type { InstrumentRenderContext } from '../ir/plugin.ts';
import type { Decibels } from '../theory/units.ts';
import { streamZones } from './sampler-engine.ts';
import type { SampleSource, SampleZone, ZoneEnvelope } from './zones.ts';

/** A loop inside a sample, in seconds from the file's start (frame ÷ the file's sample rate). */
export interface SamplerLoopInput {
  /** 'forward': loop for as long as the voice sounds; 'sustain': loop while the key is held, then play on to the zone's end. */
  readonly mode: 'forward' | 'sustain';
  /** Loop start, seconds into the file (rounded to the nearest frame at the song's rate). */
  readonly start: number;
  /** Loop end (exclusive), seconds into the file. */
  readonly end: number;
}

/** One zone of a sampler: which notes play which file, and how. */
export interface SamplerZoneInput {
  /** Project path of the audio file (WAV, AIFF, FLAC, MP3, OGG). */
  readonly file: string;
  /** Lowest and highest MIDI key the zone answers, inclusive. @default [0, 127] */
  readonly keys?: readonly [number, number];
  /** Lowest and highest velocity the zone answers, inclusive (velocity layers). @default [1, 127] */
  readonly velocities?: readonly [number, number];
  /** The key at which the file plays at its recorded pitch. @default 60 */
  readonly root?: number;
  /** Fine tuning, cents (+100 is a semitone sharp). @default 0 */
  readonly tune?: number;
  /** Cents of transposition per key away from the root: 100 chromatic, 0 the same pitch on every key. @default 100 */
  readonly keyTrack?: number;
  /** Loop points; without them the file plays once. @default none */
  readonly loop?: SamplerLoopInput;
  /** Where playback starts, seconds into the file. @default 0 */
  readonly start?: number;
  /** Where it ends, seconds into the file. @default the file's end */
  readonly end?: number;
  /** Zone level, dB. @default 0 */
  readonly gain?: Decibels;
  /** Stereo position −1 (left) … 1 (right); constant-power for mono files, balance for stereo ones. @default 0 */
  readonly pan?: number;
  /** Round-robin group: zones with the same ranges and the same group > 0 take turns. 0 always sounds. @default 0 */
  readonly group?: number;
  /** Exclusive class: a note of a zone with class > 0 cuts sounding voices of that class (5 ms fade). @default 0 */
  readonly exclusiveClass?: number;
}

export interface SamplerOptions {
  /** The zones, in order (round-robin sets take turns in this order). @default [] */
  readonly zones: readonly SamplerZoneInput[];
  /** Envelope of every voice, seconds and a 0–1 sustain level. @default { delay: 0, attack: 0.001, hold: 0, decay: 0, sustain: 1, release: 0.05 } */
  readonly envelope: ZoneEnvelope;
  /** How a round-robin group picks its zone: 'cycle' in turn, or 'random' (seeded, never twice in a row). @default 'cycle' */
  readonly roundRobin: 'cycle' | 'random';
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
  readonly velocitySensitivity: number;
  /** Level of the whole instrument, dB. @default 0 */
  readonly level: Decibels;
  /** General MIDI program (0–127) written to the exported MIDI file. @default 0 (Acoustic Grand Piano) */
  readonly program: number;
}

export const zoneEnvelopeDefaults: ZoneEnvelope = { delay: 0, attack: 0.001, hold: 0, decay: 0, sustain: 1, release: 0.05 };

export const samplerDefaults: SamplerOptions = {
  zones: [],
  envelope: zoneEnvelopeDefaults,
  roundRobin: 'cycle',
  velocitySensitivity: 1,
  level: 0,
  program: 0,
};

/** Range checks of a zone envelope, for every instrument that takes one. */
export function validateEnvelope(envelope: ZoneEnvelope, name = 'envelope'): string[] {
  const problems: string[] = [];
  for (const key of ['delay', 'attack', 'hold', 'decay', 'release'] as const) {
    if (!(envelope[key] >= 0 && envelope[key] <= 60)) problems.push(`${name}.${key} must be from 0 to 60 seconds`);
  }
  if (!(envelope.sustain >= 0 && envelope.sustain <= 1)) problems.push(`${name}.sustain must be from 0 to 1`);
  return problems;
}

function validRange(range: unknown, low: number, high: number): boolean {
  return Array.isArray(range) && range.length === 2 && range.every((v) => Number.isInteger(v) && v >= low && v <= high) && range[0] <= range[1];
}

/** Turn the sampler's zone inputs into engine zones, frames at `sampleRate` for files `frames` long. */
export function samplerZones(options: Readonly<SamplerOptions>, sampleRate: number, framesOf: (file: string) => number): SampleZone[] {
  return options.zones.map((input) => {
    const frames = framesOf(input.file);
    const frame = (seconds: number) => Math.min(frames, Math.max(0, Math.round(seconds * sampleRate)));
    const start = frame(input.start ?? 0);
    const end = input.end === undefined ? frames : frame(input.end);
    const loop = input.loop ? { mode: input.loop.mode, start: frame(input.loop.start), end: frame(input.loop.end) } : { mode: 'none' as const, start: 0, end: 0 };
    return {
      sample: input.file,
      keyLow: input.keys?.[0] ?? 0,
      keyHigh: input.keys?.[1] ?? 127,
      velocityLow: input.velocities?.[0] ?? 1,
      velocityHigh: input.velocities?.[1] ?? 127,
      rootKey: input.root ?? 60,
      tune: input.tune ?? 0,
      keyTrack: input.keyTrack ?? 100,
      start,
      end,
      loop,
      gainDb: (input.gain ?? 0) + options.level,
      pan: input.pan ?? 0,
      envelope: options.envelope,
      roundRobinGroup: input.group ?? 0,
      exclusiveClass: input.exclusiveClass ?? 0,
    };
  });
}

/** Decoded files by path, at the song's rate (what `readAudio` gives). */
export function readSources(context: Pick<InstrumentRenderContext<object>, 'sampleRate' | 'readAudio'>, paths: Iterable<string>): Map<string, SampleSource> {
  const sources = new Map<string, SampleSource>();
  for (const path of paths) {
    if (sources.has(path)) continue;
    sources.set(path, { sampleRate: context.sampleRate, channels: context.readAudio(path).channels });
  }
  return sources;
}

export const sampler = defineInstrument<SamplerOptions>({
  name: 'sampler',
  version: '1',
  defaults: samplerDefaults,
  channels: 2,
  tail: (options) => options.envelope.delay + options.envelope.release,
  midi: (options) => ({ program: options.program }),
  files: (options) => [...new Set(options.zones.map((zone) => zone.file))].map((path) => ({ path, as: 'audio' as const })),
  validate(options) {
    const problems: string[] = [];
    if (!Array.isArray(options.zones) || options.zones.length === 0) problems.push('zones must list at least one zone, e.g. [{ file: "samples/c4.wav", root: 60 }]');
    (Array.isArray(options.zones) ? options.zones : []).forEach((zone, i) => {
      const at = `zones[${i}]`;
      if (typeof zone.file !== 'string' || zone.file === '') problems.push(`${at}.file must be a project path to an audio file`);
      if (zone.keys !== undefined && !validRange(zone.keys, 0, 127)) problems.push(`${at}.keys must be [low, high], MIDI keys 0–127, low ≤ high`);
      if (zone.velocities !== undefined && !validRange(zone.velocities, 1, 127)) problems.push(`${at}.velocities must be [low, high], velocities 1–127, low ≤ high`);
      if (zone.root !== undefined && !(Number.isInteger(zone.root) && zone.root >= 0 && zone.root <= 127)) problems.push(`${at}.root must be a MIDI key 0–127`);
      for (const key of ['tune', 'keyTrack', 'gain'] as const) if (zone[key] !== undefined && !Number.isFinite(zone[key])) problems.push(`${at}.${key} must be a number`);
      if (zone.pan !== undefined && !(zone.pan >= -1 && zone.pan <= 1)) problems.push(`${at}.pan must be from -1 to 1`);
      if (zone.group !== undefined && !(Number.isInteger(zone.group) && zone.group >= 0)) problems.push(`${at}.group must be a whole number ≥ 0`);
      if (zone.exclusiveClass !== undefined && !(Number.isInteger(zone.exclusiveClass) && zone.exclusiveClass >= 0)) problems.push(`${at}.exclusiveClass must be a whole number ≥ 0`);
      if (zone.start !== undefined && !(zone.start >= 0)) problems.push(`${at}.start must be seconds ≥ 0`);
      if (zone.end !== undefined && !(zone.end > (zone.start ?? 0))) problems.push(`${at}.end must be after start`);
      if (zone.loop !== undefined) {
        const loop = zone.loop;
        if (loop.mode !== 'forward' && loop.mode !== 'sustain') problems.push(`${at}.loop.mode must be 'forward' or 'sustain'`);
        if (!(loop.start >= (zone.start ?? 0) && loop.end > loop.start)) problems.push(`${at}.loop must have start ≥ the zone's start and end > start (seconds)`);
        if (zone.end !== undefined && !(loop.end <= zone.end)) problems.push(`${at}.loop.end must not be after the zone's end`);
      }
    });
    problems.push(...validateEnvelope(options.envelope));
    if (options.roundRobin !== 'cycle' && options.roundRobin !== 'random') problems.push(`roundRobin must be 'cycle' or 'random'`);
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    if (!Number.isFinite(options.level)) problems.push('level must be a number of dB');
    if (!(Number.isInteger(options.program) && options.program >= 0 && options.program <= 127)) problems.push('program must be a whole number 0–127');
    return problems;
  },
  stream(context) {
    const { options, sampleRate } = context;
    const sources = readSources(context, options.zones.map((zone) => zone.file));
    const zones = samplerZones(options, sampleRate, (file) => sources.get(file)?.channels[0]?.length ?? 0);
    return streamZones(zones, sources, context.notes, context.lengthSamples, sampleRate, context.seed, {
      roundRobin: options.roundRobin,
      velocitySensitivity: options.velocitySensitivity,
    });
  },
});
