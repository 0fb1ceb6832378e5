/**
 * The mastering chain: EQ → glue compressor → multiband → stereo width → loudness normalisation into
 * a true-peak limiter. None of the stages before the gain depends on it, so normalisation
 * measures their output once (K-weighted energy per 1 ms), forecasts from it and the true-peak
 * envelope how much loudness the limiter will take at each gain (LimiterForecast), sets the
 * gain, and limits once, metering the output as it is written. Only when that master is more
 * than 0.05 LU off its target does a second pass correct the gain, by the forecast's curve
 * moved to the first pass's measured loudness — never a third: the master is limited at most
 * twice (`passes`).
 */
import type { MasterIR } from '../ir/types.ts';
import { compress } from './compressor.ts';
import { applyEq } from './eq.ts';
import { LimiterForecast, meterSubSteps, subStepPeaks } from './forecast.ts';
import { limiterCeiling, limitPrepared, prepareLimiter, type LimiterInput } from './limiter.ts';
import { multibandCompress } from './multiband.ts';
import { integratedOfSteps, LoudnessMeter, measureLoudness, type LoudnessReport } from './loudness.ts';
import { peakSafeGain } from './peak-safe.ts';

export interface MasterResult {
  readonly channels: Float32Array[];
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

/** How close to its target the first limited master must be to be kept, LU. */
const PRECISION_LU = 0.05;
/** The limiter envelope is exact up to this much more gain than the forecast first pass uses, dB. */
const ENVELOPE_HEADROOM_DB = 1;
/** The most gain the limiter is given above what the unlimited signal needs, dB (a target out of reach under the ceiling stops here). */
const MAX_LIMITING_DB = 24;

/** Mid/side width: 0 mono, 1 unchanged, 2 twice the side. */
function applyWidth(channels: Float32Array[], width: number): void {
  if (channels.length !== 2 || width === 1) return;
  const [left, right] = channels;
  for (let i = 0; i < left.length; i++) {
    const mid = (left[i] + right[i]) / 2;
    const side = ((left[i] - right[i]) / 2) * width;
    left[i] = mid + side;
    right[i] = mid - side;
  }
}

function scale(channels: readonly Float32Array[], gain: number): void {
  for (const channel of channels) for (let i = 0; i < channel.length; i++) channel[i] = channel[i] * gain;
}

/** The stages before the gain, on a copy of the mix; returns the glue compressor's deepest reduction. */
function preGain(mix: readonly Float32Array[], into: Float32Array[], sampleRate: number, settings: MasterIR): number {
  mix.forEach((channel, c) => into[c].set(channel));
  applyEq(into, sampleRate, settings.eq);
  const compressorDb = settings.compressor ? compress(into, sampleRate, settings.compressor) : 0;
  if (settings.multiband) multibandCompress(into, sampleRate, settings.multiband);
  applyWidth(into, settings.width);
  return compressorDb;
}

export function master(mix: readonly Float32Array[], sampleRate: number, settings: MasterIR): MasterResult {
  const channels = mix.map((channel) => new Float32Array(channel.length));
  const compressorDb = preGain(mix, channels, sampleRate, settings);
  const length = channels[0]?.length ?? 0;

  if (!settings.loudness && !settings.limiter) {
    // No loudness target and no limiter: only keep the sample peak under the ceiling.
    const { gain } = peakSafeGain(channels, settings.ceilingDb);
    scale(channels, gain);
    return { channels, loudness: measureLoudness(channels, sampleRate), gainDb: 20 * Math.log10(gain), limiterDb: 0, compressorDb, passes: 0 };
  }
  const limiter = settings.limiter ?? { ceilingDb: settings.loudness!.ceilingDb, release: 0.05, lookahead: 0.0015 };
  if (!settings.loudness) {
    // The limiter reads each sample only where it writes it: it limits in place.
    const meter = new LoudnessMeter(channels.length, sampleRate, length);
    const limited = limitPrepared(prepareLimiter(channels, sampleRate, limiter.ceilingDb), 1, limiter, channels, meter);
    return { channels, loudness: meter.report(channels), gainDb: 0, limiterDb: limited.maxReductionDb, compressorDb, passes: 1 };
  }
  const target = settings.loudness.target;
  const before = new LoudnessMeter(channels.length, sampleRate, length);
  const subEnergies = meterSubSteps(before, channels);
  const unlimited = integratedOfSteps(before.weighted, before.hop);
  if (!Number.isFinite(unlimited)) {
    return { channels, loudness: before.report(channels), gainDb: 0, limiterDb: 0, compressorDb, passes: 0 };
  }
  // The gain the target needs without the limiter, then with it: forecast from the envelope,
  // which is exact up to ENVELOPE_HEADROOM_DB more. A forecast that needs more gain than that
  // is estimated from the samples' own peaks, and the envelope found again (once) for it.
  const baseDb = target - unlimited;
  const highestDb = baseDb + MAX_LIMITING_DB;
  const ceiling = limiterCeiling(limiter.ceilingDb);
  const lookahead = Math.max(1, Math.round(limiter.lookahead * sampleRate));
  const recovery = Math.exp(-1 / Math.max(1, limiter.release * sampleRate));
  const forecastFor = (input: LimiterInput, exactAbove?: number) =>
    new LimiterForecast(subEnergies, subStepPeaks(input.envelope, channels, before.hop, before.hops, lookahead, exactAbove), before.hop, ceiling, recovery);
  let prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, Math.pow(10, (baseDb + ENVELOPE_HEADROOM_DB) / 20));
  let forecast = forecastFor(prepared);
  let exactDb = 20 * Math.log10(prepared.maxGain);
  if (forecast.integratedAt(exactDb) < target && exactDb < highestDb) {
    const estimateDb = forecastFor(prepared, ceiling / prepared.maxGain).gainFor(target, exactDb, highestDb);
    prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, Math.pow(10, (estimateDb + ENVELOPE_HEADROOM_DB) / 20));
    forecast = forecastFor(prepared);
    exactDb = 20 * Math.log10(prepared.maxGain);
  }
  let gainDb = forecast.gainFor(target, baseDb, Math.min(exactDb, highestDb));
  // The limiter reads each sample only where it writes it, so it limits in place: the song is
  // held once. A second pass runs the stages before the gain again (the same samples) first.
  const pass = () => {
    const gain = Math.pow(10, gainDb / 20);
    if (gain > prepared.maxGain) prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, gain);
    const meter = new LoudnessMeter(channels.length, sampleRate, length);
    const result = limitPrepared(prepared, gain, limiter, channels, meter);
    return { ...result, meter, integrated: integratedOfSteps(meter.weighted, meter.hop) };
  };
  let result = pass();
  let passes = 1;
  if (Math.abs(result.integrated - target) > PRECISION_LU) {
    preGain(mix, channels, sampleRate, settings);
    // The forecast's shape, valid beyond the envelope's exact range too (the samples' own peaks stand in there).
    const shape = forecastFor(prepared, ceiling / prepared.maxGain);
    gainDb = shape.correctedGain(gainDb, result.integrated, target, baseDb - MAX_LIMITING_DB, highestDb);
    result = pass();
    passes = 2;
  }
  return { channels, loudness: result.meter.report(channels), gainDb, limiterDb: result.maxReductionDb, compressorDb, passes };
}
