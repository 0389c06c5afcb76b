// Parameter-scan storage benchmark (core/data).
//   npx tsc -b packages/core && node bench/data-scan.mjs [--points 10000] [--run 400] [--durable] [--worst]
// 1. Manifest of a finished scan of --points points (square grid) x 10 summary metrics, built from
//    point records (realistic values, SHA-256s, timestamps): size against the seed document's
//    estimate (Appendix C: 10 KB + 1 KB per parameter + 8 B x points x metrics), and write time.
// 2. A real runScan of --run points (point files, journal, manifest) with a trivial point function:
//    time per point (the per-point HDF5 file dominates).
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planScan, runScan, writeManifest, readManifest, pointFileName } from '@mlayer/data';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('points', 10000);
const RUN = arg('run', 400);
const durable = process.argv.includes('--durable');
const WORST = process.argv.includes('--worst');
const METRICS = 10;

function definition(n) {
  const side = Math.round(Math.sqrt(n));
  if (side * side !== n) throw new Error(`point counts must be squares (got ${n})`);
  return {
    name: 'bench_scan',
    type: 'grid',
    purpose: 'storage benchmark',
    author: 'bench <bench@example.org>',
    parameters: [
      { name: 'bunch_intensity', symbol: 'Np', description: 'Particles per bunch', unit: '', min: 1e10, max: 5e10, numPoints: side },
      { name: 'chromaticity_x', symbol: 'xi_x', description: 'Horizontal chromaticity', unit: '', min: -10, max: 10, numPoints: side },
    ],
    metrics: WORST
      ? Array.from({ length: METRICS }, (_, k) => ({ name: `metric_${k}`, description: `summary metric ${k}`, unit: '' }))
      : [
          // The seed document's metrics (section 3.4) and four more of the same kind.
          { name: 'growth_rate', description: 'Instability growth rate', unit: '1/s' },
          { name: 'tune_shift_x', description: 'Horizontal tune shift', unit: '' },
          { name: 'tune_shift_y', description: 'Vertical tune shift', unit: '' },
          { name: 'emittance_growth', description: 'Emittance growth over simulation', unit: '' },
          { name: 'final_turn', description: 'Last stable turn', unit: '', dtype: 'int32', failValue: -1 },
          { name: 'convergence_status', description: '0=converged, 1=unstable, 2=failed', unit: '', dtype: 'int32', failValue: 2 },
          { name: 'coherent_tune_x', description: 'Coherent horizontal tune', unit: '' },
          { name: 'coherent_tune_y', description: 'Coherent vertical tune', unit: '' },
          { name: 'max_amplitude_x', description: 'Largest centroid amplitude', unit: 'm' },
          { name: 'max_amplitude_y', description: 'Largest centroid amplitude', unit: 'm' },
        ],
  };
}

// Summary values: a TMCI-like model (growth above a threshold, zero below; integer turn counts and status),
// or with --worst ten smooth functions with full-entropy float64 mantissas (least compressible).
function metrics(values) {
  const np = values.bunch_intensity / 1e10;
  const xi = values.chromaticity_x;
  const out = {};
  if (WORST) {
    for (let k = 0; k < METRICS; k++) out[`metric_${k}`] = Math.sin(0.37 * k + np) * Math.exp(-0.01 * xi * xi) + 1e-3 * k * np * xi;
    return out;
  }
  const nth = 3.2 + 0.05 * xi;
  const g = np > nth ? 1e3 * (np - nth) : 0;
  out.growth_rate = g;
  out.tune_shift_x = -1e-3 * np * (1 + 0.01 * xi);
  out.tune_shift_y = -0.7e-3 * np * (1 - 0.01 * xi);
  out.emittance_growth = g > 0 ? Math.expm1(1e-3 * g) : 0;
  out.final_turn = g > 0 ? Math.min(10000, Math.floor(5e5 / g)) : 10000;
  out.convergence_status = g > 0 ? 1 : 0;
  out.coherent_tune_x = 0.28 + out.tune_shift_x;
  out.coherent_tune_y = 0.31 + out.tune_shift_y;
  out.max_amplitude_x = g > 0 ? 1e-3 : 1e-6 * (1 + 0.1 * np);
  out.max_amplitude_y = g > 0 ? 0.5e-3 : 0.5e-6 * (1 + 0.1 * np);
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'mlayer-bench-scan-'));
try {
  // 1. Manifest of a finished N-point scan.
  const def = definition(N);
  const plan = planScan(def);
  const records = new Map();
  const t = Date.parse('2025-11-12T10:00:00.000Z');
  for (let i = 0; i < N; i++) {
    const values = Object.fromEntries(plan.parameters.map((p, j) => [p.name, plan.points[i][j]]));
    records.set(i, {
      index: i,
      status: 'completed',
      file: `outputs/${pointFileName(i, N)}`,
      sha256: createHash('sha256').update(`point ${i}`).digest('hex'),
      startTime: new Date(t + i * 1500).toISOString(),
      endTime: new Date(t + i * 1500 + 1234).toISOString(),
      computationTime: 1.234 + 1e-3 * (i % 97),
      error: '',
      results: metrics(values),
      generation: 0,
    });
  }
  const dir = join(root, 'manifest');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  const reps = 3;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) await writeManifest(dir, plan, records, [], { durable, date: new Date().toISOString() });
  const tManifest = (performance.now() - t0) / 1000 / reps;
  const size = statSync(join(dir, 'scan_manifest.h5')).size;
  const m = await readManifest(dir);
  const seedEstimate = 10e3 + 1e3 * def.parameters.length + 8 * N * METRICS;
  console.log(`manifest: ${N} points x ${METRICS} metrics, ${WORST ? 'worst case (full-entropy float64)' : 'TMCI-like values'} (${m.shape.join(' x ')} grid, ${Object.keys(m.results).length} result arrays read back)`);
  console.log(`manifest size: ${size} bytes = ${(size / 1e6).toFixed(3)} MB (${(size / 2 ** 20).toFixed(3)} MiB); seed estimate ${seedEstimate} bytes (~1 MB)`);
  console.log(`manifest write: ${tManifest.toFixed(3)} s (mean of ${reps}, durable=${durable})`);
  if (process.env.KEEP_MANIFEST) {
    const { copyFileSync } = await import('node:fs');
    copyFileSync(join(dir, 'scan_manifest.h5'), process.env.KEEP_MANIFEST);
  }

  // 2. A real scan run.
  if (RUN > 0) {
    const runDir = join(root, 'run');
    const t1 = performance.now();
    const s = await runScan(runDir, definition(RUN), (p) => metrics(p.values), { durable, manifestIntervalMs: 60_000 });
    const tRun = (performance.now() - t1) / 1000;
    const files = readdirSync(join(runDir, 'outputs'));
    const pointBytes = statSync(join(runDir, 'outputs', files[0])).size;
    console.log(`scan run: ${s.completed} points in ${tRun.toFixed(2)} s = ${((tRun / RUN) * 1e3).toFixed(2)} ms per point (point files ${pointBytes} bytes each, durable=${durable})`);
    console.log(`  -> a ${N}-point run would take about ${((tRun / RUN) * N).toFixed(0)} s, dominated by writing one HDF5 file per point`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
