/**
 * Where this package's files are. The command runs either from src/ (vite-node, tests) or
 * from a bundle cached under node_modules/.cache, where import.meta.url points elsewhere;
 * the launcher then says where the package is through a global.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface LaunchInfo {
  /** Package root, set by bin/mixdown.js when it runs the bundled command. */
  __mixdownPackageRoot?: string;
  /** Worker entry script of the bundle, likewise. */
  __mixdownWorkerEntry?: string;
  /** The bundle's public API module: songs then share the command's module instances. */
  __mixdownApiEntry?: string;
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
