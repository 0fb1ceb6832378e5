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
 * The kit streams block by block. Sample pads render through the shared zone engine
 * (`streamZones`); synth pads render each hit, when its note starts, through `drums` into a
 * buffer as long as the hit (the note moved to the drum's GM number), which is then panned,
 * gained and choked into the blocks it covers.
 */
import { renderInstrument } from '../ir/plugin.ts';
import { defineInstrument, mergeDefaults } from '../api/define-instrument.ts';
import type { InstrumentRenderContext, InstrumentStream, NoteEvent } from '../ir/plugin.ts';
import { mixSeed } from '../dsp/random.ts';
import type { Decibels } from '../theory/units.ts';
import { drumDefaults, drums, GM_DRUMS, hitSeconds, type DrumOptions } from './drums.ts';
import { EXCLUSIVE_FADE, monoPanGains, streamZones, type ExternalCut } from './sampler-engine.ts';
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
  stream(context) {
    const { options, sampleRate, notes, seed, lengthSamples: length } = context;
    const pads = new Map(padEntries(options));

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
    let samples: InstrumentStream | null = null;
    if (zones.length > 0) {
      const sampleNotes = notes.filter((note) => pads.has(note.pitch) && !isSynthPad(pads.get(note.pitch)!)).map((note) => ({ ...note, lengthSamples: Math.max(note.lengthSamples, length) }));
      // Sample pads cut each other inside the engine; synth hits of their group cut them too.
      const synthCuts: ExternalCut[] = [];
      for (const note of notes) {
        const pad = pads.get(note.pitch);
        if (pad && isSynthPad(pad) && (pad.choke ?? 0) > 0) synthCuts.push({ sample: note.startSample, exclusiveClass: pad.choke! });
      }
      samples = streamZones(zones, sources, sampleNotes, length, sampleRate, seed, { roundRobin: 'cycle', velocitySensitivity: options.velocitySensitivity, cuts: synthCuts });
    }
    const hits = new SynthHits(pads, options, context, length);
    return {
      render(start, output) {
        // Per sample: every sample voice first, then the synth hits, each in note order.
        samples?.render(start, output);
        hits.render(start, output);
      },
    };
  },
});

/** A synth pad's hit: rendered whole into a scratch buffer when its note starts, then added block by block. */
interface SynthHit {
  readonly start: number;
  readonly buffer: Float32Array;
  readonly gain: number;
  readonly gainLeft: number;
  readonly gainRight: number;
  /** Offset from the hit's start where its choke fade begins (Infinity if never). */
  readonly cutOffset: number;
  /** Offset where it ends: its length, the song's end or the end of the choke fade. */
  readonly end: number;
}

/**
 * The synth pads of a kit, streamed: each hit through `drums` (its note moved to the drum's GM
 * number) into a buffer the length of its voice, panned, gained and choked into the output.
 * Buffers go back to a pool when their hit ends, so memory follows the hits that overlap.
 */
class SynthHits {
  private readonly drumOptions = new Map<number, DrumOptions>();
  private readonly fade: number;
  private readonly hits: SynthHit[] = [];
  private readonly pool: Float32Array[] = [];
  /** Next note to look at. */
  private next = 0;
  /** Per choke group: the index of the last note found as a cut (choke notes after a hit's start). */
  private readonly chokeCursor = new Map<number, number>();

  constructor(
    private readonly pads: ReadonlyMap<number, KitPad>,
    private readonly options: Readonly<KitOptions>,
    private readonly context: Omit<InstrumentRenderContext<KitOptions>, 'output'>,
    private readonly length: number,
  ) {
    this.fade = Math.max(1, Math.round(EXCLUSIVE_FADE * context.sampleRate));
  }

  render(start: number, output: readonly Float32Array[]): void {
    const end = start + (output[0]?.length ?? 0);
    const notes = this.context.notes;
    while (this.next < notes.length && notes[this.next].startSample < end) {
      const index = this.next++;
      const note = notes[index];
      const pad = this.pads.get(note.pitch);
      if (pad && isSynthPad(pad) && note.startSample < this.length) this.hits.push(this.hit(note, index, pad, output.length));
    }
    const left = output[0];
    const right = output.length > 1 ? output[1] : null;
    let kept = 0;
    for (const hit of this.hits) {
      const from = Math.max(0, start - hit.start, -hit.start);
      const to = Math.min(hit.end, end - hit.start);
      const { buffer, gain, gainLeft, gainRight, cutOffset } = hit;
      const fade = this.fade;
      for (let i = from, at = hit.start + from - start; i < to; i++, at++) {
        const value = buffer[i] * gain * (i < cutOffset ? 1 : 1 - (i - cutOffset) / fade);
        left[at] += value * gainLeft;
        if (right) right[at] += value * gainRight;
      }
      if (end - hit.start < hit.end) this.hits[kept++] = hit;
      else this.pool.push(hit.buffer);
    }
    this.hits.length = kept;
  }

  private hit(note: NoteEvent, index: number, pad: KitSynthPad, channelCount: number): SynthHit {
    const { context, options } = this;
    const sampleRate = context.sampleRate;
    let drumOptions = this.drumOptions.get(note.pitch);
    if (!drumOptions) this.drumOptions.set(note.pitch, (drumOptions = drumOptionsFor(pad)));
    // Sized by the voice it plays (a kick's buffer need not cover a ride's ring).
    const hitLength = Math.ceil(hitSeconds(drumOptions, GM_DRUMS[pad.synth]) * sampleRate) + 1;
    const buffer = this.scratch(hitLength);
    const hit: NoteEvent = { ...note, pitch: GM_DRUMS[pad.synth], startSample: 0 };
    renderInstrument(drums.definition, {
      sampleRate,
      options: drumOptions,
      notes: [hit],
      output: [buffer],
      seed: mixSeed(context.seed, index),
      beatSeconds: context.beatSeconds,
      readAudio: context.readAudio,
      readFile: context.readFile,
      openFile: context.openFile,
    });
    const choke = pad.choke ?? 0;
    const cut = choke > 0 ? this.nextChoke(choke, note.startSample) : Infinity;
    const [gainLeft, gainRight] = channelCount > 1 ? monoPanGains(pad.pan ?? 0) : [1, 1];
    const start = note.startSample;
    const cutOffset = cut - start;
    return {
      start,
      buffer,
      gain: Math.pow(10, ((pad.gain ?? 0) + options.level) / 20),
      gainLeft,
      gainRight,
      cutOffset,
      end: Math.min(hitLength, this.length - start, cutOffset + this.fade),
    };
  }

  /** A zeroed buffer of `length` frames, from the pool when one is long enough. */
  private scratch(length: number): Float32Array {
    const pooled = this.pool.findIndex((buffer) => buffer.length >= length);
    const buffer = pooled >= 0 ? this.pool.splice(pooled, 1)[0] : new Float32Array(length);
    const view = buffer.subarray(0, length);
    view.fill(0);
    return view;
  }

  /** The first hit of choke group `group` (sample or synth pad) strictly after `after`; Infinity if none. */
  private nextChoke(group: number, after: number): number {
    const notes = this.context.notes;
    // Hits come in start order, so the cursor only moves forward.
    let i = this.chokeCursor.get(group) ?? 0;
    for (; i < notes.length; i++) {
      const note = notes[i];
      if (note.startSample > after && (this.pads.get(note.pitch)?.choke ?? 0) === group) break;
    }
    this.chokeCursor.set(group, i);
    return i < notes.length ? notes[i].startSample : Infinity;
  }
}
