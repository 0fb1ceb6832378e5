/**
 * The sample voice engine: every sample-playing instrument (sampler, kit, slicer, SoundFont
 * presets) turns its input into `SampleZone`s and streams notes through `streamZones`, block
 * by block (`renderZones` is the same as one whole-song block).
 *
 * - Zone choice: a note plays every zone whose key and velocity ranges hold it. Zones with
 *   identical ranges and the same `roundRobinGroup > 0` form one round-robin set: each note
 *   plays one of them, chosen by a per-set counter in note order ('cycle') or by a PRNG seeded
 *   from the track seed ('random', never the same zone twice in a row). Group 0 zones layer.
 * - Pitch: each voice reads its sample at a constant rate
 *   2^((key − root)·keyTrack/100/12 + tune/1200) × sourceRate/songRate, through a windowed-sinc
 *   interpolator (polyphase table, linear between phases). Reading faster than 1 lowers the
 *   kernel's cutoff by the rate (and widens it to keep its shape), so upward transposition
 *   does not alias; at rate 1 exactly the voice copies samples, bit for bit.
 * - Loops: the zone's stretch is copied once into a voice buffer with the loop unrolled
 *   (a few periods, so the kernel's taps on either side of the seam read exactly the looped
 *   signal). The read position then wraps by whole loop lengths inside the unrolled part:
 *   no crossfade, and no click when the loop points themselves join smoothly.
 *   'sustain' loops are followed in the buffer by the rest of the sample, so after note-off
 *   the position runs on through the current period into the tail.
 * - Envelope: delay, linear attack, hold, decay to sustain and release as (1 − t/T)³
 *   (finite, like src/dsp/envelope.ts), exact at the edges of 32-sample segments counted from
 *   note-on and linear within one. The segments do not depend on the output blocks: a voice
 *   carries its segment, gain ramp and read position from block to block, so any partition
 *   of the song gives the same arithmetic, in the same order.
 * - Exclusive classes: a voice is faded out over 5 ms from the first later note (or external
 *   cut) of its class.
 *
 * Voices are summed in note order, zone order: the same input always gives the same bits.
 */
import { balanceGains } from '../effects/utility.ts';
import { createRandom } from '../dsp/random.ts';
import type { InstrumentStream, NoteEvent } from '../ir/plugin.ts';
import type { SampleSource, SampleZone, ZoneEnvelope } from './zones.ts';
import { besselI0 } from '../dsp/bessel.ts';

/** How `streamZones` picks zones and scales velocity. */
export interface RenderZonesOptions {
  /** How a round-robin set picks its zone: in turn, or seeded-random without immediate repeats. */
  readonly roundRobin: 'cycle' | 'random';
  /** 0 ignores velocity; 1 gives gain (velocity/127)². */
  readonly velocitySensitivity: number;
  /**
   * Extra exclusive-class triggers from outside the zones (a kit's synthesised hits): each cuts
   * the voices of its class that started before its sample. @default []
   */
  readonly cuts?: readonly { readonly sample: number; readonly exclusiveClass: number }[];
  /**
   * `'sinc'`: band-limited windowed-sinc reads (no aliasing when transposing up; 16–128 taps).
   * `'cubic'`: 4-point Hermite, the quality of fluidsynth's default — several times faster,
   * with some aliasing on upward transposition of bright samples. @default 'sinc'
   */
  readonly interpolation?: 'sinc' | 'cubic';
  /**
   * Voice buffers to share with other streams whose zones name the same sources (the tracks
   * on one SoundFont bank). @default a cache of this stream's own
   */
  readonly buffers?: VoiceBuffers;
}

/** Fade of a voice cut by a note of its exclusive class, seconds: short enough to read as a choke, long enough not to click. */
export const EXCLUSIVE_FADE = 0.005;

/** Samples between envelope/gain updates (segments from note-on): exact values at their edges, linear ramps inside. */
const SEGMENT = 32;
/** Kernel zero crossings each side of the centre (16–18 taps at unity, more when reading faster). */
const ZERO_CROSSINGS = 8;
/** Cutoff as a share of the (lower) Nyquist: the last 8% is the transition band. */
const CUTOFF = 0.92;
/** Kaiser window β: about −70 dB side lobes. */
const BETA = 7;
/** Phases of the polyphase table; the kernel is interpolated linearly between neighbours. */
const PHASES = 64;
/** Largest half-kernel (taps each side): beyond 7 octaves' worth of rate, the kernel stops widening. */
const MAX_HALF = 64;
/** Zero frames before and after every voice buffer, so kernel taps never leave it. */
const PAD = MAX_HALF + 2;

/** A windowed-sinc polyphase table for one playback rate. */
interface Kernel {
  /** Taps each side: reads x[i − half + 1 … i + half]. */
  readonly half: number;
  readonly taps: number;
  /**
   * PHASES rows of `taps` pairs: the coefficient at phase p (each row sums to 1), then its
   * difference to phase p + 1, for linear interpolation between phases. Interleaved so one
   * tap's pair sits together.
   */
  readonly table: Float64Array;
}

