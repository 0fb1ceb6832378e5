// Worker-thread entry when running from sources (tests, MIXDOWN_NO_BUNDLE): worker threads
// start as plain Node, which cannot run TypeScript, so this executes worker.ts with vite-node.
import { fileURLToPath } from 'node:url';
import { createViteRunner } from '../load/vite-runner.mjs';

const { runner } = await createViteRunner({ root: fileURLToPath(new URL('.', import.meta.url)) });
await runner.executeFile(fileURLToPath(new URL('./worker.ts', import.meta.url)));
