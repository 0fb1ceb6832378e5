/**
 * The listening room's analysis of a master: min/max peaks per bucket, momentary and
 * short-term loudness every 100 ms, true-peak overs of the ceiling and (when the song names no
 * reference) the octave balance. `MasterAnalyser` is fed the master block by block as it is
 * written (the master task measures the exact samples of master.wav as a by-product);
 * `analyseMaster` measures a whole decoded file (a master from a cache older than that) — the
 * same numbers either way.
 */
import { computePeaks, PeaksMeter, round4, type Peaks } from '../dsp/peaks.ts';
import { LoudnessMeter } from './loudness.ts';
import { OctaveBalanceMeter } from './reference.ts';
import { truePeakEnvelope, TruePeakEnvelopeStream } from './true-peak.ts';
import type { CacheStore } from '../cache/store.ts';

/** Loudness curves and overs are drawn every 100 ms: the loudness meter's block step. */
export const LOUDNESS_STEP = 0.1;

/** The cached measurement's kind (its inputs: MasterAnalysisKey). */
export const MASTER_ANALYSIS_KIND = 'room-master';

/** What the room's master measurement is keyed by, beside its kind. */
export interface MasterAnalysisKey {
  /** master.wav's digest. */
  readonly digest: string;
  readonly buckets: number;
  /** The loudness target's ceiling (0 without a target), dBTP. */
  readonly ceilingDb: number;
  /** Whether the octave balance is measured (report.json has it when the song names a reference). */
  readonly bands: boolean;
}

/** The master's loudness over time, overs and octave balance, as the page draws them. */
export interface MasterAnalysis {
  readonly peaks: Peaks;
  readonly momentary: (number | null)[];
  readonly shortTerm: (number | null)[];
  readonly overs: Over[];
  /** Empty when not asked for. */
  readonly bands: (number | null)[];
}

export interface MasterAnalysisOptions {
  readonly buckets: number;
  readonly ceilingDb: number;
  readonly bands: boolean;
  /**
   * The master's measured true peak is known to be under the ceiling (underCeiling), so no
   * stretch can pass it and the oversampled envelope need not be computed (the overs are none).
   */
  readonly underCeiling: boolean;
}

const round2 = (value: number) => (Number.isFinite(value) ? Math.round(value * 100) / 100 : null);

/**
 * The report's true peak (the float master's, rounded to 0.01 dB; the 24-bit file differs from
 * it by < 1e-5 dB) 0.02 dB under the ceiling: no 100 ms stretch of master.wav can pass it.
 */
export function underCeiling(truePeakDb: number | null, ceilingDb: number): boolean {
  return truePeakDb !== null && truePeakDb <= ceilingDb - 0.02;
}

/**
 * The room's analysis of a master fed in order, a block at a time (`add`). Blocks start on
 * the loudness meter's 10 ms steps (any length; the last may end anywhere). The overs need the
 * oversampled envelope of the whole master: only when the true peak is not known to be under
 * the ceiling are the samples kept for it (a master without a limiter that peaks near it).
 */
export class MasterAnalyser {
  private readonly meter: LoudnessMeter;
  private readonly peaks: PeaksMeter;
  private readonly balance?: OctaveBalanceMeter;
  /** The whole master, for the overs (only when they can exist). */
  private readonly kept?: Float32Array[];
  private interleaved: Float32Array;
  private position = 0;
  /** The loudness meter's next 10 ms step. */
  private nextStep = 0;

  constructor(
    private readonly channelCount: number,
    private readonly sampleRate: number,
    private readonly length: number,
    private readonly options: MasterAnalysisOptions,
  ) {
    this.meter = new LoudnessMeter(channelCount, sampleRate, length);
    this.peaks = new PeaksMeter(length, options.buckets, channelCount);
    if (options.bands) this.balance = new OctaveBalanceMeter(channelCount, sampleRate, length);
    if (!options.underCeiling) this.kept = Array.from({ length: channelCount }, () => new Float32Array(length));
    this.interleaved = new Float32Array(0);
  }

