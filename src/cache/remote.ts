/**
 * The remote tier of the task cache, speaking Bazel's HTTP remote-cache protocol:
 * `GET/PUT/HEAD <base>/ac/<key>` for action entries and `<base>/cas/<sha256>` for objects,
 * so bazel-remote, nginx with WebDAV PUT or any store that behaves the same can serve it.
 *
 * Reads: a task missing locally is looked up remotely; its objects are streamed to a temp
 * file beside the local object store, hashed on the way, and moved in only when size and
 * sha256 match; the entry is written locally last. Writes: after a task's objects are on
 * local disk, each missing object is streamed from its file (HEAD first, then PUT with its
 * length; the last chunk is held back until the file's digest is confirmed, so a file
 * changed under us never arrives whole), then the entry. At most `connections` transfers
 * run at once, each holding a stream buffer, never a whole object.
 *
 * Faults never fail a build: a request is retried with backoff a bounded number of times;
 * then the remote is switched off for the rest of the build with warning MD320. A damaged
 * or tampered object is refused (MD321), an unusable entry ignored (MD322); their tasks
 * render locally and nothing bad is stored.
 *
 * node:http rather than fetch: a streamed request body keeps an exact Content-Length (fetch
 * streams only chunked, which not every cache server takes), one keep-alive Agent bounds
 * the connections, and a socket idle timeout covers a server that stalls mid-body.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, openSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { createLimiter } from '../io/limiter.ts';
import { sha256 } from '../ir/hash.ts';
import type { ResolvedRemoteCache } from './remote-config.ts';
import type { ActionEntry, CacheStore, CacheTier } from './store.ts';

/** What the remote tier did in one build (printed and in --json; never in an output). */
export interface RemoteStats {
  /** Tasks whose entry and objects came from the remote. */
  hits: number;
  /** Tasks the remote did not have. */
  misses: number;
  /** Objects refused (wrong digest, wrong size, truncated) and entries ignored. */
  rejected: number;
  downloadedBytes: number;
  /** Entries and objects written to the remote. */
  uploadedEntries: number;
  uploadedObjects: number;
  uploadedBytes: number;
  /** The remote was switched off after a fault. */
  disabled: boolean;
}

/**
 * The platform and Node major in every remote key: outputs are byte-identical only on the
 * same platform and Node major, so machines of other kinds never share entries.
 */
const PLATFORM = `${process.platform}-${process.arch}-node${process.versions.node.split('.')[0]}`;
const DIGEST = /^[0-9a-f]{64}$/;
/** Largest action entry read (they are a few hundred bytes): a bigger body is not one of ours. */
const MAX_ENTRY_BYTES = 1024 * 1024;

/** A failed request: `retry` when trying again may help (network, timeout, 5xx, cut body). */
class RemoteFailure extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    /** The body was damaged, not the server unreachable: refuse the object, keep the remote. */
    readonly damaged = false,
  ) {
    super(message);
  }
}

/** The remote was switched off while this request waited. */
class RemoteOff extends Error {}

let tempCounter = 0;

export class RemoteCache implements CacheTier {
  readonly stats: RemoteStats = { hits: 0, misses: 0, rejected: 0, downloadedBytes: 0, uploadedEntries: 0, uploadedObjects: 0, uploadedBytes: 0, disabled: false };
  private readonly agent: http.Agent;
  private readonly fromRemote = new Set<string>();
  private readonly uploads: Promise<void>[] = [];
  /** Objects uploaded (or found present) in this build, by digest. */
  private readonly objectsPushed = new Map<string, Promise<void>>();
  private readonly uploadSlot: <T>(job: () => Promise<T>) => Promise<T>;
  /** Downloads under way, by digest: tasks sharing an object fetch it once. */
  private readonly downloading = new Map<string, Promise<boolean>>();
  /** Objects the remote served damaged: uploaded again over the bad copy once rendered here. */
  private readonly damaged = new Set<string>();

