/**
 * Shared pieces of the time-based effects (delay, reverb, chorus, flanger, phaser): LFO
 * rates that may be tempo-synced, a block-interpolated sine LFO, a power-of-two ring
 * buffer with cubic Hermite reads, and small checks for validate().
 */
import type { Hertz, NoteValue } from '../theory/units.ts';
import { isSyncedTime, syncedSeconds } from '../theory/sync.ts';

/** An LFO rate: a number is Hz; a note value (`'1m'`, `'4n'`) is the length of one cycle. */
export type LfoRate = Hertz | NoteValue;

/**
 * Samples per control block. LFO values and filter coefficients are computed at block
 * edges and interpolated linearly inside: a 10 Hz sine sampled every 32 samples at 44.1 kHz
 * deviates from its chord by under 1e-4 of its depth, far below audibility, and it spares
 * a Math.sin per sample per voice.
 */
export const CONTROL_BLOCK = 32;

/** Hz of an LFO rate at the song's tempo. */
export function lfoHz(rate: LfoRate, beatSeconds: number): number {
  if (typeof rate === 'number') return rate;
  return 1 / syncedSeconds(rate, beatSeconds);
}

/** A validate() message for an LFO rate option, or none. */
export function checkLfoRate(name: string, rate: unknown, maxHz = 20): string[] {
  if (typeof rate === 'number') {
    return Number.isFinite(rate) && rate >= 0 && rate <= maxHz ? [] : [`${name}: ${rate} Hz is out of range; use 0–${maxHz} Hz or a note value like '1m'`];
  }
  return isSyncedTime(rate) ? [] : [`${name}: '${String(rate)}' is neither Hz nor a note value; use e.g. 0.5 or '1m'`];
}

/** A validate() message when `value` is not a finite number in [min, max]. */
export function checkRange(name: string, value: unknown, min: number, max: number, unit = ''): string[] {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return [];
  return [`${name}: ${String(value)}${unit} is out of range; use ${min}–${max}${unit}`];
}

/** The smallest power of two ≥ n (at least 2). */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size <<= 1;
  return size;
}

/**
 * Read a ring buffer `delay` samples (fractional, ≥ 3) before sample index `write` by
 * 4-point cubic Hermite (Catmull-Rom) interpolation: smooth enough that a swept delay gives
 * no zipper noise, cheap enough to run for every voice. Callers read before they write
 * `write`, so a delay d gives y[n] = x[n − d] and the newest tap used is x[n − 1].
 * `mask` is the buffer length − 1 (the length is a power of two).
 */
export function readHermite(buffer: Float64Array, mask: number, write: number, delay: number): number {
  return readHermiteAt(buffer, 0, mask, write, delay);
}

/** readHermite on the ring that starts at `base` inside a larger buffer (several lines in one array). */
export function readHermiteAt(buffer: Float64Array, base: number, mask: number, write: number, delay: number): number {
  const position = write - delay;
  const floor = Math.floor(position);
  const f = position - floor;
  const xm1 = buffer[base + ((floor - 1) & mask)];
  const x0 = buffer[base + (floor & mask)];
  const x1 = buffer[base + ((floor + 1) & mask)];
  const x2 = buffer[base + ((floor + 2) & mask)];
  const c1 = 0.5 * (x1 - xm1);
  const c2 = xm1 - 2.5 * x0 + 2 * x1 - 0.5 * x2;
  const c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
  return ((c3 * f + c2) * f + c1) * f + x0;
}

/** A sine LFO's value at `sample`: sin(2π·(hz·t + phase)), phase in cycles. */
export function lfoAt(hz: number, phase: number, sample: number, sampleRate: number): number {
  // Wrap the cycle count before multiplying by 2π so long songs keep full precision.
  const cycles = ((hz * sample) / sampleRate + phase) % 1;
  return Math.sin(2 * Math.PI * cycles);
}

