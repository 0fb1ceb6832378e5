/**
 * True peak (BS.1770-4 Annex 2): the signal's peak after oversampling (4× below 96 kHz,
 * 2× up to 192 kHz) with an interpolating low-pass, so peaks between samples — the ones a
 * DAC or a lossy encoder will produce — are seen. A polyphase FIR interpolates: 32 taps
 * per phase, Kaiser-windowed sinc (β = 9), each phase normalised to unity DC gain — the
 * shape of FFmpeg's resampler, so mixdown agrees with `ebur128=peak=true` on music with
 * strong high frequencies (BS.1770's own 12-tap example filter reads such material up to
 * 0.7 dB lower). Stretches that cannot beat the current maximum are skipped.
 */

const TAPS_PER_PHASE = 32;
/** The taps next to the interpolated point (it lies between inputs i - 16 and i - 15). */
const NEAR = [14, 15, 16, 17];
const KAISER_BETA = 9;

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function bessel0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}
const BLOCK = 64;

interface Interpolator {
  readonly factor: number;
  /** Per phase: sum of |taps| away from the centre (all but NEAR), for the per-sample bound. */
  readonly farGain: Float64Array;
  /** phases[p][k]: coefficient k of in-between phase p + 1 (phase 0 is the input itself). */
  readonly phases: readonly Float64Array[];
  /** Largest sum of |coefficients| of any phase: the most a phase can amplify. */
  readonly maxGain: number;
  /** Per phase: |taps| at NEAR, for the per-sample bound. */
  readonly nearGain: readonly Float64Array[];
}

const cache = new Map<number, Interpolator>();

function interpolator(sampleRate: number): Interpolator {
  const factor = sampleRate < 96000 ? 4 : sampleRate < 192000 ? 2 : 1;
  let found = cache.get(factor);
  if (found) return found;
  // Odd length, centred on a tap: phase 0 is then the input itself (sinc at whole samples
  // is 1 at the centre and 0 elsewhere), so only the in-between phases need computing.
  const length = TAPS_PER_PHASE * factor + 1;
  const centre = (length - 1) / 2;
  const taps = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    const x = (n - centre) / factor;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = (n - centre) / (length / 2);
    taps[n] = (sinc * bessel0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r)))) / bessel0(KAISER_BETA);
  }
  const phases = Array.from({ length: factor - 1 }, (_, index) => {
    const p = index + 1;
    const phase = new Float64Array(TAPS_PER_PHASE);
    for (let k = 0; k < TAPS_PER_PHASE; k++) phase[k] = taps[k * factor + p];
    // Each phase passes DC at unity, so a constant signal measures its own level.
    const sum = phase.reduce((a, b) => a + b, 0);
    for (let k = 0; k < TAPS_PER_PHASE; k++) phase[k] /= sum;
    return phase;
  });
  const maxGain = Math.max(...phases.map((phase) => phase.reduce((a, b) => a + Math.abs(b), 0)));
  const farGain = Float64Array.from(phases, (phase) => phase.reduce((sum, tap, k) => (NEAR.includes(k) ? sum : sum + Math.abs(tap)), 0));
  const nearGain = phases.map((phase) => Float64Array.from(NEAR, (k) => Math.abs(phase[k])));
  found = { factor, phases, maxGain, farGain, nearGain };
  cache.set(factor, found);
  return found;
}

/**
 * A bound on one phase's interpolated magnitude at output i: its four taps nearest the point
 * exactly (|tap| × |input|), the rest at the window's largest input.
 */
function phaseBound(near: Float64Array, far: number, a0: number, a1: number, a2: number, a3: number, local: number): number {
  return near[0] * a0 + near[1] * a1 + near[2] * a2 + near[3] * a3 + far * local;
}

/** One phase's interpolated value at output i, every tap inside the signal (i ≥ taps − 1). */
function phaseSum(h: Float64Array, x: Float32Array, i: number): number {
  let sum = 0;
  for (let k = 0; k < TAPS_PER_PHASE; k++) sum += h[k] * x[i - k];
  return sum;
}

/**
 * Fold the oversampled values of outputs [blockStart, blockEnd) of one channel into `peak`
 * (blockEnd ≤ the signal's length): x[p − base] is sample p, for p from blockStart − 31.
 */
