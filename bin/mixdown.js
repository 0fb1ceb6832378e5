#!/usr/bin/env node
// The mixdown command. Exit codes: 0 ok, 1 a song failed, 2 bad usage, 70 internal error.
// Runs the bundled command when it can (fast start), else the TypeScript sources via vite-node.
import './allocator.js';
import { pathToFileURL } from 'node:url';
import { bundledEntries, packageRoot } from './bundle.js';

async function run(args) {
  const entries = process.env.MIXDOWN_NO_BUNDLE ? undefined : await bundledEntries();
  // The sources through vite-node only without a bundle (loaded then: ~60 ms of start-up otherwise).
  if (!entries) return (await import('./run-ts.js')).runTypeScript('src/cli/main.ts', args);
  globalThis.__mixdownPackageRoot = packageRoot;
  globalThis.__mixdownWorkerEntry = entries.worker;
  globalThis.__mixdownApiEntry = entries.api;
  globalThis.__mixdownFingerprint = entries.fingerprint;
  const cli = await import(pathToFileURL(entries.cli).href);
  return cli.main(args);
}

run(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (error) => {
    console.error('mixdown: internal error (please report):', error);
    process.exit(70);
  },
);
