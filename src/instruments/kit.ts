/**
 * `kit`: a drum kit of pads on MIDI notes, each pad either an audio file or a voice of the
 * built-in synthesised `drums`, mixed in one stereo instrument. Every hit is a one-shot (note
 * lengths are ignored, as on a drum machine): a sample pad plays its file to the end, a
 * synth pad its voice's decay. Pads in the same choke group > 0 cut each other with a 5 ms
 * fade, samples and synth voices alike (an open hat choked by a closed one).
 *
 * ```ts
 * kit({ pads: {
 *   36: { synth: 'kick', options: { tune: 52 } },
 *   38: { sample: 'samples/snare.wav', gain: -2 },
 *   42: { sample: 'samples/hat-closed.wav', choke: 1 },
 *   46: { sample: 'samples/hat-open.wav', choke: 1, pan: 0.2 },
 * } })
 * ```
 *
 * Sample pads render through the shared zone engine (`renderZones`); synth pads render each
 * hit through `drums`' own render into a scratch buffer (the note moved to the drum's GM
 * number), which is then panned, gained and choked into the output.
 */
import { renderInstrument } from '../ir/plugin.ts';
import { defineInstrument, mergeDefaults } from '../api/define-instrument.ts';
import type { NoteEvent } from '../ir/plugin.ts';
import { mixSeed } from '../dsp/random.ts';
import type { Decibels } from '../theory/units.ts';
import { drumDefaults, drums, GM_DRUMS, hitSeconds, type DrumOptions } from './drums.ts';
import { EXCLUSIVE_FADE, monoPanGains, renderZones } from './sampler-engine.ts';
import { readSources } from './sampler.ts';
import type { SampleZone, ZoneEnvelope } from './zones.ts';

/** A voice of the built-in `drums` instrument. */
export type DrumSound = keyof typeof GM_DRUMS;

/** A pad that plays an audio file. */
export interface KitSamplePad {
  /** Project path of the pad's audio file. */
  readonly sample: string;
  /** Level, dB. @default 0 */
  readonly gain?: Decibels;
  /** Stereo position −1 … 1 (constant-power for mono files, balance for stereo ones). @default 0 */
  readonly pan?: number;
  /** Tuning, cents (+100 plays a semitone higher, and shorter). @default 0 */
  readonly tune?: number;
  /** Choke group: a hit on any pad of the same group > 0 cuts this one. @default 0 */
  readonly choke?: number;
}

/** A pad that plays a voice of the built-in `drums`. */
export interface KitSynthPad {
  /** Which drum voice: 'kick', 'snare', 'clap', 'closedHat', 'pedalHat', 'openHat', toms, 'crash', 'ride'. */
  readonly synth: DrumSound;
  /** That voice's options over the `drums` defaults, e.g. `{ tune: 52, decay: 0.4 }` for a kick ('pedalHat' takes closedHat's). @default {} */
  readonly options?: Readonly<Record<string, number>>;
  /** Level, dB, on top of the drums' own voice and kit levels. @default 0 */
  readonly gain?: Decibels;
  /** Stereo position −1 … 1, constant-power. @default 0 */
  readonly pan?: number;
  /** Choke group: a hit on any pad of the same group > 0 cuts this one. @default 0 */
  readonly choke?: number;
}

export type KitPad = KitSamplePad | KitSynthPad;

export interface KitOptions {
  /** Pads by MIDI note number (`36`, `'38'`): a sample or a synth voice each. Notes without a pad are silent. @default {} */
  readonly pads: Readonly<Record<string, KitPad>>;
  /** How strongly velocity sets a sample pad's level: 0 ignores it, 1 gives gain (velocity/127)². Synth pads follow the drums' own curve. @default 1 */
  readonly velocitySensitivity: number;
  /** Level of the whole kit, dB. @default 0 */
  readonly level: Decibels;
  /**
   * Seconds a sample pad may ring after the last note: the song is planned before files are
   * read, so the kit cannot know its samples' lengths. Raise it for long cymbals. @default 2
   */
  readonly tail: number;
}

export const kitDefaults: KitOptions = { pads: {}, velocitySensitivity: 1, level: 0, tail: 2 };

/** A sample pad's envelope: full level from the first sample (drum transients), the file's own decay. */
const ONE_SHOT: ZoneEnvelope = { delay: 0, attack: 0, hold: 0, decay: 0, sustain: 1, release: 0.001 };

