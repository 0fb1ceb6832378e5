/**
 * The mastering chain: EQ → glue compressor → multiband → stereo width → loudness normalisation into
 * a true-peak limiter. None of the stages before the gain depends on it, so normalisation
 * measures their output once (K-weighted energy per 1 ms), forecasts from it and the true-peak
 * envelope how much loudness the limiter will take at each gain (LimiterForecast), sets the
 * gain, and limits once, metering the output as it is written. Only when that master is more
 * than 0.05 LU off its target does a second pass correct the gain, by the forecast's curve
 * moved to the first pass's measured loudness — never a third: the master is limited at most
 * twice (`passes`).
 *
 * It runs a block at a time (`masterStream`): the stages before the gain stream the mix into a
 * spool (the render task's is a temp file) while it is metered; the envelope pass reads the
 * spool back, finds the envelope as it goes (TruePeakEnvelopeStream) and spools it too; the
 * limiting pass reads signal and envelope (or finds the envelope again as it goes, when a gain
 * past its exact range needs another), and the limited blocks go to a sink (the output files). Memory: a few blocks, the meters'
 * 10 ms and 1 ms figures — not the song. `master` is the same chain over arrays in memory.
 */
import type { MasterIR } from '../ir/types.ts';
import { CompressorStream } from './compressor.ts';
import { EqStream } from './eq.ts';
import { LimiterForecast, meterSubStepsOf, SubStepMaxima, subStepPeaks } from './forecast.ts';
import { limiterCeiling, LimiterStream } from './limiter.ts';
import { MultibandStream } from './multiband.ts';
import { integratedOfSteps, LoudnessMeter, type LoudnessReport } from './loudness.ts';
import { peakSafeGainOf } from './peak-safe.ts';
import { TruePeakEnvelopeStream, TruePeakStream } from './true-peak.ts';

export interface MasterFacts {
  readonly loudness: LoudnessReport;
  /** Gain applied before the limiter, dB. */
  readonly gainDb: number;
  /** Deepest limiter reduction, dB (0 without a limiter). */
  readonly limiterDb: number;
  /** Deepest glue-compressor reduction, dB. */
  readonly compressorDb: number;
  /** Limiter passes over the whole song: 1, or 2 when the first missed the loudness target by more than 0.05 LU (0 without a limiter). */
  readonly passes: number;
}

export interface MasterResult extends MasterFacts {
  readonly channels: Float32Array[];
}

/** A block of a signal: channels[c][i] (i < count) is frame start + i. */
export interface MasterBlock {
  readonly channels: readonly Float32Array[];
  readonly start: number;
  readonly count: number;
}

/** The mix the master reads, once, in order. */
export interface MasterSource {
  readonly channelCount: number;
  readonly length: number;
  /** Blocks of `block` frames (the last may be shorter), each valid until the next is asked for; the chain changes them. */
  blocks(block: number): Iterable<MasterBlock>;
}

/** Keeps the stages' output, and the limiter's envelope of it, between the passes over them. */
export interface MasterSpool {
  /** Append the next block. */
  write(channels: readonly Float32Array[], count: number): void;
  /** Everything written, from the start, as MasterSource.blocks (the chain may change them). */
  read(block: number): Iterable<MasterBlock>;
  /** Store envelope values from position `start` (written in order from 0; a new envelope starts again at 0). */
  writeEnvelope(values: Float64Array, start: number, count: number): void;
  /** Envelope values of positions [start, start + count) into `into`. */
  readEnvelope(start: number, count: number, into: Float64Array): void;
}

/** Where the master goes, in order, a block at a time. */
export interface MasterSink {
  write(block: MasterBlock): Promise<void> | void;
  /** Forget what was written: a second limiting pass writes the master again. */
  restart(): Promise<void> | void;
  /**
   * What this pass wrote, measured (an OutputMeter run on every block the sink got since the
   * start or the last restart): the sink meters the master — in another thread when its files
   * are written there — so the chain's thread only limits.
   */
  measure(): Promise<OutputMeasure> | OutputMeasure;
}

/** A pass's output, measured: its integrated loudness and the full report with its true peak. */
export interface OutputMeasure {
  readonly integrated: number;
  readonly report: LoudnessReport;
}

/** Meters a pass's output block by block in order: BS.1770 steps and the true peak. */
export class OutputMeter {
  private readonly meter: LoudnessMeter;
  private readonly truePeak: TruePeakStream;

  constructor(
    channelCount: number,
    sampleRate: number,
    private readonly length: number,
  ) {
    this.meter = new LoudnessMeter(channelCount, sampleRate, length);
    this.truePeak = new TruePeakStream(channelCount, sampleRate, length);
  }

