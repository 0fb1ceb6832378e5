/**
 * Where this package's files are. The command runs either from src/ (vite-node, tests) or
 * from a bundle cached under node_modules/.cache, where import.meta.url points elsewhere;
 * the launcher then says where the package is through a global.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface LaunchInfo {
  /** Package root, set by bin/mixdown.js when it runs the bundled command. */
  __mixdownPackageRoot?: string;
  /** Worker entry script of the bundle, likewise. */
  __mixdownWorkerEntry?: string;
  /** The bundle's public API module: songs then share the command's module instances. */
  __mixdownApiEntry?: string;
  /** Fingerprint of the package's sources, from the launcher. */
  __mixdownFingerprint?: string;
}

const launch = globalThis as LaunchInfo;

export function packageRoot(): string {
  return launch.__mixdownPackageRoot ?? fileURLToPath(new URL('..', import.meta.url));
}

/** The module songs import as `mixdown`. */
export function publicApiPath(): string {
  return launch.__mixdownApiEntry ?? join(packageRoot(), 'src', 'index.ts');
}

/** The script a render worker thread starts with. */
export function workerEntryPath(): string {
  return launch.__mixdownWorkerEntry ?? join(packageRoot(), 'src', 'render', 'worker-entry.mjs');
}

let computedFingerprint: string | undefined;

/** Changes whenever a source file of mixdown changes (size or mtime), as bin/bundle.js computes it. */
export function toolFingerprint(): string {
  if (launch.__mixdownFingerprint) return launch.__mixdownFingerprint;
  if (!computedFingerprint) {
    const hash = createHash('sha256');
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else {
          const stat = statSync(path);
          hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`);
        }
      }
    };
    walk(join(packageRoot(), 'src'));
    computedFingerprint = hash.digest('hex').slice(0, 16);
  }
  return computedFingerprint;
}