  constructor(
    readonly settings: ResolvedRemoteCache,
    private readonly store: CacheStore,
    private readonly warn: (diagnostic: Diagnostic) => void,
    /** Milliseconds before retry `n` (0-based). */
    private readonly backoff: (attempt: number) => number = (attempt) => Math.min(2000, 200 * 4 ** attempt),
  ) {
    const options = { keepAlive: true, maxSockets: settings.connections };
    this.agent = settings.url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
    this.uploadSlot = createLimiter(settings.connections);
  }

  /** The key an entry has on the remote: the task key, namespaced by platform. */
  static remoteKey(key: string): string {
    return sha256(`${key}\u0000${PLATFORM}`);
  }

  /** Whether this task's entry came from the remote in this build. */
  cameFromRemote(key: string): boolean {
    return this.fromRemote.has(key);
  }

  /**
   * Look up, in parallel, every task the local cache lacks; each remote hit is verified and
   * stored locally, so the build then finds it there.
   */
  async prefetch(tasks: readonly { readonly key: string }[]): Promise<void> {
    const wanted = [...new Set(tasks.map((task) => task.key))].filter((key) => !this.store.getAction(key));
    await Promise.all(wanted.map((key) => this.fetchAction(key)));
  }

  private async fetchAction(key: string): Promise<void> {
    if (this.stats.disabled) return;
    const path = `ac/${RemoteCache.remoteKey(key)}`;
    let body: Buffer | undefined;
    try {
      body = await this.attempt(() => this.getSmall(path));
    } catch (error) {
      return this.fail('reading', error);
    }
    if (!body) {
      this.stats.misses++;
      return;
    }
    const entry = parseEntry(body, key);
    if (typeof entry === 'string') {
      this.stats.rejected++;
      this.warn(d.badRemoteEntry(this.settings.url, key, entry));
      return;
    }
    const objects = new Map(Object.values(entry.outputs).map((output) => [output.digest, output.bytes]));
    for (const [digest, bytes] of objects) {
      if (this.store.hasObject(digest)) continue;
      let download = this.downloading.get(digest);
      if (!download) {
        download = this.download(digest, bytes);
        this.downloading.set(digest, download);
        void download.finally(() => this.downloading.delete(digest));
      }
      if (!(await download)) {
        this.stats.misses++;
        return;
      }
    }
    this.store.putAction(entry);
    this.fromRemote.add(key);
    this.stats.hits++;
  }

