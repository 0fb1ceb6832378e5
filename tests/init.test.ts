/**
 * `mixdown init`, end to end and outside this repository: `npm pack` this package, `init` a
 * project in a temp folder, install the packed tarball there offline, type-check the song
 * with the project's own tsc, build, and measure the master with ffmpeg.
 *
 * Offline install: npm needs each dependency's registry metadata to resolve version ranges,
 * and npm's cache holds only the tarballs `npm ci` fetched for this repo. So the test writes
 * the new project a package-lock.json — this repo's lock, production entries only, each with
 * the tarball address npm derives from its registry setting — and runs `npm ci --offline`,
 * which installs from those tarballs in the cache, as a committed lockfile would online.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../src/io/wav.ts';
import { ffmpegSummary } from './helpers/audio.ts';
import { REPO_ROOT } from './helpers/project.ts';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

/** Run a command, its output kept for the failure message. */
function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> & { log: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  return { ...result, log: `$ ${command} ${args.join(' ')}\n${result.stdout}\n${result.stderr}` };
}

/** The new project's lockfile, from this repo's: mixdown from the tarball, its dependencies as locked here. */
function writeLockfile(projectDir: string, tarball: string): void {
  const repoLock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const own = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const manifest = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
  const spec = `file:${tarball}`;
  manifest.dependencies.mixdown = spec;
  writeFileSync(join(projectDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const registry = run('npm', ['config', 'get', 'registry'], projectDir).stdout.trim().replace(/\/$/, '');
  const packages: Record<string, Record<string, unknown>> = {
    '': { name: manifest.name, dependencies: { mixdown: spec } },
    'node_modules/mixdown': { version: own.version, resolved: spec, license: own.license, dependencies: own.dependencies, bin: own.bin, engines: own.engines },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (!path || entry.dev || entry.link) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[path] = { ...entry, resolved: entry.resolved ?? `${registry}/${name}/-/${name.split('/').pop()}-${entry.version as string}.tgz` };
  }
  writeFileSync(join(projectDir, 'package-lock.json'), `${JSON.stringify({ name: manifest.name, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

describe('mixdown init', () => {
  let temp: string;
  let project: string;
  let tarball: string;

  beforeAll(() => {
    temp = mkdtempSync(join(tmpdir(), 'mixdown-init-'));
    const pack = run('npm', ['pack', '--pack-destination', temp, '--silent'], REPO_ROOT);
    expect(pack.status, pack.log).toBe(0);
    tarball = join(temp, pack.stdout.trim().split('\n').pop()!);
    project = join(temp, 'my-songs');
  }, 120_000);
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('writes a song project, and refuses a folder that is not empty unless --force', () => {
    const init = run(process.execPath, [BIN, 'init', project], temp);
    expect(init.status, init.log).toBe(0);
    const files = (dir: string, prefix = ''): string[] => readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]));
    expect(files(project).sort()).toEqual(['.github/workflows/render.yml', '.gitignore', 'README.md', 'package.json', 'plugins/README.md', 'songs/first-song/song.ts', 'tsconfig.json']);
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'my-songs', scripts: { start: 'mixdown build', test: 'mixdown check && mixdown verify' }, dependencies: { mixdown: '^0.1.0' } });
    expect(readFileSync(join(project, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['dist/', '.mixdown/']));
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toMatch(/npm start[\s\S]*npm test/);
    expect(readFileSync(join(project, 'songs/first-song/song.ts'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'src/cli/init-template/song.ts'), 'utf8'));

    writeFileSync(join(project, 'notes.txt'), 'mine');
    const again = run(process.execPath, [BIN, 'init', project], temp);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('MD408');
    writeFileSync(join(project, 'README.md'), 'changed');
    const forced = run(process.execPath, [BIN, 'init', project, '--force'], temp);
    expect(forced.status, forced.log).toBe(0);
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain('# my-songs');
    expect(readFileSync(join(project, 'notes.txt'), 'utf8')).toBe('mine');
    rmSync(join(project, 'notes.txt'));
  });

  it('installs from the packed tarball offline, type-checks, builds a master that meets its target, and verifies', () => {
    writeLockfile(project, tarball);
    const install = run('npm', ['ci', '--offline'], project);
    expect(install.status, install.log).toBe(0);
    expect(existsSync(join(project, 'node_modules/mixdown/src/index.ts'))).toBe(true);

    // Types resolve for the song module outside this repo: the project's tsc passes, and fails on a wrong option.
    const tsc = run('npx', ['--offline', 'tsc', '--noEmit', '-p', '.'], project);
    expect(tsc.status, tsc.log).toBe(0);
    mkdirSync(join(project, 'songs/typo'), { recursive: true });
    writeFileSync(join(project, 'songs/typo/song.ts'), "import { defineSong, synth } from 'mixdown';\nexport default defineSong({ title: 'T', tempo: 120, tracks: { a: { instrument: synth({ wav: 'saw' }) } } });\n");
    const typo = run('npx', ['--offline', 'tsc', '--noEmit', '-p', '.'], project);
    expect(typo.status).not.toBe(0);
    expect(typo.stdout).toMatch(/songs\/typo\/song\.ts\(2,\d+\): error TS2561/);
    expect(typo.stdout).toMatch(/'wav' does not exist/);
    rmSync(join(project, 'songs/typo'), { recursive: true });

    const start = run('npm', ['start'], project);
    expect(start.status, start.log).toBe(0);
    const master = join(project, 'dist/first-song/master.wav');
    const decoded = decodeWav(readFileSync(master));
    expect([decoded.sampleRate, decoded.bitsPerSample, decoded.channels.length]).toEqual([48000, 24, 2]);
    const report = JSON.parse(readFileSync(join(project, 'dist/first-song/report.json'), 'utf8'));
    expect(report.master).toMatchObject({ meetsTarget: true, target: { integrated: -14, ceilingDb: -1 } });
    expect(report.markers.map((marker: { name: string }) => marker.name)).toEqual(['intro 1', 'verse 1', 'outro 1']);
    expect(report.buses.map((bus: { id: string }) => bus.id)).toEqual(['drums', 'space']);
    if (hasFfmpeg) {
      const measured = ffmpegSummary(master);
      expect(Math.abs(measured.I - -14)).toBeLessThanOrEqual(0.5);
      expect(measured.peak).toBeLessThanOrEqual(-0.9);
    }
    expect(existsSync(join(project, 'mixdown.lock'))).toBe(true);

    const test = run('npm', ['test'], project);
    expect(test.status, test.log).toBe(0);
    expect(test.stdout).toContain('checked 1 songs');
  }, 480_000);
});
