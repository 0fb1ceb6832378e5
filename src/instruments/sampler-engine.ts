/**
 * The sample voice engine: every sample-playing instrument (sampler, kit, slicer, SoundFont
 * presets) turns its input into `SampleZone`s and renders notes through `renderZones`.
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
 *   (finite, like src/dsp/envelope.ts), exact at block edges and linear within a block.
 * - Exclusive classes: a voice is faded out over 5 ms from the first later note (or external
 *   cut) of its class.
 *
 * Voices are summed in note order, zone order: the same input always gives the same bits.
 */
import { balanceGains } from '../effects/utility.ts';
import { createRandom } from '../dsp/random.ts';
import type { NoteEvent } from '../ir/plugin.ts';
import type { SampleSource, SampleZone, ZoneEnvelope } from './zones.ts';
import { besselI0 } from '../dsp/bessel.ts';

/** How `renderZones` picks zones and scales velocity. */
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
}

/** Fade of a voice cut by a note of its exclusive class, seconds: short enough to read as a choke, long enough not to click. */
export const EXCLUSIVE_FADE = 0.005;

/** Samples between envelope/gain updates: per-block values, linear ramps inside. */
const BLOCK = 32;
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
  /** One or two channels. */
  readonly channels: Float32Array[];
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

function buildVoiceBuffer(zone: SampleZone, source: SampleSource): VoiceBuffer {
  const frames = source.channels[0]?.length ?? 0;
  const start = clampInt(zone.start, 0, frames);
  const end = clampInt(zone.end, start, frames);
  const loopStart = Math.round(zone.loop.start);
  const loopEnd = Math.round(zone.loop.end);
  const looped = zone.loop.mode !== 'none' && loopStart >= start && loopEnd <= end && loopEnd > loopStart;
  const sourceChannels = source.channels.slice(0, 2);
  if (!looped) {
    const length = end - start;
    const channels = sourceChannels.map((data) => {
      const buffer = new Float32Array(PAD + length + PAD);
      buffer.set(data.subarray(start, end), PAD);
      return buffer;
    });
    return { channels, first: PAD, end: PAD + length, wrapAt: Infinity, wrapBy: 0, playOutFrom: Infinity, playOutTo: Infinity, period: 1, mode: 'none' };
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
    const buffer = new Float32Array(tailAt + tail + PAD);
    buffer.set(data.subarray(start, loopEnd), PAD);
    for (let i = le; i < tailAt; i++) buffer[i] = buffer[i - period];
    if (tail > 0) buffer.set(data.subarray(loopEnd, end), tailAt);
    return buffer;
  });
  const sustain = zone.loop.mode === 'sustain';
  return {
    channels,
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

/** One voice to render: a zone sounding for a note. */
interface Voice {
  readonly note: NoteEvent;
  readonly zone: SampleZone;
  /** Absolute sample from which it fades out (a later note of its exclusive class); Infinity if never. */
  cutAt: number;
}

/**
 * Render `notes` through `zones` into `output` (added in). `output` is [left, right] (or one
 * channel: sources are then summed to mono and pan is ignored). `sources` holds each zone's
 * decoded sample by `zone.sample`; zones address its frames at its own rate.
 */
export function renderZones(
  zones: readonly SampleZone[],
  sources: ReadonlyMap<string, SampleSource>,
  notes: readonly NoteEvent[],
  output: readonly Float32Array[],
  sampleRate: number,
  seed: number,
  options: RenderZonesOptions,
): void {
  const voices = chooseVoices(zones, notes, seed, options.roundRobin);
  assignCuts(voices, options.cuts ?? []);
  const buffers = new Map<SampleZone, VoiceBuffer>();
  const kernels = new Map<number, Kernel>();
  const length = output[0]?.length ?? 0;
  const sensitivity = options.velocitySensitivity;
  for (const voice of voices) {
    const { note, zone } = voice;
    if (note.startSample >= length) continue;
    const source = sources.get(zone.sample);
    if (!source) throw new Error(`renderZones: no decoded audio for sample '${zone.sample}'`);
    let buffer = buffers.get(zone);
    if (!buffer) buffers.set(zone, (buffer = buildVoiceBuffer(zone, source)));
    if (buffer.end <= buffer.first) continue;
    const rate = Math.pow(2, ((note.pitch - zone.rootKey) * zone.keyTrack) / 1200 + zone.tune / 1200) * (source.sampleRate / sampleRate);
    if (!(rate > 0 && Number.isFinite(rate))) continue;
    let kernel: Kernel | null = null;
    if (rate !== 1 && options.interpolation === 'cubic') kernel = CUBIC;
    else if (rate !== 1) {
      kernel = kernels.get(rate) ?? null;
      if (!kernel) kernels.set(rate, (kernel = interpolationKernel(rate)));
    }
    const velocity = note.velocity / 127;
    const gain = Math.pow(10, zone.gainDb / 20) * (1 - sensitivity + sensitivity * velocity * velocity);
    renderVoice(voice, buffer, kernel, rate, gain, output, sampleRate);
  }
}

/** Pick the zones every note plays, in note order then zone order. */
function chooseVoices(zones: readonly SampleZone[], notes: readonly NoteEvent[], seed: number, mode: 'cycle' | 'random'): Voice[] {
  // Round-robin sets: zones with identical ranges and the same group > 0, in zone order.
  const setOf = new Map<SampleZone, number>();
  const sets: SampleZone[][] = [];
  const setIds = new Map<string, number>();
  for (const zone of zones) {
    if (!(zone.roundRobinGroup > 0)) continue;
    const key = `${zone.keyLow},${zone.keyHigh},${zone.velocityLow},${zone.velocityHigh},${zone.roundRobinGroup}`;
    let id = setIds.get(key);
    if (id === undefined) {
      id = sets.length;
      setIds.set(key, id);
      sets.push([]);
    }
    sets[id].push(zone);
    setOf.set(zone, id);
  }
  const counters = new Array<number>(sets.length).fill(0);
  const last = new Array<number>(sets.length).fill(-1);
  const random = createRandom(seed);
  const voices: Voice[] = [];
  for (const note of notes) {
    const chosen = new Set<number>();
    for (const zone of zones) {
      if (note.pitch < zone.keyLow || note.pitch > zone.keyHigh || note.velocity < zone.velocityLow || note.velocity > zone.velocityHigh) continue;
      const set = setOf.get(zone);
      if (set === undefined) {
        voices.push({ note, zone, cutAt: Infinity });
        continue;
      }
      if (chosen.has(set)) continue;
      chosen.add(set);
      const members = sets[set];
      let index: number;
      if (mode === 'cycle') index = counters[set]++ % members.length;
      else if (members.length === 1 || last[set] < 0) index = Math.floor(random() * members.length);
      else {
        // Any member but the one just played: a repeat is what round robin is meant to avoid.
        const pick = Math.floor(random() * (members.length - 1));
        index = pick >= last[set] ? pick + 1 : pick;
      }
      last[set] = index;
      voices.push({ note, zone: members[index], cutAt: Infinity });
    }
  }
  return voices;
}

/** Each voice of an exclusive class is cut by the first trigger of its class that starts later. */
function assignCuts(voices: Voice[], external: readonly { readonly sample: number; readonly exclusiveClass: number }[]): void {
  const triggers = new Map<number, number[]>();
  const add = (exclusiveClass: number, sample: number) => {
    if (!(exclusiveClass > 0)) return;
    const list = triggers.get(exclusiveClass);
    if (list) list.push(sample);
    else triggers.set(exclusiveClass, [sample]);
  };
  for (const voice of voices) add(voice.zone.exclusiveClass, voice.note.startSample);
  for (const cut of external) add(cut.exclusiveClass, cut.sample);
  for (const list of triggers.values()) list.sort((a, b) => a - b);
  for (const voice of voices) {
    const list = triggers.get(voice.zone.exclusiveClass);
    if (!list || !(voice.zone.exclusiveClass > 0)) continue;
    // First trigger strictly after this voice's start (binary search).
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid] <= voice.note.startSample) low = mid + 1;
      else high = mid;
    }
    if (low < list.length) voice.cutAt = list[low];
  }
}

