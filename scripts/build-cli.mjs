#!/usr/bin/env node
// Run by the root postinstall: builds the workspace (`tsc -b`) and links the
// `mlayer` command into node_modules/.bin, so that after the README's first
// command `npx mlayer ...` runs the workspace's CLI from the repository root.
//
// npm links a package's bin only when its target exists; on a fresh clone
// packages/cli/dist/bin.js does not exist yet when npm links bins (before any
// lifecycle script of the root runs), so npm skips it and `npx mlayer` would
// ask the public registry for an unrelated package of that name. Here the link
// is made as npm makes it (relative symlink, target executable). A build that
// fails (code being edited) warns and leaves the install alone: `npm run demo`
// and `npm test` build again and show the errors.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'node_modules', '@mlayer', 'cli');
if (!existsSync(join(cliDir, 'package.json'))) process.exit(0); // not this repository's full install

const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) console.warn('mlayer: `tsc -b` failed; `npm run build` shows why (npx mlayer needs packages/cli/dist)');

const { bin = {} } = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8'));
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(typeof bin === 'string' ? { mlayer: bin } : bin)) {
  const file = join(cliDir, target);
  const link = join(binDir, name);
  let present = true;
  try {
    lstatSync(link);
  } catch {
    present = false;
  }
  if (!present) symlinkSync(relative(binDir, file), link);
  if (existsSync(file)) chmodSync(file, 0o755);
}