  push(block: MasterBlock): void {
    const [from, to] = stepsOf(block, this.meter.hop, this.length);
    for (let h = from; h < to; h++) this.meter.step(block.channels, h, undefined, block.start);
    this.truePeak.push(block.channels, block.count);
  }

  result(): OutputMeasure {
    const { meter } = this;
    return { integrated: integratedOfSteps(meter.weighted, meter.hop), report: meter.reportWithTruePeak(this.truePeak.result(meter.samplePeak)) };
  }
}

/** How close to its target the first limited master must be to be kept, LU. */
const PRECISION_LU = 0.05;
/** The limiter envelope is exact up to this much more gain than the forecast first pass uses, dB. */
const ENVELOPE_HEADROOM_DB = 1;
/** The most gain the limiter is given above what the unlimited signal needs, dB (a target out of reach under the ceiling stops here). */
const MAX_LIMITING_DB = 24;
/** Loudness steps (10 ms) per block. */
const STEPS_PER_BLOCK = 128;

/** Mid/side width: 0 mono, 1 unchanged, 2 twice the side. */
function applyWidth(channels: readonly Float32Array[], count: number, width: number): void {
  if (channels.length !== 2 || width === 1) return;
  const [left, right] = channels;
  for (let i = 0; i < count; i++) {
    const mid = (left[i] + right[i]) / 2;
    const side = ((left[i] - right[i]) / 2) * width;
    left[i] = mid + side;
    right[i] = mid - side;
  }
}

/** The stages before the gain, a block at a time, in place. */
class PreGain {
  private readonly eq: EqStream;
  private readonly compressor?: CompressorStream;
  private readonly multiband?: MultibandStream;

  constructor(
    channelCount: number,
    sampleRate: number,
    private readonly settings: MasterIR,
  ) {
    this.eq = new EqStream(channelCount, sampleRate, settings.eq);
    if (settings.compressor) this.compressor = new CompressorStream(channelCount, sampleRate, settings.compressor);
    if (settings.multiband) this.multiband = new MultibandStream(channelCount, sampleRate, settings.multiband);
  }

  /** The glue compressor's deepest reduction, dB. */
  get compressorDb(): number {
    return this.compressor?.deepest ?? 0;
  }

  process(channels: readonly Float32Array[], count: number): void {
    this.eq.process(channels, count);
    this.compressor?.process(channels, count);
    this.multiband?.process(channels, count);
    applyWidth(channels, count, this.settings.width);
  }
}

/** The loudness steps that end in a block (the partial tail with the last). */
function stepsOf(block: MasterBlock, hop: number, length: number): [number, number] {
  const end = block.start + block.count;
  return [block.start / hop, end === length ? Math.floor(length / hop) + 1 : end / hop];
}