/** Build the table for reading at `rate` source frames per output frame. */
export function interpolationKernel(rate: number): Kernel {
  const cutoff = CUTOFF * Math.min(1, 1 / rate);
  const half = Math.min(MAX_HALF, Math.ceil(ZERO_CROSSINGS / cutoff));
  const taps = 2 * half;
  const rows = new Float64Array((PHASES + 1) * taps);
  const norm = besselI0(BETA);
  for (let p = 0; p <= PHASES; p++) {
    const fraction = p / PHASES;
    let sum = 0;
    for (let m = 0; m < taps; m++) {
      const t = m - half + 1 - fraction;
      const u = t / half;
      const window = u <= -1 || u >= 1 ? 0 : besselI0(BETA * Math.sqrt(1 - u * u)) / norm;
      const x = Math.PI * cutoff * t;
      const value = (x === 0 ? 1 : Math.sin(x) / x) * window;
      rows[p * taps + m] = value;
      sum += value;
    }
    // Unit gain at DC for every phase: no amplitude ripple as the phase moves.
    for (let m = 0; m < taps; m++) rows[p * taps + m] /= sum;
  }
  const table = new Float64Array(2 * PHASES * taps);
  for (let i = 0; i < PHASES * taps; i++) {
    table[2 * i] = rows[i];
    table[2 * i + 1] = rows[i + taps] - rows[i];
  }
  return { half, taps, table };
}


/**
 * A zone's stretch of sample, ready to play: zero padding, the data from `zone.start`, the loop
 * unrolled, and (sustain loops) the rest of the sample after it. Indices are buffer frames.
 */
interface VoiceBuffer {
  /**
   * One or two channels: floats, or 16-bit PCM read as value × `scale` (2^-15). A voice folds
   * the scale into its channel gains, which is exact (a power of two), so both give the same bits.
   */
  readonly channels: Float32Array[] | Int16Array[];
  /** What a channel's values are multiplied by to give sample values: 1, or 1 / 32768 for 16-bit PCM. */
  readonly scale: number;
  /** Where a voice starts reading. */
  readonly first: number;
  /** A voice ends when its read position reaches this (never, for a forward loop). */
  readonly end: number;
  /** While looping, a position at or past this moves back by `wrapBy`. Infinity without a loop. */
  readonly wrapAt: number;
  readonly wrapBy: number;
  /**
   * After note-off (sustain loops): a position in [playOutFrom, playOutTo) moves up by whole
   * periods into the last unrolled period, so it finishes the period it is in, then the tail.
   */
  readonly playOutFrom: number;
  readonly playOutTo: number;
  readonly period: number;
  readonly mode: 'none' | 'forward' | 'sustain';
}

/**
 * Voice buffers by sample and stretch (`zone.sample`, start, end, loop): zones that differ only
 * in keys, envelope or level (a SoundFont's per-key zones) share one, and so can every track
 * whose zones name the same sources (one SoundFont bank). A buffer is built from its source the
 * first time a voice plays that stretch, so a sample no note reaches is never read.
 */
export class VoiceBuffers {
  private readonly buffers = new Map<string, VoiceBuffer>();

  /** The buffer for `zone`, built from `source` when none is held for its stretch. */
  get(zone: SampleZone, source: SampleSource): VoiceBuffer {
    const { loop } = zone;
    const key = `${zone.sample}\0${zone.start}\0${zone.end}\0${loop.mode}\0${loop.start}\0${loop.end}`;
    let buffer = this.buffers.get(key);
    if (!buffer) this.buffers.set(key, (buffer = buildVoiceBuffer(zone, source)));
    return buffer;
  }

  /** Frames held, all channels. */
  get frames(): number {
    let frames = 0;
    for (const buffer of this.buffers.values()) for (const channel of buffer.channels) frames += channel.length;
    return frames;
  }

  /** Bytes held: what the cache costs in memory. */
  get bytes(): number {
    let bytes = 0;
    for (const buffer of this.buffers.values()) for (const channel of buffer.channels) bytes += channel.byteLength;
    return bytes;
  }
}

