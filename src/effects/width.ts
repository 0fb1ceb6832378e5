/**
 * `width`: mid/side stereo width. mid = (L+R)/2, side = (L−R)/2; the side is scaled by
 * `width` and the pair rebuilt: L = mid + side·w, R = mid − side·w. Width 0 folds to mono
 * (both channels the exact same mid), 1 leaves the signal bit-for-bit alone, 2 doubles the
 * side. The mid is never touched, so mono compatibility is kept at every setting.
 *
 * Bass mono: a 4th-order Linkwitz–Riley high-pass (two Butterworth SVF sections) on the
 * side only, so everything under the crossover is centred: low end that stays mono is
 * tighter on big systems and cuts cleaner to vinyl.
 */
import { defineEffect } from '../api/define-effect.ts';
import { captureFields, restoreFields, type EffectState } from '../ir/effect-state.ts';
import type { EffectBlock, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import type { Hertz } from '../theory/units.ts';

export interface WidthOptions {
  /** Side level: 0 mono, 1 unchanged, 2 twice as wide. Automatable. @default 1 */
  readonly width: number;
  /** Side removed below this frequency (Linkwitz–Riley 24 dB/oct), Hz; 0 turns it off. @default 0 */
  readonly bassMono: Hertz;
}

export const widthDefaults: WidthOptions = { width: 1, bassMono: 0 };

/** Simper SVF high-pass, Butterworth damping, twice in series: LR4 high-pass on one stream. */
class Lr4Highpass {
  private readonly a1: number;
  private readonly a2: number;
  private readonly a3: number;
  private s1 = 0;
  private s2 = 0;
  private t1 = 0;
  private t2 = 0;

  constructor(cutoff: number, sampleRate: number) {
    const g = Math.tan((Math.PI * Math.min(cutoff, sampleRate * 0.49)) / sampleRate);
    this.a1 = 1 / (1 + g * (g + Math.SQRT2));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }

  /** Filter `side[0..count)` in place. */
  run(side: Float64Array, count: number): void {
    const { a1, a2, a3 } = this;
    const k = Math.SQRT2;
    let s1 = this.s1;
    let s2 = this.s2;
    let t1 = this.t1;
    let t2 = this.t2;
    for (let i = 0; i < count; i++) {
      const x = side[i];
      let v3 = x - s2;
      let v1 = a1 * s1 + a2 * v3;
      let v2 = s2 + a2 * s1 + a3 * v3;
      s1 = 2 * v1 - s1;
      s2 = 2 * v2 - s2;
      const y = x - k * v1 - v2;
      v3 = y - t2;
      v1 = a1 * t1 + a2 * v3;
      v2 = t2 + a2 * t1 + a3 * v3;
      t1 = 2 * v1 - t1;
      t2 = 2 * v2 - t2;
      side[i] = y - k * v1 - v2;
    }
    this.s1 = s1;
    this.s2 = s2;
    this.t1 = t1;
    this.t2 = t2;
  }
}

/** Plain M/S scaling of one block, no crossover: skips samples where the width is exactly 1. */
function scaleSide(left: Float32Array, right: Float32Array, width: number, curve: Float32Array | undefined): void {
  for (let i = 0; i < left.length; i++) {
    const w = curve ? curve[i] : width;
    if (w === 1) continue;
    const l = left[i];
    const r = right[i];
    const mid = (l + r) * 0.5;
    const side = (l - r) * 0.5 * w;
    left[i] = mid + side;
    right[i] = mid - side;
  }
}

/** Side samples high-passed per pass through the bass-mono filter. */
const SIDE_BLOCK = 1024;

/** The width over a song, block by block; with bass mono the side's LR4 high-pass keeps its state. */
class WidthStream implements EffectStream {
  private readonly width: number;
  private readonly filter: Lr4Highpass | null;
  private readonly side: Float64Array;

  constructor(context: EffectStreamContext<WidthOptions>) {
    const { width: amount, bassMono } = context.options;
    this.width = amount;
    this.filter = bassMono > 0 ? new Lr4Highpass(bassMono, context.sampleRate) : null;
    this.side = new Float64Array(this.filter ? SIDE_BLOCK : 0);
  }

  /** Every field is the stream's state or a constant of its setup: all of it, for `restore`. */
  checkpoint(): EffectState {
    return captureFields(this);
  }

  restore(state: EffectState): void {
    restoreFields(this, state);
  }

  process(_start: number, block: EffectBlock): void {
    const [left, right] = block.channels;
    const curve = block.automation['width'];
    const { filter, side, width } = this;
    if (!filter) {
      if (curve || width !== 1) scaleSide(left, right, width, curve);
      return;
    }
    // M/S scaling with the side high-passed, in pieces so the filter runs over a float64 side.
    for (let from = 0; from < left.length; from += SIDE_BLOCK) {
      const count = Math.min(SIDE_BLOCK, left.length - from);
      for (let i = 0; i < count; i++) side[i] = (left[from + i] - right[from + i]) * 0.5;
      filter.run(side, count);
      for (let i = 0; i < count; i++) {
        const at = from + i;
        const w = curve ? curve[at] : width;
        const mid = (left[at] + right[at]) * 0.5;
        const s = side[i] * w;
        left[at] = mid + s;
        right[at] = mid - s;
      }
    }
  }
}

export const width = defineEffect<WidthOptions>({
  name: 'width',
  version: '1',
  defaults: widthDefaults,
  validate(options) {
    const problems: string[] = [];
    if (!(options.width >= 0 && options.width <= 2)) problems.push(`width must be from 0 (mono) to 2, got ${options.width}`);
    if (!(options.bassMono === 0 || (options.bassMono >= 20 && options.bassMono <= 1000))) problems.push('bassMono must be 0 (off) or a crossover from 20 to 1000 Hz');
    return problems;
  },
  stream: (context) => new WidthStream(context),
});
