/**
 * Cache servers for the remote-cache tests: Debian's real nginx with WebDAV PUT (as the
 * guide in docs/ sets it up), started on a free 127.0.0.1 port with its config, logs, pid
 * and temp folders in a temp dir, and a tiny node:http server that injects faults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolveClose) => server.close(resolveClose));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolveTry) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolveTry(true);
      });
      socket.once('error', () => resolveTry(false));
    });
    if (open) return;
    await new Promise((wake) => setTimeout(wake, 25));
  }
  throw new Error(`nginx did not listen on ${port}: ${log()}`);
}

export interface Nginx {
  /** Base URL of the cache (`http://127.0.0.1:PORT/cache`). */
  readonly url: string;
  /** Where nginx stores what is PUT under the base URL. */
  readonly store: string;
  /** Requests nginx served, one `METHOD /path STATUS auth=<header or ->` line each. */
  requests(): string[];
  /** Files stored under `ac/` or `cas/`: name → sha256 of the content. */
  stored(folder: 'ac' | 'cas'): Map<string, string>;
  stop(): Promise<void>;
}

/**
 * nginx serving a WebDAV-PUT store at /cache/. With `auth`, a request whose Authorization
 * header is not exactly that gets 401.
 */
export async function startNginx(options: { auth?: string } = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'mixdown-nginx-'));
  const store = join(dir, 'store');
  mkdirSync(join(store, 'cache'), { recursive: true });
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, temp));
  const port = await freePort();
  const authCheck = options.auth ? `if ($http_authorization != "${options.auth}") { return 401; }` : '';
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  log_format cache '$request_method $uri $status auth=$http_authorization';
  access_log ${dir}/access.log cache;
  sendfile on;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${store};
    client_max_body_size 1g;
    location /cache/ {
      ${authCheck}
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  await waitForPort(port, child, errorLog);
  const accessLog = join(dir, 'access.log');
  return {
    url: `http://127.0.0.1:${port}/cache`,
    store: join(store, 'cache'),
    requests: () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8').split('\n').filter(Boolean) : []),
    stored(folder) {
      const found = new Map<string, string>();
      const path = join(store, 'cache', folder);
      if (!existsSync(path)) return found;
      for (const name of readdirSync(path)) found.set(name, createHash('sha256').update(readFileSync(join(path, name))).digest('hex'));
      return found;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FaultServer {
  readonly url: string;
  /** Requests seen, as `METHOD /path`. */
  readonly seen: string[];
  stop(): Promise<void>;
}

/**
 * A node:http cache server that misbehaves: `status` answers every request with that code;
 * `stall` accepts and never answers; `truncate` serves `ac/` and `cas/` files (path → bytes),
 * the objects with their full Content-Length but cut half-way; `dieAfter` answers 404 to that
 * many requests, then stops listening and drops every connection (a server killed mid-build).
 */
export async function startFaultServer(
  mode: { status: number } | { stall: true } | { truncate: Map<string, Uint8Array> } | { dieAfter: number },
): Promise<FaultServer> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    request.resume();
    if ('status' in mode) {
      response.writeHead(mode.status).end('broken');
    } else if ('stall' in mode) {
      // Never answers.
    } else if ('truncate' in mode) {
      const path = (request.url ?? '').replace(/^\/cache\//, '');
      const bytes = mode.truncate.get(path);
      if (!bytes || request.method !== 'GET' || !path.startsWith('cas/')) {
        response.writeHead(bytes ? 200 : 404).end(request.method === 'GET' ? bytes : undefined);
        return;
      }
      response.writeHead(200, { 'Content-Length': bytes.byteLength });
      response.write(bytes.subarray(0, bytes.byteLength >> 1), () => response.socket?.destroy());
    } else if (seen.length <= mode.dieAfter) {
      response.writeHead(404).end();
    } else {
      server.close();
      for (const socket of sockets) socket.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cache`,
    seen,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolveClose) => server.close(resolveClose));
    },
  };
}
