/**
 * Ducker: turns the signal down by `amount` dB while the key is above the threshold (a kick
 * ducking the bass, a voice ducking the music), holds the dip for `hold` after the key falls
 * under it, then recovers over `release`. Hold and release take note values too, so the
 * recovery can pump in time ('8n').
 *
 * The key is the slot's sidechain; without one the ducker keys from its own input, which
 * turns every loud passage down by `amount` (a crude leveller rather than the classic pump).
 * Detection is a stereo-linked peak detector holding the loudest sample for 10 ms; timing is
 * one-pole smoothing in dB, as in the compressor: 63% of a step in `attack` or `release`.
 */
import { defineEffect } from '../api/define-effect.ts';
import type { EffectBlock, EffectStreamContext } from '../ir/plugin.ts';
import type { Decibels, Seconds } from '../theory/units.ts';
import { isSyncedTime, type SyncedTime, syncedSeconds } from '../theory/sync.ts';
import { DB_TO_LOG, KeyedStream, LevelDetector, timeCoefficient } from './compressor.ts';
import { KEY_WINDOW } from './gate.ts';

export interface DuckerOptions {
  /** How far the signal drops while the key is above the threshold, dB (positive). @default 12 */
  readonly amount: Decibels;
  /** Key level that triggers the ducking, dBFS peak. @default -30 */
  readonly threshold: Decibels;
  /** Time to duck: 63% of the way down in this many seconds. @default 0.005 */
  readonly attack: Seconds;
  /** Time the dip is held after the key falls under the threshold (seconds or a note value). @default 0.02 */
  readonly hold: SyncedTime;
  /** Time to recover: 63% of the way back up (seconds or a note value). @default 0.15 */
  readonly release: SyncedTime;
}

export const duckerDefaults: DuckerOptions = { amount: 12, threshold: -30, attack: 0.005, hold: 0.02, release: 0.15 };

/** The ducker over a song, block by block: detector, hold count and the smoothed gain carry over. */
class DuckerStream extends KeyedStream {
  private readonly attack: number;
  private readonly release: number;
  private readonly holdSamples: number;
  private readonly threshold: number;
  private readonly depth: number;
  private holdLeft = 0;
  private gainDb = 0;

  constructor(context: EffectStreamContext<DuckerOptions>) {
    const o = context.options;
    const rate = context.sampleRate;
    super('ducker', new LevelDetector('peak', KEY_WINDOW * rate), context.lengthSamples);
    this.attack = timeCoefficient(o.attack, rate);
    this.release = timeCoefficient(syncedSeconds(o.release, context.beatSeconds), rate);
    this.holdSamples = Math.round(syncedSeconds(o.hold, context.beatSeconds) * rate);
    this.threshold = o.threshold;
    this.depth = -o.amount;
  }

  protected apply(block: EffectBlock, from: number, to: number): void {
    const [left, right] = block.channels;
    const { attack, release, holdSamples, threshold, depth, levels } = this;
    let { holdLeft, gainDb } = this;
    for (let i = from; i < to; i++) {
      let target = 0;
      if (levels[i - from] >= threshold) {
        holdLeft = holdSamples;
        target = depth;
      } else if (holdLeft > 0) {
        holdLeft--;
        target = depth;
      }
      gainDb = target < gainDb ? attack * gainDb + (1 - attack) * target : release * gainDb + (1 - release) * target;
      if (gainDb > -1e-9) gainDb = 0;
      const gain = Math.exp(gainDb * DB_TO_LOG);
      left[i] *= gain;
      right[i] *= gain;
    }
    this.holdLeft = holdLeft;
    this.gainDb = gainDb;
  }
}

export const ducker = defineEffect<DuckerOptions>({
  name: 'ducker',
  version: '1',
  defaults: duckerDefaults,
  sidechain: true,
  validate(o) {
    const problems: string[] = [];
    if (!(o.amount >= 0 && o.amount <= 120)) problems.push('amount must be from 0 to 120 dB (how far the signal drops; positive)');
    if (!(o.threshold >= -120 && o.threshold <= 0)) problems.push('threshold must be from -120 to 0 dBFS');
    if (!(o.attack >= 0 && o.attack <= 5)) problems.push('attack must be from 0 to 5 seconds');
    if (!isSyncedTime(o.hold)) problems.push("hold must be seconds (≥ 0) or a note value like '16n'");
    if (!isSyncedTime(o.release)) problems.push("release must be seconds (≥ 0) or a note value like '8n'");
    return problems;
  },
  stream: (context) => new DuckerStream(context),
});