function peakBlock(ip: Interpolator, x: Float32Array, base: number, blockStart: number, blockEnd: number, peak: number): number {
  const { phases, maxGain, farGain, nearGain } = ip;
  const [n0, n1, n2, n3] = NEAR;
  // Every output in this block reads inputs from blockStart - (taps - 1) to blockEnd - 1.
  let local = 0;
  for (let i = Math.max(0, blockStart - TAPS_PER_PHASE + 1); i < blockEnd; i++) {
    const magnitude = Math.abs(x[i - base]);
    if (magnitude > local) local = magnitude;
  }
  if (local * maxGain <= peak) return peak;
  // Outputs whose window reaches before the first sample are skipped: they would
  // measure the step from implied silence into the file, not the signal.
  for (let i = Math.max(blockStart, TAPS_PER_PHASE - 1); i < blockEnd; i++) {
    const j = i - base;
    const a0 = Math.abs(x[j - n0]);
    const a1 = Math.abs(x[j - n1]);
    const a2 = Math.abs(x[j - n2]);
    const a3 = Math.abs(x[j - n3]);
    for (let p = 0; p < phases.length; p++) {
      // A cheap bound first; the full sum only where it could beat the peak so far.
      if (phaseBound(nearGain[p], farGain[p], a0, a1, a2, a3, local) <= peak) continue;
      const sum = phaseSum(phases[p], x, j);
      const magnitude = sum < 0 ? -sum : sum;
      if (magnitude > peak) peak = magnitude;
    }
  }
  return peak;
}

/**
 * Largest absolute value of the oversampled signal over all channels (linear; 0 for silence).
 * Pass the sample peak when it is known, to save a pass.
 */
export function truePeak(channels: readonly Float32Array[], sampleRate: number, knownSamplePeak?: number): number {
  const ip = interpolator(sampleRate);
  let peak = knownSamplePeak ?? 0;
  if (knownSamplePeak === undefined) {
    for (const x of channels) {
      for (let i = 0; i < x.length; i++) {
        const magnitude = Math.abs(x[i]);
        if (magnitude > peak) peak = magnitude;
      }
    }
  }
  if (ip.factor === 1) return peak;
  for (const x of channels) {
    const n = x.length;
    for (let blockStart = 0; blockStart < n; blockStart += BLOCK) peak = peakBlock(ip, x, 0, blockStart, Math.min(n, blockStart + BLOCK), peak);
  }
  return peak;
}

/**
 * One channel's share of the envelope for interpolator outputs [blockStart, blockEnd): x[p − base]
 * is sample p (for p from blockStart − 31 to the block's end, inside the signal), envelope[p −
 * envelopeBase] is position p's value, raised where an output beside it is higher.
 */
