/**
 * AutomationIR → one value per sample. A point's value is reached exactly at its sample;
 * before the first point the first value holds, after the last the last value holds.
 */
import type { AutomationIR, LfoIR } from '../ir/types.ts';

export function renderAutomation(automation: AutomationIR, length: number): Float32Array {
  const out = new Float32Array(length);
  renderAutomationBlock(automation, 0, out);
  return out;
}

/**
 * Song samples `start` … `start + out.length − 1` of the curve into `out`: the same values
 * `renderAutomation` gives there, for engines that work a block at a time.
 */
export function renderAutomationBlock(automation: AutomationIR, start: number, out: Float32Array): void {
  if (automation.lfo) renderLfo(automation.lfo, start, out);
  else renderPoints(automation, start, out);
}

function renderPoints(automation: AutomationIR, offset: number, out: Float32Array): void {
  const points = automation.points;
  const blockEnd = offset + out.length;
  // Song-sample ranges clipped to this block, written at their place in it.
  const fill = (value: number, from: number, to: number) => {
    const a = Math.max(from, offset);
    const b = Math.min(to, blockEnd);
    if (b > a) out.fill(value, a - offset, b - offset);
  };
  const first = points[0];
  fill(first.value, 0, Math.max(0, first.sample));
  for (let k = 1; k < points.length; k++) {
    const from = points[k - 1];
    const to = points[k];
    const start = Math.max(0, from.sample, offset);
    const end = Math.min(blockEnd, to.sample);
    const span = to.sample - from.sample;
    const a = from.value;
    const b = to.value;
    if (to.shape === 'step' || span <= 0) {
      fill(a, Math.max(0, from.sample), to.sample);
      continue;
    }
    if (to.shape === 'linear' || (to.shape === 'curve' && to.curve === 0)) {
      for (let i = start; i < end; i++) out[i - offset] = a + ((b - a) * (i - from.sample)) / span;
    } else if (to.shape === 'exponential') {
      const ratio = Math.log(b / a);
      for (let i = start; i < end; i++) out[i - offset] = a * Math.exp((ratio * (i - from.sample)) / span);
    } else {
      const c = to.curve;
      const scale = 1 / (Math.exp(c) - 1);
      for (let i = start; i < end; i++) out[i - offset] = a + (b - a) * (Math.exp((c * (i - from.sample)) / span) - 1) * scale;
    }
  }
  // The last point's value is exact from its sample on.
  const last = points[points.length - 1];
  fill(last.value, Math.max(0, last.sample), Infinity);
}

function renderLfo(lfo: LfoIR, offset: number, out: Float32Array): void {
  const { anchors } = lfo;
  const blockEnd = offset + out.length;
  for (let k = 1; k < anchors.length; k++) {
    const from = anchors[k - 1];
    const to = anchors[k];
    const end = Math.min(blockEnd, to.sample);
    for (let i = Math.max(0, from.sample, offset); i < end; i++) out[i - offset] = lfoValue(lfo, k, i);
  }
  // Past the last anchor the curve holds the value it had on the sample before it.
  const last = anchors[anchors.length - 1];
  if (last.sample < blockEnd) {
    const held = lfoHeldValue(lfo);
    out.fill(held, Math.max(0, last.sample - offset));
  }
}

/** The LFO curve at song sample `i`, on the segment from anchor k−1 to anchor k. */
function lfoValue(lfo: LfoIR, k: number, i: number): number {
  const from = lfo.anchors[k - 1];
  const to = lfo.anchors[k];
  const step = (to.phase - from.phase) / Math.max(1, to.sample - from.sample);
  const phase = from.phase + step * (i - from.sample);
  return Math.fround(lfo.min + (lfo.max - lfo.min) * WAVES[lfo.shape](phase - Math.floor(phase)));
}

/** What a whole-song render held after the last anchor: the stored value at the sample before it (0 if none was written). */
function lfoHeldValue(lfo: LfoIR): number {
  const anchors = lfo.anchors;
  const at = Math.max(0, anchors[anchors.length - 1].sample - 1);
  // The last segment to write sample `at` decides it, as in the whole-song loop.
  let value = 0;
  for (let k = 1; k < anchors.length; k++) {
    if (at >= Math.max(0, anchors[k - 1].sample) && at < anchors[k].sample) value = lfoValue(lfo, k, at);
  }
  return value;
}

/** Waveforms over one cycle, 0–1. Sine and triangle start at the middle, rising. */
const WAVES: Record<LfoIR['shape'], (phase: number) => number> = {
  sine: (p) => 0.5 + 0.5 * Math.sin(2 * Math.PI * p),
  triangle: (p) => (p < 0.25 ? 0.5 + 2 * p : p < 0.75 ? 1.5 - 2 * p : 2 * p - 1.5),
  square: (p) => (p < 0.5 ? 1 : 0),
  saw: (p) => 1 - p,
  ramp: (p) => p,
};

/**
 * The value `renderAutomation` gives at one sample (the same formulas, in double precision),
 * for writers that sample a curve sparsely, such as the DAWproject export.
 */
export function automationValueAt(automation: AutomationIR, sample: number): number {
  if (automation.lfo) {
    const { anchors, min, max } = automation.lfo;
    let k = 1;
    while (k < anchors.length - 1 && anchors[k].sample <= sample) k++;
    const from = anchors[k - 1];
    const to = anchors[k] ?? from;
    const clamped = Math.max(from.sample, Math.min(sample, to.sample));
    const phase = from.phase + ((to.phase - from.phase) / Math.max(1, to.sample - from.sample)) * (clamped - from.sample);
    return min + (max - min) * WAVES[automation.lfo.shape](phase - Math.floor(phase));
  }
  const points = automation.points;
  if (sample <= points[0].sample) return points[0].value;
  for (let k = 1; k < points.length; k++) {
    const from = points[k - 1];
    const to = points[k];
    if (sample >= to.sample) continue;
    const span = to.sample - from.sample;
    const a = from.value;
    const b = to.value;
    const x = sample - from.sample;
    if (to.shape === 'step' || span <= 0) return a;
    if (to.shape === 'linear' || (to.shape === 'curve' && to.curve === 0)) return a + ((b - a) * x) / span;
    if (to.shape === 'exponential') return a * Math.exp((Math.log(b / a) * x) / span);
    return a + ((b - a) * (Math.exp((to.curve * x) / span) - 1)) / (Math.exp(to.curve) - 1);
  }
  return points[points.length - 1].value;
}
