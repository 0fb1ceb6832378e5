#!/usr/bin/env node
// The mixdown command. Exit codes: 0 ok, 1 a song failed, 2 bad usage, 70 internal error.
import { runTypeScript } from './run-ts.js';

runTypeScript('src/cli/main.ts', process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (error) => {
    console.error('mixdown: internal error (please report):', error);
    process.exit(70);
  },
);
