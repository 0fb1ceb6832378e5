/**
 * Loudness normalisation without iterating full passes: what integrated loudness will the
 * limiter leave at a given input gain?
 *
 * Before limiting, `LimiterForecast` answers from the pre-limiter signal's K-weighted energy per
 * 1 ms sub-step and its true peak over each sub-step and the lookahead after it: at gain g a
 * sub-step needs ceiling / (g × peak) (at most 1), the curve recovers at the release rate as the
 * limiter's does, and the sub-step's energy scales by g² × curve². This is the limiter at 1 ms
 * resolution, so it sets the first pass's gain close to the one that meets the target.
 *
 * After a metered pass that missed, `correctedGain` moves the forecast's curve to pass through
 * the measured loudness and solves it again. The forecast gates and sums its steps as the meter
 * does.
 */
import { integratedOfSteps, type LoudnessMeter } from './loudness.ts';

/** Sub-steps per 10 ms loudness step. */
const SUB_STEPS = 10;

/** First sample of sub-step k of step h. */
const subStart = (hop: number, h: number, k: number) => h * hop + Math.floor((k * hop) / SUB_STEPS);

/**
 * Meter a whole signal, also summing its channel-weighted K-weighted energy per sub-step
 * (SUB_STEPS per step; the partial last step has none).
 */
export function meterSubSteps(meter: LoudnessMeter, channels: readonly Float32Array[]): Float64Array {
  const energies = new Float64Array(meter.hops * SUB_STEPS);
  meterSubStepsOf(meter, channels, 0, 0, meter.hops + 1, energies, new Float64Array(meter.hop));
  return energies;
}

/**
 * Meter steps [from, to) of a signal streamed in blocks (channels[c][p − offset] is sample p;
 * step `hops` is the partial tail), summing each whole step's sub-step energies into `energies`.
 */
export function meterSubStepsOf(meter: LoudnessMeter, channels: readonly Float32Array[], offset: number, from: number, to: number, energies: Float64Array, perSample: Float64Array): void {
  const { hop, hops } = meter;
  for (let h = from; h < to; h++) {
    meter.step(channels, h, perSample, offset);
    if (h === hops) break;
    for (let k = 0; k < SUB_STEPS; k++) {
      let sum = 0;
      for (let i = subStart(hop, h, k) - h * hop, end = subStart(hop, h, k + 1) - h * hop; i < end; i++) sum += perSample[i];
      energies[h * SUB_STEPS + k] = sum;
    }
  }
}

/** Per sub-step, the largest envelope value and the largest sample magnitude (over channels). */
export class SubStepMaxima {
  readonly envelope: Float64Array;
  readonly samples: Float64Array;

  constructor(
    private readonly hop: number,
    private readonly hops: number,
  ) {
    this.envelope = new Float64Array(hops * SUB_STEPS);
    this.samples = new Float64Array(hops * SUB_STEPS);
  }

  /** Fold values of positions [from, to) into the sub-steps' maxima: values[p − base] is position p's. */
  private fold(into: Float64Array, values: Float64Array | Float32Array, base: number, from: number, to: number, magnitude: boolean): void {
    const { hop } = this;
    const end = Math.min(to, this.hops * hop);
    for (let h = Math.floor(from / hop); h * hop < end; h++) {
      for (let k = 0; k < SUB_STEPS; k++) {
        const a = Math.max(from, subStart(hop, h, k));
        const b = Math.min(end, subStart(hop, h, k + 1));
        if (a >= b) continue;
        const s = h * SUB_STEPS + k;
        let peak = into[s];
        if (magnitude) {
          for (let i = a; i < b; i++) if (Math.abs(values[i - base]) > peak) peak = Math.abs(values[i - base]);
        } else for (let i = a; i < b; i++) if (values[i - base] > peak) peak = values[i - base];
        into[s] = peak;
      }
    }
  }

  /** Envelope values of positions [from, to): envelope[p − base]. */
  addEnvelope(envelope: Float64Array, base: number, from: number, to: number): void {
    this.fold(this.envelope, envelope, base, from, to, false);
  }

  /** Samples of positions [from, to): channels[c][p − base]. */
  addSamples(channels: readonly Float32Array[], base: number, from: number, to: number): void {
    for (const channel of channels) this.fold(this.samples, channel, base, from, to, true);
  }
}

