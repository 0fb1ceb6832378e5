/**
 * `reverb`: an algorithmic reverb built as an 8-line feedback delay network (Jot). The
 * input is summed to mono, predelayed and smeared by four series allpass diffusers, then
 * injected into eight delay lines whose lengths are distinct primes (so no two lines share
 * a resonance) scaled by `size`. Each line's output passes a loss filter — a broadband gain
 * g = 10^(−3·length/(rate·RT60)) that sets the decay time exactly, and a one-pole low-pass
 * designed so that the decay time at `damping` Hz is half of `decay` — then an 8×8
 * Hadamard matrix (orthogonal: lossless mixing, full diffusion in three butterfly stages)
 * feeds the lines back. Left and right read the lines through two orthogonal sign
 * patterns, which decorrelates them; `width` narrows that towards mono.
 *
 * The output is only the reverb (no dry). Loudness: a 2 s reverb of any size or damping has about
 * unity energy gain (a noise input comes out at about its own RMS); longer decays are
 * louder by √(decay / 2 s), as in a real room.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields } from '../ir/effect-state.ts';
import { createRandom } from '../dsp/random.ts';
import type { Hertz, Seconds } from '../theory/units.ts';
import { checkRange, CONTROL_BLOCK, nextPowerOfTwo } from './modulation.ts';

export interface ReverbOptions {
  /** Reverb time RT60: seconds for the tail to fall 60 dB (at low frequencies). @default 2 */
  readonly decay: Seconds;
  /** Room size: scales every delay line, 0.25 (small, dense) – 2 (hall). @default 1 */
  readonly size: number;
  /** Gap before the reverb starts, seconds. @default 0.02 */
  readonly predelay: Seconds;
  /** Frequency whose decay time is half of `decay`, Hz (higher dies faster); 20000 or more switches damping off. @default 6000 */
  readonly damping: Hertz;
  /** Stereo width of the tail: 0 mono, 1 fully decorrelated. @default 1 */
  readonly width: number;
  /** Input diffusion: allpass gain 0–0.9; higher smears the attack into a smoother wash. @default 0.7 */
  readonly diffusion: number;
  /** Slow seeded wobble of the line lengths, 0–1 (1 = ±0.5 ms): softens metallic modes. @default 0.3 */
  readonly modulation: number;
}

export const reverbDefaults: ReverbOptions = { decay: 2, size: 1, predelay: 0.02, damping: 6000, width: 1, diffusion: 0.7, modulation: 0.3 };

const LINES = 8;
/** Line lengths at size 1, ms: spread over ~2.3:1 so the echo pattern never repeats early. */
const LINE_MS = [31.3, 37.9, 41.3, 45.1, 51.7, 57.3, 63.7, 71.9];
/** Input diffuser lengths, ms (after Dattorro's 142/107/379/277 samples at 29.76 kHz). */
const DIFFUSER_MS = [4.77, 3.6, 12.73, 9.31];
/*
 * Injection and output sign patterns, rows of the 8×8 Hadamard matrix (mutually
 * orthogonal), written out in the loop: inject + + + + − − − −, left tap + − + − + − + −,
 * right tap + + − − + + − −.
 */
/** Peak line-length wobble at modulation 1, seconds. */
const MODULATION_SECONDS = 0.0005;
/** The decay at which the energy gain is unity (see the module comment). */
const REFERENCE_DECAY: Seconds = 2;
const MAX_TAIL: Seconds = 30;
/**
 * Values below this snap to 0 in the loop (−600 dBFS, far above subnormal floats). A compare,
 * not the x + c − c trick: with loop gains near 1 that rounding sustains a limit cycle.
 */
const SILENCE = 1e-30;
const DAMPING_OFF: Hertz = 20000;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** Line lengths in samples: the next prime at or above each scaled length, all distinct. */
export function reverbLineLengths(size: number, sampleRate: number): number[] {
  const lengths: number[] = [];
  for (const ms of LINE_MS) {
    let n = Math.max(3, Math.round((ms / 1000) * size * sampleRate));
    while (!isPrime(n) || lengths.includes(n)) n++;
    lengths.push(n);
  }
  return lengths;
}

/**
 * Pole b of the normalised one-pole low-pass (1−b)/(1−b·z⁻¹) whose magnitude at `hz` is
 * `r`: with r the line's broadband gain, a pass through line and filter loses twice the dB
 * at `hz`, so the decay time there is half. Solves (1−b)² = r²(1 − 2b·cos ω + b²).
 */