function buildVoiceBuffer(zone: SampleZone, source: SampleSource): VoiceBuffer {
  // 16-bit sources stay 16-bit: the buffers are then copies of the stored frames, not floats.
  const decoded: readonly (Float32Array | Int16Array)[] = source.pcm16 ?? source.channels;
  const scale = source.pcm16 ? 1 / 32768 : 1;
  const allocate = (length: number): Float32Array | Int16Array => (source.pcm16 ? new Int16Array(length) : new Float32Array(length));
  const frames = decoded[0]?.length ?? 0;
  const start = clampInt(zone.start, 0, frames);
  const end = clampInt(zone.end, start, frames);
  const loopStart = Math.round(zone.loop.start);
  const loopEnd = Math.round(zone.loop.end);
  const looped = zone.loop.mode !== 'none' && loopStart >= start && loopEnd <= end && loopEnd > loopStart;
  const sourceChannels = decoded.slice(0, 2);
  if (!looped) {
    const length = end - start;
    const channels = sourceChannels.map((data) => {
      const buffer = allocate(PAD + length + PAD);
      buffer.set(data.subarray(start, end), PAD);
      return buffer;
    }) as Float32Array[] | Int16Array[];
    return { channels, scale, first: PAD, end: PAD + length, wrapAt: Infinity, wrapBy: 0, playOutFrom: Infinity, playOutTo: Infinity, period: 1, mode: 'none' };
  }
  const period = loopEnd - loopStart;
  const ls = PAD + loopStart - start;
  const le = PAD + loopEnd - start;
  // Wrap by whole periods, at least a kernel's half-width, landing where every tap behind the
  // position is still inside the periodic (looped) signal.
  const wrapBy = period * Math.ceil(MAX_HALF / period);
  const wrapAt = Math.max(le, ls + wrapBy + MAX_HALF);
  // Unroll whole periods up to past wrapAt + the forward taps; the tail then joins at a seam.
  const copies = Math.ceil((wrapAt + MAX_HALF + 2 - le) / period);
  const tailAt = le + copies * period;
  const tail = zone.loop.mode === 'sustain' ? end - loopEnd : 0;
  const channels = sourceChannels.map((data) => {
    const buffer = allocate(tailAt + tail + PAD);
    buffer.set(data.subarray(start, loopEnd), PAD);
    for (let i = le; i < tailAt; i++) buffer[i] = buffer[i - period];
    if (tail > 0) buffer.set(data.subarray(loopEnd, end), tailAt);
    return buffer;
  });
  const sustain = zone.loop.mode === 'sustain';
  return {
    channels: channels as Float32Array[] | Int16Array[],
    scale,
    first: PAD,
    end: sustain ? tailAt + tail : Infinity,
    wrapAt,
    wrapBy,
    playOutFrom: sustain ? ls : Infinity,
    playOutTo: sustain ? tailAt - period : Infinity,
    period,
    mode: zone.loop.mode,
  };
}

function clampInt(value: number, low: number, high: number): number {
  const rounded = Math.round(value);
  return rounded < low ? low : rounded > high ? high : rounded;
}

/**
 * A delay–attack–hold–decay–sustain–release envelope over one note, by sample offset from
 * note-on: linear attack (instant when 0), (1 − t/T)³ decay and release, exactly 0 from
 * `totalSamples` on.
 */
export class ZoneEnvelopeCurve {
  private readonly delayEnd: number;
  private readonly attackEnd: number;
  private readonly holdEnd: number;
  private readonly decayEnd: number;
  private readonly releaseSamples: number;
  private readonly sustain: number;
  private readonly releaseFrom: number;
  readonly totalSamples: number;

  constructor(envelope: ZoneEnvelope, sampleRate: number, private readonly gate: number) {
    const samples = (seconds: number) => Math.max(0, Math.round(seconds * sampleRate));
    this.delayEnd = samples(envelope.delay);
    this.attackEnd = this.delayEnd + samples(envelope.attack);
    this.holdEnd = this.attackEnd + samples(envelope.hold);
    this.decayEnd = this.holdEnd + samples(envelope.decay);
    this.releaseSamples = Math.max(1, samples(envelope.release));
    this.sustain = Math.min(1, Math.max(0, envelope.sustain));
    this.releaseFrom = this.held(gate);
    this.totalSamples = gate + this.releaseSamples;
  }

  private held(n: number): number {
    if (n < this.delayEnd) return 0;
    if (n < this.attackEnd) return (n - this.delayEnd) / (this.attackEnd - this.delayEnd);
    if (n < this.holdEnd) return 1;
    if (n < this.decayEnd) {
      const x = 1 - (n - this.holdEnd) / (this.decayEnd - this.holdEnd);
      return this.sustain + (1 - this.sustain) * x * x * x;
    }
    return this.sustain;
  }

  /** Level `n` samples after note-on. */
  at(n: number): number {
    if (n < 0) return 0;
    if (n < this.gate) return this.held(n);
    const r = n - this.gate;
    if (r >= this.releaseSamples) return 0;
    const x = 1 - r / this.releaseSamples;
    return this.releaseFrom * x * x * x;
  }

  /** The first corner after `n` (segment end, note-off, silence); Infinity once silent. */
  nextBreak(n: number): number {
    if (n < this.delayEnd && this.delayEnd < this.gate) return this.delayEnd;
    if (n < this.attackEnd && this.attackEnd < this.gate) return this.attackEnd;
    if (n < this.holdEnd && this.holdEnd < this.gate) return this.holdEnd;
    if (n < this.decayEnd && this.decayEnd < this.gate) return this.decayEnd;
    if (n < this.gate) return this.gate;
    return n < this.totalSamples ? this.totalSamples : Infinity;
  }
}

/** Where the engine finds a zone's decoded sample: a map, or a function that decodes it on first use. */
export type SampleSources = ReadonlyMap<string, SampleSource> | ((key: string) => SampleSource | undefined);

