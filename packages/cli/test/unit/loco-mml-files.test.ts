/**
 * MML's LOCO input files (issue 20 item 7): a ThomX twin with gradient errors is
 * measured by the orbit tool (physics units, RF column); the same data is saved
 * as an mlayer measurement file and written, with the engine's MAT writer, in
 * MML's structure (BPMRespMat.mat: Rmat(2,2) with Monitor, Actuator, Data,
 * ActuatorDelta, Units; BPMData.mat: BPMxData/BPMyData with FamilyName,
 * DeviceList, Data, CreatedBy 'measbpmsigma'; Disp.mat: BPMxDisp/BPMyDisp with
 * Monitor, Actuator = RF with its frequency, Data = η in m per dp/p,
 * ActuatorDelta, MCF). `loco fit` gives the same result from both.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeviceId } from '@mlayer/core';
import { type MatValue, writeMat5 } from '@mlayer/engine/io';
import { measureOrm, saveOrm } from '@mlayer/orbit';
import { THOMX, thomxFacilityFile, thomxTwin } from '../../../tuning-tools/orbit/test/fixture.js';
import { runCli } from '../in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-loco-mml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chr = (text: string): MatValue => ({ kind: 'char', dims: [1, text.length], text });
const num = (rows: number, cols: number, data: ArrayLike<number>): MatValue => ({ kind: 'numeric', dims: [rows, cols], data: Float64Array.from(data), logical: false });
const struct = (fields: Record<string, MatValue>, ...more: Record<string, MatValue>[]): MatValue => {
  const data = [fields, ...more];
  return { kind: 'struct', dims: more.length === 3 ? [2, 2] : [1, data.length], fields: Object.keys(fields), data };
};
/** An n x 2 [sector, index] DeviceList (column-major). */
const devList = (d: readonly DeviceId[]): MatValue => num(d.length, 2, [...d.map((x) => x[0]), ...d.map((x) => x[1])]);
/** A matrix given as rows, stored column-major. */
const matrix = (m: readonly ArrayLike<number>[]): MatValue => {
  const r = m.length, c = m[0].length;
  const out = new Float64Array(r * c);
  m.forEach((row, i) => Array.from(row).forEach((v, j) => (out[i + j * r] = v)));
  return num(r, c, out);
};

