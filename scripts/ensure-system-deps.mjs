#!/usr/bin/env node
// Installs the Debian packages the test suite needs (scripts/debian-packages.txt),
// preseeding debconf first (scripts/*-preseed.txt), and builds EPICS base into its
// cache (scripts/epics-base.sh) when missing. Idempotent: does nothing when all is present.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const log = (m) => process.stderr.write(`[system-deps] ${m}\n`);

function listFile(name) {
  const p = join(here, name);
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

const wanted = [...new Set(listFile('debian-packages.txt'))];
const missing = wanted.filter((p) => !installed(p));
if (missing.length > 0) {
  if (process.getuid && process.getuid() !== 0) {
    log(`missing Debian packages (install them as root): ${missing.join(' ')}`);
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const f of readdirSync(here).filter((n) => n.endsWith('-preseed.txt'))) {
    log(`debconf preseed from ${f}`);
    execFileSync('debconf-set-selections', [join(here, f)], { stdio: 'inherit', env });
  }
  log(`installing ${missing.join(' ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

const epics = join(here, 'epics-base.sh');
if (existsSync(epics)) {
  const dir = execFileSync('bash', [epics], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  log(`EPICS base: ${dir}`);
}
