/**
 * Resumable bus renders (issue 13), end to end: a song with a bus of stateful inserts
 * (reverb, delay, a compressor with lookahead keyed from the drums, chorus; gain automation
 * and a pre-fader send) is built, one note late in the song is changed, and the rebuild's bus
 * task resumes from a checkpoint after frame 0. Every file in dist/ (but report.json, which
 * says what was cached) must equal a cold build of the edited song in a fresh project. A
 * checkpoint or an earlier output that is missing or corrupt falls back to an earlier
 * checkpoint or to frame 0, with the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildEvent } from '../src/pipeline/build.ts';
import type { LineageEntry } from '../src/cache/lineage.ts';
import { CHECKPOINT_FRAMES } from '../src/render/resume.ts';
import { encodeState } from '../src/ir/effect-state.ts';
import { createProject, distDigests, REPO_ROOT, type TestProject } from './helpers/project.ts';

/** Seven bars at 120 bpm (14 s, and the tails): checkpoints every 5.5 s. `late`: the pitch of the lead's note at bar 6 (12 s). */
const song = (late: string) => `
import { chorus, compressor, defineSong, delay, drums, GM_DRUMS, reverb, synth } from 'mixdown';

export default defineSong({
  title: 'Resume',
  tempo: 120,
  meter: [4, 4],
  seed: 11,
  tail: 0.5,
  tracks: {
    beat: {
      instrument: drums(),
      output: 'fx',
      notes: Array.from({ length: 28 }, (_, i) => ({ pitch: i % 2 ? GM_DRUMS.snare : GM_DRUMS.kick, start: \`\${Math.floor(i / 4)}:\${i % 4}:0\`, length: '8n' })),
    },
    lead: {
      instrument: synth({ wave: 'saw' }),
      gain: -6,
      output: 'fx',
      sends: [{ to: 'wide', level: -8 }],
      notes: ['A4', 'C5', 'E5', 'D5', 'G4', 'B4', '${late}'].map((pitch, bar) => ({ pitch, start: \`\${bar}:0:0\`, length: '2n.', velocity: 90 + bar })),
    },
  },
  buses: {
    fx: {
      effects: [
        reverb({ decay: 1.5 }),
        delay({ time: '8n', feedback: 0.5 }, { mix: 0.4 }),
        compressor({ threshold: -24, ratio: 4, lookahead: 0.005 }, { sidechain: 'beat' }),
        chorus({ voices: 3 }, { mix: 0.5 }),
      ],
      sends: [{ to: 'wide', level: -6, pre: true }],
      automation: { gain: [{ at: '0:0:0', value: -6 }, { at: '6:0:0', value: 0, shape: 'curve', curve: 2 }] },
    },
    wide: { effects: [chorus({ rate: 0.5 })] },
  },
});
`;

const notReport = (name: string) => name !== 'report.json';

/** Build, noting each rendered task's frame it resumed from (0: from the start). */
async function buildNoting(project: TestProject): Promise<Record<string, number>> {
  const resumed: Record<string, number> = {};
  const result = await project.build({
    onEvent(event: BuildEvent) {
      if (event.type === 'task-done' && event.result.status === 'rendered') resumed[event.result.id] = event.result.resumedFrom ?? 0;
    },
  });
  expect(result.ok, JSON.stringify(result.songs.flatMap((entry) => entry.diagnostics))).toBe(true);
  return resumed;
}

/** dist/ of a cold build of `source` in a fresh project. */
async function coldDigests(source: string): Promise<Record<string, string>> {
  const fresh = createProject({ songs: { resume: source } });
  try {
    const resumed = await buildNoting(fresh);
    expect(Object.values(resumed).every((frame) => frame === 0)).toBe(true);
    return distDigests(fresh.root, notReport);
  } finally {
    fresh.dispose();
  }
}

function lineageOf(project: TestProject, bus: string): LineageEntry {
  const report = JSON.parse(project.read('dist/resume/report.json')) as { tasks: { id: string; key: string }[] };
  const key = report.tasks.find((task) => task.id === `bus:${bus}`)!.key;
  const folder = join(project.root, '.mixdown/cache/lineage');
  for (const sub of readdirSync(folder)) {
    for (const name of readdirSync(join(folder, sub))) {
      const entry = JSON.parse(readFileSync(join(folder, sub, name), 'utf8')) as LineageEntry;
      if (entry.task === key) return entry;
    }
  }
  throw new Error(`no lineage for bus ${bus}`);
}

const objectFile = (project: TestProject, digest: string) => join(project.root, '.mixdown/cache/objects', digest.slice(0, 2), digest);