/** Constant-power pan of a mono source: −3 dB each side at centre, exact zeros at the hard sides. */
export function monoPanGains(pan: number): [number, number] {
  const clamped = pan < -1 ? -1 : pan > 1 ? 1 : pan;
  const angle = ((clamped + 1) * Math.PI) / 4;
  return [clamped >= 1 ? 0 : Math.cos(angle), clamped <= -1 ? 0 : Math.sin(angle)];
}

/** A voice's read position in its buffer, carried from block to block. */
interface ReadState {
  index: number;
  fraction: number;
  /** False once the voice has run off its sample's end. */
  playing: boolean;
}

function renderVoice(voice: Voice, buffer: VoiceBuffer, kernel: Kernel | null, rate: number, gain: number, output: readonly Float32Array[], sampleRate: number): void {
  const { note, zone } = voice;
  const length = output[0].length;
  const start = note.startSample;
  const envelope = new ZoneEnvelopeCurve(zone.envelope, sampleRate, note.lengthSamples);
  const fade = Math.max(1, Math.round(EXCLUSIVE_FADE * sampleRate));
  const cut = voice.cutAt - start;
  const cutEnd = cut + fade;
  const span = Math.min(length - start, envelope.totalSamples, cutEnd);
  const level = (n: number) => envelope.at(n) * gain * (n < cut ? 1 : Math.max(0, 1 - (n - cut) / fade));
  const stereoSource = buffer.channels.length > 1;
  let gainLeft: number;
  let gainRight: number;
  if (output.length === 1) gainLeft = gainRight = stereoSource ? 0.5 : 1;
  else if (stereoSource) [gainLeft, gainRight] = balanceGains(zone.pan);
  else [gainLeft, gainRight] = monoPanGains(zone.pan);
  const left = output[0];
  const right = output.length > 1 ? output[1] : null;
  const state: ReadState = { index: buffer.first, fraction: 0, playing: true };
  const gate = note.lengthSamples;
  for (let offset = 0; offset < span && state.playing; ) {
    let blockEnd = Math.min(offset + BLOCK, span, envelope.nextBreak(offset));
    if (offset < cut && cut < blockEnd) blockEnd = cut;
    // A sustain loop stops wrapping at note-off: split there so each block has one rule.
    if (offset < gate && gate < blockEnd) blockEnd = gate;
    const wrapping = buffer.mode === 'forward' || (buffer.mode === 'sustain' && offset < gate);
    const from = level(offset);
    const to = level(blockEnd);
    const at = start + offset;
    const skip = at < 0 ? Math.min(blockEnd - offset, -at) : 0;
    if (skip > 0) advance(state, buffer, rate, skip, wrapping);
    const count = blockEnd - offset - skip;
    if (count > 0) {
      const step = (to - from) / (blockEnd - offset);
      const amp = from + step * skip;
      if (kernel === null) copyBlock(state, buffer, wrapping, left, right, at + skip, count, amp, step, gainLeft, gainRight);
      else if (kernel === CUBIC) cubicBlock(state, buffer, rate, wrapping, left, right, at + skip, count, amp, step, gainLeft, gainRight);
      else interpolateBlock(state, buffer, kernel, rate, wrapping, left, right, at + skip, count, amp, step, gainLeft, gainRight);
    }
    offset = blockEnd;
  }
}

