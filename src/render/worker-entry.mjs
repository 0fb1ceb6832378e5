// Worker-thread entry. Worker threads start as plain Node, which cannot run TypeScript, so
// this boots a vite-node runner (the same one the CLI uses) and executes worker.ts in it.
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { ViteNodeRunner } from 'vite-node/client';
import { ViteNodeServer } from 'vite-node/server';

const here = fileURLToPath(new URL('.', import.meta.url));
const server = await createServer({
  root: here,
  configFile: false,
  envFile: false,
  logLevel: 'silent',
  appType: 'custom',
  server: { hmr: false, watch: null, middlewareMode: true },
  optimizeDeps: { noDiscovery: true, include: [] },
});
const node = new ViteNodeServer(server);
const runner = new ViteNodeRunner({
  root: server.config.root,
  base: server.config.base,
  fetchModule: (id) => node.fetchModule(id),
  resolveId: (id, importer) => node.resolveId(id, importer),
});
await runner.executeFile(fileURLToPath(new URL('./worker.ts', import.meta.url)));
