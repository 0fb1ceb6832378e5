/**
 * Where the remote cache's settings come from: `mixdown.config.ts` (typed by
 * `defineConfig`), then environment variables (CI sets these), then command-line flags.
 * The authentication value only ever comes from the environment and is kept in the
 * resolved settings' headers, which nothing prints.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RemoteCacheConfig, UserConfig } from '../api/config.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';

/** The project config file, at the project root. */
export const CONFIG_FILE = 'mixdown.config.ts';

/** Environment variables that override the config file. */
export const REMOTE_ENV = {
  /** Base URL of the remote cache, or `off` for none. */
  url: 'MIXDOWN_REMOTE_CACHE',
  /** `1`/`true`: never upload; `0`/`false`: upload. */
  readOnly: 'MIXDOWN_REMOTE_CACHE_READ_ONLY',
  /** Default name of the variable holding the authentication header's value. */
  auth: 'MIXDOWN_REMOTE_CACHE_AUTH',
} as const;

/** What the command line says about the remote cache (each overrides config and environment). */
export interface RemoteCacheFlags {
  /** `--remote-cache URL` (`off` for none). */
  readonly url?: string;
  /** `--remote-cache-read-only`. */
  readonly readOnly?: boolean;
}

export interface ResolvedRemoteCache {
  /** Base URL without a trailing slash, credentials or query (they went to `headers`): safe to print. */
  readonly url: string;
  readonly readOnly: boolean;
  /** Sent with every request; holds the authentication value. Never printed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly connections: number;
}

const DEFAULTS = { authHeader: 'Authorization', authEnv: REMOTE_ENV.auth, timeoutSeconds: 15, retries: 2, connections: 4 } as const;

/**
 * The remote cache in force, or none; diagnostics (MD325) when the config file or a value
 * cannot be used. `importConfig` executes the config file (as the song loader runs songs).
 */
export async function resolveRemoteCache(
  root: string,
  flags: RemoteCacheFlags,
  env: Readonly<Record<string, string | undefined>>,
  importConfig: (path: string) => Promise<Record<string, unknown>>,
): Promise<{ remote?: ResolvedRemoteCache; diagnostics: Diagnostic[] }> {
  let config: RemoteCacheConfig | undefined;
  const path = join(root, CONFIG_FILE);
  if (existsSync(path)) {
    let exported: unknown;
    try {
      exported = (await importConfig(path)).default;
      if (typeof exported === 'function') exported = (exported as () => unknown)();
    } catch (error) {
      return { diagnostics: [d.badConfig(CONFIG_FILE, `it threw while loading: ${error instanceof Error ? error.message : String(error)}`, 'fix the error; the config file is an ordinary TypeScript module')] };
    }
    if (typeof exported !== 'object' || exported === null) {
      return { diagnostics: [d.badConfig(CONFIG_FILE, 'its default export is not a config object', 'end it with `export default defineConfig({ … })`')] };
    }
    config = (exported as UserConfig).remoteCache;
  }
  const problems: Diagnostic[] = [];
  const problem = (source: string, detail: string, hint: string) => problems.push(d.badConfig(source, detail, hint));
  const url = flags.url ?? (env[REMOTE_ENV.url] || undefined) ?? config?.url;
  if (!url || url === 'off') return { diagnostics: [] };
  const urlSource = flags.url !== undefined ? '--remote-cache' : env[REMOTE_ENV.url] ? REMOTE_ENV.url : `${CONFIG_FILE} remoteCache.url`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    problem(urlSource, 'the remote cache URL is not an http:// or https:// URL', 'write e.g. http://cache.example:8080/mixdown');
  }
  const readOnlyEnv = env[REMOTE_ENV.readOnly];
  let readOnly = config?.readOnly ?? false;
  if (readOnlyEnv !== undefined && readOnlyEnv !== '') {
    if (/^(1|true|yes)$/i.test(readOnlyEnv)) readOnly = true;
    else if (/^(0|false|no)$/i.test(readOnlyEnv)) readOnly = false;
    else problem(REMOTE_ENV.readOnly, `'${readOnlyEnv}' is not 1, true, 0 or false`, 'set it to 1 for read-only builds');
  }
  if (flags.readOnly) readOnly = true;
  const number = (name: keyof typeof DEFAULTS & keyof RemoteCacheConfig, min: number): number => {
    const value = config?.[name] ?? DEFAULTS[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      problem(CONFIG_FILE, `remoteCache.${name} must be a number of at least ${min}`, `omit it for the default, ${DEFAULTS[name]}`);
      return DEFAULTS[name] as number;
    }
    return value;
  };
  const timeoutSeconds = number('timeoutSeconds', 0.001);
  const retries = Math.floor(number('retries', 0));
  const connections = Math.floor(number('connections', 1));
  const headers: Record<string, string> = {};
  const authHeader = config?.authHeader ?? DEFAULTS.authHeader;
  const authValue = env[config?.authEnv ?? DEFAULTS.authEnv];
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(authHeader)) problem(CONFIG_FILE, 'remoteCache.authHeader is not a header name', "write e.g. 'Authorization'");
  else if (authValue) headers[authHeader] = authValue;
  if (problems.length || !parsed) return { diagnostics: problems };
  // Credentials in the URL become a Basic header (unless one came from the environment) and leave the shown URL.
  if ((parsed.username || parsed.password) && !authValue) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return {
    remote: {
      url: parsed.toString().replace(/\/+$/, ''),
      readOnly,
      headers,
      timeoutMs: Math.round(timeoutSeconds * 1000),
      retries,
      connections,
    },
    diagnostics: [],
  };
}
