/** Seeded test material for the master: a dry, crest-heavy drum loop and a dense, gently moving pad. */
import { createRandom } from '../../src/dsp/random.ts';

/**
 * A dry drum loop at 120 BPM: sine kicks sweeping down from 150 Hz, noise snares and short
 * bright hats, every hit with a sharp attack and nothing sustained between them — peaks far
 * above the loop's loudness, so a loud target makes the limiter work on every hit.
 */
export function drumLoop(seconds: number, sampleRate: number, seed = 1): Float32Array[] {
  const random = createRandom(seed);
  const length = Math.round(seconds * sampleRate);
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  const sixteenth = Math.round((60 / 120 / 4) * sampleRate);
  const add = (start: number, samples: (t: number) => number, pan: number, duration: number) => {
    for (let i = 0; i < Math.round(duration * sampleRate) && start + i < length; i++) {
      const value = samples(i / sampleRate);
      left[start + i] += value * (1 - pan);
      right[start + i] += value * (1 + pan);
    }
  };
  for (let step = 0, start = 0; start < length; step++, start += sixteenth) {
    const position = step % 16;
    const accent = 0.7 + 0.3 * random();
    if (position % 4 === 0 || (position === 10 && random() < 0.5)) {
      let phase = 0;
      add(start, (t) => {
        phase += (2 * Math.PI * (45 + 105 * Math.exp(-t / 0.03))) / sampleRate;
        return 0.9 * accent * Math.sin(phase) * Math.exp(-t / 0.12);
      }, 0, 0.5);
    }
    if (position === 4 || position === 12) add(start, (t) => 0.6 * accent * (random() * 2 - 1) * Math.exp(-t / 0.06), 0.1, 0.3);
    if (position % 2 === 0) add(start, (t) => 0.25 * accent * (random() * 2 - 1) * Math.exp(-t / 0.012), -0.3, 0.06);
  }
  return [left, right];
}

/** A sustained pad: three detuned saws through a slowly breathing level, no transients. */
export function pad(seconds: number, sampleRate: number, seed = 1): Float32Array[] {
  const random = createRandom(seed);
  const length = Math.round(seconds * sampleRate);
  const frequencies = [110, 164.81, 220.5].map((f) => f * (1 + 0.002 * (random() - 0.5)));
  return [0, 1].map((channel) =>
    Float32Array.from({ length }, (_, i) => {
      const t = i / sampleRate;
      let sum = 0;
      for (const f of frequencies) sum += ((t * f * (1 + 0.001 * channel)) % 1) * 2 - 1;
      return 0.1 * sum * (0.8 + 0.2 * Math.sin(2 * Math.PI * 0.25 * t));
    }),
  );
}
