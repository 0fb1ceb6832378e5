/**
 * The listening room in a real browser: Debian's chromium through playwright-core (no browser
 * download), against `mixdown watch --serve` on 127.0.0.1. The page's data are checked against
 * report.json, its peaks against peaks computed here from the WAV bytes (an independent
 * reader), and playback by the page's own output meter (a Web Audio AnalyserNode).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from './helpers/chromium.ts';
import { createProject, REPO_ROOT, type TestProject } from './helpers/project.ts';
import { referenceWav, ROOM_SONG as SONG } from './helpers/room-song.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');
/** Where the test run leaves its screenshot of a song page (look at it). */
export const SCREENSHOT = join(tmpdir(), 'mixdown-room.png');

/** Channels of a PCM (16/24-bit) or float WAV, read here without mixdown's reader. */
function readWav(bytes: Buffer): Float32Array[] {
  let offset = 12;
  let format = 0;
  let channels = 0;
  let bits = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = bytes.readUInt16LE(body);
      channels = bytes.readUInt16LE(body + 2);
      bits = bytes.readUInt16LE(body + 14);
      if (format === 0xfffe) format = bytes.readUInt16LE(body + 24);
    } else if (id === 'data') {
      const width = bits / 8;
      const frames = Math.floor(size / (width * channels));
      const out = Array.from({ length: channels }, () => new Float32Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channels; c++) {
          const at = body + (i * channels + c) * width;
          out[c][i] = format === 3 ? bytes.readFloatLE(at) : bits === 24 ? bytes.readIntLE(at, 3) / 8388608 : bytes.readInt16LE(at) / 32768;
        }
      }
      return out;
    }
    offset = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** Min and max of `count` equal buckets over all channels: bucket b is samples [⌊b·n/count⌋, ⌊(b+1)·n/count⌋). */
function bucketPeaks(channels: Float32Array[], count: number): { min: number[]; max: number[] } {
  const n = channels[0].length;
  const min: number[] = [];
  const max: number[] = [];
  for (let b = 0; b < count; b++) {
    let low = Infinity;
    let high = -Infinity;
    for (const channel of channels) {
      for (let i = Math.floor((b * n) / count); i < Math.max(Math.floor((b * n) / count) + 1, Math.floor(((b + 1) * n) / count)); i++) {
        low = Math.min(low, channel[i]);
        high = Math.max(high, channel[i]);
      }
    }
    min.push(low);
    max.push(high);
  }
  return { min, max };
}

/** Status of a raw GET (the path sent exactly as given, no normalisation). */
function rawGet(url: string, path: string, method = 'GET'): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveStatus, rejectStatus) => {
    const req = request({ host: hostname, port, path, method }, (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    });
    req.on('error', rejectStatus);
    req.end();
  });
}

/** What the test reads of the page's handle (src/report/room/browser/main.ts has the full type). */
interface PlotLike {
  data: (number | null)[][];
}
declare global {
  interface Window {
    mixdownRoom?: {
      data: { master: { peaks: { max: number[] } } };
      player: { position(): number; clock(): number; seek(seconds: number): void; playing: boolean; meter(): { peakDb: number; rmsDb: number } | null };
      plots: { master: PlotLike; lanes: Record<string, PlotLike>; loudness: PlotLike; spectrum: PlotLike };
      choice: { variant: number };
      levels(): Record<string, number>;
      settled(): Promise<void>;
    };
  }
}

interface Report {
  markers: { name: string; seconds: number }[];
  master: { integrated: number; reference: { integrated: number; bands: { master: number; reference: number }[] } };
  outputs: { path: string }[];
}

