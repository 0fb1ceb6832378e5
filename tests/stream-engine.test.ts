import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEffect } from '../src/api/define-effect.ts';
import { processEffect } from '../src/ir/plugin.ts';
import type { SongInput } from '../src/api/song.ts';
import { CacheStore } from '../src/cache/store.ts';
import { beginLoad } from '../src/registry/dependencies.ts';
import { elaborate } from '../src/elaborate/elaborate.ts';
import { drums, GM_DRUMS, pluck, sampler, synth } from '../src/instruments/index.ts';
import { encodeWavFloat32 } from '../src/io/wav.ts';
import type { AutomationIR } from '../src/ir/types.ts';
import { plan, type StemTask } from '../src/plan/graph.ts';
import { renderAutomation, renderAutomationBlock } from '../src/render/automation-curve.ts';
import { renderStem } from '../src/render/stem.ts';
import { BLOCK_FRAMES, stemStreams, streamStem } from '../src/render/stream-strip.ts';
import { createRandom } from '../src/dsp/random.ts';
import { createProject } from './helpers/project.ts';
import { findMeasurement } from '../src/cache/measurement.ts';
import { bucketCount } from '../src/dsp/peaks.ts';
import { peaksOfObject } from '../src/report/room/analysis.ts';

/** Split 0…length into blocks of random sizes (1 to 3,000 frames). */
function blocksOf(length: number, seed: number): [number, number][] {
  const random = createRandom(seed);
  const blocks: [number, number][] = [];
  for (let start = 0; start < length; ) {
    const size = Math.min(length - start, 1 + Math.floor(random() * 3000));
    blocks.push([start, size]);
    start += size;
  }
  return blocks;
}

function inBlocks(automation: AutomationIR, length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  for (const [start, size] of blocksOf(length, seed)) {
    const block = new Float32Array(size);
    renderAutomationBlock(automation, start, block);
    out.set(block, start);
  }
  return out;
}

// A one-pole low-pass whose state runs across blocks, with an automatable coefficient: a plugin written only as a stream.
const smoother = defineEffect<{ amount: number }>({
  name: 'test-stream-smoother',
  version: '1',
  defaults: { amount: 0.5 },
  stream({ options }) {
    const state = [0, 0];
    return {
      process(_start, { channels, automation }) {
        const curve = automation.amount;
        for (let c = 0; c < 2; c++) {
          const channel = channels[c];
          let y = state[c];
          for (let i = 0; i < channel.length; i++) {
            const a = curve ? curve[i] : options.amount;
            y += (channel[i] - y) * a;
            channel[i] = y;
          }
          state[c] = y;
        }
      },
    };
  },
});

// A lookahead effect: each frame scaled by the level 1,500 frames later (more than a block), so its
// stream runs late by that much and declares it; the engine must line the output up again.
const LOOKAHEAD = 1500;
const lookahead = defineEffect<{ depth: number }>({
  name: 'test-stream-lookahead',
  version: '1',
  defaults: { depth: 0.5 },
  stream({ options }) {
    const ring = [new Float32Array(LOOKAHEAD), new Float32Array(LOOKAHEAD)];
    let at = 0;
    return {
      latency: LOOKAHEAD,
      process(_start, { channels, automation }) {
        const depth = automation.depth;
        for (let i = 0; i < channels[0].length; i++) {
          const ahead = Math.abs(channels[0][i]) + Math.abs(channels[1][i]);
          const gain = 1 - (depth ? depth[i] : options.depth) * Math.min(1, ahead);
          for (let c = 0; c < 2; c++) {
            const late = ring[c][at];
            ring[c][at] = channels[c][i];
            channels[c][i] = late * gain;
          }
          at = (at + 1) % LOOKAHEAD;
        }
      },
    };
  },
});