function envelopeBlock(ip: Interpolator, x: Float32Array, base: number, length: number, blockStart: number, blockEnd: number, threshold: number, envelope: Float64Array, envelopeBase: number): void {
  const { phases, maxGain, farGain, nearGain } = ip;
  const [n0, n1, n2, n3] = NEAR;
  // A bound this far under the threshold stays under the ceiling at any gain the caller
  // allowed for, whatever the rounding of the bound's own sum.
  const safeThreshold = threshold * (1 - 1e-9);
  // The interpolator delays by half its length: its output at i lies between inputs
  // i - delay and i - delay + 1.
  const delay = TAPS_PER_PHASE / 2;
  let local = 0;
  for (let i = Math.max(0, blockStart - TAPS_PER_PHASE + 1); i < Math.min(length, blockEnd); i++) {
    const magnitude = x[i - base] < 0 ? -x[i - base] : x[i - base];
    if (magnitude > local) local = magnitude;
  }
  const bound = local * maxGain;
  const exact = bound > threshold;
  for (let i = blockStart; i < blockEnd; i++) {
    let between = bound;
    if (exact && i >= TAPS_PER_PHASE - 1 && i < length) {
      // Every tap inside the signal. A phase whose bound (nearest taps exact, the rest
      // at the window's maximum) stays under the threshold with a margin cannot reach
      // it: it contributes that bound, the rest are computed in full — values above the
      // threshold come out exactly as before, the ones under it stay under it.
      between = 0;
      const j = i - base;
      const a0 = Math.abs(x[j - n0]);
      const a1 = Math.abs(x[j - n1]);
      const a2 = Math.abs(x[j - n2]);
      const a3 = Math.abs(x[j - n3]);
      for (let p = 0; p < phases.length; p++) {
        const bound = phaseBound(nearGain[p], farGain[p], a0, a1, a2, a3, local);
        if (bound <= safeThreshold) {
          if (bound > between) between = bound;
          continue;
        }
        const sum = phaseSum(phases[p], x, j);
        const magnitude = sum < 0 ? -sum : sum;
        if (magnitude > between) between = magnitude;
      }
    } else if (exact) {
      between = 0;
      const count = i + 1 < TAPS_PER_PHASE ? i + 1 : TAPS_PER_PHASE;
      for (let p = 0; p < phases.length; p++) {
        const h = phases[p];
        let sum = 0;
        for (let k = 0; k < count; k++) {
          const index = i - k;
          if (index < length) sum += h[k] * x[index - base];
        }
        const magnitude = sum < 0 ? -sum : sum;
        if (magnitude > between) between = magnitude;
      }
    }
    const before = i - delay - envelopeBase;
    const after = before + 1;
    if (i - delay >= 0 && i - delay < length && between > envelope[before]) envelope[before] = between;
    if (i - delay + 1 >= 0 && i - delay + 1 < length && between > envelope[after]) envelope[after] = between;
  }
}

/** The interpolator's outputs run this far past the last sample (its delay). */
const ENVELOPE_TAIL = TAPS_PER_PHASE / 2;

/**
 * Per-sample true-peak envelope (linear, max over channels): each sample's magnitude and
 * the oversampled values on either side of it — what a limiter needs to keep every
 * inter-sample peak under its ceiling. Only values above `threshold` matter to the
 * caller, so stretches whose upper bound (window maximum × the interpolator's largest
 * gain) stays under it get that bound instead of an exact value: still above every true
 * value there, still under the threshold, and far cheaper to find.
 */
export function truePeakEnvelope(channels: readonly Float32Array[], sampleRate: number, threshold = 0): Float64Array {
  const ip = interpolator(sampleRate);
  const length = channels[0]?.length ?? 0;
  const envelope = new Float64Array(length);
  for (const x of channels) {
    for (let i = 0; i < length; i++) {
      const magnitude = x[i] < 0 ? -x[i] : x[i];
      if (magnitude > envelope[i]) envelope[i] = magnitude;
    }
    if (ip.phases.length === 0) continue;
    const end = length + ENVELOPE_TAIL;
    for (let blockStart = 0; blockStart < end; blockStart += BLOCK) envelopeBlock(ip, x, 0, length, blockStart, Math.min(end, blockStart + BLOCK), threshold, envelope, 0);
  }
  return envelope;
}

/** Per channel, the last samples a streamed measure still reads, by song position (hist[c][p − base]). */
class History {
  channels: Float32Array[];
  base = 0;
  end = 0;

  constructor(channelCount: number) {
    this.channels = Array.from({ length: channelCount }, () => new Float32Array(4096));
  }

  /** Keep samples from `keepFrom` on, and append `count` more (channels[c][i] is sample end + i). */
  append(channels: readonly Float32Array[], count: number, keepFrom: number): void {
    const from = Math.max(this.base, Math.min(keepFrom, this.end));
    const kept = this.end - from;
    if (kept + count > this.channels[0].length) {
      const size = Math.max(2 * this.channels[0].length, kept + count);
      this.channels = this.channels.map((old) => {
        const grown = new Float32Array(size);
        grown.set(old.subarray(from - this.base, this.end - this.base));
        return grown;
      });
    } else if (from > this.base) for (const hist of this.channels) hist.copyWithin(0, from - this.base, this.end - this.base);
    this.base = from;
    this.channels.forEach((hist, c) => hist.set(channels[c].subarray(0, count), kept));
    this.end += count;
  }
}

