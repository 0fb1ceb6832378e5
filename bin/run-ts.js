#!/usr/bin/env node
// Runs a TypeScript entry file of this package with vite-node (Node 20 cannot strip types),
// passing the remaining arguments on. Usage: node bin/run-ts.js <file.ts> [args…]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createViteRunner } from '../src/load/vite-runner.mjs';

export async function runTypeScript(entry, args) {
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const { runner, close } = await createViteRunner({ root: packageRoot, alias: { mixdown: resolve(packageRoot, 'src/index.ts') } });
  try {
    const module = await runner.executeFile(resolve(packageRoot, entry));
    return typeof module.main === 'function' ? await module.main(args) : 0;
  } finally {
    await close();
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