describe('a bus resumes from a checkpoint after an edit late in the song', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = createProject({ songs: { resume: song('A4') } });
    const first = await buildNoting(project);
    expect(first['bus:fx']).toBe(0);
  });
  afterAll(() => project.dispose());

  it('records checkpoints of the bus in its lineage', () => {
    const entry = lineageOf(project, 'fx');
    // 14 s and the reverb's and the delay's tails: a checkpoint every CHECKPOINT_FRAMES up to the end.
    const frames = entry.checkpoints.map((point) => point.frame);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames).toEqual(frames.map((_, k) => (k + 1) * CHECKPOINT_FRAMES));
    // The compressor's lookahead (5 ms) is output the strip still owes at each checkpoint.
    for (const point of entry.checkpoints) expect(point.written).toBe(point.frame - 240);
    expect(entry.outputs.prefader).toBeDefined();
  });

  it('a changed note at 12 s: the buses resume from 10.9 s, and dist/ is a cold build of the edited song', async () => {
    project.write('songs/resume/song.ts', song('F5'));
    const resumed = await buildNoting(project);
    expect(resumed['stem:lead']).toBe(0);
    expect(resumed['bus:fx']).toBe(2 * CHECKPOINT_FRAMES);
    expect(resumed['bus:wide']).toBe(2 * CHECKPOINT_FRAMES);
    expect(distDigests(project.root, notReport)).toEqual(await coldDigests(song('F5')));
  });

  it('a corrupt latest checkpoint: resumes from the one before, same bytes', async () => {
    const entry = lineageOf(project, 'fx');
    writeFileSync(objectFile(project, entry.checkpoints[1].digest), 'not a state');
    project.write('songs/resume/song.ts', song('G5'));
    const resumed = await buildNoting(project);
    expect(resumed['bus:fx']).toBe(CHECKPOINT_FRAMES);
    expect(distDigests(project.root, notReport)).toEqual(await coldDigests(song('G5')));
  });

  it('every checkpoint missing: renders from frame 0, same bytes', async () => {
    for (const point of lineageOf(project, 'fx').checkpoints) rmSync(objectFile(project, point.digest), { force: true });
    project.write('songs/resume/song.ts', song('B5'));
    const resumed = await buildNoting(project);
    expect(resumed['bus:fx']).toBe(0);
    expect(resumed['bus:wide']).toBe(2 * CHECKPOINT_FRAMES);
    expect(distDigests(project.root, notReport)).toEqual(await coldDigests(song('B5')));
  });

  it('checkpoints of another shape (intact objects, a state that does not fit): renders from frame 0, same bytes', async () => {
    const entry = lineageOf(project, 'fx');
    // Four slots of nothing: the chain's restore meets null where a slot's state should be.
    const alien = Buffer.from(encodeState({ chain: [null, null, null, null], fader: 'loud' }));
    const digest = createHash('sha256').update(alien).digest('hex');
    mkdirSync(dirname(objectFile(project, digest)), { recursive: true });
    writeFileSync(objectFile(project, digest), alien);
    const lineageFile = join(project.root, '.mixdown/cache/lineage', entry.lineage.slice(0, 2), `${entry.lineage}.json`);
    writeFileSync(lineageFile, JSON.stringify({ ...entry, checkpoints: entry.checkpoints.map((point) => ({ ...point, digest })) }));
    project.write('songs/resume/song.ts', song('A5'));
    const resumed = await buildNoting(project);
    expect(resumed['bus:fx']).toBe(0);
    expect(distDigests(project.root, notReport)).toEqual(await coldDigests(song('A5')));
  });

  it('the earlier output corrupt: renders from frame 0, same bytes', async () => {
    const entry = lineageOf(project, 'fx');
    const file = objectFile(project, entry.outputs.audio.digest);
    const bytes = readFileSync(file);
    bytes[1000] ^= 0xff;
    writeFileSync(file, bytes);
    project.write('songs/resume/song.ts', song('C6'));
    const resumed = await buildNoting(project);
    expect(resumed['bus:fx']).toBe(0);
    expect(distDigests(project.root, notReport)).toEqual(await coldDigests(song('C6')));
  });
});

describe('the command says which buses resumed', () => {
  it('build --json gives a resumed bus task its resumedFrom frame (rendered in worker threads)', () => {
    const project = createProject({ songs: { resume: song('A4') } });
    const build = () => {
      const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'mixdown.js'), 'build', '--json', '--jobs', '2'], { cwd: project.root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
      expect(run.status, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout) as { songs: { tasks: { id: string; resumedFrom?: number; seconds?: number }[] }[] };
      return Object.fromEntries(summary.songs[0].tasks.map((task) => [task.id, task]));
    };
    try {
      const cold = build();
      expect(cold['bus:fx'].seconds).toBeGreaterThan(0);
      expect(cold['bus:fx']).not.toHaveProperty('resumedFrom');
      project.write('songs/resume/song.ts', song('F5'));
      const edited = build();
      expect(edited['bus:fx'].resumedFrom).toBe(2 * CHECKPOINT_FRAMES);
      expect(edited['bus:wide'].resumedFrom).toBe(2 * CHECKPOINT_FRAMES);
      expect(edited['stem:lead']).not.toHaveProperty('resumedFrom');
      expect(edited['stem:beat']).not.toHaveProperty('seconds');
    } finally {
      project.dispose();
    }
  });
});
