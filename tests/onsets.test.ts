import { renderInstrument } from '../src/ir/plugin.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { detectHits, hitsToNotes } from '../src/api/hits.ts';
import type { NoteEvent } from '../src/ir/plugin.ts';
import { fft } from '../src/dsp/fft.ts';
import { createRealMagnitudes, detectOnsets } from '../src/dsp/onsets.ts';
import { createRandom } from '../src/dsp/random.ts';
import { drums, GM_DRUMS } from '../src/instruments/drums.ts';
import { encodeWavFloat32, encodeWavPcm } from '../src/io/wav.ts';
import { beginLoad, recordedFiles } from '../src/registry/dependencies.ts';

const RATE = 48000;

interface Hit {
  readonly pitch: number;
  readonly at: number;
  readonly velocity: number;
}

/** A drum loop from mixdown's own kit at `rate`, plus white noise of `noiseDb` dBFS RMS. */
function renderLoop(hits: readonly Hit[], seconds: number, noiseDb = -60, seed = 3, rate = RATE): Float32Array {
  const output = [new Float32Array(Math.round(seconds * rate))];
  const notes: NoteEvent[] = hits.map((hit) => ({ pitch: hit.pitch, velocity: hit.velocity, startSample: hit.at, lengthSamples: rate / 8, startTick: 0, lengthTicks: 240 }));
  const none = () => {
    throw new Error('no files');
  };
  renderInstrument(drums.definition, { sampleRate: rate, options: drums({}).options, notes, output, seed, readAudio: none, readFile: none, openFile: none });
  const random = createRandom(seed);
  const amplitude = 10 ** (noiseDb / 20) * Math.sqrt(3); // uniform noise of that RMS
  const [signal] = output;
  for (let i = 0; i < signal.length; i++) signal[i] += (random() * 2 - 1) * amplitude;
  return signal;
}

const { kick, snare, closedHat, openHat, clap } = GM_DRUMS;
const s = (seconds: number, rate = RATE) => Math.round(seconds * rate);

/** Irregular spacing (no grid the detector could lock onto), velocities 30–127, tails overlapping. */
const LOOP_SECONDS: readonly { pitch: number; at: number; velocity: number }[] = [
  { pitch: kick, at: 0.1004, velocity: 127 },
  { pitch: closedHat, at: 0.3501, velocity: 70 },
  { pitch: snare, at: 0.6021, velocity: 110 },
  { pitch: kick, at: 0.9501, velocity: 90 },
  { pitch: closedHat, at: 1.1309, velocity: 50 },
  { pitch: kick, at: 1.4002, velocity: 60 },
  { pitch: snare, at: 1.7516, velocity: 60 },
  { pitch: openHat, at: 2.0003, velocity: 100 },
  { pitch: kick, at: 2.5, velocity: 40 },
  { pitch: clap, at: 2.8052, velocity: 100 },
  { pitch: snare, at: 3.2006, velocity: 30 },
  { pitch: kick, at: 3.5013, velocity: 110 },
];
const loopAt = (rate: number): Hit[] => LOOP_SECONDS.map((hit) => ({ ...hit, at: s(hit.at, rate) }));
const LOOP = loopAt(RATE);

/** For each true hit, the distance in samples to the nearest detected onset. */
function errors(hits: readonly Hit[], found: readonly { sample: number }[]): number[] {
  return hits.map((hit) => Math.min(...found.map((onset) => Math.abs(onset.sample - hit.at))));
}

