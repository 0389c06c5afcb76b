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
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeviceId } from '@mlayer/core';
import { type MatValue, readMat5, writeMat5 } from '@mlayer/engine/io';
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
    const hw = join(dir, 'mml-hardware');
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

      // The same in MML's default hardware units: orbit in mm, correctors in A (the facility's A -> rad).
      mkdirSync(hw);
      const amps = (c: typeof hc) => acc.family(c.family).devices(c.devices).toHardware(c.kicks);
      const hwBlock = (b: typeof bx, c: typeof hc, data: Float64Array[]) => {
        const a = amps(c);
        return {
          Monitor: struct({ FamilyName: chr(b.family), DeviceList: devList(b.devices), Units: chr('Hardware'), UnitsString: chr('mm') }),
          Actuator: struct({ FamilyName: chr(c.family), DeviceList: devList(c.devices), Units: chr('Hardware'), UnitsString: chr('A') }),
          Data: matrix(data.map((row) => row.map((v, j) => (1000 * v * c.kicks[j]) / a[j]))),
          ActuatorDelta: num(a.length, 1, a),
          Units: chr('Hardware'),
          UnitsString: chr('mm/A'),
        };
      };
      const hwRmat = struct(hwBlock(bx, hc, orm.Rxx!), hwBlock(by, hc, orm.Ryx!), hwBlock(bx, vc, orm.Rxy!), hwBlock(by, vc, orm.Ryy!));
      writeFileSync(join(hw, 'BPMRespMat.mat'), writeMat5(new Map([['Rmat', hwRmat]])));
      const hwSigma = (b: typeof bx) => struct({ FamilyName: chr(b.family), DeviceList: devList(b.devices), Data: num(b.devices.length, 1, b.devices.map(() => 1e-3 / Math.SQRT2)), Units: chr('Hardware'), UnitsString: chr('mm'), CreatedBy: chr('measbpmsigma') });
      writeFileSync(join(hw, 'BPMData.mat'), writeMat5(new Map([['BPMxData', hwSigma(bx)], ['BPMyData', hwSigma(by)]])));
      const hwDisp = (b: typeof bx, perHz: Float64Array) =>
        struct({
          Monitor: struct({ FamilyName: chr(b.family), DeviceList: devList(b.devices), UnitsString: chr('mm') }),
          Actuator: struct({ FamilyName: chr('RF'), DeviceList: num(1, 2, [1, 1]), UnitsString: chr('Hz') }),
          Data: num(perHz.length, 1, Array.from(perHz, (v) => 1000 * v)),
          ActuatorDelta: num(1, 1, [orm.rf!.step]),
          Units: chr('Hardware'),
        });
      writeFileSync(join(hw, 'Disp.mat'), writeMat5(new Map([['BPMxDisp', hwDisp(bx, orm.rf!.x!)], ['BPMyDisp', hwDisp(by, orm.rf!.y!)]])));

      // buildlocoinput's one file: LOCO's mm and mrad, AT (1-based) indices, LocoFlags and FitParameters.
      const model = acc.model!;
      const at = (family: string, devices: readonly DeviceId[]) => acc.family(family).devices(devices).latticeElements(model).map((e) => e + 1);
      const nb = bx.devices.length, nh = hc.kicks.length, nv = vc.kicks.length;
      const M = Array.from({ length: 2 * nb }, (_r, i) =>
        [...Array.from({ length: nh }, (_c, j) => 1000 * (i < nb ? orm.Rxx! : orm.Ryx!)[i % nb][j] * hc.kicks[j]), ...Array.from({ length: nv }, (_c, j) => 1000 * (i < nb ? orm.Rxy! : orm.Ryy!)[i % nb][j] * vc.kicks[j])]);
      const ones = (n: number) => num(n, 1, Array.from({ length: n }, (_v, k) => k + 1));
      const quads = model.find('class:Quadrupole');
      // As mkparamgroup(THERING, index, 'K'): a K {1,1} and a PolynomB {1,2} entry per element, Function inline('x') (an object: a struct), Args {}.
      const entry = (q: number, field: string, fi: number) => ({ ElemIndex: num(1, 1, [q + 1]), FieldName: chr(field), Function: struct({ expr: chr('x') }), FieldIndex: { kind: 'cell', dims: [1, 2], data: [num(1, 1, [1]), num(1, 1, [fi])] } as MatValue, Args: { kind: 'cell', dims: [0, 0], data: [] } as MatValue });
      const params: MatValue = { kind: 'cell', dims: [quads.length, 1], data: quads.map((q) => struct(entry(q, 'K', 1), entry(q, 'PolynomB', 2))) };
      writeFileSync(
        join(dir, 'LocoInput.mat'),
        writeMat5(
          new Map([
            ['LocoMeasData', struct({ M: matrix(M), BPMSTD: num(2 * nb, 1, new Array(2 * nb).fill(1e-3)), Eta: num(2 * nb, 1, [...orm.rf!.x!, ...orm.rf!.y!].map((v) => 1000 * v * orm.rf!.step)), DeltaRF: num(1, 1, [orm.rf!.step]) })],
            ['BPMData', struct({ FamName: chr('BPM'), BPMIndex: num(nb, 1, at(bx.family, bx.devices)), HBPMIndex: ones(nb), VBPMIndex: ones(nb) })],
            ['CMData', struct({ HCMIndex: num(nh, 1, at(hc.family, hc.devices)), VCMIndex: num(nv, 1, at(vc.family, vc.devices)), HCMKicks: num(nh, 1, hc.kicks.map((k) => 1000 * k)), VCMKicks: num(nv, 1, vc.kicks.map((k) => 1000 * k)) })],
            ['LocoFlags', struct({ ClosedOrbitType: chr('FixedMomentum'), Dispersion: chr('Yes'), HorizontalDispersionWeight: num(1, 1, [1]), VerticalDispersionWeight: num(1, 1, [1]), Coupling: chr('Yes'), SVmethod: num(1, 1, [1e-6]) })],
            ['FitParameters', struct({ Params: params })],
          ]),
        ),
      );
      // A sextupole parameter (PolynomB {1,3}) is not a gradient group: refused.
      const sext: MatValue = { kind: 'cell', dims: [1, 1], data: [struct({ ...entry(quads[0], 'PolynomB', 3) })] };
      writeFileSync(join(dir, 'LocoInput-sext.mat'), writeMat5(new Map([...readMat5(readFileSync(join(dir, 'LocoInput.mat')))].map(([k, v]) => [k, k === 'FitParameters' ? struct({ Params: sext }) : v]))));
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

    // Hardware units (mm, A), converted with the facility's conversions: the same fit.
    const fromHw = await runCli(['-f', facility, 'loco', 'fit', '--lattice', lattice, '--orm', hw, '--parameters', fit, '--json']);
    expect(fromHw.code, fromHw.stderr).toBe(0);
    // buildlocoinput's file: flags and gradient groups from the file, FIT.yaml gives method, iterations and gains only.
    const bare = join(dir, 'FIT-bare.yaml');
    writeFileSync(bare, 'method: levenberg-marquardt\niterations: 3\nfit:\n  bpmGains: true\n  correctorKicks: true\n');
    const fromInput = await runCli(['loco', 'fit', '--lattice', lattice, '--orm', join(dir, 'LocoInput.mat'), '--parameters', bare, '--json']);
    expect(fromInput.code, fromInput.stderr).toBe(0);
    expect(fromInput.stderr).toContain(`FitParameters used: ${a.quadrupoles.length} quadrupole and 0 skew groups`);
    // The unit conversions (mm, A, mrad) round at 1e-16; the fit carries that to a few 1e-9 of ΔK (measured: 7e-9, 4e-9).
    const sext = await runCli(['loco', 'fit', '--lattice', lattice, '--orm', join(dir, 'LocoInput-sext.mat'), '--parameters', bare]);
    expect(sext.code).toBe(2);
    expect(sext.stderr).toContain(`${join(dir, 'LocoInput-sext.mat')}: FitParameters.Params{1}: FieldName 'PolynomB' FieldIndex {1, 3} is not a quadrupole gradient`);
    for (const c of [JSON.parse(fromHw.stdout), JSON.parse(fromInput.stdout)]) {
      a.quadrupoles.forEach((q: { delta: number }, k: number) => expect(Math.abs(c.quadrupoles[k].delta - q.delta)).toBeLessThan(1e-7 * Math.abs(q.delta) + 1e-12));
      a.bpmGains.y.forEach((g: number, k: number) => expect(c.bpmGains.y[k]).toBeCloseTo(g, 8));
      a.correctorKicks.x.forEach((g: number, k: number) => expect(c.correctorKicks.x[k] / g).toBeCloseTo(1, 9));
      expect(c.residualRms / a.residualRms).toBeCloseTo(1, 9);
      expect(c.iterations.map((r: { chi2PerDof: number }) => r.chi2PerDof.toPrecision(8))).toEqual(a.iterations.map((r: { chi2PerDof: number }) => r.chi2PerDof.toPrecision(8)));
    }
  });

  it('names the file, family and device when a hardware-unit file has a device the facility lacks', async () => {
    const bad = join(dir, 'bad-device');
    mkdirSync(bad);
    const one = (monitor: string, actuator: string) => ({
      Monitor: struct({ FamilyName: chr(monitor), DeviceList: num(1, 2, [99, 1]), UnitsString: chr('mm') }),
      Actuator: struct({ FamilyName: chr(actuator), DeviceList: num(1, 2, [1, 1]), UnitsString: chr('A') }),
      Data: num(1, 1, [1.5]),
      ActuatorDelta: num(1, 1, [0.1]),
      Units: chr('Hardware'),
    });
    writeFileSync(join(bad, 'BPMRespMat.mat'), writeMat5(new Map([['Rmat', struct(one('BPMx', 'HCM'), one('BPMy', 'HCM'), one('BPMx', 'VCM'), one('BPMy', 'VCM'))]])));
    const fit = join(dir, 'FIT-min.yaml');
    writeFileSync(fit, 'method: gauss-newton\nfit:\n  bpmGains: true\n');
    const r = await runCli(['-f', thomxFacilityFile(), 'loco', 'fit', '--lattice', join(THOMX, 'thomx_4d.atjson.json'), '--orm', bad, '--parameters', fit]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(bad, 'BPMRespMat.mat')}: Rmat(1).Monitor: BPMx device [99, 1] is not in facility`);
    // Without -f (nor MLAYER_FACILITY) hardware units are refused, saying that -f converts them.
    const env = process.env.MLAYER_FACILITY;
    delete process.env.MLAYER_FACILITY;
    try {
      const none = await runCli(['loco', 'fit', '--lattice', join(THOMX, 'thomx_4d.atjson.json'), '--orm', bad, '--parameters', fit]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(`${join(bad, 'BPMRespMat.mat')}: Rmat(1) (BPMx / HCM) is in 'Hardware' units; give the facility that measured it with -f FACILITY`);
    } finally {
      if (env !== undefined) process.env.MLAYER_FACILITY = env;
    }
  });
});

/** The ThomX quadrupoles, one group each, as FIT.yaml lines. */
async function quadGroups(): Promise<string> {
  const { createLatticeModel, loadLattice } = await import('@mlayer/engine');
  const quads = createLatticeModel(loadLattice(join(THOMX, 'thomx_4d.atjson.json'))).find('class:Quadrupole');
  return quads.map((q) => `    - {name: Q${q}, elements: [${q}]}\n`).join('');
}
