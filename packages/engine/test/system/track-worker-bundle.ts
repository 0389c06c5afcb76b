/**
 * Worker threads need JavaScript: bundles parallel/track-worker.ts from the TypeScript sources
 * (esbuild, which ships with vitest) so that the workers run the same code as the test and never
 * a stale build. Inside the package (an ignored .cache folder) so that the bundle's external
 * imports resolve from node_modules; @mlayer/core from its sources too, other packages stay imports.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export interface TrackWorkerBundle {
  /** The bundled worker script (exists once build() resolved). */
  readonly workerScript: string;
  build(): Promise<void>;
  remove(): void;
}

export function trackWorkerBundle(): TrackWorkerBundle {
  mkdirSync(resolve(__dirname, '../../.cache'), { recursive: true });
  const bundleDir = mkdtempSync(join(resolve(__dirname, '../../.cache'), 'track-worker-'));
  const workerScript = join(bundleDir, 'track-worker.mjs');
  return {
    workerScript,
    async build() {
      await build({
        entryPoints: [resolve(__dirname, '../../src/parallel/track-worker.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: workerScript,
        alias: { '@mlayer/core': resolve(__dirname, '../../../core/src/index.ts') },
        plugins: [
          {
            name: 'dependencies-external',
            setup: (b) => b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@mlayer/') ? undefined : { path: args.path, external: true })),
          },
        ],
        logLevel: 'error',
      });
    },
    remove() {
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}
