/**
 * AutomationIR → one value per sample. A point's value is reached exactly at its sample;
 * before the first point the first value holds, after the last the last value holds.
 */
import type { AutomationIR, LfoIR } from '../ir/types.ts';

export function renderAutomation(automation: AutomationIR, length: number): Float32Array {
  const out = new Float32Array(length);
  if (automation.lfo) renderLfo(automation.lfo, out);
  else renderPoints(automation, out);
  return out;
}

function renderPoints(automation: AutomationIR, out: Float32Array): void {
  const points = automation.points;
  const length = out.length;
  const first = points[0];
  out.fill(first.value, 0, Math.min(length, Math.max(0, first.sample)));
  for (let k = 1; k < points.length; k++) {
    const from = points[k - 1];
    const to = points[k];
    const start = Math.max(0, from.sample);
    const end = Math.min(length, to.sample);
    const span = to.sample - from.sample;
    const a = from.value;
    const b = to.value;
    if (to.shape === 'step' || span <= 0) {
      out.fill(a, start, Math.max(start, end));
      continue;
    }
    if (to.shape === 'linear' || (to.shape === 'curve' && to.curve === 0)) {
      for (let i = start; i < end; i++) out[i] = a + ((b - a) * (i - from.sample)) / span;
    } else if (to.shape === 'exponential') {
      const ratio = Math.log(b / a);
      for (let i = start; i < end; i++) out[i] = a * Math.exp((ratio * (i - from.sample)) / span);
    } else {
      const c = to.curve;
      const scale = 1 / (Math.exp(c) - 1);
      for (let i = start; i < end; i++) out[i] = a + (b - a) * (Math.exp((c * (i - from.sample)) / span) - 1) * scale;
    }
  }
  // The last point's value is exact from its sample on.
  const last = points[points.length - 1];
  out.fill(last.value, Math.min(length, Math.max(0, last.sample)), length);
}

function renderLfo(lfo: LfoIR, out: Float32Array): void {
  const { anchors, min, max } = lfo;
  const range = max - min;
  const wave = WAVES[lfo.shape];
  for (let k = 1; k < anchors.length; k++) {
    const from = anchors[k - 1];
    const to = anchors[k];
    const step = (to.phase - from.phase) / Math.max(1, to.sample - from.sample);
    const end = Math.min(out.length, to.sample);
    for (let i = Math.max(0, from.sample); i < end; i++) {
      const phase = from.phase + step * (i - from.sample);
      out[i] = min + range * wave(phase - Math.floor(phase));
    }
  }
  const last = anchors[anchors.length - 1];
  if (last.sample < out.length) out.fill(out[Math.max(0, last.sample - 1)], last.sample);
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