/** A trigger from outside the zones that cuts the voices of its class started before it. */
export interface ExternalCut {
  readonly sample: number;
  readonly exclusiveClass: number;
}

/**
 * Render `notes` through `zones` into `output` (added in), the whole song in one block: the
 * same samples as `streamZones` gives block by block. `output` is [left, right] (or one
 * channel: sources are then summed to mono and pan is ignored).
 */
export function renderZones(
  zones: readonly SampleZone[],
  sources: SampleSources,
  notes: readonly NoteEvent[],
  output: readonly Float32Array[],
  sampleRate: number,
  seed: number,
  options: RenderZonesOptions,
): void {
  const length = output[0]?.length ?? 0;
  streamZones(zones, sources, notes, length, sampleRate, seed, options).render(0, output);
}

/**
 * Render `notes` through `zones` block by block, for a song `lengthSamples` long. `sources`
 * gives each zone's decoded sample by `zone.sample`; zones address its frames at its own rate.
 *
 * A voice joins the active list in the block where its note starts and leaves it when it falls
 * silent (envelope end, exclusive-class fade, sample end or song end); each block renders the
 * active voices in note order, zone order, so every output sample is the same sum in the same
 * order as a whole-song render. Exclusive-class triggers are looked ahead by one envelope step
 * (`SEGMENT` samples): a voice's envelope segments are then cut exactly where a whole render
 * cuts them, whatever the block sizes.
 */
export function streamZones(
  zones: readonly SampleZone[],
  sources: SampleSources,
  notes: readonly NoteEvent[],
  lengthSamples: number,
  sampleRate: number,
  seed: number,
  options: RenderZonesOptions,
): InstrumentStream {
  return new ZoneStream(zones, typeof sources === 'function' ? sources : (key) => sources.get(key), notes, lengthSamples, sampleRate, seed, options);
}

/** One voice: a zone sounding for a note, with its read position and envelope segment carried from block to block. */
class Voice {
  /** Absolute sample from which it fades out (a later trigger of its exclusive class); Infinity if never. */
  cutAt = Infinity;
  buffer: VoiceBuffer = EMPTY_BUFFER;
  /** null: rate 1, the sample copied; CUBIC: Hermite reads; else the sinc table. */
  kernel: Kernel | null = null;
  rate = 1;
  gain = 0;
  envelope: ZoneEnvelopeCurve | null = null;
  gainLeft = 0;
  gainRight = 0;
  /** Read position in the buffer. */
  index = 0;
  fraction = 0;
  /** False once the voice has run off its sample's end. */
  playing = true;
  /** Next sample to render, counted from note-on. */
  offset = 0;
  /** End of the current envelope segment (from note-on): gain moves linearly by `step` inside it. */
  segmentEnd = 0;
  level = 0;
  step = 0;
  /** Whether the current segment wraps the loop. */
  wrapping = false;
  /** The level at `levelFor` (from note-on) with the cut at `levelCut`: the last segment's end, the next one's start. */
  levelFor = -1;
  levelCut = 0;
  levelThere = 0;

  constructor(
    readonly note: NoteEvent,
    readonly zone: SampleZone,
  ) {}
}

const EMPTY_BUFFER: VoiceBuffer = { channels: [], scale: 1, first: 0, end: 0, wrapAt: Infinity, wrapBy: 0, playOutFrom: Infinity, playOutTo: Infinity, period: 1, mode: 'none' };

/** Zone choice in note order: round-robin counters and the seeded generator carried from note to note. */
class ZoneChooser {
  private readonly setOf = new Map<SampleZone, number>();
  private readonly sets: SampleZone[][] = [];
  private readonly counters: number[];
  private readonly last: number[];
  private readonly random: () => number;
  private readonly chosen = new Set<number>();

  constructor(
    private readonly zones: readonly SampleZone[],
    seed: number,
    private readonly mode: 'cycle' | 'random',
  ) {
    // Round-robin sets: zones with identical ranges and the same group > 0, in zone order.
    const setIds = new Map<string, number>();
    for (const zone of zones) {
      if (!(zone.roundRobinGroup > 0)) continue;
      const key = `${zone.keyLow},${zone.keyHigh},${zone.velocityLow},${zone.velocityHigh},${zone.roundRobinGroup}`;
      let id = setIds.get(key);
      if (id === undefined) {
        id = this.sets.length;
        setIds.set(key, id);
        this.sets.push([]);
      }
      this.sets[id].push(zone);
      this.setOf.set(zone, id);
    }
    this.counters = new Array<number>(this.sets.length).fill(0);
    this.last = new Array<number>(this.sets.length).fill(-1);
    this.random = createRandom(seed);
  }

