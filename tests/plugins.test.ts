import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../src/io/wav.ts';
import { createProject, REPO_ROOT, renderedTasks, type TestProject } from './helpers/project.ts';
import { rmsDb } from './helpers/audio.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

const PLUGIN = (amount: string) => `
import { defineEffect } from 'mixdown';
import { scale } from './scale.ts';

export interface AttenuateOptions {
  /** Linear gain. @default ${amount} */
  readonly amount: number;
}

/** A project plugin: scales its input (through a helper module it imports). */
export const attenuate = defineEffect<AttenuateOptions>({
  name: 'test-attenuate',
  version: '1',
  defaults: { amount: ${amount} },
  process({ channels, options }) {
    for (const channel of channels) scale(channel, options.amount);
  },
});
`;

const HELPER = (body: string) => `export function scale(channel: Float32Array, amount: number): void {
  ${body}
}
`;

const SONG = `
import { defineSong, synth } from 'mixdown';
import { attenuate } from '../../plugins/attenuate.ts';
const notes = [{ pitch: 'A3' as const, start: '0:0:0' as const, length: '2n' as const }];
export default defineSong({
  title: 'Plugins',
  tempo: 120,
  tail: 0.1,
  tracks: {
    uses: { instrument: synth({ wave: 'sine' }), effects: [attenuate()], notes },
    plain: { instrument: synth({ wave: 'sine' }), notes },
  },
});
`;

describe('project plugins', () => {
  let project: TestProject;
  beforeAll(() => {
    project = createProject({ songs: { plugged: SONG } });
    project.write('plugins/attenuate.ts', PLUGIN('0.5'));
    project.write('plugins/scale.ts', HELPER('for (let i = 0; i < channel.length; i++) channel[i] *= amount;'));
  });
  afterAll(() => project.dispose());

  it('renders a track through a plugin from plugins/', async () => {
    const result = await project.build({ jobs: 2 });
    expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
    const uses = decodeWav(project.bytes('dist/plugged/stems/uses.wav')).channels[0];
    const plain = decodeWav(project.bytes('dist/plugged/stems/plain.wav')).channels[0];
    expect(rmsDb(uses, 2400, 20000) - rmsDb(plain, 2400, 20000)).toBeCloseTo(20 * Math.log10(0.5), 4);
  });

  it('re-renders exactly the tasks that use a plugin when its code, or a file it imports, changes', async () => {
    project.write('plugins/attenuate.ts', PLUGIN('0.5').replace('scales its input', 'scales its input, edited'));
    const reasons: Record<string, readonly string[]> = {};
    const edited = await project.build({
      onEvent: (event) => {
        if (event.type === 'task-done' && event.reasons) reasons[event.result.id] = event.reasons;
      },
    });
    expect(renderedTasks(edited, 'plugged')).toEqual(['master', 'mix', 'stem:uses']);
    expect(reasons['stem:uses']).toEqual(['code of plugin test-attenuate changed']);
    project.write('plugins/scale.ts', HELPER('for (let i = 0; i < channel.length; i += 1) channel[i] *= amount;'));
    expect(renderedTasks(await project.build(), 'plugged')).toEqual(['master', 'mix', 'stem:uses']);
    expect(renderedTasks(await project.build(), 'plugged')).toEqual([]);
  });

  it('loads the plugin in a fresh process when only its task must render (the analysis is cached)', () => {
    const run = spawnSync(process.execPath, [BIN, 'build', '--no-cache', '--jobs', '2'], { cwd: project.root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/rendered\s+stem:uses/);
  });

  it('names the plugin and the track when a plugin throws', async () => {
    project.write('plugins/scale.ts', HELPER("if (amount > 0) throw new Error('tape snapped');"));
    const result = await project.build();
    expect(result.ok).toBe(false);
    const [problem] = result.songs[0].diagnostics;
    expect(problem).toMatchObject({ code: 'MD303', song: 'plugged', track: 'uses', file: 'songs/plugged/song.ts' });
    expect(problem.message).toBe("track 'uses': effect 'test-attenuate' failed while rendering: tape snapped");
  });
});

describe('a Web Audio graph effect', () => {
  it('renders a fixed subgraph over the whole signal, sample-aligned and the same every time', async () => {
    const { defineEffect } = await import('../src/api/define-effect.ts');
    const { runChain } = await import('../src/render/effect-chain.ts');
    const halfGain = defineEffect<{ gain: number }>({
      name: 'test-webaudio-gain',
      version: '1',
      defaults: { gain: 0.5 },
      graph({ audio, input, options }) {
        const node = audio.createGain();
        node.gain.value = options.gain;
        input.connect(node);
        return node;
      },
    });
    const render = async () => {
      const length = 48000;
      const left = new Float32Array(length);
      const right = new Float32Array(length);
      for (let i = 0; i < length; i++) {
        left[i] = Math.sin((2 * Math.PI * 440 * i) / 48000);
        right[i] = i % 100 === 0 ? 1 : 0;
      }
      const slot = { id: 'g', plugin: 'test-webaudio-gain', version: '1', options: halfGain().options, mix: 1, sidechain: null, seed: 1, source: null, code: null, files: [], automation: {} };
      await runChain([slot], [left, right], { sampleRate: 48000, beatSeconds: 0.5, keys: new Map(), label: "track 't'", where: { file: 'f', song: 's', track: 't' }, projectRoot: '/' });
      return [left, right];
    };
    const [first, second] = [await render(), await render()];
    expect(first[0][1000]).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 440 * 1000) / 48000), 6);
    // An impulse train stays on its samples: no latency from the graph.
    expect(first[1][500]).toBeCloseTo(0.5, 6);
    expect(first[1][501]).toBe(0);
    expect(Buffer.from(first[0].buffer).equals(Buffer.from(second[0].buffer))).toBe(true);
  });
});

describe('the example plugins', () => {
  it('import only what a song project can: mixdown and their own folder', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const folder = join(REPO_ROOT, 'plugins');
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.ts'))) {
      const imports = [...readFileSync(join(folder, name), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
      for (const source of imports) expect(source === 'mixdown' || (source.startsWith('./') && !source.includes('..')), `${name} imports ${source}`).toBe(true);
    }
  });
});
