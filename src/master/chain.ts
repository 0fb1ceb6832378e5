/**
 * The mastering chain: EQ → glue compressor → multiband → stereo width → loudness normalisation into
 * a true-peak limiter. None of the stages before the gain depends on it, so normalisation
 * measures their output once (K-weighted energy per 1 ms), forecasts from it and the true-peak
 * envelope how much loudness the limiter will take at each gain (LimiterForecast), sets the
 * gain, and limits once, metering the output as it is written. Only when that master is more
 * than 0.05 LU off its target does a second pass correct the gain, by the forecast's curve
 * fitted to the first pass's measured loudness and its exact slope — never a third: the master
 * is limited at most twice (`passes`).
 */
import type { MasterIR } from '../ir/types.ts';
import { compress } from './compressor.ts';
import { applyEq } from './eq.ts';
import { LimiterForecast, loudnessSlope, meterSubSteps, subStepPeaks } from './forecast.ts';
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

export function master(mix: readonly Float32Array[], sampleRate: number, settings: MasterIR): MasterResult {
  const channels = mix.map((channel) => channel.slice());
  applyEq(channels, sampleRate, settings.eq);
  const compressorDb = settings.compressor ? compress(channels, sampleRate, settings.compressor) : 0;
  if (settings.multiband) multibandCompress(channels, sampleRate, settings.multiband);
  applyWidth(channels, settings.width);
  const length = channels[0]?.length ?? 0;

  if (!settings.loudness && !settings.limiter) {
    // No loudness target and no limiter: only keep the sample peak under the ceiling.
    const { gain } = peakSafeGain(channels, settings.ceilingDb);
    scale(channels, gain);
    return { channels, loudness: measureLoudness(channels, sampleRate), gainDb: 20 * Math.log10(gain), limiterDb: 0, compressorDb, passes: 0 };
  }
  const limiter = settings.limiter ?? { ceilingDb: settings.loudness!.ceilingDb, release: 0.05, lookahead: 0.0015 };
  if (!settings.loudness) {
    // The limiter reads each sample only where it writes it: it may limit in place.
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
  // which is exact up to ENVELOPE_HEADROOM_DB above the gain it is found for — found again,
  // once, for a forecast beyond that.
  const baseDb = target - unlimited;
  const ceiling = limiterCeiling(limiter.ceilingDb);
  const lookahead = Math.max(1, Math.round(limiter.lookahead * sampleRate));
  const recovery = Math.exp(-1 / Math.max(1, limiter.release * sampleRate));
  let gainDb = baseDb;
  let prepared: LimiterInput | undefined;
  let forecast: LimiterForecast | undefined;
  for (let attempt = 0; attempt < 2 && (!prepared || Math.pow(10, gainDb / 20) > prepared.maxGain); attempt++) {
    prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, Math.pow(10, (gainDb + ENVELOPE_HEADROOM_DB) / 20));
    const peaks = subStepPeaks(prepared.envelope, channels, ceiling / prepared.maxGain, before.hop, before.hops, lookahead);
    forecast = new LimiterForecast(subEnergies, peaks, before.hop, ceiling, recovery);
    gainDb = forecast.gainFor(target, baseDb, baseDb + MAX_LIMITING_DB);
  }
  // A second pass overwrites the first one's output.
  const output = channels.map((channel) => new Float32Array(channel.length));
  const pass = () => {
    const gain = Math.pow(10, gainDb / 20);
    if (!prepared || gain > prepared.maxGain) prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, gain);
    const meter = new LoudnessMeter(channels.length, sampleRate, length);
    const result = limitPrepared(prepared, gain, limiter, output, meter);
    return { ...result, meter, integrated: integratedOfSteps(meter.weighted, meter.hop) };
  };
  let result = pass();
  let passes = 1;
  if (Math.abs(result.integrated - target) > PRECISION_LU && forecast) {
    const slope = loudnessSlope(result.meter.weighted, result.elastic, result.meter.hop);
    gainDb = forecast.correctedGain(gainDb, result.integrated, slope, target, baseDb - MAX_LIMITING_DB, baseDb + MAX_LIMITING_DB);
    result = pass();
    passes = 2;
  }
  return { channels: output, loudness: result.meter.report(output), gainDb, limiterDb: result.maxReductionDb, compressorDb, passes };
}
