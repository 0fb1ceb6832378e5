/**
 * `mixdown watch --serve`: a small static server for dist/ (the listening room) that pushes
 * a reload to open pages when a song's master is rebuilt (server-sent events). It serves the
 * files under dist/ and nothing else: the decoded path must resolve inside dist/ (`..`,
 * `%2e%2e`, `..%2f`, NUL and links pointing out are refused), and only GET and HEAD are answered. It binds to
 * 127.0.0.1 unless told otherwise. HTML pages get one added tag naming the event stream, so
 * the same pages opened from a file or a static host simply do not listen.
 */
import { createReadStream, realpathSync, statSync, type Stats } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { readFile } from 'node:fs/promises';

export interface ServeOptions {
  /** The folder served: the build's output folder. */
  readonly dir: string;
  /** TCP port; 0 picks a free one. @default 4780 */
  readonly port?: number;
  /** Address to bind. @default '127.0.0.1' (this machine only) */
  readonly host?: string;
}

export interface RoomServer {
  /** `http://host:port/` */
  readonly url: string;
  /** Tell open pages that a song's (or variant's) master was rebuilt. */
  notify(event: { song: string; variant: string | null }): void;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 4780;
export const DEFAULT_HOST = '127.0.0.1';
/** The event stream's path: outside any song folder (song ids cannot start with `_`… nor contain `/`). */
export const EVENTS_PATH = '/_mixdown/events';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.mid': 'audio/midi',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The file a request path names inside `dir`, or a status code to answer instead. */
export function resolveInside(dir: string, rawPath: string): string | 400 | 403 {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath.split('?')[0].split('#')[0]);
  } catch {
    return 400;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 400;
  const base = resolve(dir);
  const target = resolve(join(base, decoded));
  if (target !== base && !target.startsWith(base + sep)) return 403;
  return target;
}

export async function serveRoom(options: ServeOptions): Promise<RoomServer> {
  const dir = resolve(options.dir);
  const clients = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'only GET and HEAD');
    if (url.split('?')[0] === EVENTS_PATH) {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(': mixdown listening room\n\n');
      clients.add(response);
      request.on('close', () => clients.delete(response));
      return undefined;
    }
    const target = resolveInside(dir, url);
    if (typeof target === 'number') return answer(response, target, target === 403 ? 'outside dist/' : 'bad path');
    let file = target;
    let stat: Stats;
    try {
      stat = statSync(file);
      if (stat.isDirectory()) {
        if (!url.split('?')[0].endsWith('/')) {
          response.writeHead(301, { location: `${url.split('?')[0]}/` });
          return response.end();
        }
        file = join(file, 'index.html');
        stat = statSync(file);
      }
      if (!stat.isFile()) return answer(response, 404, 'not found');
      // A link inside dist/ that points out of it is outside too.
      const real = realpathSync(file);
      const realDir = realpathSync(dir);
      if (!real.startsWith(realDir + sep)) return answer(response, 403, 'outside dist/');
    } catch {
      return answer(response, 404, 'not found');
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const headers = { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (extname(file) === '.html') {
      readFile(file, 'utf8').then(
        (html) => {
          const body = html.replace('<head>', `<head>\n<meta name="mixdown-live" content="${EVENTS_PATH}">`);
          response.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
          response.end(request.method === 'HEAD' ? undefined : body);
        },
        () => answer(response, 404, 'not found'),
      );
      return undefined;
    }
    response.writeHead(200, { ...headers, 'content-length': stat.size });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
    return undefined;
  });
  const port = options.port ?? DEFAULT_PORT;
  const host = options.host ?? DEFAULT_HOST;
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/`,
    notify(event) {
      const message = `event: master\ndata: ${JSON.stringify(event)}\n\n`;
      for (const client of clients) client.write(message);
    },
    close() {
      for (const client of clients) client.end();
      clients.clear();
      return new Promise((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${status} ${text}\n`);
}