  /** Stream one object into the local store, verified; false when it cannot be had. */
  private async download(digest: string, bytes: number): Promise<boolean> {
    const target = this.store.objectFile(digest);
    mkdirSync(dirname(target), { recursive: true });
    // One temp file per try, each closed before the next try or the clean-up: no write of a
    // failed try can land in a later one's file.
    const temps: string[] = [];
    try {
      const found = await this.attempt(async (): Promise<string | undefined> => {
        const response = await this.send('GET', `cas/${digest}`);
        if (response.statusCode === 404) {
          response.resume();
          return undefined;
        }
        expectOk(response);
        const temp = `${target}.remote.${process.pid}.${++tempCounter}.tmp`;
        temps.push(temp);
        const file = createWriteStream(temp, { fd: openSync(temp, 'w'), highWaterMark: 1024 * 1024 });
        const closed = new Promise<void>((resolveClose) => file.once('close', () => resolveClose()));
        const hash = createHash('sha256');
        let size = 0;
        const check = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            size += chunk.byteLength;
            if (size > bytes) return done(new RemoteFailure(`it is longer than its ${bytes} bytes`, false, true));
            hash.update(chunk);
            done(null, chunk);
          },
        });
        try {
          await pipeline(response, check, file);
        } catch (error) {
          await closed;
          this.stats.downloadedBytes += size;
          throw error instanceof RemoteFailure ? error : new RemoteFailure(`the body was cut after ${size} of ${bytes} bytes (${describe(error)})`, true, true);
        }
        this.stats.downloadedBytes += size;
        if (size !== bytes) throw new RemoteFailure(`the body was cut after ${size} of ${bytes} bytes`, true, true);
        const actual = hash.digest('hex');
        if (actual !== digest) throw new RemoteFailure(`its bytes hash to ${actual.slice(0, 12)}…, not to the digest they are stored under`, false, true);
        await closed;
        return temp;
      });
      if (found) this.store.installVerified(digest, found);
      return found !== undefined;
    } catch (error) {
      if (error instanceof RemoteFailure && error.damaged) {
        this.stats.rejected++;
        this.damaged.add(digest);
        this.warn(d.remoteBadObject(this.settings.url, digest, error.message));
      } else this.fail('reading', error);
      return false;
    } finally {
      for (const temp of temps) rmSync(temp, { force: true });
    }
  }

  /**
   * Upload a task's objects, then its entry (the entry is the commit marker here too), once
   * the objects are on local disk. Runs in the background; `finish` waits for it.
   */
  push(entry: ActionEntry): void {
    if (this.settings.readOnly || this.stats.disabled) return;
    const upload = this.uploadSlot(async () => {
      const digests = [...new Set(Object.values(entry.outputs).map((output) => output.digest))];
      await this.store.flush(digests);
      for (const output of Object.values(entry.outputs)) await this.pushObject(output.digest, output.bytes);
      const json = Buffer.from(JSON.stringify(entry));
      await this.attempt(() => this.put(`ac/${RemoteCache.remoteKey(entry.key)}`, () => Readable.from([json]), json.byteLength));
      this.stats.uploadedEntries++;
      this.stats.uploadedBytes += json.byteLength;
    }).catch((error: unknown) => this.fail('uploading', error));
    this.uploads.push(upload);
  }

  private pushObject(digest: string, bytes: number): Promise<void> {
    let pushed = this.objectsPushed.get(digest);
    if (!pushed) {
      pushed = (async () => {
        if (!this.damaged.has(digest) && (await this.attempt(() => this.head(`cas/${digest}`)))) return;
        await this.attempt(() => this.put(`cas/${digest}`, () => createReadStream(this.store.objectFile(digest)).pipe(holdBackUntilVerified(digest, bytes)), bytes));
        this.stats.uploadedObjects++;
        this.stats.uploadedBytes += bytes;
      })();
      this.objectsPushed.set(digest, pushed);
    }
    return pushed;
  }

  /** Wait for every upload, close the connections, and say what was done. */
  async finish(): Promise<RemoteStats> {
    await Promise.allSettled(this.uploads);
    this.agent.destroy();
    return this.stats;
  }

  /** Run a request, retrying failures that may pass (network, timeout, 5xx, cut body) with backoff. */
  private async attempt<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.stats.disabled) throw new RemoteOff();
      try {
        return await request();
      } catch (error) {
        const failure = error instanceof RemoteFailure ? error : new RemoteFailure(describe(error), true);
        if (!failure.retry || attempt >= this.settings.retries) throw failure;
        await new Promise((wake) => setTimeout(wake, this.backoff(attempt)));
      }
    }
  }

  /** Switch the remote off for the rest of the build, once, with MD320. */
  private fail(doing: string, error: unknown): void {
    if (error instanceof RemoteOff || this.stats.disabled) return;
    this.stats.disabled = true;
    this.warn(d.remoteUnusable(this.settings.url, doing, error instanceof Error ? error.message : String(error)));
  }

  private send(method: string, path: string, body?: { stream: () => Readable; length: number }): Promise<http.IncomingMessage> {
    const url = new URL(`${this.settings.url}/${path}`);
    const headers: Record<string, string | number> = { ...this.settings.headers };
    if (body) headers['Content-Length'] = body.length;
    return new Promise((resolveResponse, rejectResponse) => {
      const request = (url.protocol === 'https:' ? https : http).request(url, { method, agent: this.agent, headers, timeout: this.settings.timeoutMs });
      // The socket's idle timeout covers the wait for an answer and every pause in a body.
      request.on('timeout', () => request.destroy(new RemoteFailure(`no answer within ${this.settings.timeoutMs / 1000} s`, true)));
      request.on('error', (error) => rejectResponse(error instanceof RemoteFailure ? error : new RemoteFailure(describe(error), true)));
      request.on('response', resolveResponse);
      if (!body) request.end();
      // A source that fails (a changed file) destroys the request: the server gets a short body and keeps nothing.
      else pipeline(body.stream(), request).catch((error: unknown) => rejectResponse(new RemoteFailure(describe(error), false)));
    });
  }

  /** GET a small body (an entry); undefined when the server does not have it. */
  private async getSmall(path: string): Promise<Buffer | undefined> {
    const response = await this.send('GET', path);
    if (response.statusCode === 404) {
      response.resume();
      return undefined;
    }
    expectOk(response);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > MAX_ENTRY_BYTES) {
        response.destroy();
        throw new RemoteFailure(`an entry of more than ${MAX_ENTRY_BYTES} bytes`, false, true);
      }
      chunks.push(chunk);
    }
    if (!response.complete) throw new RemoteFailure('the body was cut', true);
    this.stats.downloadedBytes += size;
    return Buffer.concat(chunks);
  }

  private async head(path: string): Promise<boolean> {
    const response = await this.send('HEAD', path);
    response.resume();
    if (response.statusCode === 404) return false;
    expectOk(response);
    return true;
  }

  private async put(path: string, stream: () => Readable, length: number): Promise<void> {
    const response = await this.send('PUT', path, { stream, length });
    response.resume();
    // bazel-remote refuses entries that are not Bazel ActionResults unless told not to.
    if (response.statusCode === 400 && path.startsWith('ac/')) throw new RemoteFailure('HTTP 400 for an entry: a bazel-remote server needs --disable_http_ac_validation', false);
    expectOk(response);
  }
}

