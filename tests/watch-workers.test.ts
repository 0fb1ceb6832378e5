/**
 * `watch` keeps its worker threads for the whole session: a save that changes one track
 * renders that stem and the buses that hear it in workers (two buses at once), writes the
 * preview before the master, and leaves exactly the outputs of a cold build of the edited song.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchProject } from '../src/cli/watch.ts';
import type { BuildEvent } from '../src/pipeline/build.ts';
import { createProject, distDigests, type TestProject } from './helpers/project.ts';

const song = (lastPitch: string) => `
import { defineSong, synth, reverb, delay, compressor } from 'mixdown';

export default defineSong({
  title: 'Watched',
  tempo: 120,
  seed: 2,
  tail: 0,
  sections: { verse: 4 },
  form: ['verse'],
  tracks: {
    lead: {
      instrument: synth({ program: 80 }),
      output: 'glue',
      sends: [{ to: 'hall', level: -8 }, { to: 'echo', level: -10 }],
      parts: { verse: [{ pitch: 'E4', start: '0:0:0', length: '2n' }, { pitch: '${lastPitch}', start: '3:0:0', length: '2n' }] },
    },
    bass: { instrument: synth({ wave: 'square', program: 33 }), output: 'glue', parts: { verse: [{ pitch: 'E2', start: '0:0:0', length: '1m' }] } },
  },
  buses: {
    hall: { output: 'glue', effects: [reverb({ decay: 1.2 })] },
    echo: { output: 'glue', effects: [delay({ time: '8n', feedback: 0.3 })] },
    glue: { effects: [compressor({ threshold: -14, ratio: 2 })] },
  },
  master: { loudness: { target: -16 } },
});
`;

const digests = (root: string) => distDigests(root, (name) => /\.(wav|mid)$/.test(name) && name !== 'preview.wav');

describe('watch with workers', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((project) => project.dispose()));

  it("renders a save's stem and buses in the session's workers, and matches a cold build", async () => {
    const watched = createProject({ songs: { w: song('G4') } });
    const cold = createProject({ songs: { w: song('A4') } });
    projects.push(watched, cold);
    const events: BuildEvent[] = [];
    let builds = 0;
    let rebuilt!: () => void;
    const done = new Promise<void>((resolveDone) => (rebuilt = resolveDone));
    const session = await watchProject({
      root: watched.root,
      jobs: 2,
      typeCheck: false,
      onEvent: (event) => events.push(event),
      onBuild: () => {
        builds++;
        if (builds === 2) rebuilt();
      },
    });
    try {
      events.length = 0;
      writeFileSync(join(watched.root, 'songs/w/song.ts'), song('A4'));
      await done;
    } finally {
      await session.close();
    }
    const done2 = events.filter((event): event is Extract<BuildEvent, { type: 'task-done' }> => event.type === 'task-done' && event.result.status === 'rendered');
    const where = Object.fromEntries(done2.map((event) => [event.result.id, event.result.inWorker === true]));
    expect(where).toEqual({ 'stem:lead': true, 'bus:hall': true, 'bus:echo': true, 'bus:glue': true, mix: false, master: false, midi: false });
    // The previews come before the master: the window around the change (before the buses finished), then the whole mix.
    const order = events
      .map((event) => (event.type === 'preview' ? (event.region ? 'region' : 'mix') : event.type === 'task-done' && (event.result.id === 'master' || event.result.kind === 'bus') ? event.result.kind : ''))
      .filter(Boolean);
    expect(order).toEqual(['region', 'bus', 'bus', 'bus', 'mix', 'master']);
    expect((await cold.build({ jobs: 1 })).ok).toBe(true);
    const mine = digests(watched.root);
    expect(Object.keys(mine).length).toBeGreaterThan(6);
    expect(mine).toEqual(digests(cold.root));
  });
});
