import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import type { TwinSettingsInput } from '../../src/index.js';
import { thomxFacilityFile, thomxRef, twinAccelerator, writeFacilityFile } from '../twin-fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
});

/** ThomX with an injection at element 0 (the ring's optics there), INJ, 4-turn BPM buffers, a DCCT and an elliptical chamber. */
async function injectionTwin(options: { settings?: TwinSettingsInput; chamber?: [number, number]; emittance?: [number, number]; energySpread?: number } = {}) {
  const doc = parse(readFileSync(thomxFacilityFile({ beam: 'none', injection: { particles: 16, turns: 4, storeFraction: 0.5 }, ...options.settings }), 'utf8'));
  const o = thomxRef().optics_all_refpts;
  doc.families.INJ = { elementClass: 'Injection', fields: { setpoint: { channels: { twin: 'INJ' }, units: { hardware: '', physics: '' } } }, devices: [{ device: [1, 1], name: 'INJ' }] };
  doc.families.DCCT = { elementClass: 'DCCT', fields: { monitor: { channels: { twin: 'DCCT' }, units: { hardware: 'A', physics: 'A' } } }, devices: [{ device: [1, 1], name: 'DCCT' }] };
  doc.families.BPMxTBT = { ...doc.families.BPMx, elementClass: 'TurnByTurnBPM', model: { field: 'Orbit', index: 0 }, fields: { monitor: { channels: { twin: 'TBT:{sector}:{index}:X' }, units: { hardware: 'm', physics: 'm' }, dataType: 'array', length: 4 } } };
  doc.injection = { element: 0, twiss: { beta: o.beta[0], alpha: o.alpha[0], dispersion: o.dispersion[0] }, emittance: options.emittance ?? [1e-8, 1e-9], energySpread: options.energySpread ?? 5e-4, charge: 1e-9 };
  doc.chamber = { default: { shape: 'elliptical', halfSizes: options.chamber ?? [0.004, 0.004] } };
  const t = await twinAccelerator(writeFacilityFile(doc));
  open.push(t.acc);
  return t;
}

const ERRORS = { magnets: { QUAD: { dx: { sigma: 400e-6, truncation: 2 }, dy: { sigma: 400e-6, truncation: 2 } } }, bpms: { BPMx: { noise: 10e-6 }, BPMy: { noise: 10e-6 } }, injection: { x: 0.5e-3, px: 50e-6, y: 0.5e-3, py: 50e-6 } };
const F_REV = 299792458 / 17.986716;

describe('twin beam states and injection (issue 22)', () => {
  it('no beam, then a shot lost in the first turn: BPMs read the survivors up to the loss and NaN after, the buffers per turn, the same noise on every read of a shot', async () => {
    const { acc, twin } = await injectionTwin();
    twin.applyErrors(ERRORS, 1);
    expect(twin.beamState).toBe('none');
    expect(Array.from(await acc.family('BPMx').get()).every(Number.isNaN)).toBe(true);
    expect((await acc.family('DCCT').get())[0]).toBe(0);
    await acc.family('INJ').set(1);
    expect(twin.beamState).toBe('first-turns');
    const x = await acc.family('BPMx').get();
    const n = Array.from(x).findIndex(Number.isNaN);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(24);
    expect(Array.from(x.subarray(n)).every(Number.isNaN)).toBe(true);
    // Lost between the last BPM that read and the next one, on the first turn; the DCCT shows nothing stored.
    const lost = twin.lastInjection!.lost!;
    const bpmEls: number[] = thomxRef().optics_at_bpms.index;
    expect(lost.turn).toBe(0);
    expect(lost.element).toBeGreaterThanOrEqual(bpmEls[n - 1]);
    expect(lost.element).toBeLessThan(bpmEls[n]);
    expect((await acc.family('DCCT').get())[0]).toBe(0);
    // A second read of the same shot: the same values (single-shot noise is the shot's), equal to turn 1 of the buffers.
    expect(Array.from(await acc.family('BPMx').get())).toEqual(Array.from(x));
    const buffers = await acc.family('BPMxTBT').read();
    buffers.forEach((s, i) => {
      const b = s.value as Float64Array;
      expect(Object.is(b[0], x[i])).toBe(true);
      expect(Array.from(b.subarray(1)).every(Number.isNaN)).toBe(true);
    });
    // Seeded: another twin with the same seed and errors reads the same shot.
    const other = await injectionTwin();
    other.twin.applyErrors(ERRORS, 1);
    await other.acc.family('INJ').set(1);
    expect(Array.from(await other.acc.family('BPMx').get())).toEqual(Array.from(x));
  });

  it('a point bunch reads the engine trajectory from the injection error (no noise) to 1e-12, NaN from the same BPM on', async () => {
    const { acc, twin } = await injectionTwin({ emittance: [0, 0], energySpread: 0 });
    twin.applyErrors({ ...ERRORS, bpms: {} }, 1);
    await acc.family('INJ').set(1);
    expect(twin.beamState).toBe('first-turns');
    const e = twin.appliedErrors!.injection;
    const bpmEls: number[] = thomxRef().optics_at_bpms.index;
    const t = (twin.machineModel as import('@mlayer/core').LatticeModel).trajectory(bpmEls, { initial: [e[0], e[1], e[2], e[3], 0, 0], turns: 1 });
    const x = await acc.family('BPMx').get();
    const y = await acc.family('BPMy').get();
    expect(t.lost).toBeDefined();
    expect(Array.from(x, Number.isNaN)).toEqual(Array.from(t.x, Number.isNaN));
    expect(Array.from(x).filter(Number.isFinite).length).toBeGreaterThan(3);
    x.forEach((v, i) => Number.isFinite(v) && expect(Math.abs(v - t.x[i])).toBeLessThan(1e-12));
    y.forEach((v, i) => Number.isFinite(v) && expect(Math.abs(v - t.y[i])).toBeLessThan(1e-12));
  });

  it('stored when half the bunch survives the tracked turns: the closed orbit, DCCT = charge x f_rev, later shots add theirs', async () => {
    const { acc, twin } = await injectionTwin({ chamber: [0.02, 0.02] });
    await acc.family('INJ').set(1);
    expect(twin.beamState).toBe('stored');
    expect(twin.lastInjection!.survivors).toEqual([16, 16, 16, 16]);
    expect((await acc.family('DCCT').get())[0]).toBeCloseTo(1e-9 * F_REV, 15);
    // The design machine's closed orbit is zero.
    expect(Array.from(await acc.family('BPMx').get()).every((v) => v === 0)).toBe(true);
    await acc.family('INJ').set(2);
    expect((await acc.family('DCCT').get())[0]).toBeCloseTo(2e-9 * F_REV, 15);
    twin.resetBeam('none');
    expect((await acc.family('DCCT').get())[0]).toBe(0);
  });
});
