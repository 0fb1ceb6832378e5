/**
 * Automation input → AutomationIR: every point resolved to the sample where its value is
 * reached, sections expanded to their occurrences, LFO phase anchored at every beat so a
 * tempo-synced LFO follows the tempo map (ramps included).
 */
import type { AutomationInput, AutomationPoint, LfoInput } from '../api/automation.ts';
import { isSyncedTime, syncedSeconds } from '../theory/sync.ts';
import { positionToTicks, type TempoClock, TimeFormatError } from '../theory/time.ts';
import { PPQ } from '../theory/units.ts';
import type { AutomationIR, AutomationPointIR, LfoIR, MeterPoint, SectionIR } from '../ir/types.ts';

export interface AutomationTiming {
  readonly sampleRate: number;
  readonly meterMap: readonly MeterPoint[];
  readonly clock: TempoClock;
  readonly layout: readonly SectionIR[];
  /** Samples the song renders: LFO anchors cover them. */
  readonly lengthSamples: number;
}

const SHAPES = ['step', 'linear', 'exponential', 'curve'];
const LFO_SHAPES = ['sine', 'triangle', 'square', 'saw', 'ramp'];

/** Resolve one parameter's automation; problems are returned as plain sentences for the caller to locate. */
export function elaborateAutomation(input: AutomationInput, timing: AutomationTiming, problems: string[]): AutomationIR | undefined {
  if (Array.isArray(input)) return elaboratePoints(input, timing, problems);
  const lfo = (input as { lfo?: LfoInput })?.lfo;
  if (lfo && typeof lfo === 'object') return elaborateLfo(lfo, timing, problems);
  problems.push('must be a list of points or { lfo: { … } }');
  return undefined;
}

function elaboratePoints(points: readonly AutomationPoint[], timing: AutomationTiming, problems: string[]): AutomationIR | undefined {
  if (points.length === 0) {
    problems.push('has no points');
    return undefined;
  }
  const resolved: (AutomationPointIR & { order: number })[] = [];
  points.forEach((point, index) => {
    const label = `point ${index}`;
    if (typeof point?.value !== 'number' || !Number.isFinite(point.value)) {
      problems.push(`${label} value ${JSON.stringify(point?.value)} is not a finite number`);
      return;
    }
    const shape = point.shape ?? 'linear';
    if (!SHAPES.includes(shape)) {
      problems.push(`${label} shape '${shape}' is not one of ${SHAPES.join(', ')}`);
      return;
    }
    const curve = point.curve ?? 0;
    if (typeof curve !== 'number' || !Number.isFinite(curve)) {
      problems.push(`${label} curve must be a finite number`);
      return;
    }
    for (const originBar of origins(point.section, timing.layout, label, problems)) {
      let tick: number;
      try {
        tick = positionToTicks(point.at, timing.meterMap, originBar, timing.clock);
      } catch (error) {
        if (!(error instanceof TimeFormatError)) throw error;
        problems.push(`${label} at ${JSON.stringify(point.at)} is not a time (${error.message})`);
        return;
      }
      resolved.push({ sample: timing.clock.sample(tick, timing.sampleRate), value: point.value, shape, curve, order: resolved.length });
    }
  });
  // By time; points at one sample keep their written order (the last one wins from there on).
  resolved.sort((a, b) => a.sample - b.sample || a.order - b.order);
  for (let i = 1; i < resolved.length; i++) {
    const [from, to] = [resolved[i - 1], resolved[i]];
    if (to.shape === 'exponential' && !(from.value > 0 && to.value > 0)) {
      problems.push(`an exponential segment needs values above 0 (got ${from.value} → ${to.value}); use 'linear' or 'curve'`);
      break;
    }
  }
  return { points: resolved.map(({ order: _order, ...point }) => point), lfo: null };
}

/** Bars a point's `at` counts from: 0 for a song position, each (or one) occurrence's first bar for a section. */
function origins(section: string | undefined, layout: readonly SectionIR[], label: string, problems: string[]): number[] {
  if (section === undefined) return [0];
  const [name, nth] = section.split('@');
  const matches = layout.filter((entry) => entry.name === name && (nth === undefined || entry.occurrence === Number(nth)));
  if (matches.length === 0) problems.push(`${label} names section '${section}', which the form does not play`);
  return matches.map((entry) => entry.startBar);
}

function elaborateLfo(lfo: LfoInput, timing: AutomationTiming, problems: string[]): AutomationIR | undefined {
  const shape = lfo.shape ?? 'sine';
  const phase = lfo.phase ?? 0;
  if (!isSyncedTime(lfo.period) || lfo.period === 0) problems.push(`lfo period ${JSON.stringify(lfo.period)} must be a note value ('1m', '4n', '8t') or seconds above 0`);
  if (!LFO_SHAPES.includes(shape)) problems.push(`lfo shape '${shape}' is not one of ${LFO_SHAPES.join(', ')}`);
  if (!(Number.isFinite(lfo.min) && Number.isFinite(lfo.max))) problems.push('lfo min and max must be finite numbers');
  if (!(phase >= 0 && phase <= 1)) problems.push('lfo phase must be from 0 to 1');
  if (problems.length) return undefined;
  const anchors: { sample: number; phase: number }[] = [];
  if (typeof lfo.period === 'number') {
    const cycles = timing.lengthSamples / (lfo.period * timing.sampleRate);
    anchors.push({ sample: 0, phase }, { sample: timing.lengthSamples, phase: phase + cycles });
  } else {
    // Note-value periods are counted in ticks (a quarter is PPQ ticks), anchored every beat.
    const periodTicks = syncedSeconds(lfo.period, PPQ);
    for (let tick = 0; ; tick += PPQ) {
      const sample = timing.clock.sample(tick, timing.sampleRate);
      anchors.push({ sample, phase: phase + tick / periodTicks });
      if (sample >= timing.lengthSamples) break;
    }
  }
  const ir: LfoIR = { shape, min: lfo.min, max: lfo.max, anchors };
  return { points: [], lfo: ir };
}