describe('detectOnsets', () => {
  it('finds every hit of a synthetic drum loop within 5 ms, with no false hits', () => {
    const onsets = detectOnsets([renderLoop(LOOP, 4.2)], RATE);
    expect(onsets.length).toBe(LOOP.length);
    for (const [index, error] of errors(LOOP, onsets).entries()) expect(error, `hit ${index}`).toBeLessThanOrEqual(s(0.005));
    // In practice the refinement lands on the attack's first samples.
    expect(Math.max(...errors(LOOP, onsets))).toBeLessThanOrEqual(8);
    for (const onset of onsets) expect(onset.seconds).toBe(onset.sample / RATE);
  });

  it('gives peak levels that follow velocity (the kit scales by (v/127)^1.5: 30·log10 of the ratio in dB)', () => {
    const onsets = detectOnsets([renderLoop(LOOP, 4.2)], RATE);
    const nearest = (hit: Hit) => onsets.reduce((best, onset) => (Math.abs(onset.sample - hit.at) < Math.abs(best.sample - hit.at) ? onset : best));
    for (const pitch of [kick, snare, closedHat]) {
      const same = LOOP.filter((hit) => hit.pitch === pitch);
      expect(same.length).toBeGreaterThan(1);
      for (const a of same) {
        for (const b of same) {
          if (a === b) continue;
          const measured = nearest(a).peakDb - nearest(b).peakDb;
          const expected = 30 * Math.log10(a.velocity / b.velocity);
          // Ordering follows velocity, and the step is the kit's own curve: to within 1 dB for
          // the tonal kick; 3 dB for the snare (its wires are fresh noise each hit) and the hats
          // (which sit on kick tails here).
          if (a.velocity > b.velocity) expect(measured).toBeGreaterThan(0);
          expect(Math.abs(measured - expected), `${pitch}: v${a.velocity} vs v${b.velocity}`).toBeLessThan(pitch === kick ? 1 : 3);
        }
      }
    }
    // The loudest kick (v127, kit at −3 dB) peaks near −3 dBFS.
    expect(Math.abs(nearest(LOOP[0]).peakDb - -3)).toBeLessThan(0.5);
  });

  it('measures isolated hits on the kit velocity curve to within 0.5 dB', () => {
    for (const pitch of [kick, closedHat]) {
      const velocities = [127, 100, 80, 60, 45, 30];
      const hits = velocities.map((velocity, index) => ({ pitch, at: s(0.1 + index * 0.6) + index * 7, velocity }));
      const onsets = detectOnsets([renderLoop(hits, 3.8, -70)], RATE);
      expect(onsets.length).toBe(hits.length);
      for (let i = 1; i < hits.length; i++) {
        const expected = 30 * Math.log10(velocities[i] / velocities[0]);
        expect(Math.abs(onsets[i].peakDb - onsets[0].peakDb - expected), `${pitch} v${velocities[i]}`).toBeLessThan(0.5);
      }
    }
  });

  it('works at 44.1 kHz, in stereo, at half the level and with a louder noise floor', () => {
    const rate = 44100;
    const hits = loopAt(rate);
    const mono = renderLoop(hits, 4.2, -50, 9, rate);
    const left = mono.map((x) => x * 0.5);
    const right = mono.map((x) => x * 0.25);
    const onsets = detectOnsets([left, right], rate);
    expect(onsets.length).toBe(hits.length);
    for (const error of errors(hits, onsets)) expect(error).toBeLessThanOrEqual(s(0.005, rate));
    // Peak over both channels: the left one.
    const first = onsets[0];
    expect(Math.abs(first.peakDb - (-3 + 20 * Math.log10(0.5)))).toBeLessThan(0.5);
  });

  it('takes a clap as one hit, but finds strokes further apart than minGap', () => {
    const hits = [
      { pitch: clap, at: s(0.2), velocity: 100 },
      { pitch: snare, at: s(0.6), velocity: 100 },
      { pitch: snare, at: s(0.6) + s(0.07), velocity: 100 },
    ];
    const signal = renderLoop(hits, 1.2);
    expect(detectOnsets([signal], RATE).length).toBe(3);
    // With a 0.1 s gap the second snare (70 ms on) belongs to the first.
    const merged = detectOnsets([signal], RATE, { minGap: 0.1 });
    expect(merged.map((onset) => onset.sample)).toHaveLength(2);
    expect(Math.abs(merged[1].sample - s(0.6))).toBeLessThanOrEqual(8);
  });

  it('drops quiet hits as the threshold rises', () => {
    const hits = [
      { pitch: snare, at: s(0.2), velocity: 127 },
      { pitch: snare, at: s(0.7), velocity: 12 },
      { pitch: snare, at: s(1.2), velocity: 127 },
    ];
    const signal = renderLoop(hits, 1.6, -70);
    expect(detectOnsets([signal], RATE).length).toBe(3);
    const strict = detectOnsets([signal], RATE, { threshold: 0.6 });
    expect(strict.map((onset) => Math.round(onset.seconds * 10) / 10)).toEqual([0.2, 1.2]);
  });

  it('sees one onset in a long steady tone and in a sweep, none in silence', () => {
    const tone = new Float32Array(RATE * 2);
    for (let i = s(0.3); i < tone.length; i++) tone[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE);
    const onsets = detectOnsets([tone], RATE);
    expect(onsets.length).toBe(1);
    expect(Math.abs(onsets[0].sample - s(0.3))).toBeLessThanOrEqual(8);
    // A slow glide 200 → 800 Hz: moving energy, no new attacks.
    const sweep = new Float32Array(RATE * 2);
    let phase = 0;
    for (let i = s(0.3); i < sweep.length; i++) {
      phase += (200 * 2 ** ((2 * (i - s(0.3))) / RATE)) / RATE;
      sweep[i] = 0.5 * Math.sin(2 * Math.PI * phase);
    }
    expect(detectOnsets([sweep], RATE).length).toBe(1);
    expect(detectOnsets([new Float32Array(RATE)], RATE)).toEqual([]);
    expect(detectOnsets([], RATE)).toEqual([]);
    expect(detectOnsets([new Float32Array(0)], RATE)).toEqual([]);
  });

  it('rejects bad arguments and non-finite audio with clear errors', () => {
    const signal = new Float32Array(100);
    expect(() => detectOnsets([signal], 0)).toThrow(/sample rate/);
    expect(() => detectOnsets([signal], RATE, { threshold: 0 })).toThrow(/threshold/);
    expect(() => detectOnsets([signal], RATE, { minGap: -1 })).toThrow(/minGap/);
    expect(() => detectOnsets([signal, new Float32Array(5)], RATE)).toThrow(/same length/);
    signal[3] = Number.NaN;
    expect(() => detectOnsets([signal], RATE)).toThrow(/NaN/);
  });

  it('computes spectra like src/dsp/fft.ts (its real-input FFT)', () => {
    const random = createRandom(4);
    for (const size of [64, 1024, 2048]) {
      const frame = Float64Array.from({ length: size }, () => random() * 2 - 1);
      const re = frame.slice();
      const im = new Float64Array(size);
      fft(re, im);
      const magnitudes = new Float64Array(size / 2);
      createRealMagnitudes(size)(frame, magnitudes);
      for (let k = 0; k < size / 2; k++) expect(Math.abs(magnitudes[k] - Math.hypot(re[k], im[k]))).toBeLessThan(1e-9);
    }
  });

  it('is deterministic and fast: a minute of stereo drums', () => {
    const minute: Hit[] = [];
    for (let k = 0; k < 240; k++) minute.push({ pitch: [kick, closedHat, snare, closedHat][k % 4], at: s(k * 0.25) + (k % 7) * 11, velocity: 60 + ((k * 37) % 67) });
    const signal = renderLoop(minute, 60.5);
    const started = performance.now();
    const onsets = detectOnsets([signal, signal], RATE);
    const elapsed = performance.now() - started;
    expect(onsets.length).toBe(minute.length);
    for (const error of errors(minute, onsets)) expect(error).toBeLessThanOrEqual(s(0.005));
    expect(detectOnsets([signal, signal], RATE)).toEqual(onsets);
    console.log(`detectOnsets: 60 s stereo in ${elapsed.toFixed(0)} ms (${(60000 / elapsed).toFixed(0)}× realtime)`);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('detectHits and hitsToNotes (sample replacement)', () => {
  const project = mkdtempSync(join(tmpdir(), 'mixdown-hits-'));
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
    beginLoad(process.cwd());
  });

  it('finds the hits of a WAV loop in the project, at its own rate, and records the file', () => {
    for (const rate of [44100, 48000]) {
      const hits = loopAt(rate);
      const stereo = renderLoop(hits, 4.2, -60, 11, rate);
      writeFileSync(join(project, `loop-${rate}.wav`), encodeWavPcm([stereo, stereo], rate, 24));
      beginLoad(project);
      const found = detectHits(`loop-${rate}.wav`);
      expect(recordedFiles()).toEqual([join(project, `loop-${rate}.wav`)]);
      expect(found.length).toBe(hits.length);
      found.forEach((hit, index) => {
        expect(Math.abs(hit.seconds - hits[index].at / rate), `hit ${index} at ${rate} Hz`).toBeLessThanOrEqual(0.005);
        expect(Object.keys(hit).sort()).toEqual(['peakDb', 'seconds']);
      });
      // The same file by absolute path and by URL.
      expect(detectHits(join(project, `loop-${rate}.wav`))).toEqual(found);
      expect(detectHits(pathToFileURL(join(project, `loop-${rate}.wav`)))).toEqual(found);
    }
  });

  it('passes the detector options through', () => {
    const hits = [
      { pitch: snare, at: s(0.2), velocity: 127 },
      { pitch: snare, at: s(0.6), velocity: 127 },
      { pitch: snare, at: s(0.67), velocity: 127 },
    ];
    writeFileSync(join(project, 'flam.wav'), encodeWavFloat32([renderLoop(hits, 1)], RATE));
    beginLoad(project);
    expect(detectHits('flam.wav').length).toBe(3);
    expect(detectHits('flam.wav', { minGap: 0.1 }).length).toBe(2);
  });

  it('says which file it could not use, and why', () => {
    beginLoad(project);
    expect(() => detectHits('missing.wav')).toThrow(/detectHits: cannot use 'missing.wav': .*ENOENT/);
    writeFileSync(join(project, 'loop.flac'), Uint8Array.of(0x66, 0x4c, 0x61, 0x43, 0, 0, 0, 34));
    expect(() => detectHits('loop.flac')).toThrow(/detectHits: cannot use 'loop.flac': FLAC audio cannot be read here .*convert it to WAV/);
    writeFileSync(join(project, 'short.wav'), encodeWavPcm([new Float32Array(100)], RATE, 16).subarray(0, 60));
    expect(() => detectHits('short.wav')).toThrow(/detectHits: cannot use 'short.wav': not a readable WAV file: data chunk claims/);
    // A missing file is still recorded: creating it must re-run the song.
    expect(recordedFiles()).toContain(join(project, 'missing.wav'));
  });

  it('maps the loudest hit to the top velocity and the rest linearly in dB', () => {
    const hits = [
      { seconds: 0, peakDb: -3 },
      { seconds: 0.5, peakDb: -18 },
      { seconds: 1, peakDb: -33 },
      { seconds: 1.25, peakDb: -60 },
      { seconds: 1.5, peakDb: -Infinity },
      { seconds: 2, peakDb: -6 },
    ];
    const notes = hitsToNotes(hits, 'C2');
    expect(notes.map((note) => note.velocity)).toEqual([127, 84, 40, 40, 40, Math.round(127 - (87 * 3) / 30)]);
    expect(notes[1]).toEqual({ pitch: 'C2', start: { seconds: 0.5 }, length: '16n', velocity: 84 });
    const custom = hitsToNotes(hits, 38, { velocityRange: [1, 100], dynamicRange: 20, length: { ticks: 120 } });
    expect(custom.map((note) => note.velocity)).toEqual([100, Math.round(100 - 99 * 0.75), 1, 1, 1, Math.round(100 - (99 * 3) / 20)]);
    expect(custom[0]).toEqual({ pitch: 38, start: { seconds: 0 }, length: { ticks: 120 }, velocity: 100 });
    expect(hitsToNotes([], 36)).toEqual([]);
    expect(hitsToNotes([{ seconds: 1, peakDb: -20 }], 36)[0].velocity).toBe(127);
    expect(() => hitsToNotes(hits, 36, { velocityRange: [0, 127] })).toThrow(/velocityRange/);
    expect(() => hitsToNotes(hits, 36, { velocityRange: [100, 50] })).toThrow(/velocityRange/);
    expect(() => hitsToNotes(hits, 36, { dynamicRange: 0 })).toThrow(/dynamicRange/);
    expect(() => hitsToNotes([{ seconds: -1, peakDb: 0 }], 36)).toThrow(/-1 s/);
  });

  it('turns a recorded loop into notes whose velocities follow the performance', () => {
    const kicks = [127, 100, 70, 45].map((velocity, index) => ({ pitch: kick, at: s(0.1 + index * 0.55), velocity }));
    writeFileSync(join(project, 'kick.wav'), encodeWavPcm([renderLoop(kicks, 2.5)], RATE, 24));
    beginLoad(project);
    const notes = hitsToNotes(detectHits('kick.wav'), 'C1');
    expect(notes.length).toBe(4);
    notes.forEach((note, index) => expect(Math.abs((note.start as { seconds: number }).seconds - kicks[index].at / RATE)).toBeLessThanOrEqual(0.005));
    // The kit plays at (v/127)^1.5, i.e. 30·log10(v/127) dB: 100 → −3.1 dB, 70 → −7.8 dB,
    // 45 → −13.5 dB, which the 30 dB range maps to 127 − 87·dB/30.
    const expected = kicks.map((hit) => Math.round(127 - (87 * -30 * Math.log10(hit.velocity / 127)) / 30));
    notes.forEach((note, index) => expect(Math.abs((note.velocity ?? 0) - expected[index]), `kick ${index}`).toBeLessThanOrEqual(2));
  });
});
