#!/usr/bin/env node
/**
 * Engine benchmark: linear optics, closed orbit, orbit response matrix and
 * dORM/dK of the digital-twin engine next to pyAT's own times on the same
 * lattices (the `_timings_*.json` files of the shared reference set).
 *
 * Build first:  npx tsc -b packages/engine
 * Run:          node bench/engine.mjs [--runs N] [lattice-name ...]
 *
 * Single-threaded (Node runs this on one core). Each figure is the median of
 * N runs (default 20) after one warm-up call, with the fastest run; the first (cold) call of the ORM is printed
 * too, since pyAT's ORM figure has no warm-up. Ratios are pyAT time / ours
 * (> 1 means faster than pyAT).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const dist = join(root, 'packages/engine/dist/index.js');
if (!existsSync(dist)) {
  console.error(`missing ${dist}: build first with  npx tsc -b packages/engine`);
  process.exit(1);
}
const engine = await import(dist);
const { compileLattice, linopt6, findOrbit4, orbitResponse, orbitResponseDerivative, computeLinearState, OrbitGreen, correctorSources } =
  engine;

const shared = process.env.MLAYER_SHARED ?? new URL('../../shared', import.meta.url).pathname;
const args = process.argv.slice(2);
let runs = 20;
const wanted = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else wanted.push(args[i]);
}

const LATTICES = [
  ['hmba', 'lattices/hmba'],
  ['dba', 'lattices/dba'],
  ['thomx', 'lattices/thomx'],
  ['australian_synchrotron', 'lattices/australian_synchrotron'],
  ['diamond_i04', 'facilities/diamond-i04'],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Returns {cold, warm, min} in ms: the first call, then the median and minimum of `runs` calls. */
function time(fn) {
  let t = performance.now();
  fn();
  const cold = performance.now() - t;
  const xs = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return { cold, warm: median(xs), min: Math.min(...xs) };
}

function fmt(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

const rows = [];
const loadStart = loadavg()[0];
function row(lattice, item, t, pyatS, note = '') {
  const py = pyatS === undefined ? undefined : pyatS * 1000;
  rows.push({ lattice, item, ours: t.warm, min: t.min, py, ratio: py === undefined ? undefined : py / t.warm, note });
}

for (const [name, dir] of LATTICES) {
  if (wanted.length && !wanted.includes(name)) continue;
  const folder = join(shared, dir);
  const latticeFile = join(folder, `${name}_4d.atjson.json`);
  if (!existsSync(latticeFile)) {
    console.error(`skipping ${name}: ${latticeFile} not found`);
    continue;
  }
  const raw = JSON.parse(readFileSync(latticeFile, 'utf8'));
  const lattice = { elements: raw.elements, properties: raw.properties };
  const timingFile = readdirSync(folder).find((f) => f.startsWith(`${name}_timings_`));
  const pyat = timingFile ? JSON.parse(readFileSync(join(folder, timingFile), 'utf8')) : {};
  const py = (k) => pyat[k]?.median_wall_s;
  const ref = JSON.parse(readFileSync(join(folder, `${name}_ref.json`), 'utf8'));
  const orm = JSON.parse(readFileSync(join(folder, `${name}_orm.json`), 'utf8'));
  const compiled = compileLattice(lattice);
  const N = lattice.elements.length;
  const all = Array.from({ length: N + 1 }, (_, i) => i);

  const optics = time(() => linopt6(compiled, { refpts: all }));
  row(name, 'optics, all elements (linopt6)', optics, py('get_optics_linopt6_all_refpts'));
  const opticsChrom = time(() => linopt6(compiled, { refpts: all, getChrom: true }));
  row(name, 'optics, all elements + chromaticity', opticsChrom, py('get_optics_linopt6_all_refpts_get_chrom'));

  const orbit = time(() => findOrbit4(compiled, 0));
  row(name, 'closed orbit (find_orbit4), no kicks', orbit, py('find_orbit4_no_kicks'));
  const kicked = structuredClone(lattice);
  for (const i of ref.closed_orbit_3_kicks.kicked_corrector_index) kicked.elements[i].KickAngle = [10e-6, 10e-6];
  const ck = compileLattice(kicked);
  const orbitK = time(() => findOrbit4(ck, 0));
  row(name, 'closed orbit, 3 kicks', orbitK, py('find_orbit4_3_kicks'));
  const orbitKB = time(() => findOrbit4(ck, 0, ref.closed_orbit_3_kicks.bpm_index));
  row(name, 'closed orbit, 3 kicks, at BPMs', orbitKB, py('find_orbit4_3_kicks_with_bpm_refpts'));

  const R = time(() => orbitResponse(compiled, orm.bpm_index, orm.corrector_index));
  const shape = `${orm.bpm_index.length}x${orm.corrector_index.length}`;
  row(name, `full ORM both planes ${shape}`, R, py('orm_full_central_both_planes'), `cold ${fmt(R.cold)} ms`);

  const quads = lattice.elements.flatMap((e, i) => (e.Class === 'Quadrupole' ? [i] : []));
  const dorm = time(() => {
    const green = new OrbitGreen(computeLinearState(compiled));
    const sources = correctorSources(green, orm.corrector_index);
    for (const q of quads) {
      orbitResponseDerivative(compiled, orm.bpm_index, orm.corrector_index, [{ element: q, field: 'PolynomB', index: 1 }], {
        green,
        sources,
      });
    }
  });
  const ormPy = py('orm_full_central_both_planes');
  // pyAT has no figure for this: by central differences it costs two full ORMs per quadrupole.
  row(
    name,
    `dORM/dK, all ${quads.length} quadrupoles`,
    dorm,
    ormPy === undefined ? undefined : 2 * quads.length * ormPy,
    'pyAT: estimate = 2 ORMs per quad',
  );
}

const head = ['lattice', 'item', 'ours [ms]', 'min [ms]', 'pyAT [ms]', 'pyAT/ours', 'note'];
const table = rows.map((r) => [
  r.lattice,
  r.item,
  fmt(r.ours),
  fmt(r.min),
  r.py === undefined ? '-' : fmt(r.py),
  r.ratio === undefined ? '-' : `${r.ratio >= 100 ? r.ratio.toFixed(0) : r.ratio.toFixed(1)}x`,
  r.note,
]);
const widths = head.map((h, k) => Math.max(h.length, ...table.map((t) => t[k].length)));
const line = (cells) => cells.map((c, k) => (k >= 2 && k <= 5 ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join('  ');
console.log(
  `engine benchmark (Node ${process.version}, single thread; 'ours' = median of ${runs} runs after a warm-up, 'min' = fastest run; ` +
    `1-min load average at start ${loadStart.toFixed(2)}, at end ${loadavg()[0].toFixed(2)})`,
);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