/** SubStepMaxima of a whole signal and its envelope. */
export function subStepMaxima(envelope: Float64Array, channels: readonly Float32Array[], hop: number, hops: number): SubStepMaxima {
  const maxima = new SubStepMaxima(hop, hops);
  maxima.addEnvelope(envelope, 0, 0, envelope.length);
  maxima.addSamples(channels, 0, 0, envelope.length);
  return maxima;
}

/**
 * The largest of the envelope over each sub-step and the sub-steps that cover the `lookahead`
 * samples after it. With `exactAbove`, values at or under it, which may be bounds rather than
 * true peaks (truePeakEnvelope's shortcut), are replaced by the sample's own magnitude, so the
 * forecast stays usable for gains above the envelope's exact range (`maxGain`); without it the
 * peaks are exact for every gain up to that range.
 */
export function subStepPeaks(maxima: SubStepMaxima, hop: number, lookahead: number, exactAbove?: number): Float64Array {
  const count = maxima.envelope.length;
  const own = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const peak = maxima.envelope[s];
    own[s] = exactAbove !== undefined && peak <= exactAbove ? maxima.samples[s] : peak;
  }
  const ahead = Math.ceil(lookahead / Math.floor(hop / SUB_STEPS));
  const peaks = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    let peak = own[s];
    for (let t = s + 1; t <= Math.min(count - 1, s + ahead); t++) if (own[t] > peak) peak = own[t];
    peaks[s] = peak;
  }
  return peaks;
}

export class LimiterForecast {
  private readonly steps: Float64Array;
  private readonly recovery: number;

  /**
   * `energies` and `peaks` per sub-step (meterSubSteps, subStepPeaks) at unity gain; `ceiling`
   * linear (the limiter's own, safety margin included); `recovery` per sample.
   */
  constructor(
    private readonly energies: Float64Array,
    private readonly peaks: Float64Array,
    private readonly hop: number,
    private readonly ceiling: number,
    recovery: number,
  ) {
    this.steps = new Float64Array(energies.length / SUB_STEPS);
    this.recovery = Math.pow(recovery, hop / SUB_STEPS);
  }

  /** Forecast integrated loudness of the limited signal at `gainDb`, LUFS. */
  integratedAt(gainDb: number): number {
    const { energies, peaks, steps, ceiling, recovery } = this;
    const gain = Math.pow(10, gainDb / 20);
    steps.fill(0);
    let curve = 1;
    for (let s = 0; s < energies.length; s++) {
      const scaled = gain * peaks[s];
      const need = scaled > ceiling ? ceiling / scaled : 1;
      const recovered = 1 - (1 - curve) * recovery;
      curve = need < recovered ? need : recovered;
      steps[(s / SUB_STEPS) | 0] += energies[s] * gain * gain * curve * curve;
    }
    return integratedOfSteps(steps, this.hop);
  }

  /** The gain (dB) from `lowDb` to `highDb` whose forecast meets `target` (the nearer end when none does). */
  gainFor(target: number, lowDb: number, highDb: number): number {
    return solveRising((gainDb) => this.integratedAt(gainDb) - target, lowDb, highDb);
  }

  /**
   * The gain for a second pass, after one at `gainDb` measured `measured` LUFS: where the
   * forecast's curve, moved to pass through that measurement — L(g) ≈ measured + F(g) − F(gainDb)
   * — meets `target`. The forecast's own error is nearly constant over the small correction
   * left after a forecast first pass, so what remains is its change over that correction.
   */
  correctedGain(gainDb: number, measured: number, target: number, lowDb: number, highDb: number): number {
    return this.gainFor(this.integratedAt(gainDb) + target - measured, lowDb, highDb);
  }
}

/**
 * A root of a non-decreasing function on [low, high] by regula falsi (Illinois), to 1e-4; the
 * nearer end when it has none there.
 */
function solveRising(f: (x: number) => number, low: number, high: number): number {
  let fLow = f(low);
  let fHigh = f(high);
  if (fHigh <= 0) return high;
  if (fLow >= 0) return low;
  let side = 0;
  for (let iteration = 0; iteration < 100 && high - low > 1e-6; iteration++) {
    const x = (low * fHigh - high * fLow) / (fHigh - fLow);
    const value = f(x);
    if (Math.abs(value) < 1e-4) return x;
    if (value < 0) {
      low = x;
      fLow = value;
      if (side === -1) fHigh /= 2;
      side = -1;
    } else {
      high = x;
      fHigh = value;
      if (side === 1) fLow /= 2;
      side = 1;
    }
  }
  return (low + high) / 2;
}
