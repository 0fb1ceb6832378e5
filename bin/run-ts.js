#!/usr/bin/env node
// Runs a TypeScript entry file of this package with vite-node (Node 20 cannot strip types),
// passing the remaining arguments on. Usage: node bin/run-ts.js <file.ts> [args…]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { ViteNodeRunner } from 'vite-node/client';
import { ViteNodeServer } from 'vite-node/server';
import { installSourcemapsSupport } from 'vite-node/source-map';

export async function runTypeScript(entry, args) {
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const server = await createServer({
    root: packageRoot,
    configFile: false,
    envFile: false,
    logLevel: 'silent',
    appType: 'custom',
    server: { hmr: false, watch: null, middlewareMode: true },
    optimizeDeps: { noDiscovery: true, include: [] },
    resolve: { alias: { mixdown: resolve(packageRoot, 'src/index.ts') } },
  });
  const node = new ViteNodeServer(server);
  installSourcemapsSupport({ getSourceMap: (source) => node.getSourceMap(source) });
  const runner = new ViteNodeRunner({
    root: server.config.root,
    base: server.config.base,
    fetchModule: (id) => node.fetchModule(id),
    resolveId: (id, importer) => node.resolveId(id, importer),
  });
  try {
    const module = await runner.executeFile(resolve(packageRoot, entry));
    return typeof module.main === 'function' ? await module.main(args) : 0;
  } finally {
    await server.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [entry, ...args] = process.argv.slice(2);
  runTypeScript(entry, args).then(
    (code) => process.exit(typeof code === 'number' ? code : 0),
    (error) => {
      console.error(error);
      process.exit(70);
    },
  );
}
