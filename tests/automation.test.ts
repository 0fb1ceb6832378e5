import { describe, expect, it } from 'vitest';
import { elaborateAutomation, type AutomationTiming } from '../src/elaborate/automation.ts';
import { renderAutomation } from '../src/render/automation-curve.ts';
import { TempoClock } from '../src/theory/time.ts';

const RATE = 48000;
const meterMap = [{ tick: 0, bar: 0, numerator: 4, denominator: 4 }];

function timing(tempoMap = [{ tick: 0, bpm: 120, rampToNext: false }], layout: AutomationTiming['layout'] = []): AutomationTiming {
  return { sampleRate: RATE, meterMap, clock: new TempoClock(tempoMap), layout, lengthSamples: 8 * RATE };
}

function curve(input: Parameters<typeof elaborateAutomation>[0], at = timing()) {
  const problems: string[] = [];
  const ir = elaborateAutomation(input, at, problems);
  if (!ir) throw new Error(problems.join('; '));
  return renderAutomation(ir, at.lengthSamples);
}

describe('automation curves', () => {
  it('reaches each point exactly at its sample, with every shape', () => {
    const values = curve([
      { at: '0:0:0', value: 100 },
      { at: '0:1:0', value: 200, shape: 'linear' },
      { at: '0:2:0', value: 800, shape: 'exponential' },
      { at: '0:3:0', value: 0, shape: 'step' },
      { at: '1:0:0', value: 1, shape: 'curve', curve: 3 },
    ]);
    const beat = RATE / 2;
    expect([values[0], values[beat], values[2 * beat], values[3 * beat], values[4 * beat]]).toEqual([100, 200, 800, 0, 1]);
    // Linear: halfway is the mean. Exponential: halfway is the geometric mean. Step: holds, then jumps.
    expect(values[beat / 2]).toBeCloseTo(150, 3);
    expect(values[beat + beat / 2]).toBeCloseTo(400, 2);
    expect(values[3 * beat - 1]).toBe(800);
    // A positive bend starts slow: under the straight line at the midpoint.
    expect(values[3 * beat + beat / 2]).toBeLessThan(0.5);
    expect(values[3 * beat + beat / 2]).toBeCloseTo((Math.exp(1.5) - 1) / (Math.exp(3) - 1), 4);
    // Before the first point and after the last, their values hold.
    expect(values[values.length - 1]).toBe(1);
  });

  it('places section points in every occurrence, or in one', () => {
    const layout = [
      { name: 'verse', occurrence: 1, startBar: 0, bars: 1, startTick: 0, endTick: 3840 },
      { name: 'chorus', occurrence: 1, startBar: 1, bars: 1, startTick: 3840, endTick: 7680 },
      { name: 'chorus', occurrence: 2, startBar: 2, bars: 1, startTick: 7680, endTick: 11520 },
    ];
    const every = curve([{ at: '0:0:0', value: 1, section: 'chorus', shape: 'step' }, { at: '0:2:0', value: 0, section: 'chorus', shape: 'step' }], timing(undefined, layout));
    const bar = 2 * RATE;
    expect([every[bar], every[bar + RATE], every[2 * bar], every[2 * bar + RATE]]).toEqual([1, 0, 1, 0]);
    const second = curve([{ at: '0:0:0', value: 5, section: 'chorus@2' }], timing(undefined, layout));
    expect(second[0]).toBe(5);
    const problems: string[] = [];
    elaborateAutomation([{ at: '0:0:0', value: 1, section: 'bridge' }], timing(undefined, layout), problems);
    expect(problems).toEqual(["point 0 names section 'bridge', which the form does not play"]);
  });

  it('runs a tempo-synced LFO that follows a tempo ramp', () => {
    // 120 → 60 bpm over the first two bars: a quarter-note LFO slows with it.
    const ramp = timing([
      { tick: 0, bpm: 120, rampToNext: true },
      { tick: 7680, bpm: 60, rampToNext: false },
    ]);
    const values = curve({ lfo: { period: '4n', min: 0, max: 1, shape: 'ramp' } }, ramp);
    const clock = new TempoClock([
      { tick: 0, bpm: 120, rampToNext: true },
      { tick: 7680, bpm: 60, rampToNext: false },
    ]);
    // At every beat the ramp LFO restarts from 0, exactly on the beat's sample.
    for (const beat of [1, 2, 5, 7, 9]) {
      const sample = clock.sample(beat * 960, RATE);
      expect(values[sample], `beat ${beat}`).toBeCloseTo(0, 6);
      expect(values[sample - 1]).toBeGreaterThan(0.99);
    }
    const seconds = curve({ lfo: { period: 0.25, min: -1, max: 1, shape: 'sine' } });
    expect(seconds[0]).toBeCloseTo(0, 6);
    expect(seconds[RATE / 16]).toBeCloseTo(1, 5);
    expect(seconds[RATE / 4]).toBeCloseTo(0, 5);
  });

  it('rejects what it cannot draw', () => {
    const problems: string[] = [];
    elaborateAutomation([{ at: '0:0:0', value: 0 }, { at: '1:0:0', value: 10, shape: 'exponential' }], timing(), problems);
    elaborateAutomation([], timing(), problems);
    elaborateAutomation({ lfo: { period: '3x' as never, min: 0, max: 1 } }, timing(), problems);
    expect(problems).toEqual([
      "an exponential segment needs values above 0 (got 0 → 10); use 'linear' or 'curve'",
      'has no points',
      `lfo period "3x" must be a note value ('1m', '4n', '8t') or seconds above 0`,
    ]);
  });
});
