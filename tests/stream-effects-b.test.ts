/**
 * Streamed time-based effects (issue 13): delay, reverb, convolution, chorus, flanger, phaser
 * and autoFilter give the same float32 samples whole and block by block (1,024, 333, 1 and
 * random sizes), and the whole-song output is the one the whole-signal process() gave before
 * the effects were streamed (its sha256, recorded from that implementation). Convolution
 * streams with a latency (its partition size), which the harness compensates as the engine does.
 */
import { describe, expect, it } from 'vitest';
import { CASES, digest, LENGTH, runBlocks, runWhole, testSignal, type StreamCase } from './helpers/stream-fx-b.ts';
import type { AudioFileData } from '../src/ir/plugin.ts';

/** sha256 of each case's whole-song output from the whole-signal process() on main before this change. */
const MAIN_SHA256: Readonly<Record<string, string>> = {
  'delay synced, feedback automated': '99a8d41d70deb3ca3fe5897671329174dbc16fa83f5594111f9dbfd3794bf226',
  'delay ping-pong, filtered, spread': 'e5341595ce14296e354d4a790cb06e4acb2e9986efcba5492edbca2b07bc061a',
  'reverb default (modulated)': 'ba1dce7391de971551d8c2d1d52afb29faaea0380c248ab18d864bc6169b296f',
  'reverb small, no predelay, no modulation': '2dab220f14c5be30ac546853a46efe88cba301b851abe5d160f64eaeef31a942',
  'convolution short mono IR': '33bce99cc259fb72069c3685bf5c0046cbc9f15668434dc5c4f8efc6eeaa822b',
  'convolution long stereo IR, predelay': '0040cfec70a895677fe3ce0e41097a7f2dca2e0430321615018c020e3ccaff01',
  'chorus 3 voices, feedback, synced rate': '310d344df67e2cbcd9825ff1b38a96361846fd9b2ac7091a6198086a3d7cc2c4',
  'chorus default': '0b26665489b349c937c867f6059e23e8ca31917f292b5ebd33fd548b36c62b9d',
  'flanger default': '2abf0109b13aeb8fd4d67184edc90cbc5f1cfc1f5d8433b8a145bcc5a354fd61',
  'flanger negative feedback, synced': 'e046d79a422991d3d8e00390476f802dc7a61ce586dddcd29fcce1f1c8873731',
  'phaser default': '8083d5ba79b8e0bc2b101885b95ea6f6b7aa499871d972522b57d5544a845528',
  'phaser 12 stages, synced': '8991433915bc04dd7f8edb51bf09ff0fd98a1b4001add449a4ce43acf14f88c0',
  'autoFilter frequency automated': '71f44d6984d927a7160a73a9985b78c72faffb1e8bbc7836e0bdaecb9dd5f8f9',
  'autoFilter square bandpass, stereo phase': '27d7e2a99754c2ef57dbad60ee7aad97d3b5e3229503cefff6a14b17e258d6ef',
};

/** Index of the first frame whose float32 bits differ between two outputs, or -1. */
function firstDifference(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  for (let c = 0; c < 2; c++) {
    const x = new Uint32Array(a[c].buffer, a[c].byteOffset, a[c].length);
    const y = new Uint32Array(b[c].buffer, b[c].byteOffset, b[c].length);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  }
  return -1;
}

const PARTITIONS = [1024, 333, 1, 'random'] as const;

describe.each(CASES.map((c) => [c.name, c] as [string, StreamCase]))('%s', (name, c) => {
  const whole = runWhole(c);

  it('whole-song output is the one main gave', () => {
    expect(digest(whole)).toBe(MAIN_SHA256[name]);
  });

  it.each(PARTITIONS)('blocks of %s give the same float32 samples as one whole-song block', (kind) => {
    const blocks = runBlocks(c, kind);
    expect(firstDifference(blocks, whole)).toBe(-1);
  });
});

describe('streamed convolution against direct convolution', () => {
  it.each(CASES.filter((c) => c.factory.definition.name === 'convolution').map((c) => [c.name, c] as [string, StreamCase]))(
    '%s: within float32 rounding of a float64 direct-form sum (a frame in every few)',
    (_name, c) => {
      const out = runBlocks(c, 'random');
      const dry = testSignal();
      const file = Object.values(c.files?.() ?? {})[0] as AudioFileData;
      const options = c.factory(c.options as never).options as { gain: number; predelay: number };
      const gain = Math.pow(10, options.gain / 20);
      const shift = Math.round(options.predelay * 48000);
      let worst = 0;
      for (let channel = 0; channel < 2; channel++) {
        const ir = file.channels[Math.min(channel, file.channels.length - 1)];
        // A direct sum costs the IR's length per frame: check a spread of frames, more for short IRs.
        for (let n = channel; n < LENGTH; n += 7 + (ir.length >> 9)) {
          let sum = 0;
          for (let k = 0; k < ir.length && k + shift <= n; k++) sum += ir[k] * gain * dry[channel][n - shift - k];
          const wet = c.mix * sum + (1 - c.mix) * dry[channel][n];
          // In units of the float32 rounding the output and the blend may add (2⁻²⁴ of the magnitudes).
          worst = Math.max(worst, Math.abs(out[channel][n] - wet) / ((Math.abs(sum) + Math.abs(dry[channel][n])) * 2 ** -24 + 1e-15));
        }
      }
      // The convolution itself is float64: only the float32 roundings remain.
      expect(worst).toBeLessThan(4);
    },
  );
});
