/**
 * LOCO from the orbit tool's measurement file: a response matrix (with its RF
 * column) measured on the ThomX twin by measureOrm and saved by saveOrm is read
 * as LOCO input (devices placed in the lattice, the steps in rad through the
 * correctors' conversion, m per step), and `mlayer loco fit --orm FILE.h5 -f
 * FACILITY` fits it: the twin is the design lattice, so the fitted ΔK are ~0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LatticeModel } from '@mlayer/core';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { correctOptics, locoFit, parseFit } from '@mlayer/loco';
import { loadOrm, measureOrm, saveOrm } from '@mlayer/orbit';
import { CM_GAIN, THOMX, thomxFacilityFile, thomxTwin } from '../../../tuning-tools/orbit/test/fixture.js';
import { locoOrmFromMeasurement } from '../../src/commands/loco-orm-file.js';
import { runCli } from '../in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-loco-h5-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LOCO input from an orbit-tool measurement file', () => {
  it('reads the matrix in m per step at the lattice elements, and loco fit finds the design', async () => {
    const { acc } = await thomxTwin();
    let file: string;
    try {
      const measured = await measureOrm(acc, { kick: 0.1, rf: { step: 10 } });
      file = await saveOrm(join(dir, 'orm.h5'), measured, acc, { author: 'LOCO Test <loco@example.org>' });
      const orm = locoOrmFromMeasurement(await loadOrm(file), acc, file);
      // 0.1 A = 1e-5 rad per step; entries = the design model's fixed-momentum ORM times the step.
      expect(orm.correctors.x[0].kick).toBeCloseTo(0.1 * CM_GAIN, 15);
      const model = createLatticeModel(loadLattice(join(THOMX, 'thomx_4d.atjson.json')));
      const bpms = orm.bpms.map((b) => b.element);
      const cors = orm.correctors.x.map((c) => c.element);
      const r = model.orbitResponse(bpms, cors, { orbitType: 'fixed-momentum' });
      // 1e-5 of the largest entry: the bipolar steps of 10 µrad see the sextupoles (O(step²) away from the linear ORM).
      const tol = 1e-5 * Math.max(...r.Rxx.flatMap((row) => Array.from(row, Math.abs))) * 1e-5;
      orm.orm.xx!.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - r.Rxx[i][j] * 1e-5)).toBeLessThan(tol)));
      expect(orm.dispersion?.rfStep).toBe(10);
      expect(orm.missing).toEqual([]);
    } finally {
      await acc.close();
    }
    const fit = join(dir, 'FIT.yaml');
    const quads = createLatticeModel(loadLattice(join(THOMX, 'thomx_4d.atjson.json'))).find('class:Quadrupole');
    writeFileSync(fit, `method: gauss-newton\niterations: 2\norbitType: fixed-momentum\nfit:\n  quadrupoles:\n${quads.map((q) => `    - {name: Q${q}, elements: [${q}]}`).join('\n')}\n`);
    const run = await runCli(['-f', thomxFacilityFile(), 'loco', 'fit', '--lattice', join(THOMX, 'thomx_4d.atjson.json'), '--orm', file, '--parameters', fit, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(run.stderr).toContain("no 'noise': every BPM weighted with σ = 0.000001 m");
    expect(out.iterations[0].residualRms).toBeLessThan(1e-9);
    // ~1e-6 of K from the O(step²) of the measured matrix; a 1e-4 gradient error would be 100 times this.
    for (const q of out.quadrupoles) expect(Math.abs(q.delta)).toBeLessThan(1e-5 * Math.abs(q.value));
  });

  it('fit, correct, re-measure on the twin: gradient errors of 0.5 % measured through the control system and undone', async () => {
    const { acc, twin } = await thomxTwin();
    try {
      twin.applyErrors({ magnets: { QUAD: { field: 0.005 } }, bpms: { BPMx: { noise: 1e-7 }, BPMy: { noise: 1e-7 } } }, 3);
      const design = createLatticeModel(loadLattice(join(THOMX, 'thomx_4d.atjson.json')));
      const all = Array.from({ length: design.length }, (_v, i) => i);
      const d0 = design.optics(all);
      const beat = (m: LatticeModel) => {
        const o = m.optics(all);
        return Math.max(...[0, 1].map((p) => Math.sqrt(o.reduce((s, e, i) => s + ((e.beta[p] - d0[i].beta[p]) / d0[i].beta[p]) ** 2, 0) / o.length)));
      };
      const before = beat(twin.machineModel);
      const quads = acc.family('QUAD').latticeElements(design);
      const spec = parseFit({ method: 'levenberg-marquardt', iterations: 4, orbitType: 'fixed-momentum', fit: { quadrupoles: quads.map((q) => ({ name: `Q${q}`, elements: [q] })) } }, 'FIT.yaml');
      const afterRound: number[] = [];
      for (let round = 0; round < 2; round++) {
        const orm = locoOrmFromMeasurement(await measureOrm(acc, { kick: 0.1 }), acc, `round ${round + 1}`);
        const res = locoFit(design, orm, spec);
        await correctOptics(acc, res);
        afterRound.push(beat(twin.machineModel));
      }
      console.log(`ThomX twin LOCO: machine beta-beat (max of the planes, rms) ${(100 * before).toFixed(3)} % -> ${afterRound.map((b) => `${(100 * b).toFixed(4)} %`).join(" -> ")}`);
      expect(before).toBeGreaterThan(5e-3);
      expect(afterRound[0]).toBeLessThan(0.1 * before);
      expect(afterRound[1]).toBeLessThan(1.5e-3);
    } finally {
      await acc.close();
    }
  });
});
