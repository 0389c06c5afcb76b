/**
 * Fresh data: an ORM measured through a control system whose BPMs publish at a set
 * period, late, must equal the one measured where every read is current; a BPM
 * system that stops publishing fails the step naming the family, and restores.
 * The machine is linear (R below) on core's in-memory control system.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ControlSystemRegistry, StaleReadingError, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { type MemoryControlSystem, registerMemory } from '@mlayer/core/testing';
import { correctOrbit, measureOrm, type OrbitResponseMatrix } from '../../src/index.js';

const NB = 6;
const NC = 4;
/** Orbit (m) per corrector current (A): R[plane][bpm][corrector], the cross planes 10x weaker. */
const R = (['x', 'y'] as const).map((p, pi) =>
  Array.from({ length: NB }, (_b, i) => Array.from({ length: 2 * NC }, (_c, j) => (j < NC === (pi === 0) ? 1 : 0.1) * 1e-4 * Math.cos(1.3 * i + 0.7 * j + pi))),
);
const corrector = (j: number) => (j < NC ? `HCM:${j + 1}:SP` : `VCM:${j - NC + 1}:SP`);

function facilityFile(updatePeriod: number | undefined): string {
  const bpm = (plane: 'x' | 'y') => ({
    elementClass: 'BPM',
    plane,
    fields: { monitor: { channels: { mem: `BPM${plane.toUpperCase()}:{index}` }, units: { hardware: 'm', physics: 'm' }, ...(updatePeriod !== undefined ? { updatePeriod } : {}) } },
    devices: Array.from({ length: NB }, (_v, i) => ({ device: [1, i + 1], name: `BPM${i + 1}` })),
  });
  const cm = (plane: 'x' | 'y', prefix: string) => ({
    elementClass: 'Corrector',
    plane,
    memberOf: [prefix],
    fields: { setpoint: { channels: { mem: `${prefix}:{index}:SP` }, units: { hardware: 'A', physics: 'A' }, limits: [-5, 5], settleTime: 0 } },
    devices: Array.from({ length: NC }, (_v, i) => ({ device: [1, i + 1], name: `${prefix}${i + 1}` })),
  });
  const doc = {
    name: 'fresh-data-test',
    energy: 3e9,
    controlSystems: { mem: { type: 'memory' } },
    families: { BPMx: bpm('x'), BPMy: bpm('y'), HCM: cm('x', 'HCM'), VCM: cm('y', 'VCM') },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-fresh-'));
  writeFileSync(join(dir, 'facility.yaml'), stringify(doc));
  return join(dir, 'facility.yaml');
}

interface Machine {
  readonly acc: Accelerator;
  readonly cs: MemoryControlSystem;
  /** Stops the BPM publication. */
  stop(): void;
}

const open: { acc: Accelerator; stop: () => void }[] = [];
afterEach(async () => {
  while (open.length) {
    const m = open.pop()!;
    m.stop();
    await m.acc.close();
  }
});

/** The orbit the correctors in effect at `time` (ms) give, from the recorded writes. */
function orbitAt(cs: MemoryControlSystem, time: number): number[][] {
  const sp = Array.from({ length: 2 * NC }, (_v, j) => {
    let v = 0;
    for (const w of cs.writes) if (w.channel === corrector(j) && w.time <= time) v = w.value as number;
    return v;
  });
  return R.map((rows) => rows.map((row) => row.reduce((s, r, j) => s + r * sp[j], 0)));
}

function publish(cs: MemoryControlSystem, orbit: number[][], stamp?: number): void {
  orbit.forEach((rows, pi) => rows.forEach((v, i) => cs.inject(`BPM${pi === 0 ? 'X' : 'Y'}:${i + 1}`, v, stamp)));
}

/**
 * mode 'immediate': the BPMs follow every write at once (as the twin).
 * mode 'published': every `period` ms the BPMs publish the orbit of the correctors in effect one
 * period earlier (the average of the last period, stamped at its end), delivered `latency` ms late.
 */
async function machine(mode: 'immediate' | 'published', updatePeriod?: number, period = 20, latency = 12): Promise<Machine> {
  const controlSystems = new ControlSystemRegistry();
  const created = registerMemory(controlSystems);
  const acc = await createAccelerator({ facility: loadFacility(facilityFile(updatePeriod)), controlSystems, conversions: new UnitConversionRegistry() });
  const cs = created[0];
  let timer: ReturnType<typeof setInterval> | undefined;
  const pending = new Set<ReturnType<typeof setTimeout>>();
  if (mode === 'immediate') {
    cs.immediate = true;
    const write = cs.write.bind(cs);
    cs.write = async (w, o) => {
      await write(w, o);
      publish(cs, orbitAt(cs, Date.now()));
    };
  } else {
    cs.immediate = false;
    publish(cs, orbitAt(cs, Date.now()));
    timer = setInterval(() => {
      const t = Date.now();
      const orbit = orbitAt(cs, t - period);
      const d = setTimeout(() => {
        pending.delete(d);
        publish(cs, orbit, t / 1000);
      }, latency);
      pending.add(d);
    }, period);
  }
  const stop = () => {
    if (timer) clearInterval(timer);
    for (const d of pending) clearTimeout(d);
  };
  open.push({ acc, stop });
  return { acc, cs, stop };
}

const maxDiff = (a: Float64Array[], b: Float64Array[]) => Math.max(...a.flatMap((row, i) => Array.from(row, (v, j) => Math.abs(v - b[i][j]))));

describe('fresh data after a change (in-memory linear machine, BPMs published late at a set period)', () => {
  it('the ORM through late 20 ms BPM updates equals the one through immediate reads, with the period stated and with it learned', async () => {
    const ref = await measureOrm((await machine('immediate')).acc, { kick: 0.5 });
    // The reference is the machine's R (in A, m): the measurement itself is right.
    for (const [name, pi, off] of [['Rxx', 0, 0], ['Ryy', 1, NC], ['Ryx', 1, 0], ['Rxy', 0, NC]] as const) {
      ref[name]!.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(R[pi][i][j + off], 12)));
    }
    for (const stated of [0.02, undefined]) {
      const { acc } = await machine('published', stated);
      const orm = await measureOrm(acc, { kick: 0.5 });
      const scale = Math.max(...ref.Rxx!.flatMap((r) => Array.from(r, Math.abs)));
      for (const name of ['Rxx', 'Ryx', 'Rxy', 'Ryy'] as const) expect(maxDiff(orm[name]!, ref[name]!), `${name}, updatePeriod ${stated}`).toBeLessThan(1e-12 * scale);
      // Every column passed its symmetry check at the first measurement.
      expect(orm.checks).toMatchObject({ columns: 2 * NC, retried: 0, flagged: 0 });
      // BPMx and BPMy rely on the class default update period when it is not stated: named in a warning.
      const w = orm.warnings!.find((m) => m.includes('settling not stated'));
      if (stated === undefined) expect(w).toMatch(/BPMx \(update period 0\.1 s\).*BPMy \(update period 0\.1 s\)/);
      else expect(w).toBeUndefined();
    }
  });

  it('without fresh-data waits (what a measurement did before) the same machine gives a wrong ORM: the test can fail', async () => {
    const { acc, cs } = await machine('published', 0.02);
    // Declaring the published system immediate reads whatever sample is there after each write.
    cs.immediate = true;
    const orm = await measureOrm(acc, { kick: 0.5, checks: false, planes: 'x', observe: 'x' });
    const scale = Math.max(...R[0].flat().map(Math.abs));
    const worst = Math.max(...orm.Rxx!.flatMap((row, i) => Array.from(row, (v, j) => Math.abs(v - R[0][i][j]))));
    expect(worst).toBeGreaterThan(0.5 * scale);
  });

  it('a BPM system that stops publishing fails the step with an error naming the BPM family, and every corrector is restored', async () => {
    const { acc, cs, stop } = await machine('published', 0.02);
    let n = 0;
    cs.beforeWrite = (w) => {
      // The publication stops when the third corrector moves.
      if (w.channel === corrector(2) && ++n === 1) stop();
    };
    const run = measureOrm(acc, { kick: 0.5, freshTimeout: 300 });
    await expect(run).rejects.toBeInstanceOf(StaleReadingError);
    await expect(run).rejects.toMatchObject({ family: 'BPMx' });
    await expect(run).rejects.toThrow(/^BPMx: no fresh reading within 300 ms: 6 devices \(BPM1, BPM2, BPM3, BPM4, \.\.\.\) gave no sample produced after the change/);
    for (const f of ['HCM', 'VCM']) expect(Array.from(await acc.family(f).get({ field: 'setpoint' }))).toEqual([0, 0, 0, 0]);
    // The last write put the third corrector back, with wait.
    expect(cs.writes.at(-1)).toMatchObject({ channel: corrector(2), value: 0, wait: true });
  });

  it('a correction step after which the BPMs read nothing (beam lost) is undone and reported as diverged, never as converged', async () => {
    const { acc, cs } = await machine('immediate');
    const orm = await measureOrm(acc, { kick: 0.5 });
    // Beyond 1 A on any corrector the beam is lost: every BPM reads NaN.
    const write = cs.write.bind(cs);
    cs.write = async (w, o) => {
      await write(w, o);
      const sp = Array.from({ length: 2 * NC }, (_v, j) => cs.writes.filter((x) => x.channel === corrector(j)).at(-1)?.value as number | undefined);
      if (sp.some((v) => v !== undefined && Math.abs(v) > 1)) publish(cs, R.map((rows) => rows.map(() => Number.NaN)));
    };
    const hcm = acc.family('HCM');
    await hcm.devices([[1, 1]]).set(0.3, { wait: true });
    const start = Array.from(await hcm.get({ field: 'setpoint' }));
    // The first column 10x too weak: MICADO asks that corrector for a step 10x too large (-3 A).
    const weak = (m: Float64Array[] | undefined) => m?.map((row) => row.map((v, k) => (k === 0 ? 0.1 * v : v)));
    const wrong: OrbitResponseMatrix = { ...orm, Rxx: weak(orm.Rxx), Ryx: weak(orm.Ryx) };
    const r = await correctOrbit(acc, { orm: wrong, planes: ['x'], method: { type: 'micado', correctors: 1 }, iterations: 3 });
    expect(r.status).toBe('diverged');
    expect(r.message).toMatch(/x: 6 of 6 BPMs without a finite reading after the step.*the step was undone/);
    expect(r.steps[0].undone).toBe(true);
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual(start);
    expect(r.rmsFinal.x).toBeCloseTo(r.rmsInitial.x!, 12);
  });
});
