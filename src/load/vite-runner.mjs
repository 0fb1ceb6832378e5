// One way to execute TypeScript modules with vite-node, shared by the song loader, the
// source-mode launcher (bin/run-ts.js) and source-mode render workers. Plain JavaScript so
// that launchers, which Node runs before any TypeScript can be, can import it.
import { createServer } from 'vite';
import { ViteNodeRunner } from 'vite-node/client';
import { ViteNodeServer } from 'vite-node/server';
import { installSourcemapsSupport } from 'vite-node/source-map';

/**
 * A vite server (no watcher, no HMR, no dependency optimising) and a runner on it.
 * @param {{ root: string, alias?: Record<string, string>, cacheDir?: string }} options
 */
export async function createViteRunner({ root, alias = {}, cacheDir }) {
  const server = await createServer({
    root,
    configFile: false,
    envFile: false,
    logLevel: 'silent',
    appType: 'custom',
    clearScreen: false,
    ...(cacheDir ? { cacheDir } : {}),
    resolve: { alias },
    server: { hmr: false, watch: null, middlewareMode: true },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  const node = new ViteNodeServer(server);
  // Stack traces then point at TypeScript lines.
  installSourcemapsSupport({ getSourceMap: (source) => node.getSourceMap(source) });
  const runner = new ViteNodeRunner({
    root: server.config.root,
    base: server.config.base,
    fetchModule: (id) => node.fetchModule(id),
    resolveId: (id, importer) => node.resolveId(id, importer),
  });
  return { server, runner, close: () => server.close() };
}