describe('LOCO from MML LOCO input files', () => {
  it('reads BPMRespMat, BPMData and Disp in MML structure and fits them as the same data in an mlayer measurement file', async () => {
    const { acc, twin } = await thomxTwin();
    const mml = join(dir, 'mml');
    mkdirSync(mml);
    let h5: string;
    try {
      twin.applyErrors({ magnets: { QUAD: { field: 0.003 } }, bpms: { BPMx: { noise: 1e-7 }, BPMy: { noise: 1e-7 } } }, 5);
      const orm = await measureOrm(acc, { kick: 1e-5, units: 'physics', rf: { step: 10 } });
      h5 = await saveOrm(join(dir, 'orm.h5'), orm, acc, { author: 'LOCO Test <loco@example.org>' });
      const bx = orm.bpms.x!, by = orm.bpms.y!, hc = orm.correctors.x!, vc = orm.correctors.y!;
      expect(bx.unit).toBe('m');
      expect(hc.unit).toBe('rad');
      const block = (b: typeof bx, c: typeof hc, data: Float64Array[]) => ({
        Monitor: struct({ FamilyName: chr(b.family), DeviceList: devList(b.devices), Units: chr('Physics') }),
        Actuator: struct({ FamilyName: chr(c.family), DeviceList: devList(c.devices), Units: chr('Physics') }),
        Data: matrix(data),
        ActuatorDelta: num(c.kicks.length, 1, c.kicks),
        Units: chr('Physics'),
        GeV: num(1, 1, [0.05]),
      });
      // Rmat(BPM plane, corrector plane), column-major: (1,1), (2,1), (1,2), (2,2).
      const Rmat = struct(block(bx, hc, orm.Rxx!), block(by, hc, orm.Ryx!), block(bx, vc, orm.Rxy!), block(by, vc, orm.Ryy!));
      writeFileSync(join(mml, 'BPMRespMat_2026-12-05.mat'), writeMat5(new Map([['Rmat', Rmat]])));
      // σ = 1e-6/√2 m: LOCO's noise √2 σ is then the 1e-6 m the measurement file (no averaging) is weighted with.
      const sigma = (b: typeof bx) => struct({ FamilyName: chr(b.family), DeviceList: devList(b.devices), Data: num(b.devices.length, 1, b.devices.map(() => 1e-6 / Math.SQRT2)), Units: chr('Physics'), CreatedBy: chr('measbpmsigma') });
      writeFileSync(join(mml, 'BPMData_2026-12-05.mat'), writeMat5(new Map([['BPMxData', sigma(bx)], ['BPMyData', sigma(by)]])));
      // η (m per dp/p) from the orbit per Hz: η = −(orbit/Hz) f α, with the machine's RF and α.
      const f = (await acc.family('RF').get({ field: 'setpoint' }))[0];
      const alpha = twin.designModel.momentumCompaction();
      const disp = (b: typeof bx, perHz: Float64Array) =>
        struct({
          Monitor: struct({ FamilyName: chr(b.family), DeviceList: devList(b.devices) }),
          Actuator: struct({ FamilyName: chr('RF'), DeviceList: num(1, 2, [1, 1]), Data: num(1, 1, [f]) }),
          Data: num(perHz.length, 1, Array.from(perHz, (v) => -v * f * alpha)),
          ActuatorDelta: num(1, 1, [orm.rf!.step]),
          MCF: num(1, 1, [alpha]),
          Units: chr('Physics'),
        });
      writeFileSync(join(mml, 'Disp_2026-12-05.mat'), writeMat5(new Map([['BPMxDisp', disp(bx, orm.rf!.x!)], ['BPMyDisp', disp(by, orm.rf!.y!)]])));
    } finally {
      await acc.close();
    }
    const fit = join(dir, 'FIT.yaml');
    writeFileSync(
      fit,
      'method: levenberg-marquardt\niterations: 3\norbitType: fixed-momentum\ncouplingBlocks: true\ndispersion: {weightX: 1, weightY: 1}\nfit:\n  quadrupoles:\n' +
        (await quadGroups()) +
        '  bpmGains: true\n  correctorKicks: true\n',
    );
    const facility = thomxFacilityFile();
    const lattice = join(THOMX, 'thomx_4d.atjson.json');
    const fromH5 = await runCli(['-f', facility, 'loco', 'fit', '--lattice', lattice, '--orm', h5, '--parameters', fit, '--json']);
    expect(fromH5.code, fromH5.stderr).toBe(0);
    const fromMml = await runCli(['-f', facility, 'loco', 'fit', '--lattice', lattice, '--orm', mml, '--parameters', fit, '--json']);
    expect(fromMml.code, fromMml.stderr).toBe(0);
    const a = JSON.parse(fromH5.stdout), b = JSON.parse(fromMml.stdout);
    // The MML noise came from BPMData (the measurement file has none: the 1e-6 m default, stated).
    expect(fromH5.stderr).toContain("no 'noise'");
    expect(fromMml.stderr).not.toContain("no 'noise'");
    expect(a.quadrupoles.length).toBeGreaterThan(5);
    // The errors are found (0.3 % of K), and the two inputs give the same fit.
    expect(Math.max(...a.quadrupoles.map((q: { delta: number }) => Math.abs(q.delta)))).toBeGreaterThan(1e-3);
    a.quadrupoles.forEach((q: { name: string; delta: number }, k: number) => {
      expect(b.quadrupoles[k].name).toBe(q.name);
      expect(Math.abs(b.quadrupoles[k].delta - q.delta)).toBeLessThan(1e-9 * Math.abs(q.delta) + 1e-12);
    });
    a.bpmGains.x.forEach((g: number, k: number) => expect(b.bpmGains.x[k]).toBeCloseTo(g, 9));
    expect(b.residualRms).toBeCloseTo(a.residualRms, 15);
    expect(b.iterations.map((r: { chi2PerDof: number }) => r.chi2PerDof.toPrecision(8))).toEqual(a.iterations.map((r: { chi2PerDof: number }) => r.chi2PerDof.toPrecision(8)));
  });

  it('refuses a response matrix saved in hardware units, naming the file and the variable', async () => {
    const bad = join(dir, 'hardware');
    mkdirSync(bad);
    const one = (monitor: string, actuator: string) => ({
      Monitor: struct({ FamilyName: chr(monitor), DeviceList: num(1, 2, [1, 1]) }),
      Actuator: struct({ FamilyName: chr(actuator), DeviceList: num(1, 2, [1, 1]) }),
      Data: num(1, 1, [1.5]),
      ActuatorDelta: num(1, 1, [0.1]),
      Units: chr('Hardware'),
    });
    writeFileSync(join(bad, 'BPMRespMat.mat'), writeMat5(new Map([['Rmat', struct(one('BPMx', 'HCM'), one('BPMy', 'HCM'), one('BPMx', 'VCM'), one('BPMy', 'VCM'))]])));
    const fit = join(dir, 'FIT-min.yaml');
    writeFileSync(fit, 'method: gauss-newton\nfit:\n  bpmGains: true\n');
    const r = await runCli(['-f', thomxFacilityFile(), 'loco', 'fit', '--lattice', join(THOMX, 'thomx_4d.atjson.json'), '--orm', bad, '--parameters', fit]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(bad, 'BPMRespMat.mat')}: Rmat(1) (BPMx / HCM) is in 'Hardware' units`);
  });
});

/** The ThomX quadrupoles, one group each, as FIT.yaml lines. */
async function quadGroups(): Promise<string> {
  const { createLatticeModel, loadLattice } = await import('@mlayer/engine');
  const quads = createLatticeModel(loadLattice(join(THOMX, 'thomx_4d.atjson.json'))).find('class:Quadrupole');
  return quads.map((q) => `    - {name: Q${q}, elements: [${q}]}\n`).join('');
}