/** Master a mix a block at a time: the spool keeps the stages' output between passes, the sink gets the master. */
export async function masterStream(source: MasterSource, spool: MasterSpool, sink: MasterSink, sampleRate: number, settings: MasterIR): Promise<MasterFacts> {
  const { channelCount, length } = source;
  const hop = Math.round(sampleRate / 100);
  const limiter = settings.limiter ?? (settings.loudness ? { ceilingDb: settings.loudness.ceilingDb, release: 0.05, lookahead: 0.0015 } : undefined);
  const lookahead = limiter ? Math.max(1, Math.round(limiter.lookahead * sampleRate)) : 0;
  // A block reaches past the envelope's latency and the lookahead, so one block behind the reader is always ready to limit.
  const block = hop * Math.max(STEPS_PER_BLOCK, Math.ceil((lookahead + 1024) / hop));

  // The stages before the gain, into the spool; metered when the gain depends on the loudness.
  const stages = new PreGain(channelCount, sampleRate, settings);
  const before = settings.loudness ? new LoudnessMeter(channelCount, sampleRate, length) : undefined;
  const subEnergies = new Float64Array(before ? before.hops * 10 : 0);
  const perSample = new Float64Array(hop);
  let peak = 0;
  for (const piece of source.blocks(block)) {
    stages.process(piece.channels, piece.count);
    spool.write(piece.channels, piece.count);
    if (before) meterSubStepsOf(before, piece.channels, piece.start, ...stepsOf(piece, hop, length), subEnergies, perSample);
    else for (const x of piece.channels) for (let i = 0; i < piece.count; i++) if (Math.abs(x[i]) > peak) peak = Math.abs(x[i]);
  }
  const compressorDb = stages.compressorDb;

  /**
   * A pass over the spool scaling by `gain` into the sink, metered (by the sink when it can):
   * the report. `metered`: the loudness of this output is already known (the unlimited pass's
   * meter, at gain 1), only its true peak is measured.
   */
  const scaledPass = async (gain: number, metered?: LoudnessMeter): Promise<LoudnessReport> => {
    const truePeak = metered ? new TruePeakStream(channelCount, sampleRate, length) : undefined;
    for (const piece of spool.read(block)) {
      if (gain !== 1) for (const x of piece.channels) for (let i = 0; i < piece.count; i++) x[i] = x[i] * gain;
      truePeak?.push(piece.channels, piece.count);
      await sink.write(piece);
    }
    if (metered) return metered.reportWithTruePeak(truePeak!.result(metered.samplePeak));
    return (await sink.measure()).report;
  };

  if (!settings.loudness && !limiter) {
    // No loudness target and no limiter: only keep the sample peak under the ceiling.
    const { gain } = peakSafeGainOf(peak, settings.ceilingDb);
    return { loudness: await scaledPass(gain), gainDb: 20 * Math.log10(gain), limiterDb: 0, compressorDb, passes: 0 };
  }
  const limiterOptions = limiter!;

  /** The envelope the spool holds: exact up to this gain (none yet). */
  let spooledMaxGain: number | undefined;
  /** Per sub-step envelope and sample maxima of the spool, the envelope exact up to `maxGain` (and spooled for the limiting pass). */
  const envelopeOf = (maxGain: number): SubStepMaxima => {
    const maxima = new SubStepMaxima(hop, Math.floor(length / hop));
    const envelope = new TruePeakEnvelopeStream(channelCount, sampleRate, length, limiterCeiling(limiterOptions.ceilingDb) / maxGain);
    let done = 0;
    for (const piece of spool.read(block)) {
      envelope.push(piece.channels, piece.count, done);
      maxima.addSamples(piece.channels, piece.start, piece.start, piece.start + piece.count);
      maxima.addEnvelope(envelope.from(done), done, done, envelope.ready);
      spool.writeEnvelope(envelope.from(done), done, envelope.ready - done);
      done = envelope.ready;
    }
    spooledMaxGain = maxGain;
    return maxima;
  };

  /**
   * Limit the spool × `gain` into the sink, the envelope exact up to `maxGain` computed as it
   * goes (and its sub-step maxima collected when `collect`), metering the output.
   */
  const limitPass = async (gain: number, maxGain: number, collect: boolean) => {
    // The spooled envelope when it is the one wanted, else found as the pass goes.
    const spooled = maxGain === spooledMaxGain ? new Float64Array(block + lookahead) : undefined;
    const envelope = new TruePeakEnvelopeStream(channelCount, sampleRate, length, limiterCeiling(limiterOptions.ceilingDb) / maxGain);
    const maxima = collect ? new SubStepMaxima(hop, Math.floor(length / hop)) : undefined;
    const limit = new LimiterStream(channelCount, length, sampleRate, limiterOptions, gain);
    // The block read last waits for the next one: the envelope then reaches past its lookahead.
    const buffers = [0, 1].map(() => Array.from({ length: channelCount }, () => new Float32Array(block)));
    let pending: MasterBlock | undefined;
    const flush = async (waiting: MasterBlock) => {
      const end = waiting.start + waiting.count;
      let values: Float64Array;
      if (spooled) {
        spool.readEnvelope(waiting.start, Math.min(length, end + limit.lookahead) - waiting.start, spooled);
        values = spooled;
      } else {
        if (envelope.ready < Math.min(length, end + limit.lookahead)) throw new Error('master: the limiter envelope is not ready');
        values = envelope.from(waiting.start);
      }
      maxima?.addEnvelope(values, waiting.start, waiting.start, end);
      maxima?.addSamples(waiting.channels, waiting.start, waiting.start, end);
      limit.process(waiting.channels, waiting.channels, waiting.start, waiting.start, end, values, waiting.start);
      await sink.write(waiting);
    };
    let turn = 0;
    for (const piece of spool.read(block)) {
      if (!spooled) envelope.push(piece.channels, piece.count, pending?.start ?? 0);
      const channels = buffers[turn].map((buffer, c) => {
        const copy = buffer.subarray(0, piece.count);
        copy.set(piece.channels[c].subarray(0, piece.count));
        return copy;
      });
      turn = 1 - turn;
      if (pending) await flush(pending);
      pending = { channels, start: piece.start, count: piece.count };
    }
    if (pending) await flush(pending);
    const measured = await sink.measure();
    return {
      integrated: measured.integrated,
      loudness: measured.report,
      maxReductionDb: limit.maxReductionDb,
      maxima,
    };
  };

  if (!settings.loudness) {
    const limited = await limitPass(1, 1, false);
    return { loudness: limited.loudness, gainDb: 0, limiterDb: limited.maxReductionDb, compressorDb, passes: 1 };
  }
  const meter = before!;
  const target = settings.loudness.target;
  const unlimited = integratedOfSteps(meter.weighted, meter.hop);
  if (!Number.isFinite(unlimited)) {
    return { loudness: await scaledPass(1, meter), gainDb: 0, limiterDb: 0, compressorDb, passes: 0 };
  }
  // The gain the target needs without the limiter, then with it: forecast from the envelope,
  // which is exact up to ENVELOPE_HEADROOM_DB more. A forecast that needs more gain than that
  // is estimated from the samples' own peaks, and the envelope found again (once) for it.
  const baseDb = target - unlimited;
  const highestDb = baseDb + MAX_LIMITING_DB;
  const ceiling = limiterCeiling(limiterOptions.ceilingDb);
  const recovery = Math.exp(-1 / Math.max(1, limiterOptions.release * sampleRate));
  const prepare = (maxGain: number) => ({ maxGain, maxima: envelopeOf(maxGain) });
  const forecastFor = (input: { maxima: SubStepMaxima }, exactAbove?: number) =>
    new LimiterForecast(subEnergies, subStepPeaks(input.maxima, meter.hop, lookahead, exactAbove), meter.hop, ceiling, recovery);
  let prepared = prepare(Math.pow(10, (baseDb + ENVELOPE_HEADROOM_DB) / 20));
  let forecast = forecastFor(prepared);
  let exactDb = 20 * Math.log10(prepared.maxGain);
  if (forecast.integratedAt(exactDb) < target && exactDb < highestDb) {
    const estimateDb = forecastFor(prepared, ceiling / prepared.maxGain).gainFor(target, exactDb, highestDb);
    prepared = prepare(Math.pow(10, (estimateDb + ENVELOPE_HEADROOM_DB) / 20));
    forecast = forecastFor(prepared);
    exactDb = 20 * Math.log10(prepared.maxGain);
  }
  let gainDb = forecast.gainFor(target, baseDb, Math.min(exactDb, highestDb));
  const pass = async () => {
    const gain = Math.pow(10, gainDb / 20);
    // A gain past the envelope's exact range: the envelope is found again for it as the pass goes.
    const again = gain > prepared.maxGain;
    const result = await limitPass(gain, again ? gain : prepared.maxGain, again);
    if (again) prepared = { maxGain: gain, maxima: result.maxima! };
    return result;
  };
  let result = await pass();
  let passes = 1;
  if (Math.abs(result.integrated - target) > PRECISION_LU) {
    await sink.restart();
    // The forecast's shape, valid beyond the envelope's exact range too (the samples' own peaks stand in there).
    const shape = forecastFor(prepared, ceiling / prepared.maxGain);
    gainDb = shape.correctedGain(gainDb, result.integrated, target, baseDb - MAX_LIMITING_DB, highestDb);
    result = await pass();
    passes = 2;
  }
  return { loudness: result.loudness, gainDb, limiterDb: result.maxReductionDb, compressorDb, passes };
}

