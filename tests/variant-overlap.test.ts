/**
 * Variants of a song build together at --jobs 2: their graphs share the workers (masters
 * included), earliest variant first. The outputs must be those of a one-at-a-time build,
 * shared tasks rendered once, and the events must still come variant by variant.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheStore } from '../src/cache/store.ts';
import type { BuildEvent } from '../src/pipeline/build.ts';
import { execute } from '../src/pipeline/execute.ts';
import { createProject, distDigests, type TestProject } from './helpers/project.ts';

const SONG = `
import { defineSong, drums, synth, grid, removeTracks, transposeSong } from 'mixdown';

export default defineSong({
  title: 'Overlap',
  tempo: 120,
  seed: 5,
  tail: 0,
  sections: { verse: 2 },
  form: ['verse', 'verse'],
  tracks: {
    lead: { instrument: synth({ program: 80 }), parts: { verse: [{ pitch: 'E4', start: '0:0:0', length: '2n' }, { pitch: 'G4', start: '1:0:0', length: '2n' }] } },
    bass: { instrument: synth({ wave: 'square', program: 33 }), parts: { verse: [{ pitch: 'E2', start: '0:0:0', length: '1m' }] } },
    beat: { instrument: drums(), parts: { verse: grid('x...x...x...x...', 36) } },
  },
  master: { loudness: { target: -16 } },
  variants: {
    instrumental: (s) => removeTracks(s, 'lead'),
    'up-a-tone': (s) => transposeSong(s, 2),
  },
});
`;

const digests = (root: string) => distDigests(root, (name) => /\.(wav|mid|json)$/.test(name) && name !== 'room.json');

describe('variants at --jobs 2', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((project) => project.dispose()));

  it('overlap, with the bytes, shared tasks and event order of a one-at-a-time build', async () => {
    const overlapped = createProject({ songs: { o: SONG } });
    const serial = createProject({ songs: { o: SONG } });
    projects.push(overlapped, serial);
    const events: BuildEvent[] = [];
    const result = await overlapped.build({ jobs: 2, onEvent: (event) => events.push(event) });
    expect(result.ok).toBe(true);
    expect((await serial.build({ jobs: 1 })).ok).toBe(true);
    const a = digests(overlapped.root);
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(a).toEqual(digests(serial.root));

    // Events variant by variant: once a variant's events start, the previous one's have ended.
    const order = ['default', 'instrumental', 'up-a-tone'];
    const seen = events.flatMap((event) => ('variant' in event && event.type !== 'song-done' ? [order.indexOf(event.variant ?? 'default')] : []));
    expect(seen.length).toBeGreaterThan(20);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));

    // The variants build together: every master ran in a worker, beside another variant's tasks.
    const masters = events.flatMap((event) => (event.type === 'task-done' && event.result.kind === 'master' ? [[event.variant ?? 'default', event.result.inWorker === true] as const] : []));
    expect(masters).toEqual([['default', true], ['instrumental', true], ['up-a-tone', true]]);

    // Shared tasks rendered once: the instrumental renders no stem, the transposed song not the drums.
    const rendered = (variant: string) =>
      events.flatMap((event) => (event.type === 'task-done' && (event.variant ?? 'default') === variant && event.result.status === 'rendered' ? [event.result.id] : [])).sort();
    expect(rendered('instrumental')).toEqual(['master', 'midi', 'mix']);
    expect(rendered('up-a-tone')).toEqual(['master', 'midi', 'mix', 'stem:bass', 'stem:lead']);
  });
});

describe('execute with results shared between graphs', () => {
  it('renders a task two graphs share once, the second waiting for it and counting it cached', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mixdown-inflight-'));
    try {
      const cache = new CacheStore(root);
      const task = (id: string, key: string, deps: string[] = []) => ({ id, kind: 'midi', key, deps, inputs: {}, params: {} }) as never;
      const runs: string[] = [];
      let finish!: () => void;
      const gate = new Promise<void>((resolveGate) => (finish = resolveGate));
      const run = async (t: { id: string; key: string }) => {
        runs.push(t.key);
        if (t.key === 'shared') await gate; // still rendering when the second graph asks
        return { outputs: { midi: cache.putObject(new TextEncoder().encode(t.key)) }, meta: {}, data: {} };
      };
      const inFlight = new Map();
      const options = { cache, useCache: true, jobs: 2, run: run as never, context: {} as never, inFlight };
      const first = execute({ song: 's', tasks: [task('a', 'shared'), task('b', 'only-first', ['a'])] }, options);
      await new Promise((resolveTurn) => setTimeout(resolveTurn, 20));
      const second = execute({ song: 's', tasks: [task('a2', 'shared'), task('c', 'only-second', ['a2'])] }, options);
      await new Promise((resolveTurn) => setTimeout(resolveTurn, 20));
      finish();
      const [one, two] = await Promise.all([first, second]);
      expect(runs.sort()).toEqual(['only-first', 'only-second', 'shared']);
      expect(one.get('a')!.status).toBe('rendered');
      expect(two.get('a2')!.status).toBe('cached');
      expect(two.get('a2')!.outputs.midi.digest).toBe(one.get('a')!.outputs.midi.digest);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
