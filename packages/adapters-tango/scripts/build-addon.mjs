#!/usr/bin/env node
// Builds the cppTango addon (build/Release/mlayer_tango.node) with node-gyp.
//
//   node packages/adapters-tango/scripts/build-addon.mjs [--require] [--force]
//
// Without libtango-dev (pkg-config cannot find `tango`) it prints what to
// install and exits 0, so that the rest of the monorepo still builds and
// tests; with --require it exits 1 instead. The build is incremental: nothing
// is compiled when the addon is newer than its sources. Compiles with 2 jobs
// (MLAYER_ADDON_JOBS overrides).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEBIAN_PACKAGES = 'libtango-dev tango-db tango-test python3-tango mariadb-server';
const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(pkgDir, 'build', 'Release', 'mlayer_tango.node');
const args = new Set(process.argv.slice(2));

function log(message) {
  process.stderr.write(`[adapters-tango] ${message}\n`);
}

const probe = spawnSync('pkg-config', ['--exists', 'tango']);
if (probe.error || probe.status !== 0) {
  const why = probe.error ? `pkg-config is not available (${probe.error.message})` : 'pkg-config cannot find the tango library';
  log(`skipping the TANGO addon: ${why}. Install the Debian packages ${DEBIAN_PACKAGES} (see scripts/tango-preseed.txt) to build it.`);
  process.exit(args.has('--require') ? 1 : 0);
}

function newestSource() {
  let newest = statSync(join(pkgDir, 'binding.gyp')).mtimeMs;
  for (const f of readdirSync(join(pkgDir, 'native'))) newest = Math.max(newest, statSync(join(pkgDir, 'native', f)).mtimeMs);
  return newest;
}

if (!args.has('--force') && existsSync(addon) && statSync(addon).mtimeMs > newestSource()) {
  log(`addon up to date: ${addon}`);
  process.exit(0);
}

function nodeGypScript() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package; npm's bundled copy is the usual one
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    log(`node-gyp not found (looked in ${candidates.join(', ')})`);
    process.exit(1);
  }
  return found;
}

const gyp = nodeGypScript();
const common = [];
// Build against the headers of the running Node when they are installed (no download).
const prefix = resolve(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
if (nodedir) common.push(`--nodedir=${nodedir}`);

function run(step, extra) {
  log(`node-gyp ${step} ${extra.join(' ')}`);
  const r = spawnSync(process.execPath, [gyp, step, ...common, ...extra], { cwd: pkgDir, stdio: 'inherit' });
  if (r.status !== 0) {
    log(`node-gyp ${step} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const makefile = join(pkgDir, 'build', 'Makefile');
if (args.has('--force') || !existsSync(makefile) || statSync(makefile).mtimeMs < statSync(join(pkgDir, 'binding.gyp')).mtimeMs) {
  run('configure', []);
}
run('build', [`--jobs=${process.env.MLAYER_ADDON_JOBS ?? '2'}`]);
log(`built ${addon}`);
