import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Tests run against the TypeScript sources of every workspace package: each
 * `@mlayer/*` import (and its subpath exports) is mapped from the package's
 * `exports` map (dist/*.js) to the matching src/*.ts file.
 */
function workspaceAliases(): { find: string; replacement: string }[] {
  const root = resolve(__dirname);
  const dirs: string[] = [];
  for (const base of ['packages', 'packages/tuning-tools', 'facilities']) {
    const abs = join(root, base);
    if (!existsSync(abs)) continue;
    for (const d of readdirSync(abs)) if (existsSync(join(abs, d, 'package.json'))) dirs.push(join(abs, d));
  }
  const aliases: { find: string; replacement: string }[] = [];
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      exports?: Record<string, string | { import?: string }>;
    };
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      const file = typeof target === 'string' ? target : target.import;
      if (!file || !file.startsWith('./dist/') || !file.endsWith('.js')) continue;
      const src = join(dir, file.replace('./dist/', 'src/').replace(/\.js$/, '.ts'));
      aliases.push({ find: sub === '.' ? pkg.name : `${pkg.name}${sub.slice(1)}`, replacement: src });
    }
  }
  // Longest first so that '@mlayer/core/testing' wins over '@mlayer/core'.
  return aliases.sort((a, b) => b.find.length - a.find.length);
}

/** Every test: each package's test/unit and test/system (and the flat test folders of packages not split yet). */
const ALL = ['packages/**/test/**/*.test.ts', 'facilities/**/test/**/*.test.ts', 'scripts/test/**/*.test.ts'];
/** Unit tests: no server, no network, no Debian package (no softIoc, TANGO, h5dump/h5py, GPU renderer, spawned mlayer server). */
const UNIT = ['**/test/unit/**/*.test.ts'];
const IGNORED = ['**/node_modules/**', '**/dist/**'];

/**
 * Two projects: `npm test` (`vitest run`) runs both, each test file in a fresh
 * worker; `npm run test:unit` (`vitest run --project unit --isolate=false`) only
 * the unit tests, the files of a worker sharing its module cache: the sources
 * are imported once per worker instead of once per file (less than half the CPU
 * time). Isolation is a setting of the whole run (the pool), not of a project.
 */
export default defineConfig({
  resolve: { alias: workspaceAliases().map((a) => ({ find: new RegExp(`^${a.find.replace(/[/.]/g, '\\$&')}$`), replacement: a.replacement })) },
  test: {
    exclude: IGNORED,
    testTimeout: 30000,
    hookTimeout: 600000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude: IGNORED } },
      { extends: true, test: { name: 'system', include: ALL, exclude: [...IGNORED, ...UNIT] } },
    ],
  },
});