/** Move the read position on without output (a voice starting before sample 0). */
function advance(state: ReadState, buffer: VoiceBuffer, rate: number, count: number, wrapping: boolean): void {
  for (let j = 0; j < count && state.playing; j++) {
    while (wrapping && state.index >= buffer.wrapAt) state.index -= buffer.wrapBy;
    if (!wrapping && state.index >= buffer.playOutFrom && state.index < buffer.playOutTo) {
      state.index += buffer.period * Math.ceil((buffer.playOutTo - state.index) / buffer.period);
    }
    if (state.index >= buffer.end) state.playing = false;
    state.fraction += rate;
    const whole = Math.floor(state.fraction);
    state.index += whole;
    state.fraction -= whole;
  }
}

/** Rate exactly 1: the voice is the sample, copied. */
function copyBlock(
  state: ReadState,
  buffer: VoiceBuffer,
  wrapping: boolean,
  left: Float32Array,
  right: Float32Array | null,
  at: number,
  count: number,
  amp: number,
  step: number,
  gainLeft: number,
  gainRight: number,
): void {
  const a = buffer.channels[0];
  const stereo = buffer.channels.length > 1;
  const b = stereo ? buffer.channels[1] : a;
  const wrapAt = wrapping ? buffer.wrapAt : Infinity;
  const wrapBy = buffer.wrapBy;
  const playOutFrom = wrapping ? Infinity : buffer.playOutFrom;
  const playOutTo = buffer.playOutTo;
  const period = buffer.period;
  const end = buffer.end;
  let index = state.index;
  let level = amp;
  for (let j = 0; j < count; j++) {
    if (index >= wrapAt) index -= wrapBy;
    if (index >= playOutFrom && index < playOutTo) index += period * Math.ceil((playOutTo - index) / period);
    if (index >= end) {
      state.playing = false;
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
  state.index = index;
}

/** Marks cubic reads in place of a sinc kernel. */
const CUBIC: Kernel = { half: 2, taps: 4, table: new Float64Array(0) };

/** The 4-point, 3rd-order Hermite value at `t` between x1 and x2 (small enough for V8 to inline). */
function hermite(x0: number, x1: number, x2: number, x3: number, t: number): number {
  return x1 + 0.5 * t * (x2 - x0 + t * (2 * x0 - 5 * x1 + 4 * x2 - x3 + t * (3 * (x1 - x2) + x3 - x0)));
}

/** 4-point, 3rd-order Hermite reads (x[i−1] … x[i+2]): fluidsynth's default quality. */
function cubicBlock(
  state: ReadState,
  buffer: VoiceBuffer,
  rate: number,
  wrapping: boolean,
  left: Float32Array,
  right: Float32Array | null,
  at: number,
  count: number,
  amp: number,
  step: number,
  gainLeft: number,
  gainRight: number,
): void {
  const a = buffer.channels[0];
  const stereo = buffer.channels.length > 1;
  const b = stereo ? buffer.channels[1] : a;
  const wrapAt = wrapping ? buffer.wrapAt : Infinity;
  const wrapBy = buffer.wrapBy;
  const playOutFrom = wrapping ? Infinity : buffer.playOutFrom;
  const playOutTo = buffer.playOutTo;
  const period = buffer.period;
  const end = buffer.end;
  let index = state.index;
  let fraction = state.fraction;
  let level = amp;
  for (let j = 0; j < count; ) {
    while (index >= wrapAt) index -= wrapBy;
    if (index >= playOutFrom && index < playOutTo) index += period * Math.ceil((playOutTo - index) / period);
    if (index >= end) {
      state.playing = false;
      break;
    }
    // Until the read position can reach the next wrap, play-out or end, none of the checks
    // above can fire: run that many samples without them, in a loop made for this channel
    // layout. (Each step moves at most rate + 1 frames; the margin of 3 covers the fraction
    // and the rounding of its running sum.) The sums are the checked loop's, in its order.
    const boundary = Math.min(wrapAt, end, index < playOutFrom ? playOutFrom : Infinity);
    const safe = Math.floor((boundary - index - 3) / rate);
    const stop = j + Math.min(count - j, safe > 1 ? safe : 1);
    if (stereo) {
      for (; j < stop; j++) {
        const sumA = hermite(a[index - 1], a[index], a[index + 1], a[index + 2], fraction);
        const sumB = hermite(b[index - 1], b[index], b[index + 1], b[index + 2], fraction);
        if (right === null) left[at + j] += (sumA + sumB) * gainLeft * level;
        else {
          left[at + j] += sumA * gainLeft * level;
          right[at + j] += sumB * gainRight * level;
        }
        fraction += rate;
        const whole = Math.floor(fraction);
        index += whole;
        fraction -= whole;
        level += step;
      }
    } else {
      for (; j < stop; j++) {
        const sumA = hermite(a[index - 1], a[index], a[index + 1], a[index + 2], fraction);
        left[at + j] += sumA * gainLeft * level;
        if (right !== null) right[at + j] += sumA * gainRight * level;
        fraction += rate;
        const whole = Math.floor(fraction);
        index += whole;
        fraction -= whole;
        level += step;
      }
    }
  }
  state.index = index;
  state.fraction = fraction;
}

/** Any other rate: windowed-sinc interpolation from the polyphase table. */
function interpolateBlock(
  state: ReadState,
  buffer: VoiceBuffer,
  kernel: Kernel,
  rate: number,
  wrapping: boolean,
  left: Float32Array,
  right: Float32Array | null,
  at: number,
  count: number,
  amp: number,
  step: number,
  gainLeft: number,
  gainRight: number,
): void {
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
  let index = state.index;
  let fraction = state.fraction;
  let level = amp;
  for (let j = 0; j < count; j++) {
    while (index >= wrapAt) index -= wrapBy;
    if (index >= playOutFrom && index < playOutTo) index += period * Math.ceil((playOutTo - index) / period);
    if (index >= end) {
      state.playing = false;
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
  state.index = index;
  state.fraction = fraction;
}
