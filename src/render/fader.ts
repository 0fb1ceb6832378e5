/**
 * A channel's fader: gain, polarity and pan, applied while interleaving into the output, the
 * peak measured on the way. It runs over any run of consecutive frames, so the whole-song
 * strip and the block-streamed one share it; automation is evaluated a block at a time and
 * levels are recomputed only where a curve moves (automation is mostly flat).
 */
import { fromDb } from '../dsp/levels.ts';
import { StateMismatchError, type EffectState } from '../ir/effect-state.ts';
import type { StripParams } from '../plan/graph.ts';
import { renderAutomationBlock } from './automation-curve.ts';

/**
 * Constant-power pan law: at centre each side gets cos(π/4) = -3 dB, hard left or right
 * gets 0 dB on that side. Applied to a stereo signal it works as a balance control.
 */
export function panGains(pan: number): [number, number] {
  const angle = ((pan + 1) * Math.PI) / 4;
  // cos(π/2) is 6e-17, not 0: a hard-panned track must leave the other side truly silent.
  const exact = (gain: number) => (Math.abs(gain) < 1e-12 ? 0 : gain);
  return [exact(Math.cos(angle)), exact(Math.sin(angle))];
}

/**
 * Constant-power balance for a stereo source: unity on both sides at centre; moving right
 * turns the left side down along cos (and vice versa), reaching silence at the far end.
 */
export function balanceGains(pan: number): [number, number] {
  const [left, right] = panGains(pan);
  return [pan <= 0 ? 1 : left * Math.SQRT2, pan >= 0 ? 1 : right * Math.SQRT2];
}

export class Fader {
  /** Sample peak of everything written so far (linear), measured on the stored float32 values. */
  peak = 0;
  private readonly law: (pan: number) => [number, number];
  private readonly polarity: number;
  private gainCurve: Float32Array<ArrayBuffer> = new Float32Array(0);
  private panCurve: Float32Array<ArrayBuffer> = new Float32Array(0);
  // Levels in force, carried across blocks.
  private lastDb = NaN;
  private lastPan = NaN;
  private gain: number;
  private panLeft: number;
  private panRight: number;

  constructor(private readonly params: StripParams) {
    this.law = params.panLaw === 'balance' ? balanceGains : panGains;
    this.polarity = params.invert ? -1 : 1;
    this.gain = fromDb(params.gainDb) * this.polarity;
    [this.panLeft, this.panRight] = this.law(params.pan);
  }

  /** Frames `start` … `start + frames − 1`: left[i], right[i] → out[2i], out[2i + 1]. */
  apply(left: Float32Array, right: Float32Array, start: number, frames: number, out: Float32Array): void {
    const params = this.params;
    let peak = this.peak;
    if (params.gainAutomation || params.panAutomation) {
      const gains = params.gainAutomation ? this.curve('gain', params.gainAutomation, start, frames) : null;
      const pans = params.panAutomation ? this.curve('pan', params.panAutomation, start, frames) : null;
      const law = this.law;
      const polarity = this.polarity;
      let { lastDb, lastPan, gain, panLeft, panRight } = this;
      for (let i = 0, j = 0; i < frames; i++, j += 2) {
        if (gains && gains[i] !== lastDb) {
          lastDb = gains[i];
          gain = fromDb(lastDb) * polarity;
        }
        if (pans && pans[i] !== lastPan) {
          lastPan = pans[i];
          [panLeft, panRight] = law(Math.max(-1, Math.min(1, lastPan)));
        }
        out[j] = left[i] * gain * panLeft;
        out[j + 1] = right[i] * gain * panRight;
        const a = Math.abs(out[j]);
        const b = Math.abs(out[j + 1]);
        if (a > peak) peak = a;
        if (b > peak) peak = b;
      }
      Object.assign(this, { lastDb, lastPan, gain, panLeft, panRight });
    } else {
      const gainLeft = this.gain * this.panLeft;
      const gainRight = this.gain * this.panRight;
      for (let i = 0, j = 0; i < frames; i++, j += 2) {
        out[j] = left[i] * gainLeft;
        out[j + 1] = right[i] * gainRight;
        const a = Math.abs(out[j]);
        const b = Math.abs(out[j + 1]);
        if (a > peak) peak = a;
        if (b > peak) peak = b;
      }
    }
    this.peak = peak;
  }

  /** What the fader carries from block to block: the peak so far and the levels in force. */
  checkpoint(): EffectState {
    return { peak: this.peak, lastDb: this.lastDb, lastPan: this.lastPan, gain: this.gain, panLeft: this.panLeft, panRight: this.panRight };
  }

  restore(state: EffectState): void {
    const saved = state as Record<string, number>;
    for (const field of ['peak', 'lastDb', 'lastPan', 'gain', 'panLeft', 'panRight'] as const) {
      if (typeof saved[field] !== 'number') throw new StateMismatchError(`fader.${field}`, 'expected a number');
    }
    ({ peak: this.peak, lastDb: this.lastDb, lastPan: this.lastPan, gain: this.gain, panLeft: this.panLeft, panRight: this.panRight } = saved);
  }

  /** The curve's values for this run of frames, in a buffer reused from block to block. */
  private curve(which: 'gain' | 'pan', automation: NonNullable<StripParams['gainAutomation']>, start: number, frames: number): Float32Array {
    const field = which === 'gain' ? 'gainCurve' : 'panCurve';
    if (this[field].length < frames) this[field] = new Float32Array(frames);
    const values = this[field].subarray(0, frames);
    renderAutomationBlock(automation, start, values);
    return values;
  }
}
