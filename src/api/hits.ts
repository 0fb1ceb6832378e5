/**
 * Sample replacement, the producer's technique: find the hits in a recorded drum track
 * (`detectHits`), turn them into notes (`hitsToNotes`) and let any instrument play them,
 * following the performance's timing and dynamics.
 *
 *   notes: hitsToNotes(detectHits('audio/kick-mic.wav'), 'C2')
 *
 * The file is read while the song loads and recorded, so editing it re-runs the song.
 */
import { readFileSync } from 'node:fs';
import { detectOnsets } from '../dsp/onsets.ts';
import { readAudioFileSync } from '../io/audio-file.ts';
import { useProjectFile } from '../registry/dependencies.ts';
import type { Decibels, Pitch, Seconds, Time, Velocity } from '../theory/units.ts';
import type { NoteInput } from './song.ts';

export interface DetectHitsOptions {
  /** Sensitivity: how far a hit's spectral flux must rise above the local median, as a fraction of the file's strongest; lower finds quieter hits. @default 0.1 */
  readonly threshold?: number;
  /** Shortest time between two hits, in seconds; a peak sooner after a hit is part of it. @default 0.05 */
  readonly minGap?: Seconds;
}

/** One hit found in an audio file. */
export interface DetectedHit {
  /** Where its attack starts, in seconds from the start of the file. */
  readonly seconds: Seconds;
  /** Its peak level in dBFS (for velocity). */
  readonly peakDb: Decibels;
}

/**
 * The hits (drum strokes, plucks) in a WAV or AIFF file, in time order. `path` is relative
 * to the project root, absolute, or a URL such as `new URL('./snare.wav', import.meta.url)`.
 * The file is analysed at its own sample rate: positions are exact to its sample, and no
 * time goes into resampling while the song loads.
 */
export function detectHits(path: string | URL, options: DetectHitsOptions = {}): DetectedHit[] {
  const file = useProjectFile(path);
  try {
    const audio = readAudioFileSync(readFileSync(file), file);
    return detectOnsets(audio.channels, audio.sampleRate, options).map((onset) => ({ seconds: onset.seconds, peakDb: onset.peakDb }));
  } catch (error) {
    throw new Error(`detectHits: cannot use '${String(path)}': ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface HitsToNotesOptions {
  /** Length of every note (drum instruments mostly ignore it). @default '16n' */
  readonly length?: Time;
  /** Velocities of the quietest and the loudest hit, `[min, max]`, 1–127. @default [40, 127] */
  readonly velocityRange?: readonly [Velocity, Velocity];
  /** How many dB below the loudest hit maps to the lowest velocity; quieter hits stay there. @default 30 */
  readonly dynamicRange?: Decibels;
}

const DEFAULT_VELOCITY_RANGE: readonly [Velocity, Velocity] = [40, 127];
const DEFAULT_DYNAMIC_RANGE = 30;

/**
 * Notes at the hits' times (`{ seconds }`, through the song's tempo map), one pitch for all.
 * Velocity is linear in dB: the loudest hit gets `max`, a hit `dynamicRange` dB quieter (or
 * more) gets `min`, and between them
 *
 *   velocity = round(max − (max − min) · (loudestDb − peakDb) / dynamicRange)
 *
 * so with the defaults every 3 dB below the loudest hit costs 8.7 velocity steps.
 */
export function hitsToNotes(hits: readonly DetectedHit[], pitch: Pitch, options: HitsToNotesOptions = {}): NoteInput[] {
  const [min, max] = options.velocityRange ?? DEFAULT_VELOCITY_RANGE;
  const dynamicRange = options.dynamicRange ?? DEFAULT_DYNAMIC_RANGE;
  const length = options.length ?? '16n';
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && min <= max && max <= 127)) {
    throw new RangeError(`hitsToNotes: velocityRange must be whole numbers with 1 ≤ min ≤ max ≤ 127, not [${min}, ${max}]`);
  }
  if (!(dynamicRange > 0 && Number.isFinite(dynamicRange))) throw new RangeError(`hitsToNotes: dynamicRange must be above 0 dB, not ${dynamicRange}`);
  let loudest = -Infinity;
  for (const hit of hits) {
    if (!(Number.isFinite(hit.seconds) && hit.seconds >= 0)) throw new RangeError(`hitsToNotes: a hit at ${hit.seconds} s (times must be 0 or later)`);
    if (hit.peakDb > loudest) loudest = hit.peakDb;
  }
  return hits.map((hit) => {
    // A silent hit (−Infinity dB) is as quiet as it gets: the lowest velocity.
    const below = Number.isFinite(hit.peakDb) ? loudest - hit.peakDb : dynamicRange;
    const velocity = Math.round(max - (max - min) * Math.min(1, below / dynamicRange));
    return { pitch, start: { seconds: hit.seconds }, length, velocity };
  });
}
