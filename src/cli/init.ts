/**
 * `mixdown init [dir] [--force]`: a new song project that depends on mixdown — package.json
 * (`npm start` builds, `npm test` checks and verifies), tsconfig.json, a first song
 * (src/cli/init-template/song.ts, type-checked with mixdown's own sources), plugins/,
 * .gitignore, the CI workflow of docs/github-actions-song-project.yml, and a README.
 * It writes only into an empty folder, unless `--force` (then it replaces the files it
 * makes and leaves every other file alone).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { packageRoot } from '../paths.ts';

export interface InitOptions {
  /** Write into a folder that is not empty, replacing the files init makes. @default false */
  readonly force?: boolean;
}

export type InitResult = { readonly ok: true; readonly files: readonly string[] } | { readonly ok: false; readonly diagnostic: Diagnostic };

/** The project's files, path → content. */
export function projectFiles(name: string): Record<string, string> {
  const root = packageRoot();
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const packageJson = {
    name,
    private: true,
    type: 'module',
    scripts: { start: 'mixdown build', test: 'mixdown check && mixdown verify' },
    dependencies: { mixdown: `^${own.version}` },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      // mixdown ships its TypeScript sources: songs import them as they are.
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
    },
    include: ['songs', 'plugins'],
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    'songs/first-song/song.ts': readFileSync(join(root, 'src', 'cli', 'init-template', 'song.ts'), 'utf8'),
    'plugins/README.md': PLUGINS_README,
    '.gitignore': 'node_modules/\ndist/\n.mixdown/\n',
    '.github/workflows/render.yml': readFileSync(join(root, 'docs', 'github-actions-song-project.yml'), 'utf8'),
    'README.md': readme(name),
  };
}

export function initProject(dir: string, options: InitOptions = {}): InitResult {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  if (entries.length && !options.force) return { ok: false, diagnostic: d.initNotEmpty(dir, entries.sort()) };
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '') || 'songs';
  const files = projectFiles(name);
  for (const [path, content] of Object.entries(files)) writeFileAtomicSync(join(dir, path), content);
  return { ok: true, files: Object.keys(files) };
}

const PLUGINS_README = `# plugins/

Your own instruments and effects, as ordinary TypeScript modules that songs import:

\`\`\`ts
// plugins/gain.ts
import { defineEffect } from 'mixdown';

export const gain = defineEffect<{ db: number }>({
  name: 'gain',
  version: '1',
  defaults: { db: 0 },
  process({ channels, options }) {
    const factor = Math.pow(10, options.db / 20);
    for (const channel of channels) for (let i = 0; i < channel.length; i++) channel[i] *= factor;
  },
});
\`\`\`

A song uses it like a built-in effect: \`effects: [gain({ db: -3 })]\`. mixdown hashes a plugin's
code into the key of every task that uses it, so editing it re-renders exactly those.
`;

function readme(name: string): string {
  return `# ${name}

Songs as code with mixdown: each song is a TypeScript
module in \`songs/<name>/song.ts\`.

\`\`\`
npm install
npm start     # mixdown build: renders every song into dist/<song>/ (stems, mix, master, MIDI)
npm test      # mixdown check (types, every song valid) and mixdown verify (renders match mixdown.lock)
\`\`\`

\`npm start\` writes \`mixdown.lock\` (the digest of every output): commit it, and \`npm test\`
re-renders without the cache and fails on any difference. On Linux, node-web-audio-api needs
ALSA's library (\`apt-get install libasound2\`).

- \`songs/first-song/song.ts\` — sections, a drum bus, a bass ducked by the kick, a reverb
  return and a master at -14 LUFS. Copy its folder to start another song.
- \`plugins/\` — your own instruments and effects (see plugins/README.md).
- \`.github/workflows/render.yml\` — CI: type-check, verify, then \`mixdown build --strict\`
  (fails when a master misses its loudness target).
- \`npx mixdown watch\` rebuilds on every save; \`npx mixdown build --dawproject\` also writes
  a DAWproject for Bitwig, Studio One or Cubase; \`npx mixdown help\` lists the rest.
`;
}
