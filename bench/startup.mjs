#!/usr/bin/env node
/**
 * Start-up of the mlayer command (issue 16 item 5), each figure beside a bare `node -e 0`
 * of the same run:
 *
 *   node bench/startup.mjs [runs]        (default 7 runs of each; build first: npx tsc -b)
 *
 * MLAYER_BENCH_BIN=<path of a bin.js> measures another build of the CLI (an older one, to
 * compare; one without the cache gives the same cold and warm rows).
 *
 * Rows: bare node; `mlayer --help`; `mlayer --json get BPMx` on the demo facility's twin
 * with a cold cache (an empty cache directory each run), a warm cache, and no cache
 * (MLAYER_NO_CACHE=1). The runs are interleaved (one of each row per round) so that the
 * load of a shared machine falls on every row alike. For each row: the median and the
 * fastest wall time, and the median CPU seconds (user + system of the child, all its
 * threads), from /usr/bin/time, or where it is missing from the child's own
 * process.cpuUsage() at exit (a preloaded module), and the least CPU seconds of any run (on a
 * machine others load, CPU time grows with the load too: the least is the closer to the
 * command's own cost; the target is judged on the median). Targets: `--help` at most 2x bare
 * node (wall, median); `--json get BPMx` with a warm cache at most 0.6 CPU-seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = process.env.MLAYER_BENCH_BIN ?? join(ROOT, 'packages/cli/dist/bin.js');
const FACILITY = join(ROOT, 'facilities/diamond-i04');
const RUNS = Number(process.argv[2] ?? 7);
if (!existsSync(BIN)) {
  console.error(`${BIN} not found: build first (npx tsc -b)`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'mlayer-startup-'));
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
// Without /usr/bin/time: the child reports its own CPU time when it exits.
const REPORTER = join(scratch, 'cpu-at-exit.mjs');
writeFileSync(
  REPORTER,
  "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const c = process.cpuUsage(); writeFileSync(process.env.MLAYER_BENCH_CPU, `${c.user / 1e6} ${c.system / 1e6}`); });\n",
);

/** One run: wall seconds and CPU seconds (user + system) of the child. */
function measure(args, env = {}) {
  const out = join(scratch, 'cpu.txt');
  rmSync(out, { force: true });
  const [cmd, argv] = TIME ? [TIME, ['-f', '%U %S', '-o', out, process.execPath, ...args]] : [process.execPath, ['--import', REPORTER, ...args]];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env, MLAYER_BENCH_CPU: out }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  const [user, sys] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: user + sys, stdout: r.stdout };
}

const warmCache = join(scratch, 'warm-cache');
const rows = [
  { name: 'node -e 0 (bare)', args: ['-e', '0'] },
  { name: 'mlayer --help', args: [BIN, '--help'] },
  { name: 'mlayer --json get BPMx, cold cache', args: [BIN, '--facility', FACILITY, '--json', 'get', 'BPMx'], env: () => ({ MLAYER_CACHE_DIR: mkdtempSync(join(scratch, 'cold-')) }) },
  { name: 'mlayer --json get BPMx, warm cache', args: [BIN, '--facility', FACILITY, '--json', 'get', 'BPMx'], env: () => ({ MLAYER_CACHE_DIR: warmCache }) },
  { name: 'mlayer --json get BPMx, no cache', args: [BIN, '--facility', FACILITY, '--json', 'get', 'BPMx'], env: () => ({ MLAYER_NO_CACHE: '1' }) },
];

// Warm the cache and the file system once; the same values with and without the cache.
const reference = measure(rows[4].args, rows[4].env()).stdout;
if (measure(rows[3].args, rows[3].env()).stdout !== reference) throw new Error('get BPMx printed other values with the cache than without it');
for (const row of rows) row.samples = [];
for (let i = 0; i < RUNS; i++) for (const row of rows) row.samples.push(measure(row.args, row.env?.() ?? {}));
rmSync(scratch, { recursive: true, force: true });

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (row) => ({
  wall: median(row.samples.map((s) => s.wall)),
  best: Math.min(...row.samples.map((s) => s.wall)),
  cpu: median(row.samples.map((s) => s.cpu)),
  cpuMin: Math.min(...row.samples.map((s) => s.cpu)),
});
const bare = stat(rows[0]);

console.log(`mlayer start-up (${BIN}): ${RUNS} runs of each, interleaved; node ${process.version}, ${cpus().length} CPUs; CPU time from ${TIME ? '/usr/bin/time' : 'process.cpuUsage() at exit'}`);
console.log(`${'command'.padEnd(38)} ${'wall median'.padStart(12)} ${'wall best'.padStart(10)} ${'x bare'.padStart(7)} ${'CPU s'.padStart(7)} ${'x bare'.padStart(7)} ${'CPU min'.padStart(8)}`);
for (const row of rows) {
  const s = stat(row);
  console.log(`${row.name.padEnd(38)} ${`${s.wall.toFixed(3)} s`.padStart(12)} ${`${s.best.toFixed(3)} s`.padStart(10)} ${(s.wall / bare.wall).toFixed(1).padStart(7)} ${s.cpu.toFixed(3).padStart(7)} ${(s.cpu / bare.cpu).toFixed(1).padStart(7)} ${s.cpuMin.toFixed(3).padStart(8)}`);
}
const help = stat(rows[1]);
const warm = stat(rows[3]);
console.log(`target: mlayer --help at most 2x bare node (wall median): ${(help.wall / bare.wall).toFixed(2)}x: ${help.wall <= 2 * bare.wall ? 'met' : 'NOT met'}`);
console.log(`target: mlayer --json get BPMx (twin, warm cache) at most 0.6 CPU-seconds (median): ${warm.cpu.toFixed(3)} s (fastest run ${warm.cpuMin.toFixed(3)} s): ${warm.cpu <= 0.6 ? 'met' : 'NOT met'}`);
