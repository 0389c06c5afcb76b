// Parameter-scan storage benchmark (core/data).
// Build first: npx tsc -b packages/core ; then: node bench/data-scan.mjs [numPoints=10000] [--durable]
// Prints: manifest size (bytes, and the seed document's estimate), time to write the manifest alone,
// and the time of a whole scan run (point files + journal + manifest) with a trivial point function.
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScan, readScanPlan, readJournal, writeManifest, readManifest } from '../packages/core/dist/index.js';

const N = Number(process.argv[2] ?? 10000);
const durable = process.argv.includes('--durable');
const side = Math.round(Math.sqrt(N));
if (side * side !== N) throw new Error(`numPoints must be a square (got ${N})`);
const METRICS = 10;

const definition = {
  name: 'bench_scan',
  type: 'grid',
  purpose: 'storage benchmark',
  author: 'bench <bench@example.org>',
  parameters: [
    { name: 'bunch_intensity', symbol: 'Np', unit: '', min: 1e10, max: 5e10, numPoints: side },
    { name: 'chromaticity_x', symbol: 'xi_x', unit: '', min: -10, max: 10, numPoints: side },
  ],
  metrics: Array.from({ length: METRICS }, (_, k) => ({ name: `metric_${k}`, description: `summary metric ${k}`, unit: k === 0 ? '1/s' : '' })),
};

// Smooth, realistic-looking summary values (full float64 mantissas).
const pointFn = (p) => {
  const np = p.values.bunch_intensity / 1e10;
  const xi = p.values.chromaticity_x;
  const out = {};
  for (let k = 0; k < METRICS; k++) out[`metric_${k}`] = Math.sin(0.37 * k + np) * Math.exp(-0.01 * xi * xi) + 1e-3 * k * np * xi;
  return out;
};

const dir = mkdtempSync(join(tmpdir(), 'mlayer-bench-scan-'));
try {
  const t0 = performance.now();
  const summary = await runScan(dir, definition, pointFn, { durable, manifestIntervalMs: 60_000 });
  const tRun = (performance.now() - t0) / 1000;

  const plan = await readScanPlan(dir);
  const records = readJournal(dir).points;
  const reps = 3;
  const t1 = performance.now();
  for (let r = 0; r < reps; r++) await writeManifest(dir, plan, records, [], { durable, date: new Date().toISOString() });
  const tManifest = (performance.now() - t1) / 1000 / reps;
  const m = await readManifest(dir);
  const size = statSync(join(dir, 'scan_manifest.h5')).size;
  const seedEstimate = 10e3 + 1e3 * definition.parameters.length + 8 * N * METRICS;
  const files = readdirSync(join(dir, 'outputs')).length;
  const pointBytes = statSync(join(dir, 'outputs', readdirSync(join(dir, 'outputs'))[0])).size;

  console.log(`points: ${N} (${side} x ${side} grid), metrics: ${METRICS}, completed: ${summary.completed}, point files: ${files} (${pointBytes} bytes each)`);
  console.log(`manifest size: ${size} bytes (${(size / 2 ** 20).toFixed(3)} MiB); seed estimate ${seedEstimate} bytes; results alone ${8 * N * METRICS} bytes`);
  console.log(`manifest write: ${tManifest.toFixed(3)} s (mean of ${reps})`);
  console.log(`whole scan run: ${tRun.toFixed(2)} s (${((tRun / N) * 1e3).toFixed(2)} ms per point, durable=${durable})`);
  console.log(`manifest check: ${m.totalPoints} points, ${Object.keys(m.results).length} result arrays`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
