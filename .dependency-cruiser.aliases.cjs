/**
 * Resolution of the workspace's own packages for dependency-cruiser (read as a
 * webpack `resolve` config by `.dependency-cruiser.cjs`). Each `@mlayer/*`
 * import, and each subpath of a package's `exports` map (`@mlayer/core/testing`,
 * `@mlayer/engine/gpu`, ...), is mapped from the built file (`./dist/x.js`) to
 * the TypeScript source it is compiled from (`src/x.ts`): the rules are then
 * checked on the sources, whether or not the packages are built, and a cycle
 * through two packages is seen as one.
 */
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = __dirname;
const alias = {};
for (const base of ['packages', 'packages/tuning-tools', 'facilities']) {
  const abs = join(root, base);
  if (!existsSync(abs)) continue;
  for (const d of readdirSync(abs)) {
    const file = join(abs, d, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      const js = typeof target === 'string' ? target : target.import;
      if (!js || !js.startsWith('./dist/') || !js.endsWith('.js')) continue;
      const src = join(abs, d, js.replace('./dist/', 'src/').replace(/\.js$/, '.ts'));
      // A trailing `$` makes the alias exact: '@mlayer/core' does not capture '@mlayer/core/testing'.
      alias[`${sub === '.' ? pkg.name : pkg.name + sub.slice(1)}$`] = src;
    }
  }
}

module.exports = { resolve: { alias } };