/** A whole signal in memory as a MasterSource or a MasterSpool's content: blocks are copies (the chain changes them). */
function* copiedBlocks(channels: readonly Float32Array[], length: number, block: number): Iterable<MasterBlock> {
  const scratch = channels.map(() => new Float32Array(block));
  for (let start = 0; start < length; start += block) {
    const count = Math.min(block, length - start);
    yield { channels: scratch.map((buffer, c) => {
      const copy = buffer.subarray(0, count);
      copy.set(channels[c].subarray(start, start + count));
      return copy;
    }), start, count };
  }
}

/** Master a mix held in memory: the same chain, the master returned as arrays. */
export async function master(mix: readonly Float32Array[], sampleRate: number, settings: MasterIR): Promise<MasterResult> {
  const length = mix[0]?.length ?? 0;
  const kept = mix.map(() => new Float32Array(length));
  let written = 0;
  const out = mix.map(() => new Float32Array(length));
  let meter = new OutputMeter(mix.length, sampleRate, length);
  let envelope = new Float64Array(0);
  const facts = await masterStream(
    { channelCount: mix.length, length, blocks: (block) => copiedBlocks(mix, length, block) },
    {
      write(channels, count) {
        kept.forEach((channel, c) => channel.set(channels[c].subarray(0, count), written));
        written += count;
      },
      read: (block) => copiedBlocks(kept, length, block),
      writeEnvelope(values, start, count) {
        if (envelope.length !== length) envelope = new Float64Array(length);
        envelope.set(values.subarray(0, count), start);
      },
      readEnvelope: (start, count, into) => into.set(envelope.subarray(start, start + count)),
    },
    {
      write(block) {
        meter.push(block);
        out.forEach((channel, c) => channel.set(block.channels[c].subarray(0, block.count), block.start));
      },
      restart: () => {
        meter = new OutputMeter(mix.length, sampleRate, length);
      },
      measure: () => meter.result(),
    },
    sampleRate,
    settings,
  );
  return { ...facts, channels: out };
}