function dampingPole(r: number, hz: Hertz, sampleRate: number): number {
  if (hz >= DAMPING_OFF || hz >= sampleRate * 0.49) return 0;
  const c = Math.cos((2 * Math.PI * hz) / sampleRate);
  const r2 = r * r;
  const a = 1 - r2;
  const half = 1 - r2 * c;
  return (half - Math.sqrt(Math.max(0, half * half - a * a))) / a;
}

/**
 * Measured share of the ideal energy the taps deliver (−2.7 dB at every size and decay
 * tried, 48 kHz): the sign patterns of the taps and the mixing leave the line outputs
 * slightly anti-correlated. Calibrating it out makes a 2 s reverb unity-gain.
 */
const TAP_ENERGY = 0.54;

/**
 * Decay time relative to `decay`, averaged over the spectrum (0 … Nyquist), of a line with
 * broadband gain g whose loss filter has pole b: at each frequency the decay time scales
 * as log g / log(g·|H(ω)|), H the normalised one-pole. 1 without damping.
 */
function decayRatio(g: number, b: number): number {
  if (b === 0) return 1;
  const points = 64;
  const logG = Math.log(g);
  let sum = 0;
  for (let k = 0; k < points; k++) {
    const w = ((k + 0.5) * Math.PI) / points;
    const magnitude = (1 - b) / Math.sqrt(1 - 2 * b * Math.cos(w) + b * b);
    sum += logG / (logG + Math.log(magnitude));
  }
  return sum / points;
}

/**
 * The network's state, block by block: the eight lines in one buffer (each a power-of-two
 * region just above its longest modulated length), the four diffusers, the predelay ring,
 * the loss filters and each line's delay ramp. Nothing depends on the song's length; a
 * block that starts inside a control block continues the ramps set at its edge.
 */
class ReverbNetwork {
  private readonly lengths: readonly number[];
  private readonly modDepth: number;
  private readonly region: number;
  private readonly mask: number;
  private readonly lines: Float64Array;
  /** g·(1−b): loss filter input gain. */
  private readonly feedGain = new Float64Array(LINES);
  private readonly pole = new Float64Array(LINES);
  private readonly state = new Float64Array(LINES);
  private readonly outGain: number;
  private readonly diffusers: readonly Float64Array[];
  private readonly diffusion: number;
  private readonly predelay: number;
  private readonly predelayBuffer: Float64Array;
  private readonly lfoHz: Float64Array;
  private readonly lfoPhase: Float64Array;
  private readonly delayStart = new Float64Array(LINES);
  private readonly delayStep = new Float64Array(LINES);
  private readonly side: number;
  private readonly sampleRate: number;
  /** Write indices of the four diffusers and the predelay ring. */
  private i0 = 0;
  private i1 = 0;
  private i2 = 0;
  private i3 = 0;
  private predelayIndex = 0;
  /** Song frames processed so far: also the lines' write position. */
  private write = 0;

  constructor(options: Readonly<ReverbOptions>, sampleRate: number, seed: number) {
    this.sampleRate = sampleRate;
    const lengths = reverbLineLengths(options.size, sampleRate);
    this.lengths = lengths;
    this.modDepth = options.modulation * MODULATION_SECONDS * sampleRate;
    // All lines in one buffer, each in its own power-of-two region: one array and one mask
    // in the hot loop instead of eight of each.
    this.region = nextPowerOfTwo(Math.max(...lengths) + Math.ceil(this.modDepth) + 4);
    this.mask = this.region - 1;
    this.lines = new Float64Array(LINES * this.region);
    let totalLength = 0;
    for (let j = 0; j < LINES; j++) {
      const g = Math.pow(10, (-3 * lengths[j]) / (sampleRate * options.decay));
      this.pole[j] = dampingPole(g, options.damping, sampleRate);
      this.feedGain[j] = g * (1 - this.pole[j]);
      totalLength += lengths[j];
    }
    // A unit impulse leaves about RT60·rate/(13.8·meanLength) of energy through the taps;
    // scale that to unity at the reference decay. Damping shortens the decay above its
    // frequency, so divide by the spectrum-averaged decay ratio too: brightness, not level.
    let dampedRatio = 0;
    for (let j = 0; j < LINES; j++) dampedRatio += decayRatio(this.feedGain[j] / (1 - this.pole[j]), this.pole[j]) / LINES;
    this.outGain = Math.sqrt((13.8 * totalLength) / LINES / (sampleRate * REFERENCE_DECAY * dampedRatio * TAP_ENERGY));

    // The four input diffusers (Schroeder allpasses).
    this.diffusers = DIFFUSER_MS.map((ms) => new Float64Array(Math.max(1, Math.round((ms / 1000) * options.size * sampleRate))));
    this.diffusion = options.diffusion;

    this.predelay = Math.round(options.predelay * sampleRate);
    this.predelayBuffer = new Float64Array(Math.max(1, this.predelay));

    // Seeded per-line LFOs, 0.1–0.7 Hz, unrelated phases: deterministic for a given slot.
    const random = createRandom(seed);
    this.lfoHz = Float64Array.from({ length: LINES }, () => 0.1 + 0.6 * random());
    this.lfoPhase = Float64Array.from({ length: LINES }, () => random());
    this.side = 0.5 * options.width;
  }

