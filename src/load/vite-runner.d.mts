import type { ViteDevServer } from 'vite';
import type { ViteNodeRunner } from 'vite-node/client';

export interface ViteRunner {
  readonly server: ViteDevServer;
  readonly runner: ViteNodeRunner;
  close(): Promise<void>;
}

export function createViteRunner(options: { root: string; alias?: Record<string, string>; cacheDir?: string }): Promise<ViteRunner>;