  /** The next `count` samples of each channel (channels[c][i] is sample position + i). */
  add(channels: readonly Float32Array[], count: number): void {
    const start = this.position;
    const end = start + count;
    const { meter, channelCount } = this;
    if (this.nextStep * meter.hop !== start && count > 0) throw new RangeError(`master analysis block at ${start}, not on a ${meter.hop}-sample step`);
    // Every step that ends in this block (the partial tail, peak only, with the last block).
    for (; this.nextStep <= meter.hops && (this.nextStep < meter.hops ? (this.nextStep + 1) * meter.hop <= end : end === this.length); this.nextStep++) {
      meter.step(channels, this.nextStep, undefined, start);
    }
    let interleaved = this.interleaved;
    if (interleaved.length < count * channelCount) interleaved = this.interleaved = new Float32Array(count * channelCount);
    for (let c = 0; c < channelCount; c++) {
      const x = channels[c];
      for (let i = 0, j = c; i < count; i++, j += channelCount) interleaved[j] = x[i];
      this.kept?.[c].set(x.subarray(0, count), start);
    }
    this.peaks.add(interleaved, start, count);
    this.balance?.add(channels, count);
    this.position = end;
  }

  /**
   * Add the next `count` frames of a float master as master.wav stores them: each sample × 2²³
   * clamped to the 24-bit range and rounded (halves up), as encodeWavPcm writes it,
   * then divided by 2²³ as decodeWav reads it back (exact in float32).
   */
  addQuantised(channels: readonly Float32Array[], count: number, scratch: QuantiseScratch): void {
    const floats = scratch.reserve(channels.length, count);
    const max = 8388607;
    const min = -8388608;
    for (let c = 0; c < channels.length; c++) {
      const x = channels[c];
      const out = floats[c];
      for (let i = 0; i < count; i++) {
        const scaled = x[i] * 8388608;
        // Math.round, for a float32 × 2²³ (24 significant bits: + 0.5 is exact), at half its
        // cost: the analysis worker's costliest line.
        const value = scaled >= max ? max : scaled <= min ? min : Math.floor(scaled + 0.5);
        // NaN (stored as 0) and −0 (a tiny negative sample reads back as 0) become 0.
        out[i] = value / 8388608 || 0;
      }
    }
    this.add(floats, count);
  }

  result(): MasterAnalysis {
    if (this.position !== this.length) throw new RangeError(`master analysis fed ${this.position} of ${this.length} samples`);
    const loudness = this.meter.report([], { truePeak: false });
    const curve = (values: Float32Array) => Array.from(values, (value) => (value > -70 ? round2(value) : null));
    return {
      peaks: this.peaks.result(),
      momentary: curve(loudness.momentary),
      shortTerm: curve(loudness.shortTerm),
      overs: this.kept ? overs(this.kept, this.sampleRate, this.options.ceilingDb) : [],
      bands: this.balance ? this.balance.result().map(round2) : [],
    };
  }
}

/** Reused arrays for MasterAnalyser.addQuantised. */
export class QuantiseScratch {
  private floats: Float32Array[] = [];

  reserve(channelCount: number, count: number): Float32Array[] {
    if (this.floats.length !== channelCount || (this.floats[0]?.length ?? 0) < count) this.floats = Array.from({ length: channelCount }, () => new Float32Array(count));
    return this.floats;
  }
}

type Over = { seconds: number; dbtp: number };

/** The 100 ms stretches whose oversampled peak passes the ceiling, from envelope values fed in order. */
class OversMeter {
  private readonly ceiling: number;
  private readonly hop: number;
  readonly found: Over[] = [];
  /** The stretch being folded and its peak so far. */
  private stretch = 0;
  private peak = 0;

  constructor(
    private readonly sampleRate: number,
    ceilingDb: number,
    private readonly length: number,
  ) {
    this.ceiling = Math.pow(10, ceilingDb / 20);
    this.hop = Math.round(sampleRate * LOUDNESS_STEP);
  }

