/**
 * watch's first preview: the window of the new mix around a change, rendered from the stems
 * as soon as they are in and before any bus has finished, and the same samples as that window
 * of the mix the build then makes (its buses warmed up from silence over their tails, LFOs on
 * the song's clock).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom } from '../src/dsp/random.ts';
import { autoFilter } from '../src/effects/auto-filter.ts';
import { chorus } from '../src/effects/chorus.ts';
import { flanger } from '../src/effects/flanger.ts';
import { phaser } from '../src/effects/phaser.ts';
import { reverb } from '../src/effects/reverb.ts';
import { decodeWav } from '../src/io/wav.ts';
import type { EffectDefinition } from '../src/ir/plugin.ts';
import type { BuildEvent } from '../src/pipeline/build.ts';
import type { Task } from '../src/plan/graph.ts';
import { busStarts } from '../src/render/region-preview.ts';
import { createProject, type TestProject } from './helpers/project.ts';

const RATE = 48000;

describe('an effect stream started mid-song', () => {
  // Silence up to `at`, then noise: a stream started at `at` has seen nothing a stream started
  // at 0 has not, so from `at` on the two must agree to the bit, LFO phase included.
  const at = 3 * 1024 * 7;
  const frames = at + RATE;
  const random = createRandom(5);
  const input = [new Float32Array(frames), new Float32Array(frames)];
  for (let i = at; i < frames; i++) {
    input[0][i] = 0.5 * (random() * 2 - 1);
    input[1][i] = 0.5 * (random() * 2 - 1);
  }
  const cases: [string, EffectDefinition<object>, object][] = [
    ['reverb (modulated)', reverb.definition as never, reverb({ decay: 1.5, modulation: 0.8 }).options],
    ['chorus', chorus.definition as never, chorus({}).options],
    ['flanger', flanger.definition as never, flanger({}).options],
    ['phaser', phaser.definition as never, phaser({}).options],
    ['auto-filter', autoFilter.definition as never, autoFilter({}).options],
  ];
  const run = (definition: EffectDefinition<object>, options: object, from: number): Float32Array[] => {
    const stream = definition.stream!({ sampleRate: RATE, options, beatSeconds: 0.5, seed: 3, lengthSamples: frames, keyed: false, readAudio: () => { throw new Error('no files'); } } as never);
    const out = [input[0].slice(from), input[1].slice(from)];
    for (let start = 0; start < out[0].length; start += 1024) {
      const channels = out.map((channel) => channel.subarray(start, start + 1024));
      stream.process(from + start, { channels, sidechain: null, automation: {} } as never);
    }
    return out;
  };
  for (const [name, definition, options] of cases) {
    it(`${name}: the same samples from its first frame as a stream that ran from 0`, () => {
      const whole = run(definition, options, 0);
      const late = run(definition, options, at);
      for (let c = 0; c < 2; c++) expect(Buffer.from(late[c].buffer).equals(Buffer.from(whole[c].slice(at).buffer))).toBe(true);
    });
  }
});

const song = (lastPitch: string) => `
import { defineSong, synth, reverb, delay, compressor, chorus } from 'mixdown';

export default defineSong({
  title: 'Previewed',
  tempo: 120,
  seed: 4,
  tail: 0,
  sections: { verse: 8 },
  form: ['verse'],
  tracks: {
    lead: {
      instrument: synth({ program: 80 }),
      output: 'glue',
      sends: [{ to: 'hall', level: -6 }, { to: 'echo', level: -10 }],
      parts: { verse: [{ pitch: 'E4', start: '0:0:0', length: '2n' }, { pitch: 'G4', start: '2:0:0', length: '2n' }, { pitch: '${lastPitch}', start: '6:1:0', length: '2n' }] },
    },
    bass: { instrument: synth({ wave: 'square', program: 33 }), output: 'glue', parts: { verse: [{ pitch: 'E2', start: '0:0:0', length: '1m' }, { pitch: 'A2', start: '4:0:0', length: '1m' }] } },
  },
  buses: {
    hall: { output: 'glue', effects: [reverb({ decay: 1.2, modulation: 0.5 }), chorus({})] },
    echo: { output: 'glue', effects: [delay({ time: '8n', feedback: 0.3 })] },
    glue: { effects: [compressor({ threshold: -14, ratio: 2 })] },
  },
  master: { loudness: { target: -16 } },
});
`;

describe('where each bus of a preview starts', () => {
  // reverb tail = predelay + decay (here 0.01 + 2 = 2.01 s); a compressor declares none.
  const bus = (id: string, effects: { plugin: string; options: object }[], deps: string[]) => ({ kind: 'bus', id, deps, params: { effects } }) as unknown as Task;
  const hall = bus('bus:hall', [{ plugin: 'reverb', options: { predelay: 0.01, decay: 2 } }], ['stem:lead#send:hall']);
  const glue = bus('bus:glue', [{ plugin: 'compressor', options: {} }], ['stem:lead', 'bus:hall']);
  const side = bus('bus:side', [{ plugin: 'reverb', options: { predelay: 0.01, decay: 2 } }], ['stem:lead#send:side']);
  const from = 1000 * 1024;
  const blockStart = (seconds: number) => Math.floor((from - Math.round(seconds * RATE)) / 1024) * 1024;

  it('warms each bus over its own tail (at least a second) and over the warm-up of the buses reading it', () => {
    const starts = busStarts([hall, side, glue], new Map(), from, RATE);
    // glue: read by the mix only, no tail: the least warm-up, 1 s.
    expect(starts.get('bus:glue')).toBe(blockStart(1));
    // hall feeds glue: right from where glue starts, so its 2.01 s earlier still.
    expect(starts.get('bus:hall')).toBe(blockStart(3.01));
    // side goes straight to the mix: its own tail only.
    expect(starts.get('bus:side')).toBe(blockStart(2.01));
    // A bus already rendered (cached) is read, not warmed; and no start falls before the song's.
    const cached = busStarts([hall, side, glue], new Map([['bus:glue', {}]]), 2048, RATE);
    expect([cached.has('bus:glue'), cached.get('bus:hall'), cached.get('bus:side')]).toEqual([false, 0, 0]);
  });
});

describe('the region preview of a rebuild', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((project) => project.dispose()));

  it('is written once the stems are in, around the first changed frame, with the samples of the new mix there', async () => {
    const project = createProject({ songs: { p: song('B4') } });
    projects.push(project);
    expect((await project.build({ preview: true })).ok).toBe(true);
    project.write('songs/p/song.ts', song('C5'));
    const events: BuildEvent[] = [];
    let previewBytes: Buffer | undefined;
    const result = await project.build({
      preview: true,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'preview' && event.region) previewBytes = readFileSync(event.path);
      },
    });
    expect(result.ok).toBe(true);
    const previews = events.filter((event): event is Extract<BuildEvent, { type: 'preview' }> => event.type === 'preview');
    // First the window, then the whole mix.
    expect(previews.map((event) => event.region !== undefined)).toEqual([true, false]);
    const region = previews[0].region!;
    // The changed note starts at '6:1:0', 12.5 s at 120 BPM in 4/4 (a note's attack is its first changed frame).
    expect(region.changedAtSeconds).toBeCloseTo(12.5, 2);
    expect(region.fromSeconds).toBeLessThanOrEqual(region.changedAtSeconds - 0.9);
    const mixSeconds = decodeWav(project.bytes('dist/p/mix.wav')).channels[0].length / RATE;
    expect(region.toSeconds - region.fromSeconds).toBeCloseTo(Math.min(10, mixSeconds - region.fromSeconds), 3);
    // Before any bus finished rendering: the whole point.
    const order = events.map((event) => (event.type === 'preview' && event.region ? 'region' : event.type === 'task-done' && event.result.kind === 'bus' && event.result.status === 'rendered' ? 'bus' : '')).filter(Boolean);
    expect(order[0]).toBe('region');
    expect(order.filter((entry) => entry === 'bus').length).toBe(3);
    // The same samples as the build's mix over the window (its buses warmed up from silence).
    const preview = decodeWav(previewBytes!);
    const mix = decodeWav(project.bytes('dist/p/mix.wav'));
    const from = Math.round(region.fromSeconds * RATE);
    expect(preview.channels[0].length).toBe(Math.round((region.toSeconds - region.fromSeconds) * RATE));
    let worst = 0;
    let loudest = 0;
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < preview.channels[c].length; i++) {
        worst = Math.max(worst, Math.abs(preview.channels[c][i] - mix.channels[c][from + i]));
        loudest = Math.max(loudest, Math.abs(mix.channels[c][from + i]));
      }
    }
    expect(loudest).toBeGreaterThan(0.01);
    expect(worst).toBeLessThan(1e-5);
    // preview.wav ends as the whole new mix.
    expect(readFileSync(join(project.root, 'dist/p/preview.wav')).equals(project.bytes('dist/p/mix.wav'))).toBe(true);
  });

  it('starts at the song’s start when a bus’s own settings changed', async () => {
    const project = createProject({ songs: { p: song('B4') } });
    projects.push(project);
    expect((await project.build({ preview: true })).ok).toBe(true);
    // A bus setting changes (not its tail: the song's length stays): the window starts at the song's start.
    project.write('songs/p/song.ts', song('B4').replace('threshold: -14', 'threshold: -15'));
    const events: BuildEvent[] = [];
    expect((await project.build({ preview: true, onEvent: (event) => events.push(event) })).ok).toBe(true);
    const region = events.find((event): event is Extract<BuildEvent, { type: 'preview' }> => event.type === 'preview' && event.region !== undefined)?.region;
    expect(region?.changedAtSeconds).toBe(0);
    expect(region?.fromSeconds).toBe(0);
  });
});
