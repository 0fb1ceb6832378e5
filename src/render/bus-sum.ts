/**
 * A bus's input summing: each source (a channel's output at unity, or a send at its level,
 * perhaps automated) added into the bus, source by source in the bus's order. Works on any
 * run of frames, so the whole-song bus and the streamed one give the same sums.
 */
import { fromDb } from '../dsp/levels.ts';
import { StateMismatchError, type EffectState } from '../ir/effect-state.ts';
import type { BusSource } from '../plan/graph.ts';
import { renderAutomationBlock } from './automation-curve.ts';

export class BusInput {
  private readonly gain: number;
  private curve = new Float32Array(0);
  // The level in force, carried across blocks.
  private lastDb = NaN;
  private lastGain = 0;

  constructor(private readonly source: BusSource) {
    this.gain = fromDb(source.levelDb);
  }

  /** The level in force, carried from block to block (an automated send's). */
  checkpoint(): EffectState {
    return [this.lastDb, this.lastGain];
  }

  restore(state: EffectState): void {
    if (!Array.isArray(state) || state.length !== 2 || state.some((value) => typeof value !== 'number')) throw new StateMismatchError('bus input', 'expected two numbers');
    [this.lastDb, this.lastGain] = state as number[];
  }

  /** Add interleaved stereo `samples` (frames `start` … `start + frames − 1`) into `left` and `right` from index 0. */
  addInto(samples: Float32Array, start: number, frames: number, left: Float32Array, right: Float32Array): void {
    const automation = this.source.automation;
    if (automation) {
      if (this.curve.length < frames) this.curve = new Float32Array(frames);
      const curve = this.curve.subarray(0, frames);
      renderAutomationBlock(automation, start, curve);
      // Automation is mostly flat stretches: a pow() only where the level moves.
      let lastDb = this.lastDb;
      let gain = this.lastGain;
      for (let i = 0, j = 0; i < frames; i++, j += 2) {
        const db = curve[i];
        if (db !== lastDb) {
          lastDb = db;
          gain = fromDb(db);
        }
        left[i] += samples[j] * gain;
        right[i] += samples[j + 1] * gain;
      }
      this.lastDb = lastDb;
      this.lastGain = gain;
    } else {
      const gain = this.gain;
      for (let i = 0, j = 0; i < frames; i++, j += 2) {
        left[i] += samples[j] * gain;
        right[i] += samples[j + 1] * gain;
      }
    }
  }
}