describe('the listening room (chromium, watch --serve)', () => {
  let project: TestProject;
  let watcher: ChildProcess;
  let output = '';
  let url = '';
  let browser: TestBrowser;
  let page: Page;

  const waitFor = async (pattern: RegExp, count = 1) => {
    const deadline = Date.now() + 60_000;
    while ((output.match(new RegExp(pattern.source, 'g')) ?? []).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  };
  const report = (path = 'dist/room/report.json') => JSON.parse(project.read(path)) as Report;
  const meter = () => page.evaluate(() => window.mixdownRoom!.player.meter()!);
  const position = () => page.evaluate(() => window.mixdownRoom!.player.position());
  const settled = () => page.evaluate(() => window.mixdownRoom!.settled());
  const seek = (seconds: number) => page.evaluate((at) => window.mixdownRoom!.player.seek(at), seconds);
  /** Let the output run long enough for the meter's window (2048 samples) to hold only the new sound. */
  const listen = () => page.waitForTimeout(250);

  beforeAll(async () => {
    project = createProject({ songs: { room: SONG } });
    project.write('refs/.keep', '');
    writeFileSync(join(project.root, 'refs', 'ref.wav'), referenceWav(8));
    watcher = spawn(process.execPath, [BIN, 'watch', '--serve', '--port', '0', '--jobs', '1'], { cwd: project.root, env: { ...process.env, CI: 'true' } });
    watcher.stdout!.on('data', (chunk) => (output += chunk));
    watcher.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(/watching songs/);
    url = /serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1];
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (error) => (output += `\npage error: ${error.message}`));
    await page.goto(`${url}room/`);
    await page.waitForFunction(() => window.mixdownRoom !== undefined);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    watcher?.kill('SIGINT');
    if (watcher && watcher.exitCode === null) await new Promise((resolveExit) => watcher.once('exit', resolveExit));
    project?.dispose();
  });

  it('every build writes dist/index.html and a self-contained page per song and variant', () => {
    const index = project.read('dist/index.html');
    expect(index).toContain('"href":"room/index.html"');
    expect(index).toContain('"href":"room/quiet/index.html"');
    for (const path of ['dist/room/index.html', 'dist/room/quiet/index.html']) {
      const html = project.read(path);
      // Everything inline: no script or style loaded from anywhere, nothing from the network.
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\//);
      expect(html).toContain('id="room-data"');
    }
    const room = JSON.parse(project.read('dist/room/room.json'));
    expect(room.variants.map((variant: { name: string | null; href: string }) => [variant.name, variant.href])).toEqual([
      [null, './'],
      ['quiet', 'quiet/'],
    ]);
    expect(room.lanes.map((lane: { id: string; kind: string; output: string }) => `${lane.kind}:${lane.id}>${lane.output}`)).toEqual(['track:pad>master', 'track:late>band', 'track:beat>band', 'bus:band>master']);
    expect(existsSync(join(project.root, 'dist/room/reference-16.wav'))).toBe(true);
  });

  it('the page holds report.json: section markers, integrated loudness, the numbers, the reference spectrum', async () => {
    const expected = report();
    const markers = await page.$$eval('.marker', (buttons) => buttons.map((button) => ({ name: button.textContent, seconds: Number((button as HTMLElement).dataset.seconds) })));
    expect(markers).toEqual(expected.markers.map(({ name, seconds }) => ({ name, seconds })));
    expect(markers.map((marker) => marker.name)).toEqual(['intro 1', 'verse 1', 'chorus 1']);
    // The loudness plot's integrated line is report.json's integrated loudness.
    const integrated = await page.evaluate(() => window.mixdownRoom!.plots.loudness.data[3].filter((value) => value !== null));
    expect(new Set(integrated)).toEqual(new Set([expected.master.integrated]));
    const cell = await page.textContent('tr[data-name="Integrated"] td.num');
    expect(cell).toBe(`${expected.master.integrated.toFixed(1)} LUFS`);
    expect(await page.textContent('tr[data-name="Target met"] td')).toBe('yes');
    const spectrum = await page.evaluate(() => window.mixdownRoom!.plots.spectrum.data.slice(1).map((series) => [...series]));
    expect(spectrum).toEqual([expected.master.reference.bands.map((band) => band.master), expected.master.reference.bands.map((band) => band.reference)]);
  });

  it("the page's peaks are the peaks of the built WAV files", async () => {
    const drawn = await page.evaluate(() => {
      const room = window.mixdownRoom!;
      const series = (plot: PlotLike) => ({ min: [...plot.data[1]] as number[], max: [...plot.data[2]] as number[] });
      return { master: series(room.plots.master), late: series(room.plots.lanes.late), band: series(room.plots.lanes.band) };
    });
    const files = { master: 'dist/room/master.wav', late: 'dist/room/stems/late.wav', band: 'dist/room/buses/band.wav' } as const;
    for (const [name, file] of Object.entries(files) as [keyof typeof files, string][]) {
      const wav = bucketPeaks(readWav(project.bytes(file)), drawn[name].max.length);
      expect(drawn[name].max.length).toBeGreaterThanOrEqual(400);
      for (let i = 0; i < wav.max.length; i++) {
        expect(Math.abs(drawn[name].max[i] - wav.max[i])).toBeLessThanOrEqual(5.1e-5);
        expect(Math.abs(drawn[name].min[i] - wav.min[i])).toBeLessThanOrEqual(5.1e-5);
      }
    }
    // Not a flat line: the master's loudest bucket is near its sample peak.
    expect(Math.max(...drawn.master.max)).toBeGreaterThan(0.5);
  });

  it('space plays (the audio clock advances, the meter moves), solo mutes the other stems, A/B and the reference switch at the same position', async () => {
    // The intro (bar 1, 0–2 s) has only the pad: the ideal place to hear who is playing.
    await seek(0.1);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => window.mixdownRoom!.player.position() > 0.4);
    expect(await page.evaluate(() => window.mixdownRoom!.player.playing)).toBe(true);
    await listen();
    expect((await meter()).rmsDb).toBeGreaterThan(-40);

    // Solo `late` (silent in the intro): nothing is heard; solo `pad` instead: the pad is.
    await seek(0.1);
    await page.click('.lane[data-lane="late"] button.solo');
    await settled();
    expect(await page.evaluate(() => window.mixdownRoom!.levels())).toEqual({ 'lane:late': 1 });
    await listen();
    expect((await meter()).peakDb).toBeLessThan(-80);
    await page.click('.lane[data-lane="late"] button.solo');
    await page.click('.lane[data-lane="pad"] button.solo');
    await settled();
    expect(await page.evaluate(() => window.mixdownRoom!.levels())).toEqual({ 'lane:pad': 1 });
    await listen();
    expect((await meter()).rmsDb).toBeGreaterThan(-40);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.click('.lane[data-lane="pad"] button.solo');

    // A/B: the `quiet` variant (no pad) at the same position is silent in the intro.
    await seek(0.1);
    await page.waitForTimeout(300);
    const at = () => page.evaluate(() => ({ position: window.mixdownRoom!.player.position(), clock: window.mixdownRoom!.player.clock() }));
    const before = await at();
    await page.click('button.variant[data-variant="quiet"]');
    await settled();
    const after = await at();
    // The position ran on with the audio clock through the switch: no jump, no restart.
    expect(after.position - before.position).toBeCloseTo(after.clock - before.clock, 2);
    expect(await page.evaluate(() => window.mixdownRoom!.levels())).toEqual({ 'variant:1': 1 });
    await listen();
    expect((await meter()).peakDb).toBeLessThan(-80);
    expect(await position()).toBeGreaterThan(after.position);
    await page.click('button.variant[data-variant=""]');
    await settled();
    await listen();
    expect((await meter()).rmsDb).toBeGreaterThan(-40);

    // The reference, turned to the master's loudness: master − reference integrated, as report.json says.
    const { master } = report();
    await page.click('button.reference');
    await settled();
    const gain = (await page.evaluate(() => window.mixdownRoom!.levels())).reference;
    expect(20 * Math.log10(gain)).toBeCloseTo(Math.round((master.integrated - master.reference.integrated) * 100) / 100, 6);
    await listen();
    expect((await meter()).rmsDb).toBeGreaterThan(-40);
    await page.click('button.reference');

    // Clicking a section marker seeks there.
    await page.click('.marker:has-text("chorus 1")');
    const chorus = report().markers.find((marker) => marker.name === 'chorus 1')!.seconds;
    expect(Math.abs((await position()) - chorus)).toBeLessThan(0.25);
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => window.mixdownRoom!.player.playing)).toBe(false);
  });

  it('serves dist/ only, on 127.0.0.1', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await rawGet(url, '/room/report.json')).toBe(200);
    expect(await rawGet(url, '/..%2fsongs%2froom%2fsong.ts')).toBe(403);
    expect(await rawGet(url, '/room/..%2f..%2fsongs/room/song.ts')).toBe(403);
    expect(await rawGet(url, '/%2e%2e/%2e%2e/etc/passwd')).toBe(403);
    expect(await rawGet(url, '/../songs/room/song.ts')).toBe(403);
    expect(await rawGet(url, '/room/%00')).toBe(400);
    expect(await rawGet(url, '/nothing-here.wav')).toBe(404);
    // A link inside dist/ to a file outside it.
    symlinkSync(join(project.root, 'songs', 'room', 'song.ts'), join(project.root, 'dist', 'song-link.ts'));
    expect(await rawGet(url, '/song-link.ts')).toBe(403);
    expect(await rawGet(url, '/room/report.json', 'POST')).toBe(405);
  });

  it('a save reloads open pages with the new master, keeping the playhead and the A/B choice', async () => {
    const oldPeaks = await page.evaluate(() => window.mixdownRoom!.data.master.peaks.max.join());
    await page.click('button.variant[data-variant="quiet"]');
    await settled();
    await seek(1.25);
    await page.evaluate(() => ((window as unknown as { beforeReload: boolean }).beforeReload = true));
    const builds = (output.match(/watching songs/g) ?? []).length;
    project.write('songs/room/song.ts', SONG.replace("{ pitch: 'A3', start: '0:0:0', length: '1m' }", "{ pitch: 'D3', start: '0:0:0', length: '1m' }"));
    await waitFor(/watching songs/, builds + 1);
    expect(output).toMatch(/rebuilt \d+\.\d\ds after the save/);
    // A new document (the flag is gone) holding the new master's peaks.
    await page.waitForFunction((old) => window.mixdownRoom !== undefined && !(window as unknown as { beforeReload?: boolean }).beforeReload && window.mixdownRoom.data.master.peaks.max.join() !== old, oldPeaks, { timeout: 30_000 });
    const state = await page.evaluate(() => ({ choice: window.mixdownRoom!.choice, position: window.mixdownRoom!.player.position() }));
    expect(state.choice.variant).toBe(1);
    expect(state.position).toBeCloseTo(1.25, 6);
    expect(JSON.parse(project.read('dist/room/room.json')).master.peaks.max.join()).not.toBe(oldPeaks);
  });

  it('a build that changes nothing rewrites no page', async () => {
    const stamp = (path: string) => statSync(join(project.root, path)).mtimeMs;
    const paths = ['dist/index.html', 'dist/room/index.html', 'dist/room/room.json', 'dist/room/quiet/index.html'];
    const before = paths.map(stamp);
    const bytes = paths.map((path) => readFileSync(join(project.root, path)));
    const builds = (output.match(/watching songs/g) ?? []).length;
    project.write('songs/room/notes.txt', 'a file the song does not read');
    await waitFor(/watching songs/, builds + 1);
    expect(paths.map(stamp)).toEqual(before);
    paths.forEach((path, i) => expect(readFileSync(join(project.root, path)).equals(bytes[i])).toBe(true));
  });
});