  /** Begin at song frame `frame` instead of 0, before any processing (a stream started mid-song, as watch's preview starts one): the LFO is then where the song's own is. */
  startAt(frame: number): void {
    // Called with every block's start: only a fresh stream's first call sets its clock; one that
    // has run (or was restored from a checkpoint) keeps its own.
    if (this.write !== 0) return;
    this.write = frame;
  }

  private lineDelay(j: number, sample: number): number {
    const cycles = (this.lfoHz[j] * sample) / this.sampleRate + this.lfoPhase[j];
    return this.lengths[j] + this.modDepth * Math.sin(2 * Math.PI * (cycles % 1));
  }

  /** Replace the block's signal with the reverb of it (and of everything before). */
  process(left: Float32Array, right: Float32Array): void {
    const { lengths, region, mask, lines, feedGain, pole, state, outGain, predelay, predelayBuffer, delayStart, delayStep, side } = this;
    const [d0, d1, d2, d3] = this.diffusers;
    const n0 = d0.length;
    const n1 = d1.length;
    const n2 = d2.length;
    const n3 = d3.length;
    const g = this.diffusion;
    const modulated = this.modDepth > 0;
    const injectGain = 1 / Math.sqrt(LINES);
    const hadamardScale = 1 / Math.sqrt(LINES);
    const mid = 0.5;
    let { i0, i1, i2, i3, predelayIndex, write } = this;
    const length = left.length;
    for (let i = 0; i < length; ) {
      const offset = write % CONTROL_BLOCK;
      const start = write - offset;
      if (modulated && (offset === 0 || i === 0)) {
        for (let j = 0; j < LINES; j++) {
          delayStart[j] = this.lineDelay(j, start);
          delayStep[j] = (this.lineDelay(j, start + CONTROL_BLOCK) - delayStart[j]) / CONTROL_BLOCK;
        }
      }
      const end = Math.min(length, i + CONTROL_BLOCK - offset);
      for (; i < end; i++) {
        let x = 0.5 * (left[i] + right[i]);
        if (predelay > 0) {
          const delayed = predelayBuffer[predelayIndex];
          predelayBuffer[predelayIndex] = x;
          if (++predelayIndex === predelay) predelayIndex = 0;
          x = delayed;
        }
        // The four diffusers, inlined (diffuse() on locals): they run every sample.
        let delayed = d0[i0];
        let w = x + g * delayed;
        d0[i0] = w;
        if (++i0 === n0) i0 = 0;
        x = delayed - g * w;
        delayed = d1[i1];
        w = x + g * delayed;
        d1[i1] = w;
        if (++i1 === n1) i1 = 0;
        x = delayed - g * w;
        delayed = d2[i2];
        w = x + g * delayed;
        d2[i2] = w;
        if (++i2 === n2) i2 = 0;
        x = delayed - g * w;
        delayed = d3[i3];
        w = x + g * delayed;
        d3[i3] = w;
        if (++i3 === n3) i3 = 0;
        x = delayed - g * w;
        x *= injectGain;
        if (Math.abs(x) < SILENCE) x = 0;

        for (let j = 0; j < LINES; j++) {
          const base = j * region;
          let o: number;
          if (modulated) {
            // readHermiteAt, inlined: this is the reverb's innermost read.
            const position = write - (delayStart[j] + delayStep[j] * (write - start));
            const floor = Math.floor(position);
            const f = position - floor;
            const xm1 = lines[base + ((floor - 1) & mask)];
            const x0 = lines[base + (floor & mask)];
            const x1 = lines[base + ((floor + 1) & mask)];
            const x2 = lines[base + ((floor + 2) & mask)];
            const c1 = 0.5 * (x1 - xm1);
            const c2 = xm1 - 2.5 * x0 + 2 * x1 - 0.5 * x2;
            const c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
            o = ((c3 * f + c2) * f + c1) * f + x0;
          } else o = lines[base + ((write - lengths[j]) & mask)];
          let f = feedGain[j] * o + pole[j] * state[j];
          // The loop decays forever, and subnormal floats are ~100× slower on x86: snap to 0.
          if (Math.abs(f) < SILENCE) f = 0;
          state[j] = f;
        }
        // Taps and the 8-point fast Walsh–Hadamard transform (24 additions) written out:
        // ±1 products are exact, so these are the same sums in the same order as a loop.
        const f0 = state[0];
        const f1 = state[1];
        const f2 = state[2];
        const f3 = state[3];
        const f4 = state[4];
        const f5 = state[5];
        const f6 = state[6];
        const f7 = state[7];
        const outL = 0 + f0 - f1 + f2 - f3 + f4 - f5 + f6 - f7;
        const outR = 0 + f0 + f1 - f2 - f3 + f4 + f5 - f6 - f7;
        const a0 = f0 + f1;
        const a1 = f0 - f1;
        const a2 = f2 + f3;
        const a3 = f2 - f3;
        const a4 = f4 + f5;
        const a5 = f4 - f5;
        const a6 = f6 + f7;
        const a7 = f6 - f7;
        const b0 = a0 + a2;
        const b2 = a0 - a2;
        const b1 = a1 + a3;
        const b3 = a1 - a3;
        const b4 = a4 + a6;
        const b6 = a4 - a6;
        const b5 = a5 + a7;
        const b7 = a5 - a7;
        // Injection: + into lines 0–3, − into 4–7.
        const slot = write & mask;
        lines[slot] = (b0 + b4) * hadamardScale + x;
        lines[region + slot] = (b1 + b5) * hadamardScale + x;
        lines[2 * region + slot] = (b2 + b6) * hadamardScale + x;
        lines[3 * region + slot] = (b3 + b7) * hadamardScale + x;
        lines[4 * region + slot] = (b0 - b4) * hadamardScale - x;
        lines[5 * region + slot] = (b1 - b5) * hadamardScale - x;
        lines[6 * region + slot] = (b2 - b6) * hadamardScale - x;
        lines[7 * region + slot] = (b3 - b7) * hadamardScale - x;
        write++;

        const m = mid * (outL + outR);
        const s = side * (outL - outR);
        left[i] = outGain * (m + s);
        right[i] = outGain * (m - s);
      }
    }
    this.i0 = i0;
    this.i1 = i1;
    this.i2 = i2;
    this.i3 = i3;
    this.predelayIndex = predelayIndex;
    this.write = write;
  }
}

export const reverb = defineEffect<ReverbOptions>({
  name: 'reverb',
  version: '1',
  defaults: reverbDefaults,
  tail(options) {
    return Math.min(MAX_TAIL, options.predelay + options.decay);
  },
  validate(options) {
    return [
      ...checkRange('decay', options.decay, 0.1, 30, ' s'),
      ...checkRange('size', options.size, 0.25, 2),
      ...checkRange('predelay', options.predelay, 0, 0.5, ' s'),
      ...checkRange('damping', options.damping, 200, 96000, ' Hz'),
      ...checkRange('width', options.width, 0, 1),
      ...checkRange('diffusion', options.diffusion, 0, 0.9),
      ...checkRange('modulation', options.modulation, 0, 1),
    ];
  },
  stream(ctx) {
    const network = new ReverbNetwork(ctx.options, ctx.sampleRate, ctx.seed);
    return {
      checkpoint: () => captureFields(network),
      restore: (state) => restoreFields(network, state),
      process(start, block) {
        network.startAt(start);
        network.process(block.channels[0], block.channels[1]);
      },
    };
  },
});
