/**
 * The diff page (`mixdown diff --save` → dist/<song>/diff.html) in Debian's chromium through
 * playwright-core, served by the room's own server (`watch --serve`'s serveRoom) on
 * 127.0.0.1. A fixture git repository with one moved note: the page's marked range is
 * diff.json's range, its piano roll holds the moved note on both sides, and switching A/B
 * keeps the position running with the audio clock.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStore } from '../src/cache/store.ts';
import { parseArgs } from '../src/cli/args.ts';
import { diffCommand } from '../src/cli/diff.ts';
import { serveRoom, type RoomServer } from '../src/cli/serve.ts';
import { decodeWav } from '../src/io/wav.ts';
import type { SongDiff } from '../src/report/diff.ts';
import { launchChromium, type TestBrowser } from './helpers/chromium.ts';
import { createProject, type TestProject } from './helpers/project.ts';

/** Where the run leaves its screenshot of the diff page (look at it). */
export const SCREENSHOT = join(tmpdir(), 'mixdown-diff-page.png');

/** A two-section tune; `lead` is the chorus's lead line (the change moves one of its notes). */
const TUNE = (lead: string) => `import { defineSong, synth } from 'mixdown';

export default defineSong({
  title: 'Tune',
  tempo: 120,
  seed: 5,
  tail: 0.1,
  sections: { verse: 1, chorus: 1 },
  form: ['verse', 'chorus'],
  tracks: {
    lead: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 3000 } }),
      parts: { verse: [{ pitch: 'E4', start: '0:0:0', length: '2n' }, { pitch: 'G4', start: '0:2:0', length: '2n' }], chorus: ${lead} },
    },
    pad: { instrument: synth({ wave: 'triangle' }), gain: -8, notes: [{ pitch: 'C3', start: '0:0:0', length: '2m' }] },
  },
});
`;
const BEFORE = `[{ pitch: 'A4', start: '0:0:0', length: '4n' }, { pitch: 'C5', start: '0:2:0', length: '4n' }]`;
/** C5 a quarter later. */
const AFTER = `[{ pitch: 'A4', start: '0:0:0', length: '4n' }, { pitch: 'C5', start: '0:3:0', length: '4n' }]`;

interface Handle {
  data: { lanes: { path: string }[] };
  player: { position(): number; clock(): number; loaded(): string[]; playing: boolean; engine: string; meter(): { peakDb: number; rmsDb: number } | null };
  plots: Record<string, { valToPos(value: number, scale: string): number }>;
  choice: { side: 'a' | 'b' };
  settled(): Promise<void>;
}
declare global {
  interface Window {
    mixdownDiff?: Handle;
  }
}

