import { afterEach, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import { CorrectorLimitError, localBump, measureOrm, solveBump, zeros } from '../../src/index.js';
import { thomxOrm, thomxRef, thomxTwin, type FixtureOptions } from '../fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function twin(options: FixtureOptions = {}) {
  const t = await thomxTwin(options);
  open.push(t.acc);
  return t;
}
const BPM_EL: number[] = thomxRef().optics_at_bpms.index;
const COR_EL: number[] = thomxRef().correctors.index;

describe('closed local bumps (ThomX twin)', () => {
  it('a 3-corrector position bump from the measured ORM reaches its amplitude and stays closed', async () => {
    const { acc, twin: tw } = await twin();
    const orm = await measureOrm(acc, { kick: 0.05, planes: 'x', observe: 'x' });
    const target = acc.family('BPMx').names[8]; // element 54
    const amp = 0.1e-3;
    const res = await localBump(acc, { orm, plane: 'x', bpm: target, position: amp });
    expect(res.correctors).toHaveLength(3);
    // The correctors straddle the BPM: two upstream, one downstream.
    const corIdx = res.correctors.map((n) => Number(n.slice(1)));
    expect(corIdx.filter((e) => e < 54)).toHaveLength(2);
    expect(corIdx.filter((e) => e > 54)).toHaveLength(1);
    expect(res.inside).toContain(target);
    // Predicted: closure of the measured ORM (exact up to the measurement's 1e-7-level errors).
    expect(Math.abs(res.predicted.reached[0] - amp)).toBeLessThan(1e-9 * amp);
    expect(res.predicted.leakage).toBeLessThan(1e-5 * amp);
    // Measured on the twin: amplitude within 1 %, leakage below 1 % of the amplitude.
    expect(Math.abs(res.measured!.reached[0] - amp)).toBeLessThan(0.01 * amp);
    expect(res.measured!.leakage).toBeLessThan(0.01 * amp);
    // The truth agrees: the closed orbit at the BPM element.
    const x = tw.machineModel.closedOrbit([54])[0][0];
    expect(Math.abs(x - amp)).toBeLessThan(0.01 * amp);
    expect(res.writes[0].family).toBe('HCM');
    expect(res.writes[0].names).toEqual(res.correctors);
  });

  it('a 4-corrector position-and-angle bump (model ORM, distance from the model) reaches both', async () => {
    const { acc, twin: tw } = await twin();
    const model = tw.designModel;
    const bpm = acc.family('BPMy').names[10]; // element 75; element 76 is at the same place, the next BPM downstream is 80
    const res = await localBump(acc, { orm: 'model', model, plane: 'y', bpm, position: 0.02e-3, angle: 0.01e-3 });
    expect(res.units).toBe('physics');
    expect(res.correctors).toHaveLength(4);
    expect(res.targets.map((t) => t.bpm)).toEqual([bpm, acc.family('BPMy').names[12]]);
    const s75 = model.element(75).s;
    const s80 = model.element(80).s;
    expect(s80 - s75).toBeGreaterThan(0.5);
    expect(res.targets[1].value).toBeCloseTo(0.02e-3 + 0.01e-3 * (s80 - s75), 15);
    expect(res.predicted.leakage).toBeLessThan(1e-9 * 0.02e-3);
    const [y75, y80] = tw.machineModel.closedOrbit([75, 80]).map((c) => c[2]);
    expect(Math.abs(y75 - 0.02e-3)).toBeLessThan(1e-3 * 0.02e-3);
    expect(Math.abs((y80 - y75) / (s80 - s75) - 0.01e-3)).toBeLessThan(1e-2 * 0.01e-3);
    expect(res.measured!.leakage).toBeLessThan(1e-3 * 0.02e-3);
  });

  it('dry run writes nothing; a bump past a corrector limit stops with the corrector named', async () => {
    const { acc, writes } = await twin({ limits: [-0.5, 0.5] });
    const orm = await measureOrm(acc, { kick: 0.05, planes: 'x', observe: 'x' });
    writes.length = 0;
    const bpm = acc.family('BPMx').names[8];
    const dry = await localBump(acc, { orm, plane: 'x', bpm, position: 0.01e-3, dryRun: true });
    expect(writes).toHaveLength(0);
    expect(dry.measured).toBeUndefined();
    expect(dry.writes[0].target.length).toBe(3);
    // The kicks scale with the amplitude: 10 times more passes the 0.5 A limit.
    const need = Math.max(...Array.from(dry.deltas, Math.abs));
    expect(need).toBeLessThan(0.5);
    expect(need * 10).toBeGreaterThan(0.5);
    await expect(localBump(acc, { orm, plane: 'x', bpm, position: 0.1e-3 })).rejects.toBeInstanceOf(CorrectorLimitError);
    await expect(localBump(acc, { orm, plane: 'x', bpm, position: 0.1e-3 })).rejects.toThrow(/HCM E\d+: 0 -> .* outside \[-0\.5, 0\.5\]/);
    expect(writes).toHaveLength(0);
  });

  it('solveBump closes a bump on the linear ORM (pyAT reference matrix)', () => {
    const ref: number[][] = thomxOrm()['Rxx_h1e-7'];
    const M = zeros(ref.length, ref[0].length);
    ref.forEach((row, i) => row.forEach((v, j) => (M[i][j] = v)));
    // Correctors around BPMs 8 and 9 (elements 54, 55, same place): E29 and E51 upstream (columns 5, 6), E60 downstream (column 8).
    expect(BPM_EL.slice(8, 10)).toEqual([54, 55]);
    expect([5, 6, 8].map((j) => COR_EL[j])).toEqual([29, 51, 60]);
    const outside = [...Array(24).keys()].filter((i) => i !== 8 && i !== 9 && !(BPM_EL[i] > 29 && BPM_EL[i] < 60));
    const sol = solveBump(M, [{ row: 8, value: 1e-3 }], [5, 6, 8], outside);
    expect(sol.reached[0]).toBeCloseTo(1e-3, 12);
    expect(sol.leakage).toBeLessThan(1e-12);
    // The kicks close the bump: the orbit change is zero at every BPM outside E29..E60.
    outside.forEach((i) => expect(Math.abs(sol.orbit[i])).toBeLessThan(1e-12));
    // Without enough correctors it is an error.
    expect(() => solveBump(M, [{ row: 8, value: 1e-3 }], [5, 6], outside)).toThrow(/at least 3 correctors/);
  });
});