  /** Append the voices `note` plays to `into`, in zone order. */
  choose(note: NoteEvent, into: Voice[]): void {
    const { chosen, sets, counters, last } = this;
    chosen.clear();
    for (const zone of this.zones) {
      if (note.pitch < zone.keyLow || note.pitch > zone.keyHigh || note.velocity < zone.velocityLow || note.velocity > zone.velocityHigh) continue;
      const set = this.setOf.get(zone);
      if (set === undefined) {
        into.push(new Voice(note, zone));
        continue;
      }
      if (chosen.has(set)) continue;
      chosen.add(set);
      const members = sets[set];
      let index: number;
      if (this.mode === 'cycle') index = counters[set]++ % members.length;
      else if (members.length === 1 || last[set] < 0) index = Math.floor(this.random() * members.length);
      else {
        // Any member but the one just played: a repeat is what round robin is meant to avoid.
        const pick = Math.floor(this.random() * (members.length - 1));
        index = pick >= last[set] ? pick + 1 : pick;
      }
      last[set] = index;
      into.push(new Voice(note, members[index]));
    }
  }
}

class ZoneStream implements InstrumentStream {
  private readonly chooser: ZoneChooser;
  private readonly externalCuts: readonly ExternalCut[];
  private readonly buffers: VoiceBuffers;
  private readonly kernels = new Map<number, Kernel>();
  private readonly fade: number;
  /** Next note to choose zones for. */
  private nextNote = 0;
  /** Next external cut to apply. */
  private nextCut = 0;
  /** Voices chosen (their triggers applied) whose notes start after the current block. */
  private pending: Voice[] = [];
  /** Sounding voices, in note order, zone order. */
  private active: Voice[] = [];

  constructor(
    zones: readonly SampleZone[],
    private readonly source: (key: string) => SampleSource | undefined,
    private readonly notes: readonly NoteEvent[],
    private readonly length: number,
    private readonly sampleRate: number,
    seed: number,
    private readonly options: RenderZonesOptions,
  ) {
    this.chooser = new ZoneChooser(zones, seed, options.roundRobin);
    this.buffers = options.buffers ?? new VoiceBuffers();
    const cuts = options.cuts ?? [];
    this.externalCuts = cuts.every((cut, i) => i === 0 || cuts[i - 1].sample <= cut.sample) ? cuts : [...cuts].sort((a, b) => a.sample - b.sample);
    this.fade = Math.max(1, Math.round(EXCLUSIVE_FADE * sampleRate));
  }

  render(start: number, output: readonly Float32Array[]): void {
    const end = start + (output[0]?.length ?? 0);
    this.lookAhead(end + SEGMENT);
    this.admit(end, output.length);
    const active = this.active;
    let kept = 0;
    for (let i = 0; i < active.length; i++) {
      const voice = active[i];
      if (this.renderVoice(voice, start, end, output)) active[kept++] = voice;
    }
    active.length = kept;
  }

  /**
   * Choose the voices of every note starting before `until` and apply every exclusive-class
   * trigger before it: each cuts the chosen voices of its class that started earlier (the
   * first such trigger after a voice's start is its cut).
   */
  private lookAhead(until: number): void {
    const { notes, pending } = this;
    while (this.nextNote < notes.length && notes[this.nextNote].startSample < until) {
      const from = pending.length;
      this.chooser.choose(notes[this.nextNote++], pending);
      for (let i = from; i < pending.length; i++) {
        const voice = pending[i];
        this.trigger(voice.zone.exclusiveClass, voice.note.startSample);
      }
    }
    const cuts = this.externalCuts;
    while (this.nextCut < cuts.length && cuts[this.nextCut].sample < until) {
      const cut = cuts[this.nextCut++];
      this.trigger(cut.exclusiveClass, cut.sample);
    }
  }

  private trigger(exclusiveClass: number, sample: number): void {
    if (!(exclusiveClass > 0)) return;
    cutVoices(this.active, exclusiveClass, sample);
    cutVoices(this.pending, exclusiveClass, sample);
  }

  /** Move the pending voices whose notes start before `end` into the active list, set up to play. */
  private admit(end: number, channelCount: number): void {
    const pending = this.pending;
    let taken = 0;
    while (taken < pending.length && pending[taken].note.startSample < end) {
      const voice = pending[taken++];
      if (voice.note.startSample < this.length && this.prepare(voice, channelCount)) this.active.push(voice);
    }
    if (taken > 0) pending.splice(0, taken);
  }