describe('block-streamed engine', () => {
  it('evaluates automation per block to the same values as the whole-song curve (points of every shape, LFOs)', () => {
    const length = 20_000;
    const points: AutomationIR = {
      lfo: null,
      points: [
        { sample: 300, value: -12, shape: 'linear', curve: 0 },
        { sample: 4000, value: -3, shape: 'linear', curve: 0 },
        { sample: 7000, value: 200, shape: 'step', curve: 0 },
        { sample: 9000, value: 2000, shape: 'exponential', curve: 0 },
        { sample: 9000, value: 500, shape: 'linear', curve: 0 },
        { sample: 13000, value: 900, shape: 'curve', curve: 2.5 },
        { sample: 16000, value: 100, shape: 'curve', curve: -1 },
      ],
    };
    const lfo: AutomationIR = {
      points: [],
      lfo: { shape: 'triangle', min: -1, max: 1, anchors: [0, 4800, 9600, 14400].map((sample, i) => ({ sample, phase: 0.25 + i * 0.8 })) },
    };
    for (const automation of [points, lfo]) {
      const whole = renderAutomation(automation, length);
      for (const seed of [1, 2, 3]) expect(inBlocks(automation, length, seed)).toEqual(whole);
    }
  });

  it('lines up a lagging stream (latency) with its input, whole or in blocks', () => {
    const length = 5000;
    const random = createRandom(5);
    const input = [new Float32Array(length).map(() => random() - 0.5), new Float32Array(length).map(() => random() - 0.5)] as [Float32Array, Float32Array];
    const expected = input.map((channel) =>
      channel.map((value, m) => {
        const ahead = m + LOOKAHEAD < length ? Math.abs(input[0][m + LOOKAHEAD]) + Math.abs(input[1][m + LOOKAHEAD]) : 0;
        return value * (1 - 0.5 * Math.min(1, ahead));
      }),
    );
    const whole = input.map((channel) => channel.slice()) as [Float32Array, Float32Array];
    const noFiles = () => {
      throw new Error('no files');
    };
    processEffect(lookahead.definition, { sampleRate: 48000, options: { depth: 0.5 }, channels: whole, sidechain: null, automation: {}, beatSeconds: 0.5, seed: 1, readAudio: noFiles });
    for (let c = 0; c < 2; c++) for (let m = 0; m < length; m += 97) expect(whole[c][m]).toBeCloseTo(expected[c][m], 6);
  });

  describe('strips', () => {
    let cacheRoot = '';
    let cache: CacheStore;
    let projectRoot = '';
    beforeAll(() => {
      cacheRoot = mkdtempSync(join(tmpdir(), 'mixdown-stream-cache-'));
      projectRoot = mkdtempSync(join(tmpdir(), 'mixdown-stream-project-'));
      cache = new CacheStore(cacheRoot);
      // A stereo sample, so a stereo instrument streams too.
      const frames = 9000;
      const left = new Float32Array(frames).map((_, i) => Math.sin(i * 0.05) * Math.exp(-i / 3000));
      const right = new Float32Array(frames).map((_, i) => Math.sin(i * 0.031) * Math.exp(-i / 2000));
      writeFileSync(join(projectRoot, 'hit.wav'), encodeWavFloat32([left, right], 48000));
    });
    afterAll(() => {
      rmSync(cacheRoot, { recursive: true, force: true });
      rmSync(projectRoot, { recursive: true, force: true });
    });

    const song: SongInput = {
      title: 'S',
      tempo: 125,
      tail: 0.3,
      tracks: {
        lead: {
          instrument: synth({ unison: 3 }),
          notes: [
            { pitch: 'C4', start: '0:0:0', length: '4n' },
            { pitch: 'E4', start: '0:0:0', length: '2n' },
            { pitch: 'G4', start: '0:1:1', length: '8n' },
          ],
          sends: [{ to: 'verb', level: -6, pre: true }],
          automation: { gain: [{ at: '0:0:0', value: -12 }, { at: '0:2:0', value: 0, shape: 'curve', curve: 2 }], pan: { lfo: { period: '4n', min: -0.8, max: 0.8 } } },
        },
        kick: { instrument: drums(), notes: [0, 1, 2, 3].map((beat) => ({ pitch: GM_DRUMS.kick, start: `0:${beat}:0`, length: '16n' })), pan: -0.3, gain: -2 },
        muted: { instrument: pluck(), notes: [{ pitch: 'A3', start: '0:0:0', length: '4n' }], mute: true },
        cue: { instrument: pluck(), notes: [{ pitch: 'A3', start: '0:0:2', length: '4n' }], mute: true, sends: [{ to: 'verb', level: 0, pre: true }] },
        hits: {
          instrument: sampler({ zones: [{ file: 'hit.wav', root: 60 }] }),
          notes: [{ pitch: 'C4', start: '0:0:0', length: '2n' }, { pitch: 'G4', start: '0:2:0', length: '4n' }],
          invert: true,
          effects: [smoother({ amount: 0.2 }, { mix: 0.6 })],
          automation: { 'fx.test-stream-smoother.amount': [{ at: '0:0:0', value: 0.05 }, { at: '0:3:0', value: 0.9 }] },
        },
        look: {
          instrument: synth({ wave: 'square' }),
          notes: [{ pitch: 'C3', start: '0:0:0', length: '8n' }, { pitch: 'C2', start: '0:2:0', length: '4n' }],
          effects: [smoother({ amount: 0.3 }, { id: 'soft' }), lookahead({ depth: 0.8 }, { mix: 0.7 }), lookahead({ depth: 0.3 }, { id: 'again' }), smoother({ amount: 0.5 })],
          automation: { 'fx.test-stream-lookahead.depth': [{ at: '0:0:0', value: 0.1 }, { at: '0:3:0', value: 0.9 }] },
          sends: [{ to: 'verb', level: -3, pre: true }],
        },
      },
      buses: { verb: { effects: [lookahead({ depth: 0.2 }, { mix: 0.5 })] } },
    };

    it('give the whole-song strip’s exact bytes and peak for synth, drums, muted, pre-fader-only, stereo sampler and a streamed insert', async () => {
      beginLoad(projectRoot);
      const result = elaborate(song, { id: 's', file: 'songs/s/song.ts' });
      if (!result.ok) throw new Error(result.diagnostics.map((p) => p.message).join('\n'));
      const stems = plan(result.song).tasks.filter((task): task is StemTask => task.kind === 'stem');
      expect(stems.map((task) => task.params.trackId).sort()).toEqual(['cue', 'hits', 'kick', 'lead', 'look', 'muted']);
      const where = { song: 's', file: 'songs/s/song.ts', projectRoot };
      for (const task of stems) {
        expect(stemStreams(task.params), task.id).toBe(true);
        expect(task.params.lengthSamples, 'longer than a few blocks').toBeGreaterThan(20 * BLOCK_FRAMES);
        const whole = await renderStem(task.params, where);
        const streamed = await streamStem(task.params, where, new Map(), cache);
        const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
        expect(streamed.outputs.audio.digest, `${task.id} audio`).toBe(digest(whole.wav));
        expect(streamed.outputs.audio.bytes).toBe(whole.wav.byteLength);
        expect(streamed.peak, task.id).toBe(whole.peak);
        if (whole.prefader) expect(streamed.outputs.prefader?.digest, `${task.id} prefader`).toBe(digest(whole.prefader));
        else expect(streamed.outputs.prefader).toBeUndefined();
        // The object is on disk under its digest, complete.
        expect(digest(cache.getObject(streamed.outputs.audio.digest)!)).toBe(streamed.outputs.audio.digest);
        // The room's waveform was measured on the way out: the same peaks as a scan of the file.
        const buckets = bucketCount(task.params.lengthSamples, task.params.sampleRate);
        const measured = await findMeasurement(cache, 'room-peaks', { digest: streamed.outputs.audio.digest, buckets });
        expect(measured, task.id).toEqual(peaksOfObject(cache, streamed.outputs.audio.digest, buckets));
      }
      // No temp file is left in the objects folder.
      expect(readdirSync(join(cacheRoot, 'objects')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    });

    it('build the same outputs as the whole-song engine, buses and mix included (MIXDOWN_WHOLE_SONG=1)', async () => {
      const source = `import { defineSong, drums, GM_DRUMS, pluck, synth } from 'mixdown';
export default defineSong({
  title: 'S', tempo: 125, tail: 0.3,
  tracks: {
    lead: { instrument: synth({ unison: 2 }), notes: [{ pitch: 'C4', start: '0:0:0', length: '4n' }, { pitch: 'G4', start: '0:1:1', length: '2n' }],
      output: 'group', sends: [{ to: 'verb', level: -6, pre: true }],
      automation: { gain: [{ at: '0:0:0', value: -12 }, { at: '0:2:0', value: 0, shape: 'curve', curve: 2 }], 'send.verb': [{ at: '0:0:0', value: -20 }, { at: '0:3:0', value: -3 }] } },
    kick: { instrument: drums(), notes: [0, 1, 2, 3].map((beat) => ({ pitch: GM_DRUMS.kick, start: '0:' + beat + ':0', length: '16n' })), pan: -0.3, output: 'group' },
    cue: { instrument: pluck(), notes: [{ pitch: 'A3', start: '0:0:2', length: '4n' }], mute: true, sends: [{ to: 'verb', level: 0, pre: true }] },
  },
  buses: { group: { gain: -3, pan: 0.2 }, verb: { gain: -6, sends: [{ to: 'group', level: -10 }] } },
});
`;
      const dist = async (whole: boolean) => {
        const project = createProject({ songs: { s: source } });
        try {
          if (whole) process.env.MIXDOWN_WHOLE_SONG = '1';
          const result = await project.build();
          expect(result.ok).toBe(true);
          const files: Record<string, string> = {};
          for (const name of ['master.wav', 'mix.wav', 'stems/lead.wav', 'stems/kick.wav', 'stems/cue.wav', 'buses/group.wav', 'buses/verb.wav']) {
            files[name] = createHash('sha256').update(project.bytes(`dist/s/${name}`)).digest('hex');
          }
          return files;
        } finally {
          delete process.env.MIXDOWN_WHOLE_SONG;
          project.dispose();
        }
      };
      expect(await dist(false)).toEqual(await dist(true));
    });

    it('reads an object back in pieces, and refuses a corrupted one', async () => {
      const writer = cache.createWriter();
      const bytes = new Uint8Array(3_000_001).map((_, i) => (i * 7919) & 0xff);
      writer.write(bytes.subarray(0, 58));
      writer.write(bytes.subarray(58));
      const record = cache.installWritten(await writer.finish());
      expect(record.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
      const fresh = new CacheStore(cacheRoot);
      const pieces: Uint8Array[] = [];
      expect(fresh.readObjectInPieces(record.digest, 58, (piece) => pieces.push(piece.slice()))).toBe(true);
      expect(pieces[0].byteLength).toBe(58);
      expect(Buffer.concat(pieces).equals(Buffer.from(bytes))).toBe(true);
      const path = join(cacheRoot, 'objects', record.digest.slice(0, 2), record.digest);
      const damaged = readFileSync(path);
      damaged[2_000_000] ^= 1;
      writeFileSync(path, damaged);
      expect(new CacheStore(cacheRoot).readObjectInPieces(record.digest, 58, () => {})).toBe(false);
    });

    it('an aborted writer leaves nothing behind, even with writes in flight', async () => {
      const writer = cache.createWriter();
      writer.write(new Uint8Array(5_000_000));
      await writer.abort();
      expect(readdirSync(join(cacheRoot, 'objects')).filter((name) => name.startsWith('incoming'))).toEqual([]);
    });
  });
});