function isSynthPad(pad: KitPad): pad is KitSynthPad {
  return typeof (pad as KitSynthPad).synth === 'string';
}

/** The drums option group a synth voice reads ('pedalHat' is a shorter closed hat). */
function voiceKey(sound: DrumSound): string {
  return sound === 'pedalHat' ? 'closedHat' : sound;
}

/** Full `drums` options for a synth pad: its voice's options over the defaults. */
function drumOptionsFor(pad: KitSynthPad): DrumOptions {
  const key = voiceKey(pad.synth);
  return key in drumDefaults ? mergeDefaults(drumDefaults, { [key]: pad.options ?? {} }) : mergeDefaults(drumDefaults, undefined);
}

function padEntries(options: Readonly<KitOptions>): [number, KitPad][] {
  return Object.entries(options.pads ?? {}).map(([key, pad]) => [Number(key), pad]);
}

export const kit = defineInstrument<KitOptions>({
  name: 'kit',
  version: '1',
  defaults: kitDefaults,
  channels: 2,
  tail(options) {
    let tail = options.tail;
    for (const [, pad] of padEntries(options)) if (isSynthPad(pad)) tail = Math.max(tail, hitSeconds(drumOptionsFor(pad), GM_DRUMS[pad.synth]));
    return tail;
  },
  midi: () => ({ drums: true }),
  files: (options) => [...new Set(padEntries(options).flatMap(([, pad]) => (isSynthPad(pad) ? [] : [pad.sample])))].map((path) => ({ path, as: 'audio' as const })),
  validate(options) {
    const problems: string[] = [];
    if (typeof options.pads !== 'object' || options.pads === null || Array.isArray(options.pads)) return ['pads must be an object of pads by MIDI note, e.g. { 36: { synth: "kick" } }'];
    for (const [key, pad] of Object.entries(options.pads)) {
      const at = `pads.${key}`;
      const noteNumber = Number(key);
      if (!(Number.isInteger(noteNumber) && noteNumber >= 0 && noteNumber <= 127)) problems.push(`${at}: pads are keyed by MIDI note number 0–127`);
      if (typeof pad !== 'object' || pad === null) {
        problems.push(`${at} must be { sample: 'path.wav' } or { synth: 'kick' }`);
        continue;
      }
      if (isSynthPad(pad)) {
        if (!(pad.synth in GM_DRUMS)) problems.push(`${at}.synth must be one of ${Object.keys(GM_DRUMS).join(', ')}`);
        else if (pad.options !== undefined) {
          const before = problems.length;
          const defaults = (drumDefaults as unknown as Record<string, Record<string, number>>)[voiceKey(pad.synth)] ?? {};
          for (const [name, value] of Object.entries(pad.options)) {
            if (!(name in defaults)) problems.push(`${at}.options.${name} is not an option of the ${pad.synth} (options: ${Object.keys(defaults).join(', ')})`);
            else if (!Number.isFinite(value)) problems.push(`${at}.options.${name} must be a number`);
          }
          if (problems.length === before) for (const problem of drums.definition.validate?.(drumOptionsFor(pad)) ?? []) problems.push(`${at}.options: ${problem}`);
        }
      } else if (typeof (pad as KitSamplePad).sample !== 'string' || (pad as KitSamplePad).sample === '') {
        problems.push(`${at} must have a sample (a project path) or a synth voice`);
      } else if (pad.tune !== undefined && !Number.isFinite(pad.tune)) problems.push(`${at}.tune must be a number of cents`);
      if (pad.gain !== undefined && !Number.isFinite(pad.gain)) problems.push(`${at}.gain must be a number of dB`);
      if (pad.pan !== undefined && !(pad.pan >= -1 && pad.pan <= 1)) problems.push(`${at}.pan must be from -1 to 1`);
      if (pad.choke !== undefined && !(Number.isInteger(pad.choke) && pad.choke >= 0)) problems.push(`${at}.choke must be a whole number ≥ 0`);
    }
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    if (!Number.isFinite(options.level)) problems.push('level must be a number of dB');
    if (!(options.tail >= 0 && options.tail <= 60)) problems.push('tail must be from 0 to 60 seconds');
    return problems;
  },
  render(context) {
    const { options, sampleRate, output, notes, seed } = context;
    const pads = new Map(padEntries(options));
    const length = output[0]?.length ?? 0;

    // Choke triggers by group, from every pad: each hit is cut by the next hit of its group.
    const triggers: { sample: number; exclusiveClass: number; synth: boolean }[] = [];
    for (const note of notes) {
      const pad = pads.get(note.pitch);
      const choke = pad?.choke ?? 0;
      if (pad && choke > 0) triggers.push({ sample: note.startSample, exclusiveClass: choke, synth: isSynthPad(pad) });
    }

    // Sample pads: one zone each, one-shot notes (the gate lasts the song; the file's end ends the voice).
    const zones: SampleZone[] = [];
    const samplePaths: string[] = [];
    for (const pad of pads.values()) if (!isSynthPad(pad)) samplePaths.push(pad.sample);
    const sources = readSources(context, samplePaths);
    for (const [noteNumber, pad] of pads) {
      if (isSynthPad(pad)) continue;
      zones.push({
        sample: pad.sample,
        keyLow: noteNumber,
        keyHigh: noteNumber,
        velocityLow: 0,
        velocityHigh: 127,
        rootKey: noteNumber,
        tune: pad.tune ?? 0,
        keyTrack: 100,
        start: 0,
        end: sources.get(pad.sample)?.channels[0]?.length ?? 0,
        loop: { mode: 'none', start: 0, end: 0 },
        gainDb: (pad.gain ?? 0) + options.level,
        pan: pad.pan ?? 0,
        envelope: ONE_SHOT,
        roundRobinGroup: 0,
        exclusiveClass: pad.choke ?? 0,
      });
    }
    if (zones.length > 0) {
      const sampleNotes = notes.filter((note) => pads.has(note.pitch) && !isSynthPad(pads.get(note.pitch)!)).map((note) => ({ ...note, lengthSamples: Math.max(note.lengthSamples, length) }));
      // Sample pads cut each other inside the engine; synth hits of their group cut them too.
      renderZones(zones, sources, sampleNotes, output, sampleRate, seed, {
        roundRobin: 'cycle',
        velocitySensitivity: options.velocitySensitivity,
        cuts: triggers.filter((trigger) => trigger.synth),
      });
    }

    // Synth pads: each hit through drums' render into scratch, then panned, gained, choked.
    const synthOptions = new Map<number, DrumOptions>();
    let scratch = new Float32Array(0);
    const fade = Math.max(1, Math.round(EXCLUSIVE_FADE * sampleRate));
    notes.forEach((note, index) => {
      const pad = pads.get(note.pitch);
      if (!pad || !isSynthPad(pad) || note.startSample >= length) return;
      let drumOptions = synthOptions.get(note.pitch);
      if (!drumOptions) synthOptions.set(note.pitch, (drumOptions = drumOptionsFor(pad)));
      // Sized by the voice it plays (a kick's buffer need not cover a ride's ring).
      const hitLength = Math.ceil(hitSeconds(drumOptions, GM_DRUMS[pad.synth]) * sampleRate) + 1;
      if (scratch.length < hitLength) scratch = new Float32Array(hitLength);
      const buffer = scratch.subarray(0, hitLength);
      buffer.fill(0);
      const hit: NoteEvent = { ...note, pitch: GM_DRUMS[pad.synth], startSample: 0 };
      renderInstrument(drums.definition, {
        sampleRate,
        options: drumOptions,
        notes: [hit],
        output: [buffer],
        seed: mixSeed(seed, index),
        beatSeconds: context.beatSeconds,
        readAudio: context.readAudio,
        readFile: context.readFile,
      });
      const choke = pad.choke ?? 0;
      let cut = Infinity;
      if (choke > 0) for (const trigger of triggers) if (trigger.exclusiveClass === choke && trigger.sample > note.startSample && trigger.sample < cut) cut = trigger.sample;
      const gain = Math.pow(10, ((pad.gain ?? 0) + options.level) / 20);
      const [gainLeft, gainRight] = output.length > 1 ? monoPanGains(pad.pan ?? 0) : [1, 1];
      const start = note.startSample;
      const cutOffset = cut - start;
      const end = Math.min(hitLength, length - start, cutOffset + fade);
      const left = output[0];
      const right = output.length > 1 ? output[1] : null;
      for (let i = Math.max(0, -start); i < end; i++) {
        const value = buffer[i] * gain * (i < cutOffset ? 1 : 1 - (i - cutOffset) / fade);
        left[start + i] += value * gainLeft;
        if (right) right[start + i] += value * gainRight;
      }
    });
  },
});