  /** Buffer, rate, kernel, gains and envelope of a voice; false when it cannot sound. */
  private prepare(voice: Voice, channelCount: number): boolean {
    const { note, zone } = voice;
    const source = this.source(zone.sample);
    if (!source) throw new Error(`no decoded audio for sample '${zone.sample}'`);
    const buffer = this.buffers.get(zone, source);
    if (buffer.end <= buffer.first) return false;
    const rate = Math.pow(2, ((note.pitch - zone.rootKey) * zone.keyTrack) / 1200 + zone.tune / 1200) * (source.sampleRate / this.sampleRate);
    if (!(rate > 0 && Number.isFinite(rate))) return false;
    let kernel: Kernel | null = null;
    if (rate !== 1 && this.options.interpolation === 'cubic') kernel = CUBIC;
    else if (rate !== 1) {
      kernel = this.kernels.get(rate) ?? null;
      if (!kernel) this.kernels.set(rate, (kernel = interpolationKernel(rate)));
    }
    const sensitivity = this.options.velocitySensitivity;
    const velocity = note.velocity / 127;
    voice.gain = Math.pow(10, zone.gainDb / 20) * (1 - sensitivity + sensitivity * velocity * velocity);
    voice.buffer = buffer;
    voice.kernel = kernel;
    voice.rate = rate;
    voice.envelope = new ZoneEnvelopeCurve(zone.envelope, this.sampleRate, note.lengthSamples);
    const stereoSource = buffer.channels.length > 1;
    if (channelCount === 1) voice.gainLeft = voice.gainRight = stereoSource ? 0.5 : 1;
    else [voice.gainLeft, voice.gainRight] = stereoSource ? balanceGains(zone.pan) : monoPanGains(zone.pan);
    // A 16-bit buffer's scale rides on the gains: (x·2^-15)·g and x·(g·2^-15) are the same
    // number, and so is every sum and product of scaled taps before it.
    voice.gainLeft *= buffer.scale;
    voice.gainRight *= buffer.scale;
    voice.index = buffer.first;
    return true;
  }

  /** The voice's gain `n` samples after note-on: envelope × level × the exclusive-class fade from `cut`. */
  private levelAt(voice: Voice, n: number, cut: number): number {
    return voice.envelope!.at(n) * voice.gain * (n < cut ? 1 : Math.max(0, 1 - (n - cut) / this.fade));
  }

  /** Add the voice's part of song frames [blockStart, blockEnd) into `output`; false once it is silent for good. */
  private renderVoice(voice: Voice, blockStart: number, blockEnd: number, output: readonly Float32Array[]): boolean {
    const start = voice.note.startSample;
    const envelope = voice.envelope!;
    const stop = blockEnd - start;
    const left = output[0];
    const right = output.length > 1 ? output[1] : null;
    for (;;) {
      const cut = voice.cutAt - start;
      const span = Math.min(this.length - start, envelope.totalSamples, cut + this.fade);
      if (!voice.playing || voice.offset >= span) return false;
      if (voice.offset >= stop) return true;
      if (voice.offset === voice.segmentEnd) {
        this.beginSegment(voice, cut, span);
        continue;
      }
      const count = Math.min(voice.segmentEnd, stop) - voice.offset;
      const at = start + voice.offset - blockStart;
      const kernel = voice.kernel;
      if (kernel === null) copyBlock(voice, left, right, at, count);
      else if (kernel === CUBIC) cubicBlock(voice, left, right, at, count);
      else interpolateBlock(voice, kernel, left, right, at, count);
      voice.offset += count;
    }
  }

  /**
   * Start the envelope segment at the voice's offset: at most SEGMENT samples, split at the
   * envelope's corners, the exclusive cut and note-off, with its gain ramp. Sound before the
   * song's start (a note before sample 0) is skipped by moving the read position on.
   */
  private beginSegment(voice: Voice, cut: number, span: number): void {
    const offset = voice.offset;
    const gate = voice.note.lengthSamples;
    let segmentEnd = Math.min(offset + SEGMENT, span, voice.envelope!.nextBreak(offset));
    if (offset < cut && cut < segmentEnd) segmentEnd = cut;
    // A sustain loop stops wrapping at note-off: split there so each segment has one rule.
    if (offset < gate && gate < segmentEnd) segmentEnd = gate;
    const mode = voice.buffer.mode;
    voice.wrapping = mode === 'forward' || (mode === 'sustain' && offset < gate);
    // A segment starts at the level the one before it ended on (the same function of the
    // same offset and cut): taken from there rather than worked out again.
    const from = voice.levelFor === offset && voice.levelCut === cut ? voice.levelThere : this.levelAt(voice, offset, cut);
    const to = this.levelAt(voice, segmentEnd, cut);
    voice.levelFor = segmentEnd;
    voice.levelCut = cut;
    voice.levelThere = to;
    const at = voice.note.startSample + offset;
    const skip = at < 0 ? Math.min(segmentEnd - offset, -at) : 0;
    if (skip > 0) advance(voice, skip);
    voice.step = (to - from) / (segmentEnd - offset);
    voice.level = from + voice.step * skip;
    voice.segmentEnd = segmentEnd;
    voice.offset = offset + skip;
  }
}

/** A trigger of `exclusiveClass` at `sample` cuts the voices of that class started before it (the earliest such trigger wins). */
function cutVoices(voices: readonly Voice[], exclusiveClass: number, sample: number): void {
  for (const voice of voices) {
    if (voice.zone.exclusiveClass === exclusiveClass && voice.note.startSample < sample && sample < voice.cutAt) voice.cutAt = sample;
  }
}