  /** Envelope values of positions [from, to): values[p − base]. */
  add(values: Float64Array, base: number, from: number, to: number): void {
    for (let p = from; p < to; p++) {
      if (values[p - base] > this.peak) this.peak = values[p - base];
      if (p + 1 === Math.min(this.length, (this.stretch + 1) * this.hop)) this.close();
    }
  }

  private close(): void {
    const start = this.stretch * this.hop;
    if (this.peak > this.ceiling) this.found.push({ seconds: round4(start / this.sampleRate), dbtp: round2(20 * Math.log10(this.peak))! });
    this.stretch++;
    this.peak = 0;
  }
}

/** Each 100 ms stretch whose oversampled peak passes the ceiling. */
function overs(channels: readonly Float32Array[], sampleRate: number, ceilingDb: number): Over[] {
  const length = channels[0]?.length ?? 0;
  const meter = new OversMeter(sampleRate, ceilingDb, length);
  meter.add(truePeakEnvelope(channels, sampleRate, Math.pow(10, ceilingDb / 20)), 0, 0, length);
  return meter.found;
}

/**
 * The overs of a master.wav in the store (24-bit PCM as the master task writes it), read in
 * pieces: the oversampled envelope computed as they come, never the whole file in memory.
 */
export function masterOvers(cache: CacheStore, digest: string, ceilingDb: number): Over[] {
  let meter: OversMeter | undefined;
  let envelope: TruePeakEnvelopeStream | undefined;
  let channelCount = 0;
  let left = 0;
  let carry = new Uint8Array(0);
  let done = 0;
  const read = cache.readObjectInPieces(digest, 44, (piece) => {
    if (!meter) {
      const view = new DataView(piece.buffer, piece.byteOffset, piece.byteLength);
      channelCount = view.getUint16(22, true);
      const sampleRate = view.getUint32(24, true);
      if (view.getUint16(34, true) !== 24 || view.getUint16(20, true) !== 1) throw new Error(`room: master ${digest} is not 24-bit PCM`);
      left = view.getUint32(40, true);
      const frames = left / (3 * channelCount);
      meter = new OversMeter(sampleRate, ceilingDb, frames);
      envelope = new TruePeakEnvelopeStream(channelCount, sampleRate, frames, Math.pow(10, ceilingDb / 20));
      return;
    }
    const data = concat(carry, piece.subarray(0, Math.min(piece.byteLength, left)));
    left -= Math.min(piece.byteLength, left);
    const frameBytes = 3 * channelCount;
    const count = Math.floor(data.byteLength / frameBytes);
    carry = data.slice(count * frameBytes);
    const channels = Array.from({ length: channelCount }, () => new Float32Array(count));
    for (let i = 0, at = 0; i < count; i++) {
      for (let c = 0; c < channelCount; c++, at += 3) channels[c][i] = (((data[at] | (data[at + 1] << 8) | (data[at + 2] << 16)) << 8) >> 8) / 8388608;
    }
    envelope!.push(channels, count, done);
    meter.add(envelope!.from(done), done, done, envelope!.ready);
    done = envelope!.ready;
  });
  if (!read || !meter) throw new Error(`room: cache object ${digest} is missing`);
  return meter.found;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** The analysis of a whole decoded master (see MasterAnalysisOptions). */
export function analyseMaster(channels: readonly Float32Array[], sampleRate: number, buckets: number, ceilingDb: number, bands: boolean, underCeilingKnown = false): MasterAnalysis {
  const length = channels[0]?.length ?? 0;
  // The overs straight from the given channels (the analyser would keep a copy for them).
  const analyser = new MasterAnalyser(channels.length, sampleRate, length, { buckets, ceilingDb, bands, underCeiling: true });
  analyser.add(channels, length);
  const result = analyser.result();
  return underCeilingKnown ? result : { ...result, overs: overs(channels, sampleRate, ceilingDb) };
}

export { computePeaks };
