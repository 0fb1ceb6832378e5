/**
 * `watch` reads every save from disk — the song, a helper module it imports and a project
 * plugin — never an earlier transform of it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchProject } from '../src/cli/watch.ts';
import type { BuildEvent, BuildResult } from '../src/pipeline/build.ts';
import { createProject, type TestProject } from './helpers/project.ts';

const SONG = `
import { defineSong, synth } from 'mixdown';
import { PITCH } from './melody.ts';
import { gainer } from '../../plugins/gainer.ts';

export default defineSong({
  title: 'Helped',
  tempo: 120,
  tail: 0,
  sections: { a: 1 },
  form: ['a'],
  tracks: { lead: { instrument: synth(), effects: [gainer({})], parts: { a: [{ pitch: PITCH, start: '0:0:0', length: '4n' }] } } },
});
`;

const plugin = (gain: number) => `
import { defineEffect } from 'mixdown';
export const gainer = defineEffect<{ gain?: number }>({
  name: 'gainer',
  version: '1',
  defaults: {},
  process({ channels }) {
    for (const channel of channels) for (let i = 0; i < channel.length; i++) channel[i] *= ${gain};
  },
});
`;

describe('watch’s song loader', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((project) => project.dispose()));

  it('reads every save of the song’s helper and plugin, not an earlier transform', async () => {
    const project = createProject({ songs: { h: SONG } });
    projects.push(project);
    project.write('songs/h/melody.ts', "export const PITCH = 'C4';\n");
    project.write('plugins/gainer.ts', plugin(0.5));
    const results: { result: BuildResult; rendered: string[] }[] = [];
    let rendered: string[] = [];
    let next: (() => void) | undefined;
    const built = () => new Promise<void>((resolveBuilt) => (next = resolveBuilt));
    let first = built();
    const session = await watchProject({
      root: project.root,
      jobs: 1,
      typeCheck: false,
      onEvent: (event: BuildEvent) => {
        if (event.type === 'task-done' && event.result.status === 'rendered') rendered.push(event.result.id);
      },
      onBuild: (result) => {
        results.push({ result, rendered });
        rendered = [];
        next?.();
      },
    });
    try {
      await first;
      const peakOf = (index: number) => results[index].result.songs[0].report!.outputs.find((output) => output.task === 'stem:lead')!;
      expect(results[0].result.ok).toBe(true);
      // A helper module: the note changes, so the stem and the MIDI file render again.
      first = built();
      writeFileSync(join(project.root, 'songs/h/melody.ts'), "export const PITCH = 'G4';\n");
      await first;
      expect(results[1].result.ok).toBe(true);
      expect(results[1].rendered).toContain('stem:lead');
      expect(results[1].rendered).toContain('midi');
      // A plugin: its code is in the stem's key, and the level follows the new code.
      first = built();
      writeFileSync(join(project.root, 'plugins/gainer.ts'), plugin(0.25));
      await first;
      expect(results[2].rendered).toContain('stem:lead');
      expect(results[2].rendered).not.toContain('midi');
      const before = peakOf(1).peakDb!;
      const after = peakOf(2).peakDb!;
      expect(after - before).toBeCloseTo(20 * Math.log10(0.5), 1);
      // Back to the first helper and plugin: all from the cache.
      first = built();
      writeFileSync(join(project.root, 'songs/h/melody.ts'), "export const PITCH = 'C4';\n");
      writeFileSync(join(project.root, 'plugins/gainer.ts'), plugin(0.5));
      await first;
      expect(results.at(-1)!.rendered).toEqual([]);
    } finally {
      await session.close();
    }
  }, 60_000);
});