/** Settings of one channel of a modulated delay (chorus, flanger). */
export interface ModulatedDelaySettings {
  /** Centre delay of each voice, samples (≥ 3 + amplitude). */
  readonly centres: readonly number[];
  /** Peak deviation of the delay from the centre, samples. */
  readonly amplitude: number;
  /** LFO rate, Hz. */
  readonly hz: number;
  /** LFO phase of each voice, cycles. */
  readonly phases: readonly number[];
  /** Part of the voices' average fed back into the line. */
  readonly feedback: number;
  /** Gains of the dry input and of the voices' average in the output. */
  readonly dryGain: number;
  readonly wetGain: number;
  readonly sampleRate: number;
}

/**
 * One channel through a delay line read by several LFO-swept voices, block by block. The
 * line is read before it is written, so the feedback loop is exactly the voice delay long (a
 * flanger's comb teeth sit where 1/delay predicts); reads need a delay ≥ 3 samples so the
 * Hermite kernel's newest tap is already written.
 *
 * Voice delays are computed at control-block edges (multiples of CONTROL_BLOCK from the
 * song's first sample) and ramp linearly inside; a block that starts inside a control block
 * continues the ramp kept from the block before, so any block sizes give the same samples.
 * State: the line (a power of two just above the longest delay) and each voice's ramp.
 */
export class ModulatedDelay {
  private readonly buffer: Float64Array;
  private readonly mask: number;
  private readonly centres: Float64Array;
  private readonly phases: Float64Array;
  /** Each voice's delay at the current control block's start, and its change per sample. */
  private readonly rampStart: Float64Array;
  private readonly rampStep: Float64Array;
  private readonly settings: ModulatedDelaySettings;
  /** Song frames processed so far: the next frame's index and the line's write position. */
  private position = 0;

  /** Begin at song frame `frame` instead of 0, before any processing (a stream started mid-song, as watch's preview starts one): the LFO is then where the song's own is. */
  startAt(frame: number): void {
    // Called with every block's start: only a fresh stream's first call sets its clock; one that
    // has run (or was restored from a checkpoint) keeps its own.
    if (this.position !== 0) return;
    this.position = frame;
  }

  constructor(settings: ModulatedDelaySettings) {
    this.settings = settings;
    const maxDelay = Math.max(...settings.centres) + settings.amplitude + 4;
    this.buffer = new Float64Array(nextPowerOfTwo(maxDelay + 4));
    this.mask = this.buffer.length - 1;
    this.centres = Float64Array.from(settings.centres);
    this.phases = Float64Array.from(settings.phases);
    this.rampStart = new Float64Array(settings.phases.length);
    this.rampStep = new Float64Array(settings.phases.length);
  }

  /** Process the next `signal.length` frames of the channel in place. */
  process(signal: Float32Array): void {
    const { buffer, mask, centres, phases, rampStart, rampStep } = this;
    const { amplitude, hz, feedback, dryGain, wetGain, sampleRate } = this.settings;
    const voices = phases.length;
    const voiceScale = 1 / voices;
    const length = signal.length;
    let write = this.position;
    for (let i = 0; i < length; ) {
      const offset = write % CONTROL_BLOCK;
      if (offset === 0 || i === 0) {
        const from = write - offset;
        for (let v = 0; v < voices; v++) {
          const a = centres[v] + amplitude * lfoAt(hz, phases[v], from, sampleRate);
          const b = centres[v] + amplitude * lfoAt(hz, phases[v], from + CONTROL_BLOCK, sampleRate);
          rampStart[v] = a;
          rampStep[v] = (b - a) / CONTROL_BLOCK;
        }
      }
      const to = Math.min(length, i + CONTROL_BLOCK - offset);
      for (let k = offset; i < to; i++, k++) {
        const x = signal[i];
        let wet = 0;
        for (let v = 0; v < voices; v++) wet += readHermite(buffer, mask, write, rampStart[v] + rampStep[v] * k);
        wet *= voiceScale;
        buffer[write & mask] = x + feedback * wet;
        write++;
        signal[i] = dryGain * x + wetGain * wet;
      }
    }
    this.position = write;
  }
}
