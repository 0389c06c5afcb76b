// Automated commissioning of the demo facility (issue 23's done-when): a study of N error seeds (default 20) of
// examples/commissioning/errors.yaml through examples/commissioning/sequence.yaml, run by `mlayer commission run`
// with the local runner (worker processes, one per core unless WORKERS=n), then aggregated by `mlayer commission report`.
// Prints, beside the figures before the first stage (the baseline of the same run): the fraction of seeds reaching each
// stage; after the last stage the fraction of seeds with a stored beam, the beam within 50 um rms of the quadrupole
// centres (both planes), tunes within 0.01 and chromaticities within 0.5 of their targets, beta-beat under 2 % rms
// (both planes), and all of them; the wall time per seed (median, max) and of the study.
// Build first: npx tsc -b ; then: node bench/commissioning.mjs [seeds=20] [dir=out/bench-commissioning] [sequence] [errors]
// A study directory is resumed when run again (finished seeds are not computed again).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const n = Number(process.argv[2] ?? 20);
const dir = resolve(process.argv[3] ?? 'out/bench-commissioning');
const sequence = resolve(process.argv[4] ?? `${root}/examples/commissioning/sequence.yaml`);
const errors = resolve(process.argv[5] ?? `${root}/examples/commissioning/errors.yaml`);
const bin = `${root}/packages/cli/dist/bin.js`;
const workers = process.env.WORKERS ? ['--workers', process.env.WORKERS] : [];

const t0 = Date.now();
const runArgs = [bin, 'commission', 'run', dir, '--sequence', sequence, '--errors', errors, '--seeds', `1-${n}`, ...workers];
console.log(`node ${runArgs.join(' ')}`);
const r = spawnSync(process.execPath, runArgs, { stdio: 'inherit', env: { ...process.env, MLAYER_AUTHOR: process.env.MLAYER_AUTHOR ?? 'mlayer bench <bench@mlayer>' } });
const wall = (Date.now() - t0) / 1000;
if (r.status !== 0 && r.status !== 1) process.exit(r.status ?? 1);
const agg = JSON.parse(execFileSync(process.execPath, [bin, '--json', 'commission', 'report', dir], { encoding: 'utf8', maxBuffer: 1 << 28 }));
console.log(execFileSync(process.execPath, [bin, 'commission', 'report', dir, '--no-plots'], { encoding: 'utf8', maxBuffer: 1 << 28 }));

const seeds = JSON.parse(readFileSync(`${dir}/study.json`, 'utf8')).seeds;
const resultFile = (s) => `${dir}/seeds/seed-${String(s).padStart(4, '0')}/result.json`;
const missing = seeds.filter((s) => !existsSync(resultFile(s)));
if (missing.length > 0) console.log(`seeds without a result (their worker failed; run the bench again to compute them): ${missing.join(', ')}`);
const results = seeds.filter((s) => existsSync(resultFile(s))).map((s) => JSON.parse(readFileSync(resultFile(s), 'utf8')).result);
const num = (v) => (typeof v === 'number' ? v : Number(v));
const frac = (pred) => results.filter(pred).length / results.length;
const f = (r, k) => num(r.figures[k]);
const i0 = (r, k) => num(r.initial[k]);
const checks = {
  stored: (g) => g('beam_stored') === 1,
  quadOffset50um: (g) => g('quad_offset_rms_x') <= 50e-6 && g('quad_offset_rms_y') <= 50e-6,
  tunes001: (g) => g('tune_error_x') <= 0.01 && g('tune_error_y') <= 0.01,
  chroma05: (g) => g('chromaticity_error_x') <= 0.5 && g('chromaticity_error_y') <= 0.5,
  betaBeat2pc: (g) => g('beta_beat_x') < 0.02 && g('beta_beat_y') < 0.02,
};
console.log(`\n${results.length} seeds; fraction meeting each criterion (issue 23), before the first stage -> after the last:`);
for (const [name, c] of Object.entries(checks)) {
  console.log(`  ${name.padEnd(16)} ${(100 * frac((r) => c((k) => i0(r, k)))).toFixed(0).padStart(3)} % -> ${(100 * frac((r) => c((k) => f(r, k)))).toFixed(0).padStart(3)} %`);
}
console.log(`  ${'all'.padEnd(16)} ${(100 * frac((r) => Object.values(checks).every((c) => c((k) => i0(r, k))))).toFixed(0).padStart(3)} % -> ${(100 * frac((r) => Object.values(checks).every((c) => c((k) => f(r, k))))).toFixed(0).padStart(3)} %`);
console.log(`stages reached: ${agg.stages.map((s) => `${s.name} ${(100 * s.reachedFraction).toFixed(0)} %`).join(', ')}`);
const t = [...agg.seedSeconds].sort((a, b) => a - b);
console.log(`time per seed (stages only, worker start excluded): median ${t[Math.floor(t.length / 2)].toFixed(1)} s, max ${t[t.length - 1].toFixed(1)} s; study wall time this run ${wall.toFixed(0)} s`);
