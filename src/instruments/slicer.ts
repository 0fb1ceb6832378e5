/**
 * `slicer`: a loop (a drum break, a phrase) cut into slices played from the keyboard, as
 * on an MPC or with ReCycle. Slice i plays on note `rootNote + i`, at the recorded pitch,
 * from its start to its end or until note-off and the release. Slices are N equal parts of
 * the file, or cut where hits start (`slices: 'onsets'`, found by `detectOnsets` on the
 * decoded file at render time, so they follow the audio if it is replaced).
 *
 * Played at their original positions with envelope attack 0 and notes as long as the slices,
 * the slices give back the loop sample for sample: they are cut at sample boundaries, with
 * no fades of their own.
 */
import { defineInstrument } from '../api/define-instrument.ts';
import { detectOnsets } from '../dsp/onsets.ts';
import type { Decibels } from '../theory/units.ts';
import { streamZones } from './sampler-engine.ts';
import { readSources, validateEnvelope } from './sampler.ts';
import type { SampleZone, ZoneEnvelope } from './zones.ts';

export interface SlicerOnsetOptions {
  /** Onset sensitivity (fraction of the strongest hit's spectral flux); lower finds quieter hits. @default 0.1 */
  readonly threshold: number;
  /** Shortest slice, seconds: a hit sooner than this after the previous cut belongs to it. @default 0.05 */
  readonly minGap: number;
}

export interface SlicerOptions {
  /** Project path of the loop's audio file. @default '' (must be set) */
  readonly file: string;
  /** Number of equal slices, or 'onsets' to cut where hits start. @default 16 */
  readonly slices: number | 'onsets';
  /** How onsets are found when `slices` is 'onsets'. @default { threshold: 0.1, minGap: 0.05 } */
  readonly onsets: SlicerOnsetOptions;
  /** The note that plays slice 0; slice i is on rootNote + i. @default 36 */
  readonly rootNote: number;
  /** Envelope of each slice, seconds; the release follows note-off (a slice also ends at its end). @default { delay: 0, attack: 0, hold: 0, decay: 0, sustain: 1, release: 0.01 } */
  readonly envelope: ZoneEnvelope;
  /** Level, dB. @default 0 */
  readonly gain: Decibels;
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
  readonly velocitySensitivity: number;
}

export const slicerDefaults: SlicerOptions = {
  file: '',
  slices: 16,
  onsets: { threshold: 0.1, minGap: 0.05 },
  rootNote: 36,
  envelope: { delay: 0, attack: 0, hold: 0, decay: 0, sustain: 1, release: 0.01 },
  gain: 0,
  velocitySensitivity: 1,
};

/**
 * Slice boundaries of a file `frames` long: N + 1 frame positions for N equal slices (rounded
 * to whole frames), or, given onset frames, 0, the onsets in order, and `frames`. Onsets at or
 * before 0, at or past the end, or closer than `minLength` frames to the previous boundary or
 * to the end are dropped (a detector's hit a few frames into the file belongs to slice 0).
 */
export function sliceBoundaries(frames: number, slicesOrOnsets: number | readonly number[], minLength = 0): number[] {
  if (typeof slicesOrOnsets === 'number') {
    const count = Math.max(1, Math.floor(slicesOrOnsets));
    return Array.from({ length: count + 1 }, (_, i) => Math.round((i * frames) / count));
  }
  const boundaries = [0];
  for (const onset of [...slicesOrOnsets].sort((a, b) => a - b)) {
    const at = Math.round(onset);
    if (at - boundaries[boundaries.length - 1] >= Math.max(1, minLength) && frames - at >= Math.max(1, minLength)) boundaries.push(at);
  }
  boundaries.push(frames);
  return boundaries;
}

export const slicer = defineInstrument<SlicerOptions>({
  name: 'slicer',
  version: '1',
  defaults: slicerDefaults,
  channels: 2,
  tail: (options) => options.envelope.delay + options.envelope.release,
  midi: () => ({}),
  files: (options) => (options.file ? [{ path: options.file, as: 'audio' as const }] : []),
  validate(options) {
    const problems: string[] = [];
    if (typeof options.file !== 'string' || options.file === '') problems.push('file must be the project path of the loop to slice');
    if (options.slices !== 'onsets' && !(Number.isInteger(options.slices) && options.slices >= 1 && options.slices <= 128)) problems.push(`slices must be a whole number 1–128 or 'onsets'`);
    if (!(options.onsets.threshold > 0 && options.onsets.threshold <= 1)) problems.push('onsets.threshold must be above 0 and at most 1');
    if (!(options.onsets.minGap >= 0.001 && options.onsets.minGap <= 10)) problems.push('onsets.minGap must be from 0.001 to 10 seconds');
    if (!(Number.isInteger(options.rootNote) && options.rootNote >= 0 && options.rootNote <= 127)) problems.push('rootNote must be a MIDI key 0–127');
    problems.push(...validateEnvelope(options.envelope));
    if (!Number.isFinite(options.gain)) problems.push('gain must be a number of dB');
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    return problems;
  },
  stream(context) {
    const { options, sampleRate } = context;
    const sources = readSources(context, [options.file]);
    const source = sources.get(options.file)!;
    const frames = source.channels[0]?.length ?? 0;
    const boundaries =
      options.slices === 'onsets'
        ? sliceBoundaries(
            frames,
            detectOnsets(source.channels, sampleRate, { threshold: options.onsets.threshold, minGap: options.onsets.minGap }).map((onset) => onset.sample),
            Math.round(options.onsets.minGap * sampleRate),
          )
        : sliceBoundaries(frames, options.slices);
    const zones: SampleZone[] = [];
    for (let i = 0; i + 1 < boundaries.length && options.rootNote + i <= 127; i++) {
      const key = options.rootNote + i;
      zones.push({
        sample: options.file,
        keyLow: key,
        keyHigh: key,
        velocityLow: 0,
        velocityHigh: 127,
        rootKey: key,
        tune: 0,
        keyTrack: 100,
        start: boundaries[i],
        end: boundaries[i + 1],
        loop: { mode: 'none', start: 0, end: 0 },
        gainDb: options.gain,
        pan: 0,
        envelope: options.envelope,
        roundRobinGroup: 0,
        exclusiveClass: 0,
      });
    }
    return streamZones(zones, sources, context.notes, context.lengthSamples, sampleRate, context.seed, { roundRobin: 'cycle', velocitySensitivity: options.velocitySensitivity });
  },
});
