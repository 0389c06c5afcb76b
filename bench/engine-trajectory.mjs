// Trajectories and trajectory response (issue 22) on the demo lattice (diamond-i04: 2190
// elements, the 173 BPMs and the 178 elements of the 172 HSTR + 172 VSTR steerers of
// facilities/diamond-i04/facility.yaml, both planes), as the
// threading study calls them, beside baselines of the same run: the closed-orbit ORM of the same
// BPMs and correctors (model.orbitResponse) after the same change, and the response by central
// differences of tracked trajectories (2 trajectories per corrector and plane).
// Median of the runs, wall and process CPU time (ms). Build first: npx tsc -b packages/engine ;
// then: node bench/engine-trajectory.mjs [runs=7]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { load } from 'js-yaml';
import { createLatticeModel } from '@mlayer/engine';

const runs = Number(process.argv[2] ?? 7);
const root = resolve(new URL('..', import.meta.url).pathname);
const shared = process.env.MLAYER_SHARED_DIR ?? resolve(root, '../shared');
const raw = JSON.parse(readFileSync(resolve(shared, 'facilities/diamond-i04/diamond_i04_4d.atjson.json'), 'utf8'));
const model = createLatticeModel({ elements: raw.elements, properties: raw.properties });
const facility = load(readFileSync(resolve(root, 'facilities/diamond-i04/facility.yaml'), 'utf8'));
const elementsOf = (fam) => facility.families[fam].devices.map((d) => d.element);
const bpms = model.find(elementsOf('BPMx'));
const cors = model.find([...elementsOf('HSTR'), ...elementsOf('VSTR')]);

function timed(f) {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  const wall = performance.now() - t;
  const u = process.cpuUsage(c);
  return [wall, (u.user + u.system) / 1000];
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rows = new Map();
const add = (name, [w, c]) => {
  const r = rows.get(name) ?? { w: [], c: [] };
  r.w.push(w);
  r.c.push(c);
  rows.set(name, r);
};
let change = 0;
const touch = () => model.setParameter({ element: cors[0], field: 'KickAngle', index: 0 }, ++change * 1e-12);

for (let run = 0; run < runs; run++) {
  add('trajectory, 1 turn', timed(() => model.trajectory(bpms, { initial: [1e-3, 0, 0, 0, 0, 0] })));
  add('trajectory, 2 turns', timed(() => model.trajectory(bpms, { initial: [1e-3, 0, 0, 0, 0, 0], turns: 2 })));
  touch();
  add('trajectory response, 1 turn, after a change', timed(() => model.trajectoryResponse(bpms, cors, { turns: 1 })));
  touch();
  add('trajectory response, 2 turns, after a change', timed(() => model.trajectoryResponse(bpms, cors, { turns: 2 })));
  add('trajectory response, 2 turns, again (cached state)', timed(() => model.trajectoryResponse(bpms, cors, { turns: 2 })));
  touch();
  add('baseline: closed-orbit ORM, after a change', timed(() => model.orbitResponse(bpms, cors)));
}
// The naive response: central differences of tracked trajectories (2 turns), once.
add('baseline: response by tracking (2 x 2 x 178 trajectories, 2 turns)', timed(() => {
  const m = model.clone();
  for (const c of cors) {
    for (const plane of [0, 1]) {
      const ref = { element: c, field: 'KickAngle', index: plane };
      const k0 = m.getParameter(ref);
      m.setParameter(ref, k0 + 1e-8);
      m.trajectory(bpms, { turns: 2 });
      m.setParameter(ref, k0 - 1e-8);
      m.trajectory(bpms, { turns: 2 });
      m.setParameter(ref, k0);
    }
  }
}));
console.log(`diamond-i04: ${model.length} elements, ${bpms.length} BPMs, ${cors.length} correctors (both planes); median of ${runs} runs (first includes JIT)`);
for (const [name, r] of rows) console.log(`${name.padEnd(68)} wall ${median(r.w).toFixed(1).padStart(7)} ms   cpu ${median(r.c).toFixed(1).padStart(7)} ms`);