describe('the diff page (chromium)', () => {
  let project: TestProject;
  let server: RoomServer;
  let browser: TestBrowser;
  let page: Page;
  const errors: string[] = [];
  let messages: readonly string[] = [];

  const git = (...args: string[]) => {
    const result = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: project.root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  };
  const save = async () => {
    const command = parseArgs(['diff', 'before', 'after', '--save']);
    if (command.name !== 'diff') throw new Error('not a diff command');
    const output = await diffCommand(project.root, { ...command, jobs: 1 });
    expect(output.diagnostics).toEqual([]);
    return output;
  };
  const saved = () => JSON.parse(project.read('dist/tune/diff.json')) as SongDiff;

  beforeAll(async () => {
    project = createProject({ songs: { tune: TUNE(BEFORE) } });
    project.write('.gitignore', 'dist/\n.mixdown/\nnode_modules\n');
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'before');
    git('tag', 'before');
    project.write('songs/tune/song.ts', TUNE(AFTER));
    git('commit', '-q', '-am', 'after');
    git('tag', 'after');
    ({ messages } = await save());
    server = await serveRoom({ dir: join(project.root, 'dist'), port: 0 });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}tune/diff.html`);
    await page.waitForFunction(() => window.mixdownDiff !== undefined);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    project?.dispose();
  });

  it('--save writes diff.html and both masters as 16-bit copies beside diff.json, the same bytes each time', async () => {
    expect(messages).toEqual(['wrote dist/tune/diff.json', 'wrote dist/tune/diff-a.wav', 'wrote dist/tune/diff-b.wav', 'wrote dist/tune/diff.html']);
    const html = project.read('dist/tune/diff.html');
    expect(html).toContain('data-page="diff"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\//);
    // Each side's copy holds that side's master (the build's master.wav, in the cache by digest) to 16-bit precision.
    const cache = new CacheStore(join(project.root, '.mixdown', 'cache'));
    const master = saved().sound.find((output) => output.path === 'master.wav')!;
    for (const side of ['a', 'b'] as const) {
      const copy = decodeWav(project.bytes(`dist/tune/diff-${side}.wav`));
      const built = decodeWav(cache.getObject(master[side]!.sha256)!);
      expect(copy.sampleRate).toBe(built.sampleRate);
      expect(copy.channels[0].length).toBe(built.channels[0].length);
      let worst = 0;
      for (let c = 0; c < built.channels.length; c++) for (let i = 0; i < built.channels[c].length; i++) worst = Math.max(worst, Math.abs(copy.channels[c][i] - built.channels[c][i]));
      expect(worst).toBeLessThan(2 / 32768);
    }
    // The two sides really differ (the copies are not the same file twice).
    expect(project.bytes('dist/tune/diff-a.wav').equals(project.bytes('dist/tune/diff-b.wav'))).toBe(false);
    // Saved again: the same bytes, and no file rewritten.
    const files = ['diff.html', 'diff-a.wav', 'diff-b.wav'].map((name) => join(project.root, 'dist/tune', name));
    const state = () => files.map((file) => ({ file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), mtime: statSync(file).mtimeMs }));
    const before = state();
    await save();
    expect(state()).toEqual(before);
  }, 120_000);

  it("marks diff.json's differing ranges on the master's timeline and each changed stem's", async () => {
    const diff = saved();
    const changed = diff.sound.filter((output) => output.path === 'master.wav' || (/^(stems|buses)\//.test(output.path) && output.status !== 'unchanged'));
    expect(changed.map((output) => output.path).sort()).toEqual(['master.wav', 'stems/lead.wav']);
    expect(await page.evaluate(() => window.mixdownDiff!.data.lanes.map((lane) => lane.path))).toEqual(['master.wav', 'stems/lead.wav']);
    for (const output of changed) {
      const expected = output.audio!.ranges.map((range) => ({ start: range.start, end: range.end }));
      expect(expected.length).toBeGreaterThan(0);
      const marks = await page.$$eval(`.diff-lane[data-path="${output.path}"] .diff-range`, (nodes) =>
        nodes.map((node) => ({ start: Number((node as HTMLElement).dataset.start), end: Number((node as HTMLElement).dataset.end), left: (node as HTMLElement).offsetLeft, width: (node as HTMLElement).offsetWidth })),
      );
      expect(marks.map(({ start, end }) => ({ start, end }))).toEqual(expected);
      // Drawn where those seconds are on the plot's time axis.
      for (const mark of marks) {
        const [left, right] = await page.evaluate(([path, start, end]) => [window.mixdownDiff!.plots[path].valToPos(start, 'x'), window.mixdownDiff!.plots[path].valToPos(end, 'x')], [output.path, mark.start, mark.end] as [string, number, number]);
        expect(Math.abs(mark.left - left)).toBeLessThanOrEqual(1);
        expect(Math.abs(mark.left + mark.width - right)).toBeLessThanOrEqual(2);
      }
    }
    // The pad did not change: not on the timeline, listed as identical.
    expect(await page.textContent('tr[data-path="stems/pad.wav"] td:nth-child(2)')).toBe('unchanged');
  });

  it('draws the moved note on both sides in the piano roll, at its A and B positions', async () => {
    const group = saved().notes.find((entry) => entry.track === 'lead')!;
    const moved = group.notes.filter((note) => note.kind === 'moved');
    expect(moved).toHaveLength(1);
    const drawn = await page.$$eval('.roll[data-track="lead"] rect.note', (nodes) =>
      nodes.map((node) => ({ kind: node.getAttribute('data-kind'), side: node.getAttribute('data-side'), midi: Number(node.getAttribute('data-midi')), tick: Number(node.getAttribute('data-start-tick')), x: Number(node.getAttribute('x')) })),
    );
    expect(drawn.map(({ kind, side, midi, tick }) => ({ kind, side, midi, tick }))).toEqual([
      { kind: 'moved', side: 'a', midi: moved[0].a!.midi, tick: moved[0].a!.startTick },
      { kind: 'moved', side: 'b', midi: moved[0].b!.midi, tick: moved[0].b!.startTick },
    ]);
    expect(moved[0].a!.pitch).toBe('C5');
    // B is drawn to the right of A: later in time.
    expect(drawn[1].x).toBeGreaterThan(drawn[0].x);
    expect(await page.textContent('.notes h3')).toBe(`chorus 1, lead: ${group.summary}`);
  });

  it('A/B switches between the two masters keeping the position on the audio clock', async () => {
    const handle = () => page.evaluate(() => ({ position: window.mixdownDiff!.player.position(), clock: window.mixdownDiff!.player.clock(), side: window.mixdownDiff!.choice.side }));
    expect(await page.evaluate(() => window.mixdownDiff!.player.engine)).toBe('webaudio');
    await page.click('button.play');
    await page.waitForFunction(() => window.mixdownDiff!.player.playing && window.mixdownDiff!.player.position() > 0.3);
    expect(await page.evaluate(() => window.mixdownDiff!.player.meter()!.rmsDb)).toBeGreaterThan(-40);
    const onB = await handle();
    expect(onB.side).toBe('b');
    await page.click('button.side-button[data-side="a"]');
    await page.evaluate(() => window.mixdownDiff!.settled());
    await page.waitForTimeout(300);
    const onA = await handle();
    expect(onA.side).toBe('a');
    expect(Math.abs(onA.position - onB.position - (onA.clock - onB.clock))).toBeLessThan(0.005);
    expect((await page.evaluate(() => window.mixdownDiff!.player.loaded())).sort()).toEqual(['a', 'b']);
    expect(await page.getAttribute('button.side-button[data-side="a"]', 'class')).toContain('on');
    expect(await page.evaluate(() => window.mixdownDiff!.player.meter()!.rmsDb)).toBeGreaterThan(-40);
    await page.click('button.side-button[data-side="b"]');
    await page.evaluate(() => window.mixdownDiff!.settled());
    const back = await handle();
    expect(Math.abs(back.position - onA.position - (back.clock - onA.clock))).toBeLessThan(0.005);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.click('button.play');
    expect(errors).toEqual([]);
  });

  it('opens from file:// too (no network, <audio> playback)', async () => {
    const local = await browser.context.newPage();
    const requests: string[] = [];
    local.on('request', (request) => requests.push(request.url()));
    local.on('pageerror', (error) => errors.push(error.message));
    await local.goto(pathToFileURL(join(project.root, 'dist/tune/diff.html')).href);
    await local.waitForFunction(() => window.mixdownDiff !== undefined);
    expect(await local.evaluate(() => window.mixdownDiff!.player.engine)).toBe('media');
    expect(await local.$$eval('.diff-range', (nodes) => nodes.length)).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(errors).toEqual([]);
    await local.close();
  });
});
