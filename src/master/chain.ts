/**
 * The mastering chain: EQ → glue compressor → multiband → stereo width → loudness normalisation into
 * a true-peak limiter. Normalisation is a loop: set the gain from the measured loudness,
 * limit, measure again (the limiter takes some loudness away), correct — until the
 * master is within 0.05 LU of its target.
 */
import type { MasterIR } from '../ir/types.ts';
import { compress } from './compressor.ts';
import { applyEq } from './eq.ts';
import { limit, limitPrepared, prepareLimiter } from './limiter.ts';
import { multibandCompress } from './multiband.ts';
import { measureLoudness, withTruePeak, type LoudnessReport } from './loudness.ts';
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
}

const MAX_PASSES = 6;
const PRECISION_LU = 0.05;

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

function scaled(channels: readonly Float32Array[], gain: number): Float32Array[] {
  return channels.map((channel) => {
    const out = new Float32Array(channel.length);
    for (let i = 0; i < channel.length; i++) out[i] = channel[i] * gain;
    return out;
  });
}

export function master(mix: readonly Float32Array[], sampleRate: number, settings: MasterIR): MasterResult {
  const channels = mix.map((channel) => channel.slice());
  applyEq(channels, sampleRate, settings.eq);
  const compressorDb = settings.compressor ? compress(channels, sampleRate, settings.compressor) : 0;
  if (settings.multiband) multibandCompress(channels, sampleRate, settings.multiband);
  applyWidth(channels, settings.width);

  if (!settings.loudness && !settings.limiter) {
    // No loudness target and no limiter: only keep the sample peak under the ceiling.
    const { gain } = peakSafeGain(channels, settings.ceilingDb);
    const out = scaled(channels, gain);
    return { channels: out, loudness: measureLoudness(out, sampleRate), gainDb: 20 * Math.log10(gain), limiterDb: 0, compressorDb };
  }
  const limiter = settings.limiter ?? { ceilingDb: settings.loudness!.ceilingDb, release: 0.05, lookahead: 0.0015 };
  if (!settings.loudness) {
    const limited = limit(channels, sampleRate, limiter);
    return { channels: limited.channels, loudness: measureLoudness(limited.channels, sampleRate), gainDb: 0, limiterDb: limited.maxReductionDb, compressorDb };
  }
  const target = settings.loudness.target;
  const before = measureLoudness(channels, sampleRate, { truePeak: false }).integrated;
  if (!Number.isFinite(before)) {
    return { channels, loudness: measureLoudness(channels, sampleRate), gainDb: 0, limiterDb: 0, compressorDb };
  }
  let gainDb = target - before;
  // The envelope is found once, exact wherever up to 1 dB more gain than the first guess
  // could reach the ceiling; each pass then only recomputes the gain curve.
  let prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, Math.pow(10, (gainDb + 1) / 20));
  // Each pass overwrites the previous one's output: only the last is kept.
  const output = channels.map((channel) => new Float32Array(channel.length));
  const pass = () => {
    const gain = Math.pow(10, gainDb / 20);
    if (gain > prepared.maxGain) prepared = prepareLimiter(channels, sampleRate, limiter.ceilingDb, gain * 2);
    return limitPrepared(prepared, gain, limiter, output);
  };
  let result = pass();
  let measured = measureLoudness(result.channels, sampleRate, { truePeak: false });
  // Secant steps: limiting makes loudness grow slower than gain, and the slope says how much.
  let previous = { gainDb, integrated: measured.integrated };
  gainDb += target - measured.integrated;
  for (let passes = 1; passes < MAX_PASSES && Math.abs(measured.integrated - target) > PRECISION_LU; passes++) {
    result = pass();
    measured = measureLoudness(result.channels, sampleRate, { truePeak: false });
    const { integrated } = measured;
    const slope = (integrated - previous.integrated) / (gainDb - previous.gainDb);
    previous = { gainDb, integrated };
    gainDb += (target - integrated) / (slope > 0.05 && Number.isFinite(slope) ? slope : 1);
  }
  gainDb = previous.gainDb;
  // The last pass's measurement is of the output: only its true peak is still missing.
  const loudness = withTruePeak(measured, result.channels, sampleRate);
  return { channels: result.channels, loudness, gainDb, limiterDb: result.maxReductionDb, compressorDb };
}
