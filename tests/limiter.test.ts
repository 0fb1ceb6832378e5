import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/dsp/random.ts';
import { limit } from '../src/master/limiter.ts';
import { measureLoudness } from '../src/master/loudness.ts';
import { truePeak } from '../src/master/true-peak.ts';

const RATE = 48000;

/** Hot material: loud noise bursts with a bright tone, peaking far above full scale, with inter-sample overs. */
function hot(seconds: number, seed = 1): Float32Array[] {
  const random = createRandom(seed);
  const length = seconds * RATE;
  const make = () =>
    Float32Array.from({ length }, (_, i) => {
      const burst = Math.floor(i / 4800) % 3 === 0 ? 3 : 0.8;
      return burst * (random() * 2 - 1) + 1.5 * Math.sin((Math.PI / 2) * i + Math.PI / 4);
    });
  return [make(), make()];
}

describe('true-peak limiter', () => {
  it('keeps the true peak at or under the ceiling on hot material', () => {
    const input = hot(4);
    expect(20 * Math.log10(truePeak(input, RATE))).toBeGreaterThan(10);
    for (const ceiling of [-1, -0.3, -6]) {
      const { channels, maxReductionDb } = limit(input, RATE, { ceilingDb: ceiling, release: 0.05, lookahead: 0.002 });
      const peakDb = 20 * Math.log10(truePeak(channels, RATE));
      expect(peakDb, `ceiling ${ceiling}`).toBeLessThanOrEqual(ceiling);
      expect(peakDb, `ceiling ${ceiling}`).toBeGreaterThan(ceiling - 1);
      expect(maxReductionDb).toBeLessThan(-10);
    }
  });

  it('leaves material under the ceiling untouched', () => {
    const quiet = hot(1).map((channel) => channel.map((x) => x * 0.05));
    const { channels, maxReductionDb } = limit(quiet, RATE, { ceilingDb: -1, release: 0.05, lookahead: 0.002 });
    expect(maxReductionDb).toBe(0);
    expect(Array.from(channels[0])).toEqual(Array.from(quiet[0]));
  });

  it('ducks ahead of a peak instead of clicking: gain falls over the lookahead', () => {
    const signal = new Float32Array(RATE).fill(0.1);
    signal[24000] = 2;
    const { channels } = limit([signal], RATE, { ceilingDb: -1, release: 0.05, lookahead: 0.005 });
    const gainAt = (i: number) => channels[0][i] / signal[i];
    expect(gainAt(24000 - 250)).toBeCloseTo(1, 6); // more than 5 ms before: untouched
    expect(gainAt(24000 - 120)).toBeLessThan(1); // ducking has begun
    expect(gainAt(24000 - 120)).toBeGreaterThan(gainAt(24000 - 10));
    expect(measureLoudness(channels, RATE).truePeak).toBeLessThanOrEqual(-1);
  });
});