/** Constant-power pan of a mono source: −3 dB each side at centre, exact zeros at the hard sides. */
export function monoPanGains(pan: number): [number, number] {
  const clamped = pan < -1 ? -1 : pan > 1 ? 1 : pan;
  const angle = ((clamped + 1) * Math.PI) / 4;
  return [clamped >= 1 ? 0 : Math.cos(angle), clamped <= -1 ? 0 : Math.sin(angle)];
}

/** Move the read position on without output (a voice starting before sample 0). */
function advance(voice: Voice, count: number): void {
  const { buffer, rate, wrapping } = voice;
  for (let j = 0; j < count && voice.playing; j++) {
    while (wrapping && voice.index >= buffer.wrapAt) voice.index -= buffer.wrapBy;
    if (!wrapping && voice.index >= buffer.playOutFrom && voice.index < buffer.playOutTo) {
      voice.index += buffer.period * Math.ceil((buffer.playOutTo - voice.index) / buffer.period);
    }
    if (voice.index >= buffer.end) voice.playing = false;
    voice.fraction += rate;
    const whole = Math.floor(voice.fraction);
    voice.index += whole;
    voice.fraction -= whole;
  }
}

/** Rate exactly 1: the voice is the sample, copied. */
function copyBlock(voice: Voice, left: Float32Array, right: Float32Array | null, at: number, count: number): void {
  const { buffer, wrapping, step, gainLeft, gainRight } = voice;
  const a = buffer.channels[0];
  const stereo = buffer.channels.length > 1;
  const b = stereo ? buffer.channels[1] : a;
  const wrapAt = wrapping ? buffer.wrapAt : Infinity;
  const wrapBy = buffer.wrapBy;
  const playOutFrom = wrapping ? Infinity : buffer.playOutFrom;
  const playOutTo = buffer.playOutTo;
  const period = buffer.period;
  const end = buffer.end;
  let index = voice.index;
  let level = voice.level;
  for (let j = 0; j < count; j++) {
    if (index >= wrapAt) index -= wrapBy;
    if (index >= playOutFrom && index < playOutTo) index += period * Math.ceil((playOutTo - index) / period);
    if (index >= end) {
      voice.playing = false;
      break;
    }
    if (right === null) left[at + j] += (stereo ? a[index] + b[index] : a[index]) * gainLeft * level;
    else {
      left[at + j] += a[index] * gainLeft * level;
      right[at + j] += b[index] * gainRight * level;
    }
    index++;
    level += step;
  }
  voice.index = index;
  voice.level = level;
}

/** Marks cubic reads in place of a sinc kernel. */
const CUBIC: Kernel = { half: 2, taps: 4, table: new Float64Array(0) };

/** The 4-point, 3rd-order Hermite value at `t` between x1 and x2 (small enough for V8 to inline). */
function hermite(x0: number, x1: number, x2: number, x3: number, t: number): number {
  return x1 + 0.5 * t * (x2 - x0 + t * (2 * x0 - 5 * x1 + 4 * x2 - x3 + t * (3 * (x1 - x2) + x3 - x0)));
}

