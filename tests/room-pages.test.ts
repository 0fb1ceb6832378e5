/**
 * The listening room without a server: pages opened from file:// in chromium (drawn, and
 * playing through <audio> elements), byte-identical pages from two fresh projects, and the
 * `--serve` flags' errors.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.ts';
import { launchChromium } from './helpers/chromium.ts';
import { createProject } from './helpers/project.ts';
import { referenceWav, ROOM_SONG } from './helpers/room-song.ts';

function roomProject() {
  const project = createProject({ songs: { room: ROOM_SONG } });
  project.write('refs/.keep', '');
  writeFileSync(join(project.root, 'refs', 'ref.wav'), referenceWav(8));
  return project;
}

describe('listening room pages', () => {
  it('open from file:// with no server: drawn from their inline data, playing through <audio> elements', async () => {
    const project = roomProject();
    const browser = await launchChromium();
    try {
      const result = await project.build();
      expect(result.ok).toBe(true);
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // Any request that is not a local file would be the network.
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(join(project.root, 'dist', 'index.html')).href);
      expect(await page.$$eval('a[href$="index.html"]', (links) => links.map((link) => link.getAttribute('href')))).toEqual(['room/index.html', 'room/quiet/index.html']);
      await page.click('a[href="room/quiet/index.html"]');
      await page.waitForFunction(() => (window as unknown as { mixdownRoom?: unknown }).mixdownRoom !== undefined);
      expect(await page.$$eval('.marker', (buttons) => buttons.map((button) => button.textContent))).toEqual(['intro 1', 'verse 1', 'chorus 1']);
      expect(await page.$$eval('.lane', (lanes) => lanes.map((lane) => (lane as HTMLElement).dataset.lane))).toEqual(['late', 'beat', 'band']);
      const engine = await page.evaluate(() => (window as unknown as { mixdownRoom: { player: { engine: string } } }).mixdownRoom.player.engine);
      expect(engine).toBe('media');
      await page.keyboard.press('Space');
      await page.waitForFunction(() => (window as unknown as { mixdownRoom: { player: { position(): number } } }).mixdownRoom.player.position() > 0.3, undefined, { timeout: 10_000 });
      await page.keyboard.press('Space');
      expect(errors).toEqual([]);
      expect(requests.filter((url) => !url.startsWith('file://') && !url.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
      project.dispose();
    }
  });

  it('are byte-identical from two fresh projects', async () => {
    const one = roomProject();
    const two = roomProject();
    try {
      await one.build();
      await two.build({ jobs: 2 });
      for (const path of ['dist/index.html', 'dist/room/index.html', 'dist/room/room.json', 'dist/room/quiet/index.html', 'dist/room/reference-16.wav']) {
        expect(one.bytes(path).equals(two.bytes(path)), path).toBe(true);
      }
      expect(one.read('dist/room/room.json')).not.toContain(one.root);
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it('--serve, --port and --host belong to watch', () => {
    expect(parseArgs(['watch', '--serve'])).toMatchObject({ name: 'watch', serve: { port: 4780, host: '127.0.0.1' } });
    expect(parseArgs(['watch', '--serve', '--port', '0', '--host', '::1'])).toMatchObject({ serve: { port: 0, host: '::1' } });
    expect(parseArgs(['watch'])).not.toHaveProperty('serve');
    const code = (args: string[]) => {
      try {
        parseArgs(args);
        return 'ok';
      } catch (error) {
        return `${(error as { diagnostic: { code: string; message: string } }).diagnostic.code} ${(error as { diagnostic: { message: string } }).diagnostic.message}`;
      }
    };
    expect(code(['build', '--serve'])).toBe('MD402 --serve: only `mixdown watch` serves');
    expect(code(['watch', '--port', '80'])).toBe('MD402 --port: needs --serve');
    expect(code(['watch', '--serve', '--port', '99999'])).toBe("MD402 --port: '99999' is not a port (0–65535)");
  });
});
