#!/usr/bin/env node
// Steps that npm's lifecycle scripts would do but that npm 11 may skip for
// workspace packages: apply the patches kept in the repository (epics-tca, see
// packages/adapters-epics/patches) and build the TANGO addon when libtango is
// installed. Idempotent; run by `npm test` and by the root postinstall.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const patchDir = 'packages/adapters-epics/patches';
const patchPackage = join(root, 'node_modules', '.bin', 'patch-package');
if (existsSync(join(root, patchDir)) && existsSync(patchPackage)) run(patchPackage, ['--patch-dir', patchDir]);

const addon = join(root, 'packages/adapters-tango/scripts/build-addon.mjs');
if (existsSync(addon)) run(process.execPath, [addon]);
