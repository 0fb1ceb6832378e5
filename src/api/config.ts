/**
 * The project config file, `mixdown.config.ts` at the project root, as Vite has
 * `vite.config.ts`: `export default defineConfig({ … })`. `defineConfig` only adds types.
 * Environment variables override it (for CI) and command-line flags override both.
 */

/** The remote tier of the task cache: any server speaking Bazel's HTTP remote-cache protocol. */
export interface RemoteCacheConfig {
  /**
   * Base URL: entries go to `<url>/ac/<key>`, objects to `<url>/cas/<sha256>`
   * (bazel-remote, nginx with WebDAV PUT, …). Overridden by `MIXDOWN_REMOTE_CACHE`
   * and `--remote-cache URL`.
   */
  readonly url: string;
  /** Read from the remote, never write to it (pull-request builds). @default false */
  readonly readOnly?: boolean;
  /** Name of the header sent with every request for authentication. @default 'Authorization' */
  readonly authHeader?: string;
  /**
   * Name of the environment variable holding that header's value (e.g. `Bearer …`). The
   * value is never written in this file, printed, put in a key, a report or a message.
   * @default 'MIXDOWN_REMOTE_CACHE_AUTH'
   */
  readonly authEnv?: string;
  /** Seconds a request may wait for the server's next bytes before it counts as failed. @default 15 */
  readonly timeoutSeconds?: number;
  /** Further tries of a request that failed (network, timeout, 5xx), with backoff. @default 2 */
  readonly retries?: number;
  /** Most connections (and so transfers) to the server at once. @default 4 */
  readonly connections?: number;
}

export interface UserConfig {
  /** A shared remote cache; none when omitted. */
  readonly remoteCache?: RemoteCacheConfig;
}

/** Typed identity for `mixdown.config.ts`: `export default defineConfig({ remoteCache: { url } })`. */
export function defineConfig(config: UserConfig): UserConfig;
export function defineConfig(config: () => UserConfig): () => UserConfig;
export function defineConfig(config: UserConfig | (() => UserConfig)): UserConfig | (() => UserConfig) {
  return config;
}
