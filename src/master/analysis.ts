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
import { truePeakEnvelope } from './true-peak.ts';

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
  readonly overs: { seconds: number; dbtp: number }[];
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
        const value = scaled >= max ? max : scaled <= min ? min : Math.round(scaled);
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

/** Each 100 ms stretch whose oversampled peak passes the ceiling. */
function overs(channels: readonly Float32Array[], sampleRate: number, ceilingDb: number): { seconds: number; dbtp: number }[] {
  const ceiling = Math.pow(10, ceilingDb / 20);
  const envelope = truePeakEnvelope(channels, sampleRate, ceiling);
  const hop = Math.round(sampleRate * LOUDNESS_STEP);
  const found: { seconds: number; dbtp: number }[] = [];
  for (let start = 0; start < envelope.length; start += hop) {
    let peak = 0;
    for (let i = start, end = Math.min(envelope.length, start + hop); i < end; i++) if (envelope[i] > peak) peak = envelope[i];
    if (peak > ceiling) found.push({ seconds: round4(start / sampleRate), dbtp: round2(20 * Math.log10(peak))! });
  }
  return found;
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