function expectOk(response: http.IncomingMessage): void {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  response.resume();
  // 5xx and 429 may pass; 401/403 and other 4xx will not.
  throw new RemoteFailure(`HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`, status >= 500 || status === 429);
}

function describe(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
  return String(error);
}

/** An action entry read from the remote, checked to be one of ours for this key; a string says why not. */
function parseEntry(body: Buffer, key: string): ActionEntry | string {
  let entry: ActionEntry;
  try {
    entry = JSON.parse(body.toString('utf8')) as ActionEntry;
  } catch {
    return 'it is not JSON';
  }
  if (typeof entry !== 'object' || entry === null) return 'it is not an entry';
  if (entry.key !== key) return 'it names another task';
  if (typeof entry.kind !== 'string' || typeof entry.meta !== 'object' || entry.meta === null || typeof entry.inputs !== 'object' || entry.inputs === null) return 'fields are missing';
  if (typeof entry.outputs !== 'object' || entry.outputs === null || Object.keys(entry.outputs).length === 0) return 'it lists no outputs';
  for (const output of Object.values(entry.outputs)) {
    if (typeof output !== 'object' || output === null || !DIGEST.test(output.digest) || !Number.isInteger(output.bytes) || output.bytes < 0) return 'an output has no valid digest and size';
  }
  return entry;
}

/**
 * Pass a file's bytes through, holding the last chunk back until the whole file is hashed:
 * if its digest or size is not the expected one, the stream fails before the body is
 * complete, so the server (which knows the Content-Length) discards the upload.
 */
function holdBackUntilVerified(digest: string, bytes: number): Transform {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.byteLength;
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush(done) {
      if (size !== bytes || hash.digest('hex') !== digest) return done(new Error(`local object ${digest.slice(0, 12)}… changed on disk; not uploaded`));
      done(null, held);
    },
  });
}
