/**
 * The remote cache against Debian's real nginx (WebDAV PUT) and, for faults, a tiny
 * node:http server: what nginx stored is read back and hashed here, outputs are compared
 * byte for byte, and the command's output is searched for the authentication value.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteCache } from '../src/cache/remote.ts';
import { CacheStore } from '../src/cache/store.ts';
import { parseShard, splitUnits } from '../src/pipeline/shard.ts';
import { freePort, NGINX, startFaultServer, startNginx, type Nginx } from './helpers/cache-servers.ts';
import { createProject, REPO_ROOT, type TestProject } from './helpers/project.ts';

const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');
const hasNginx = existsSync(NGINX);
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The command, run asynchronously (the fault servers live in this process and must keep answering). */
function mixdown(project: TestProject, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    const base = { ...process.env };
    for (const name of Object.keys(base)) if (name.startsWith('MIXDOWN_REMOTE')) delete base[name];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: project.root, env: { ...base, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}

/** Every output locked in a project's mixdown.lock, with its bytes' sha256 as read from dist/. */
function distDigests(project: TestProject): Record<string, string> {
  const lock = JSON.parse(project.read('mixdown.lock')) as { songs: Record<string, { outputs: Record<string, unknown> }> };
  const digests: Record<string, string> = {};
  for (const [unit, entry] of Object.entries(lock.songs)) for (const path of Object.keys(entry.outputs)) digests[`${unit}:${path}`] = sha(project.bytes(join('dist', unit, path)));
  return digests;
}

/** Every file in a project's local object store hashes to its name (nothing bad was stored), and no temp file is left. */
function localObjectsSound(project: TestProject): boolean {
  const root = join(project.root, '.mixdown', 'cache', 'objects');
  for (const folder of readdirSync(root)) {
    for (const name of readdirSync(join(root, folder))) if (name.endsWith('.tmp') || sha(readFileSync(join(root, folder, name))) !== name) return false;
  }
  return true;
}

function freshCopy(of: TestProject): TestProject {
  const copy = createProject();
  cpSync(join(of.root, 'songs'), join(copy.root, 'songs'), { recursive: true });
  if (existsSync(join(of.root, 'mixdown.config.ts'))) cpSync(join(of.root, 'mixdown.config.ts'), join(copy.root, 'mixdown.config.ts'));
  return copy;
}

type Summary = { rendered: number; cached: number; fromRemote: number; remote: { hits: number; uploadedObjects: number; disabled: boolean } | null; songs: { tasks: { id: string; key: string; status: string; remote?: boolean }[] }[] };
const summary = (run: Run) => JSON.parse(run.stdout) as Summary;

describe.skipIf(!hasNginx)('remote cache on nginx (WebDAV PUT)', () => {
  let nginx: Nginx;
  let first: TestProject;
  let firstRun: Run;
  beforeAll(async () => {
    nginx = await startNginx();
    first = createProject({ copy: ['tiny'] });
    firstRun = await mixdown(first, ['build', '--jobs', '1', '--json', '--remote-cache', nginx.url]);
  });
  afterAll(async () => {
    first?.dispose();
    await nginx?.stop();
  });

  it('pushes every task: nginx stores each object under cas/<its sha256> and each entry under ac/', () => {
    expect(firstRun.status, firstRun.stderr).toBe(0);
    const result = summary(firstRun);
    expect(result.rendered).toBe(6);
    const cas = nginx.stored('cas');
    for (const [name, digest] of cas) expect(digest).toBe(name);
    // Every output in dist/ is on the server, byte for byte.
    for (const digest of Object.values(distDigests(first))) expect(cas.has(digest)).toBe(true);
    const ac = nginx.stored('ac');
    const tasks = result.songs[0].tasks;
    // One entry per task, and the listening room's measurements (shared the same way).
    const kinds = [...ac.keys()].map((name) => (JSON.parse(readFileSync(join(nginx.store, 'ac', name), 'utf8')) as { kind: string }).kind);
    expect(kinds.filter((kind) => !kind.startsWith('room-')).length).toBe(tasks.length);
    expect(kinds.some((kind) => kind.startsWith('room-'))).toBe(true);
    for (const task of tasks) {
      const name = RemoteCache.remoteKey(task.key);
      expect(ac.has(name)).toBe(true);
      const entry = JSON.parse(readFileSync(join(nginx.store, 'ac', name), 'utf8')) as { key: string; outputs: Record<string, { digest: string }> };
      expect(entry.key).toBe(task.key);
      for (const output of Object.values(entry.outputs)) expect(cas.has(output.digest)).toBe(true);
    }
    expect(result.remote).toMatchObject({ uploadedObjects: cas.size, disabled: false });
  });

  it('a fresh copy with an empty local cache renders nothing and writes byte-identical outputs', async () => {
    const copy = freshCopy(first);
    try {
      const before = nginx.requests().length;
      const run = await mixdown(copy, ['build', '--jobs', '1', '--json', '--remote-cache', nginx.url]);
      expect(run.status, run.stderr).toBe(0);
      const result = summary(run);
      expect(result.rendered).toBe(0);
      expect(result.fromRemote).toBe(6);
      expect(result.songs[0].tasks.every((task) => task.status === 'cached' && task.remote === true)).toBe(true);
      expect(distDigests(copy)).toEqual(distDigests(first));
      expect(copy.read('mixdown.lock')).toBe(first.read('mixdown.lock'));
      expect(localObjectsSound(copy)).toBe(true);
      // Nothing rendered, so nothing was uploaded.
      expect(nginx.requests().slice(before).filter((line) => line.startsWith('PUT'))).toEqual([]);
      // --explain says where each task came from; a second build is all local.
      const again = await mixdown(copy, ['build', '--jobs', '1', '--explain', '--remote-cache', nginx.url]);
      expect(again.stdout).toContain('0 tasks rendered, 6 cached, in');
      expect(again.stdout).not.toContain('from the remote cache');
    } finally {
      copy.dispose();
    }
  });

  it('refuses a tampered object (MD321), renders it, stores nothing bad and repairs the server', async () => {
    const copy = freshCopy(first);
    try {
      const lock = JSON.parse(first.read('mixdown.lock'));
      const lead = lock.songs.tiny.outputs['stems/lead.wav'].sha256 as string;
      const path = join(nginx.store, 'cas', lead);
      const bytes = readFileSync(path);
      bytes[bytes.length - 5] ^= 0x40;
      writeFileSync(path, bytes);
      const run = await mixdown(copy, ['build', '--jobs', '1', '--json', '--remote-cache', nginx.url]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toContain('MD321');
      expect(run.stderr).toContain(lead.slice(0, 12));
      const result = summary(run);
      expect(result.songs[0].tasks.filter((task) => task.status === 'rendered').map((task) => task.id)).toEqual(['stem:lead']);
      expect(distDigests(copy)).toEqual(distDigests(first));
      expect(localObjectsSound(copy)).toBe(true);
      // The rendered stem went back over the damaged copy.
      expect(sha(readFileSync(path))).toBe(lead);
    } finally {
      copy.dispose();
    }
  });

  it('read-only mode downloads but never PUTs', async () => {
    const copy = freshCopy(first);
    try {
      copy.write('songs/tiny/song.ts', copy.read('songs/tiny/song.ts').replace('gain: -6,', 'gain: -7,'));
      const before = nginx.requests().length;
      const run = await mixdown(copy, ['build', '--jobs', '1', '--json', '--remote-cache-read-only'], { MIXDOWN_REMOTE_CACHE: nginx.url });
      expect(run.status, run.stderr).toBe(0);
      const result = summary(run);
      expect(result.rendered).toBeGreaterThan(0);
      expect(result.fromRemote).toBeGreaterThan(0);
      const requests = nginx.requests().slice(before);
      expect(requests.some((line) => line.startsWith('GET'))).toBe(true);
      expect(requests.filter((line) => !line.startsWith('GET'))).toEqual([]);
      // The environment variable alone makes it read-only too.
      const envOnly = await mixdown(copy, ['build', '--jobs', '1', '--no-cache'], { MIXDOWN_REMOTE_CACHE: nginx.url, MIXDOWN_REMOTE_CACHE_READ_ONLY: '1' });
      expect(envOnly.status).toBe(0);
      expect(nginx.requests().slice(before).filter((line) => !line.startsWith('GET'))).toEqual([]);
    } finally {
      copy.dispose();
    }
  });
});

describe.skipIf(!hasNginx)('remote cache authentication', () => {
  it('sends the header from the environment, named in mixdown.config.ts, and prints it nowhere', async () => {
    const token = 'Bearer s3cret-7f4c1d';
    const nginx = await startNginx({ auth: token });
    const project = createProject({ copy: ['tiny'] });
    try {
      project.write(
        'mixdown.config.ts',
        `import { defineConfig } from 'mixdown';\nexport default defineConfig({ remoteCache: { url: '${nginx.url}', authEnv: 'SONG_CACHE_TOKEN' } });\n`,
      );
      // Without the value nginx answers 401: a warning, and the build goes on locally.
      const refused = await mixdown(project, ['build', '--jobs', '1']);
      expect(refused.status, refused.stderr).toBe(0);
      expect(refused.stderr).toContain('MD320');
      expect(refused.stderr).toContain('HTTP 401');
      expect(nginx.stored('cas').size).toBe(0);

      const run = await mixdown(project, ['build', '--jobs', '1', '--no-cache', '--json', '--explain'], { SONG_CACHE_TOKEN: token });
      expect(run.status, run.stderr).toBe(0);
      // 7 task objects (3 stems, mix, master, master-16, MIDI), the 3 stems' waveform peaks, measured as they streamed,
      // and the listening room's analysis of master.wav, measured as the master was written.
      expect(summary(run).remote?.uploadedObjects).toBe(11);
      const requests = nginx.requests();
      expect(requests.filter((line) => line.startsWith('PUT') && line.includes(` 201 auth=${token}`)).length).toBeGreaterThan(0);
      // A wrong value: 401 again, and the message does not carry it.
      const wrong = await mixdown(project, ['build', '--jobs', '1', '--no-cache'], { SONG_CACHE_TOKEN: 'Bearer wrong-value-99' });
      expect(wrong.stderr).toContain('MD320');
      const printed = [refused, run, wrong].flatMap((result) => [result.stdout, result.stderr]).join('\n');
      expect(printed).not.toContain('s3cret');
      expect(printed).not.toContain('wrong-value-99');
      // Nor in a report, the lock or anything mixdown keeps.
      const kept = [project.read('dist/tiny/report.json'), project.read('mixdown.lock')];
      for (const folder of ['.mixdown/cache/actions', '.mixdown/cache/last']) {
        const walk = (dir: string): void => {
          for (const entry of readdirSync(dir, { withFileTypes: true })) entry.isDirectory() ? walk(join(dir, entry.name)) : kept.push(readFileSync(join(dir, entry.name), 'utf8'));
        };
        walk(join(project.root, folder));
      }
      for (const text of kept) expect(text).not.toContain('s3cret');
    } finally {
      project.dispose();
      await nginx.stop();
    }
  });
});

describe.skipIf(!hasNginx)('remote cache uploads', () => {
  it('a local object changed on disk before its upload never arrives whole: nginx stores nothing', async () => {
    const nginx = await startNginx();
    const dir = mkdtempSync(join(tmpdir(), 'mixdown-remote-'));
    try {
      const store = new CacheStore(dir);
      const good = store.putObject(new Uint8Array(300_000).fill(7));
      const changed = store.putObject(new Uint8Array(200_000).fill(9));
      await store.flush();
      const file = store.objectFile(changed.digest);
      const bytes = readFileSync(file);
      bytes[1000] = 1;
      writeFileSync(file, bytes);
      const warnings: string[] = [];
      const settings = { url: nginx.url, readOnly: false, headers: {}, timeoutMs: 5000, retries: 0, connections: 2 };
      const remote = new RemoteCache(settings, store, (diagnostic) => warnings.push(`${diagnostic.code} ${diagnostic.message}`));
      remote.push({ key: 'a'.repeat(64), kind: 'stem', outputs: { audio: good }, meta: {}, inputs: {} });
      await remote.finish();
      const second = new RemoteCache(settings, store, (diagnostic) => warnings.push(`${diagnostic.code} ${diagnostic.message}`));
      second.push({ key: 'b'.repeat(64), kind: 'stem', outputs: { audio: changed }, meta: {}, inputs: {} });
      const stats = await second.finish();
      expect([...nginx.stored('cas').keys()]).toEqual([good.digest]);
      expect([...nginx.stored('ac').keys()]).toEqual([RemoteCache.remoteKey('a'.repeat(64))]);
      expect(stats.uploadedObjects).toBe(0);
      expect(warnings.join('\n')).toMatch(/MD320.*changed on disk; not uploaded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await nginx.stop();
    }
  });
});

describe('project config', () => {
  it('a config that cannot be used is a usage error (MD325) naming what to fix', async () => {
    const project = createProject({ copy: ['tiny'] });
    try {
      project.write('mixdown.config.ts', `import { defineConfig } from 'mixdown';\nexport default defineConfig({ remoteCache: { url: 'ftp://cache.example/x', retries: -1 } });\n`);
      const bad = await mixdown(project, ['build']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('MD325');
      expect(bad.stderr).toContain('not an http:// or https:// URL');
      expect(bad.stderr).toContain('remoteCache.retries');
      // The environment overrides the file: `off` builds without a remote cache.
      const overridden = await mixdown(project, ['build', '--jobs', '1'], { MIXDOWN_REMOTE_CACHE: 'off' });
      expect(overridden.status, overridden.stderr).toBe(0);
      expect(overridden.stdout).not.toContain('remote cache');
      project.write('mixdown.config.ts', `throw new Error('no config today');\n`);
      const threw = await mixdown(project, ['build']);
      expect(threw.status).toBe(2);
      expect(threw.stderr).toMatch(/MD325.*no config today/);
    } finally {
      project.dispose();
    }
  });
});

describe('remote cache faults never fail or poison a build', () => {
  /**
   * A project whose config makes faults quick to notice: one retry, and a timeout short enough
   * for the stalling server's test but, elsewhere, long enough for a loaded machine.
   */
  const faultProject = (timeoutSeconds = 10) => {
    const project = createProject({ copy: ['tiny'] });
    project.write('mixdown.config.ts', `import { defineConfig } from 'mixdown';\nexport default defineConfig({ remoteCache: { url: 'off', timeoutSeconds: ${timeoutSeconds}, retries: 1 } });\n`);
    return project;
  };
  const expectLocalBuild = (run: Run) => {
    expect(run.status, run.stderr).toBe(0);
    expect(summary(run).rendered).toBe(6);
  };

  it('a server that is down: MD320, built locally', async () => {
    const project = faultProject();
    try {
      const run = await mixdown(project, ['build', '--jobs', '1', '--json', '--remote-cache', `http://127.0.0.1:${await freePort()}/cache`]);
      expectLocalBuild(run);
      expect(run.stderr).toMatch(/MD320.*ECONNREFUSED/);
      expect(summary(run).remote?.disabled).toBe(true);
    } finally {
      project.dispose();
    }
  });

  /** Build against a misbehaving server: the build succeeds locally; `check` looks at what was said and seen. */
  const againstFaultServer = async (mode: Parameters<typeof startFaultServer>[0], check: (run: Run, seen: readonly string[], seconds: number) => void) => {
    const server = await startFaultServer(mode);
    const project = faultProject('stall' in mode ? 0.3 : undefined);
    try {
      const started = performance.now();
      const run = await mixdown(project, ['build', '--jobs', '1', '--json', '--remote-cache', server.url]);
      expectLocalBuild(run);
      check(run, server.seen, (performance.now() - started) / 1000);
    } finally {
      project.dispose();
      await server.stop();
    }
  };

  it('HTTP 500: bounded retries, then the remote is off for the rest of the build', () =>
    againstFaultServer({ status: 500 }, (run, seen) => {
      expect(run.stderr).toContain('HTTP 500');
      expect(run.stderr.match(/MD320/g)).toHaveLength(1);
      // Six lookups at most, each tried twice; no upload once it is off.
      expect(seen.length).toBeLessThanOrEqual(12);
      expect(seen.filter((line) => !line.startsWith('GET'))).toEqual([]);
    }));

  it('a server that never answers times out', () =>
    againstFaultServer({ stall: true }, (run, _seen, seconds) => {
      expect(run.stderr).toContain('no answer within 0.3 s');
      expect(seconds).toBeLessThan(20);
    }));

  it('a server killed mid-build: MD320, the build succeeds', () =>
    againstFaultServer({ dieAfter: 3 }, (run, seen) => {
      expect(run.stderr).toContain('MD320');
      expect(seen.length).toBeGreaterThan(3);
    }));

  it.skipIf(!hasNginx)('truncated bodies: refused (MD321), rendered locally, nothing partial stored', async () => {
    // Real entries and objects, made against nginx, then served cut in half.
    const nginx = await startNginx();
    const source = createProject({ copy: ['tiny'] });
    let server: Awaited<ReturnType<typeof startFaultServer>> | undefined;
    const project = faultProject();
    try {
      expect((await mixdown(source, ['build', '--jobs', '1', '--remote-cache', nginx.url])).status).toBe(0);
      const served = new Map<string, Uint8Array>();
      for (const folder of ['ac', 'cas'] as const) for (const name of nginx.stored(folder).keys()) served.set(`${folder}/${name}`, readFileSync(join(nginx.store, folder, name)));
      server = await startFaultServer({ truncate: served });
      const run = await mixdown(project, ['build', '--jobs', '1', '--json', '--remote-cache', server.url]);
      expectLocalBuild(run);
      expect(run.stderr).toContain('MD321');
      expect(run.stderr).toContain('the body was cut');
      expect(localObjectsSound(project)).toBe(true);
      expect(distDigests(project)).toEqual(distDigests(source));
    } finally {
      project.dispose();
      source.dispose();
      await server?.stop();
      await nginx.stop();
    }
  });
});

describe('--shard I/N', () => {
  it('splits deterministically: by measured seconds where known, else by task count', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b']) expect(parseShard(bad)).toBeUndefined();
    const units = [
      { id: 'a', tasks: ['stem:x', 'mix'] },
      { id: 'b', tasks: ['stem:x', 'stem:y', 'stem:z', 'mix'] },
      { id: 'b/radio', tasks: ['mix'] },
      { id: 'c', tasks: ['stem:x', 'mix'] },
    ];
    const byCount = splitUnits(units, 2, {});
    expect(byCount.by).toBe('task count');
    expect(Object.fromEntries(byCount.assignment)).toEqual({ b: 1, a: 2, c: 2, 'b/radio': 1 });
    expect(byCount.loads).toEqual([5, 4]);
    // Measured: c is slow. Unmeasured tasks weigh the mean of the measured ones (2 s).
    const measured = splitUnits(units, 2, { c: { 'stem:x': 6, mix: 1 }, a: { 'stem:x': 0.5, mix: 0.5 } });
    expect(measured.by).toBe('measured seconds');
    expect(Object.fromEntries(measured.assignment)).toEqual({ b: 1, c: 2, 'b/radio': 2, a: 1 });
    expect(splitUnits([...units].reverse(), 2, {}).fingerprint).toBe(byCount.fingerprint);
  });

  it.skipIf(!hasNginx)('shards build each output exactly once; an assemble job renders nothing and matches a full build', async () => {
    const nginx = await startNginx();
    const tiny = readFileSync(join(REPO_ROOT, 'songs', 'tiny', 'song.ts'), 'utf8');
    const withVariant = tiny.replace("import { defineSong,", "import { removeTracks, defineSong,").replace(/\n\}\);\s*$/, "\n  variants: { 'no-lead': (s) => removeTracks(s, 'lead') },\n});\n");
    const project = createProject({ songs: { one: tiny, two: withVariant.replace("seed: 7", "seed: 8") } });
    const shards = [freshCopy(project), freshCopy(project)];
    const assemble = freshCopy(project);
    try {
      const full = await mixdown(project, ['build', '--jobs', '1']);
      expect(full.status, full.stderr).toBe(0);
      const built: string[][] = [];
      const fingerprints: string[] = [];
      for (const [index, shard] of shards.entries()) {
        const run = await mixdown(shard, ['build', '--jobs', '1', '--shard', `${index + 1}/2`, '--remote-cache', nginx.url]);
        expect(run.status, run.stderr).toBe(0);
        const line = new RegExp(`shard ${index + 1}/2 \\(split ([0-9a-f]{12}), by task count\\)`).exec(run.stdout);
        expect(line).not.toBeNull();
        fingerprints.push(line![1]);
        built.push(Object.keys(JSON.parse(shard.read('mixdown.lock')).songs).sort());
      }
      // --json says the same from the same sources (and no timings): this shard, the split, its units.
      const again = freshCopy(project);
      try {
        const json = await mixdown(again, ['build', '--jobs', '1', '--json', '--shard', '1/2', '--remote-cache', nginx.url]);
        expect(JSON.parse(json.stdout).shard).toEqual({ index: 1, count: 2, fingerprint: fingerprints[0], by: 'task count', units: built[0] });
        expect(JSON.parse(json.stdout).rendered).toBe(0);
      } finally {
        again.dispose();
      }
      // Every shard computed the same split.
      expect(fingerprints[1]).toBe(fingerprints[0]);
      // Disjoint, and together every unit of the full build.
      expect(built[0].filter((unit) => built[1].includes(unit))).toEqual([]);
      expect([...built[0], ...built[1]].sort()).toEqual(Object.keys(JSON.parse(project.read('mixdown.lock')).songs).sort());
      expect(built[0].length).toBeGreaterThan(0);
      expect(built[1].length).toBeGreaterThan(0);
      // Each shard's dist/ has only its own units' outputs.
      for (const [index, shard] of shards.entries()) {
        for (const unit of built[1 - index]) expect(existsSync(join(shard.root, 'dist', unit, 'mix.wav'))).toBe(false);
      }
      const run = await mixdown(assemble, ['build', '--jobs', '1', '--json', '--require-cached', '--remote-cache-read-only', '--remote-cache', nginx.url]);
      expect(run.status, run.stderr).toBe(0);
      expect(summary(run).rendered).toBe(0);
      expect(assemble.read('mixdown.lock')).toBe(project.read('mixdown.lock'));
      expect(distDigests(assemble)).toEqual(distDigests(project));
      // And verify agrees with the lock.
      const verified = await mixdown(assemble, ['verify']);
      expect(verified.status, verified.stdout).toBe(0);
      // A song no shard built fails the assemble job, naming what would render.
      assemble.write('songs/one/song.ts', assemble.read('songs/one/song.ts').replace('gain: -6,', 'gain: -7,'));
      const missing = await mixdown(assemble, ['build', '--jobs', '1', '--require-cached', '--remote-cache', nginx.url]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/MD323.*one: \d+ tasks would render under --require-cached \(stem:lead, .*master/);
      // Its outputs stay as they were.
      expect(distDigests(assemble)).toEqual(distDigests(project));
            // A shard that does not exist is a usage error.
      const bad = await mixdown(assemble, ['build', '--shard', '3/2']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('MD402');
    } finally {
      for (const copy of [project, ...shards, assemble]) copy.dispose();
      await nginx.stop();
    }
  });
});
