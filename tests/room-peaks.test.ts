import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheStore } from '../src/cache/store.ts';
import { decodeWav, encodeWavFloat32, encodeWavPcm } from '../src/io/wav.ts';
import { computePeaks, peaksOfObject } from '../src/report/room/analysis.ts';

const root = mkdtempSync(join(tmpdir(), 'mixdown-room-peaks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A decaying stereo sine with a click on the right: buckets with different minima and maxima per channel. */
function signal(frames: number): Float32Array[] {
  const left = Float32Array.from({ length: frames }, (_, i) => Math.sin(i / 7) * Math.exp(-i / frames));
  const right = Float32Array.from({ length: frames }, (_, i) => 0.3 * Math.cos(i / 3));
  right[Math.floor(frames / 3)] = -0.97;
  return [left, right];
}

describe('room peaks read from a built WAV object', () => {
  const cache = new CacheStore(root);
  for (const frames of [0, 5, 4801]) {
    it(`equal the decoded channels' peaks, float32 in place and 24-bit decoded (${frames} frames)`, async () => {
      const channels = signal(frames);
      for (const bytes of [encodeWavFloat32(channels, 48000), encodeWavPcm(channels, 48000, 24)]) {
        const record = cache.putObject(bytes);
        await cache.flush([record.digest]);
        const expected = computePeaks(decodeWav(bytes).channels, 300);
        expect(peaksOfObject(cache, record.digest, 300)).toEqual(expected);
      }
      // The right channel's click is in the peaks (a test over flat data could not tell channels apart).
      if (frames > 0) expect(Math.min(...computePeaks([channels[1]], 300).min)).toBeCloseTo(-0.97, 4);
    });
  }
});

describe('the master analysis', () => {
  it('skips the oversampled envelope only when the true peak is known to be under the ceiling, with the same result', async () => {
    const { analyseMaster } = await import('../src/report/room/analysis.ts');
    const rate = 48000;
    const tone = (amplitude: number) => [0, 1].map((c) => new Float32Array(rate * 3).map((_, i) => amplitude * Math.sin((2 * Math.PI * (997 + c) * i) / rate)));
    const quiet = tone(0.5); // −6 dBFS against a −1 dBTP ceiling
    expect(analyseMaster(quiet, rate, 400, -1, true, true)).toEqual(analyseMaster(quiet, rate, 400, -1, true, false));
    const hot = tone(0.99); // over a −1 dBTP ceiling everywhere: every 100 ms stretch is an over
    const overs = analyseMaster(hot, rate, 400, -1, false, false).overs;
    expect(overs.length).toBe(30);
    expect(overs[0].dbtp).toBeGreaterThan(-1);
  });
});