/** 4-point, 3rd-order Hermite reads (x[i−1] … x[i+2]): fluidsynth's default quality. */
function cubicBlock(voice: Voice, left: Float32Array, right: Float32Array | null, at: number, count: number): void {
  const { buffer, rate, wrapping, step, gainLeft, gainRight } = voice;
  const a = buffer.channels[0];
  const stereo = buffer.channels.length > 1;
  const b = stereo ? buffer.channels[1] : a;
  const wrapAt = wrapping ? buffer.wrapAt : Infinity;
  const wrapBy = buffer.wrapBy;
  const playOutFrom = wrapping ? Infinity : buffer.playOutFrom;
  const playOutTo = buffer.playOutTo;
  const period = buffer.period;
  const end = buffer.end;
  let index = voice.index;
  let fraction = voice.fraction;
  let level = voice.level;
  for (let j = 0; j < count; ) {
    while (index >= wrapAt) index -= wrapBy;
    if (index >= playOutFrom && index < playOutTo) index += period * Math.ceil((playOutTo - index) / period);
    if (index >= end) {
      voice.playing = false;
      break;
    }
    // Until the read position can reach the next wrap, play-out or end, none of the checks
    // above can fire: run that many samples without them, in a loop made for this channel
    // layout. (Each step moves at most rate + 1 frames; the margin of 3 covers the fraction
    // and the rounding of its running sum.) The sums are the checked loop's, in its order.
    const boundary = Math.min(wrapAt, end, index < playOutFrom ? playOutFrom : Infinity);
    const safe = Math.floor((boundary - index - 3) / rate);
    const stop = j + Math.min(count - j, safe > 1 ? safe : 1);
    if (stereo && right !== null) {
      // A stereo sample on a stereo track: both channels' taps carried the same way.
      let x0 = a[index - 1];
      let x1 = a[index];
      let x2 = a[index + 1];
      let x3 = a[index + 2];
      let y0 = b[index - 1];
      let y1 = b[index];
      let y2 = b[index + 1];
      let y3 = b[index + 2];
      for (let o = at + j; j < stop; j++, o++) {
        const sumA = hermite(x0, x1, x2, x3, fraction);
        const sumB = hermite(y0, y1, y2, y3, fraction);
        left[o] += sumA * gainLeft * level;
        right[o] += sumB * gainRight * level;
        fraction += rate;
        const whole = Math.floor(fraction);
        fraction -= whole;
        level += step;
        if (whole === 1) {
          index++;
          x0 = x1;
          x1 = x2;
          x2 = x3;
          x3 = a[index + 2];
          y0 = y1;
          y1 = y2;
          y2 = y3;
          y3 = b[index + 2];
        } else if (whole !== 0) {
          index += whole;
          x0 = a[index - 1];
          x1 = a[index];
          x2 = a[index + 1];
          x3 = a[index + 2];
          y0 = b[index - 1];
          y1 = b[index];
          y2 = b[index + 1];
          y3 = b[index + 2];
        }
      }
    } else if (stereo) {
      for (; j < stop; j++) {
        const sumA = hermite(a[index - 1], a[index], a[index + 1], a[index + 2], fraction);
        const sumB = hermite(b[index - 1], b[index], b[index + 1], b[index + 2], fraction);
        left[at + j] += (sumA + sumB) * gainLeft * level;
        fraction += rate;
        const whole = Math.floor(fraction);
        index += whole;
        fraction -= whole;
        level += step;
      }
    } else if (right !== null) {
      // The common case (a mono sample on a stereo track), with the four taps carried in
      // registers while the read position moves by whole frames: loads only for new taps.
      let x0 = a[index - 1];
      let x1 = a[index];
      let x2 = a[index + 1];
      let x3 = a[index + 2];
      for (let o = at + j; j < stop; j++, o++) {
        const sumA = hermite(x0, x1, x2, x3, fraction);
        left[o] += sumA * gainLeft * level;
        right[o] += sumA * gainRight * level;
        fraction += rate;
        const whole = Math.floor(fraction);
        fraction -= whole;
        level += step;
        if (whole === 1) {
          index++;
          x0 = x1;
          x1 = x2;
          x2 = x3;
          x3 = a[index + 2];
        } else if (whole !== 0) {
          index += whole;
          x0 = a[index - 1];
          x1 = a[index];
          x2 = a[index + 1];
          x3 = a[index + 2];
        }
      }
    } else {
      for (; j < stop; j++) {
        const sumA = hermite(a[index - 1], a[index], a[index + 1], a[index + 2], fraction);
        left[at + j] += sumA * gainLeft * level;
        fraction += rate;
        const whole = Math.floor(fraction);
        index += whole;
        fraction -= whole;
        level += step;
      }
    }
  }
  voice.index = index;
  voice.fraction = fraction;
  voice.level = level;
}

/** Any other rate: windowed-sinc interpolation from the polyphase table. */
function interpolateBlock(voice: Voice, kernel: Kernel, left: Float32Array, right: Float32Array | null, at: number, count: number): void {
  const { buffer, rate, wrapping, step, gainLeft, gainRight } = voice;
  const a = buffer.channels[0];
  const stereo = buffer.channels.length > 1;
  const b = stereo ? buffer.channels[1] : a;
  const { table, taps } = kernel;
  const back = kernel.half - 1;
  const wrapAt = wrapping ? buffer.wrapAt : Infinity;
  const wrapBy = buffer.wrapBy;
  const playOutFrom = wrapping ? Infinity : buffer.playOutFrom;
  const playOutTo = buffer.playOutTo;
  const period = buffer.period;
  const end = buffer.end;
  let index = voice.index;
  let fraction = voice.fraction;
  let level = voice.level;
  for (let j = 0; j < count; j++) {
    while (index >= wrapAt) index -= wrapBy;
    if (index >= playOutFrom && index < playOutTo) index += period * Math.ceil((playOutTo - index) / period);
    if (index >= end) {
      voice.playing = false;
      break;
    }
    const phase = fraction * PHASES;
    const row = phase | 0;
    const weight = phase - row;
    const base = 2 * row * taps;
    const first = index - back;
    let sumA = 0;
    if (stereo) {
      let sumB = 0;
      for (let m = 0, t = base; m < taps; m++, t += 2) {
        const c = table[t] + weight * table[t + 1];
        sumA += a[first + m] * c;
        sumB += b[first + m] * c;
      }
      if (right === null) left[at + j] += (sumA + sumB) * gainLeft * level;
      else {
        left[at + j] += sumA * gainLeft * level;
        right[at + j] += sumB * gainRight * level;
      }
    } else {
      for (let m = 0, t = base; m < taps; m++, t += 2) sumA += a[first + m] * (table[t] + weight * table[t + 1]);
      left[at + j] += sumA * gainLeft * level;
      if (right !== null) right[at + j] += sumA * gainRight * level;
    }
    fraction += rate;
    const whole = Math.floor(fraction);
    index += whole;
    fraction -= whole;
    level += step;
  }
  voice.index = index;
  voice.fraction = fraction;
  voice.level = level;
}
