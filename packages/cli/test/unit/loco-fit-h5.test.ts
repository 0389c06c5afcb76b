/**
 * `mlayer loco fit --orm orm.h5 --save FIT.h5`: the result as a measurement
 * file with the provenance of the ORM file it fitted (the ThomX twin fixture of
 * loco-orbit-file.test.ts), read back by `loco show` and `loco correct` like the
 * JSON; an ORM.json (no machine provenance) with --save x.h5 is refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { readMeasurement, sha256File } from '@mlayer/data';
import { type LocoOrm, readSavedFit } from '@mlayer/loco';
import { loadOrm, measureOrm, saveOrm } from '@mlayer/orbit';
import { THOMX, thomxFacilityFile, thomxTwin } from '../../../tuning-tools/orbit/test/fixture.js';
import { locoOrmFromMeasurement } from '../../src/commands/loco-orm-file.js';
import { runCli } from '../in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-loco-fit-h5-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lattice = join(THOMX, 'thomx_4d.atjson.json');
const ormH5 = join(dir, 'orm.h5');
const ormJson = join(dir, 'ORM.json');
const fitYaml = join(dir, 'FIT.yaml');
let facility: string;

beforeAll(async () => {
  const { acc, twin } = await thomxTwin();
  let orm: LocoOrm;
  try {
    // Gradient errors, so that the fitted ΔK and the correction are not zero.
    twin.applyErrors({ magnets: { QUAD: { field: 0.005 } }, bpms: { BPMx: { noise: 1e-7 }, BPMy: { noise: 1e-7 } } }, 3);
    await saveOrm(ormH5, await measureOrm(acc, { kick: 0.1 }), acc, { author: 'LOCO Test <loco@example.org>' });
    orm = locoOrmFromMeasurement(await loadOrm(ormH5), acc, ormH5);
  } finally {
    await acc.close();
  }
  const rows = (m: ArrayLike<number>[]) => m.map((r) => Array.from(r));
  writeFileSync(ormJson, JSON.stringify({ bpms: orm.bpms, correctors: orm.correctors, orm: { xx: rows(orm.orm.xx!), yy: rows(orm.orm.yy!) } }));
  const quads = createLatticeModel(loadLattice(lattice)).find('class:Quadrupole');
  writeFileSync(fitYaml, `method: levenberg-marquardt\niterations: 2\norbitType: fixed-momentum\nfit:\n  quadrupoles:\n${quads.map((q) => `    - {name: Q${q}, elements: [${q}]}`).join('\n')}\n  bpmGains: true\n`);
  facility = thomxFacilityFile();
}, 60_000);

describe('loco fit --save FILE.h5', () => {
  it('writes a measurement file equal to the JSON result, with the ORM file provenance; loco show and loco correct read it', async () => {
    const fit = (save: string) => runCli(['-f', facility, 'loco', 'fit', '--lattice', lattice, '--orm', ormH5, '--parameters', fitYaml, '--save', save]);
    const [j, h] = [join(dir, 'fit.json'), join(dir, 'fit.h5')];
    for (const file of [j, h]) {
      const run = await fit(file);
      expect(run.code, run.stderr).toBe(0);
    }
    const fromH5 = await readSavedFit(h);
    const fromJson = JSON.parse(readFileSync(j, 'utf8'));
    const keys = ['inputs', 'iterations', 'quadrupoles', 'skewQuadrupoles', 'bpmGains', 'bpmCouplings', 'correctorKicks', 'correctorCouplings', 'energyShifts', 'rfStep', 'residualRms', 'chi2PerDof', 'notes'] as const;
    // Through JSON: NaN (a 1σ at the start, λ of the start) is null in both.
    const viaJson = JSON.parse(JSON.stringify(fromH5)) as Record<string, unknown>;
    for (const k of keys) expect(viaJson[k], k).toEqual(fromJson[k]);
    expect(fromH5.iterations.length).toBeGreaterThan(1);
    expect(fromH5.iterations[0].parameters.length).toBe(fromH5.quadrupoles.length + 2 * fromH5.bpmGains.x.length);
    expect(Math.max(...fromH5.quadrupoles.map((q) => Math.abs(q.delta)))).toBeGreaterThan(1e-4);

    // Provenance: that of the ORM file; the inputs with their SHA-256 and the FIT.yaml text.
    const orm = await readMeasurement(ormH5);
    const saved = await readMeasurement(h);
    expect(saved.dataType).toBe('loco_fit');
    expect(fromH5.provenance).toEqual({ facility: orm.facility, lattice: orm.lattice, mode: orm.mode, errorSeed: orm.errorSeed, setpoints: orm.setpoints });
    expect(orm.errorSeed).toBeTypeOf('number');
    expect(fromH5.inputsSha256).toEqual({ lattice: sha256File(lattice), orm: sha256File(ormH5), parameters: sha256File(fitYaml) });
    expect(fromH5.fitParameters).toBe(readFileSync(fitYaml, 'utf8'));
    expect(saved.dataset('quadrupoles/delta').unit).toBe('1/m^2');

    const show = await runCli(['loco', 'show', h]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`measured on ${orm.facility.name} (twin, error seed ${orm.errorSeed})`);
    expect(show.stdout).toContain(fromH5.quadrupoles[0].name);
    const correct = (file: string) => runCli(['-f', facility, '--json', 'loco', 'correct', file, '--dry-run']);
    const [cj, ch] = [await correct(j), await correct(h)];
    expect(ch.code, ch.stderr).toBe(0);
    const plan = JSON.parse(ch.stdout);
    expect(plan.dryRun).toBe(true);
    expect(plan.changes.length).toBeGreaterThan(0);
    expect(plan).toEqual(JSON.parse(cj.stdout));
  });

  it('refuses --save x.h5 for an ORM.json (no machine provenance), writing nothing', async () => {
    const out = join(dir, 'offline.h5');
    const run = await runCli(['loco', 'fit', '--lattice', lattice, '--orm', ormJson, '--parameters', fitYaml, '--save', out]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('machine provenance');
    expect(run.stderr).toContain('--save FILE.json');
    expect(existsSync(out)).toBe(false);
  });
});