/**
 * truePeakEnvelope of a signal fed block by block in order (`push`): the same values, each
 * known once the samples 47 to 111 after it have arrived (`ready`), held until `release`d —
 * memory for a block and the interpolator's reach, not the song.
 */
export class TruePeakEnvelopeStream {
  private readonly ip: Interpolator;
  private readonly history: History;
  /** Envelope values from `envelopeBase` to the samples pushed. */
  private envelope = new Float64Array(4096);
  private envelopeBase = 0;
  /** Interpolator outputs done (block by block, as the whole-signal envelope does them). */
  private done = 0;

  constructor(
    channelCount: number,
    sampleRate: number,
    private readonly length: number,
    private readonly threshold: number,
  ) {
    this.ip = interpolator(sampleRate);
    this.history = new History(channelCount);
  }

  /** Positions before this have their final value. */
  get ready(): number {
    const pushed = this.history.end;
    if (this.ip.phases.length === 0) return pushed;
    return Math.max(0, Math.min(pushed, this.done - ENVELOPE_TAIL));
  }

  /** The envelope at song position p (released ≤ p < ready). */
  at(p: number): number {
    return this.envelope[p - this.envelopeBase];
  }

  /** The values from `p` on, as one array from index 0 (valid until the next push). */
  from(p: number): Float64Array {
    return this.envelope.subarray(p - this.envelopeBase);
  }

  /** The next `count` samples (channels[c][i] is sample pushed + i). Values before `release` are dropped. */
  push(channels: readonly Float32Array[], count: number, release: number): void {
    const { ip, history, length } = this;
    const start = history.end;
    // The envelope window: from the first value still wanted (and final) to the last sample pushed.
    const keep = Math.max(this.envelopeBase, Math.min(release, this.ready));
    history.append(channels, count, this.done - TAPS_PER_PHASE + 1);
    const kept = start - keep;
    if (kept + count > this.envelope.length) {
      const grown = new Float64Array(Math.max(2 * this.envelope.length, kept + count));
      grown.set(this.envelope.subarray(keep - this.envelopeBase, start - this.envelopeBase));
      this.envelope = grown;
    } else if (keep > this.envelopeBase) this.envelope.copyWithin(0, keep - this.envelopeBase, start - this.envelopeBase);
    this.envelopeBase = keep;
    const envelope = this.envelope;
    envelope.fill(0, kept, kept + count);
    for (const x of channels) {
      for (let i = 0; i < count; i++) {
        const magnitude = x[i] < 0 ? -x[i] : x[i];
        if (magnitude > envelope[kept + i]) envelope[kept + i] = magnitude;
      }
    }
    if (ip.phases.length === 0) {
      this.done = history.end;
      return;
    }
    const end = length + ENVELOPE_TAIL;
    while (this.done < end) {
      const blockEnd = Math.min(end, this.done + BLOCK);
      if (Math.min(length, blockEnd) > history.end) break;
      for (const hist of history.channels) envelopeBlock(ip, hist, history.base, length, this.done, blockEnd, this.threshold, envelope, this.envelopeBase);
      this.done = blockEnd;
    }
  }
}

/** truePeak of a signal fed block by block in order: the same value (`result`). */
export class TruePeakStream {
  private readonly ip: Interpolator;
  private readonly history: History;
  private peak = 0;
  private done = 0;

  constructor(
    channelCount: number,
    sampleRate: number,
    private readonly length: number,
  ) {
    this.ip = interpolator(sampleRate);
    this.history = new History(channelCount);
  }

  push(channels: readonly Float32Array[], count: number): void {
    const { ip, history, length } = this;
    if (ip.factor === 1) return;
    history.append(channels, count, this.done - TAPS_PER_PHASE + 1);
    while (this.done < length) {
      const blockEnd = Math.min(length, this.done + BLOCK);
      if (blockEnd > history.end) break;
      for (const hist of history.channels) this.peak = peakBlock(ip, hist, history.base, this.done, blockEnd, this.peak);
      this.done = blockEnd;
    }
  }

  /**
   * The true peak, given the signal's sample peak (every value a block skipped is under the peak
   * it had found by then, so the largest is the whole-signal function's, whatever the order).
   */
  result(samplePeak: number): number {
    return Math.max(this.peak, samplePeak);
  }
}
