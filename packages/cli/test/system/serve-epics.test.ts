import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadFacility, type Accelerator } from '@mlayer/core';
import { correctOrbit, loadOrm, measureOrm, type OrbitResponseMatrix } from '@mlayer/orbit';
import { ormDeviation } from '../orm-check.js';
import { serveEpics, type ServedEpics } from '@mlayer/virtual-accelerator';
import { main } from '../../src/program.js';
import { runCli as cli } from '../in-process-cli.js';
import { BPM_NOISE, CM_GAIN, bpmElements, corElements, errorFile, thomxOrm } from '../serve-fixture.js';
import { CM_LIMITS, PYTHON, epicsFacilityFile, eventually, openEpicsMode, pyepics } from '../serve-epics-fixture.js';

// The twin of a ThomX facility served over EPICS by `mlayer serve --protocol epics`
// (a real softIoc on loopback, core's bridge over Channel Access); pyepics (Debian's
// python3) is the independent client, pyAT's response matrix (shared/lattices/thomx)
// the independent reference, and --mode twin with the same seed the reference for
// the orbit correction run in --mode epics.

const SEED = 7;
const dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-epics-'));
const facilityFile = epicsFacilityFile(dir);
const errors = errorFile(dir);
let served: ServedEpics;
let live: Accelerator;
const log: string[] = [];
let tServe = 0;

/** Waits until the IOC's set points and readbacks and the twin's set points of a family equal `values`. */
async function settledOn(family: string, values: ArrayLike<number>, timeoutMs = 20_000): Promise<void> {
  let last = '';
  await eventually(
    async () => {
      const [sp, rb, twin] = await Promise.all([live.family(family).get({ field: 'setpoint' }), live.family(family).get({ field: 'readback' }), served.twin.family(family).get({ field: 'setpoint' })]);
      last = `set points ${Array.from(sp)}, readbacks ${Array.from(rb)}, twin ${Array.from(twin)}`;
      return Array.from(values).every((v, i) => sp[i] === v && rb[i] === v && twin[i] === v);
    },
    () => `${family}: ${last} vs ${Array.from(values)}`,
    timeoutMs,
  );
}

/** Once a corrector of the twin behind `s` differs from `initial` (a measurement step), kills the IOC; returns how many differed. */
async function killWhileStepped(s: ServedEpics, initial: readonly number[]): Promise<number> {
  let stepped = 0;
  await eventually(
    async () => {
      const now = [...(await s.twin.family('HCM').get({ field: 'setpoint' })), ...(await s.twin.family('VCM').get({ field: 'setpoint' }))];
      stepped = now.filter((v, i) => v !== initial[i]).length;
      return stepped > 0;
    },
    () => 'no corrector was stepped',
    10_000,
  );
  await s.ioc.kill('SIGKILL');
  return stepped;
}

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: install python3-pyepics (scripts/debian-packages.txt)`);
  const t0 = Date.now();
  served = await serveEpics({ facility: facilityFile, errors, seed: SEED, overlay: join(dir, 'facility.epics.yaml'), log: (l) => log.push(l) });
  tServe = Date.now() - t0;
  live = await openEpicsMode(served.overlay, 'epics');
}, 600_000);

afterAll(async () => {
  await live?.close();
  await served?.stop();
});

describe('mlayer serve --protocol epics', () => {
  it('serves every PV of the epics control system (ao with drive limits, ai, EGU, PREC) and writes the overlay', async () => {
    const nb = bpmElements().length;
    const nc = corElements().length;
    expect(served.channels.length).toBe(2 * nb + 4 * nc + 24);
    const overlay = loadFacility(served.overlay);
    expect(overlay.config.controlSystems.epics.settings).toEqual({
      addressList: ['127.0.0.1'],
      autoAddressList: false,
      timeout: 5000,
      serverPort: served.ports.ca,
      repeaterPort: served.ports.caRepeater,
      pva: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: served.ports.pva, broadcastPort: served.ports.pvaBroadcast },
    });
    expect(served.ports.ca).not.toBe(5064);
    expect(served.clientEnv).toMatchObject({ EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_SERVER_PORT: String(served.ports.ca) });
    const text = log.join('\n');
    expect(text).toContain(`export EPICS_CA_SERVER_PORT=${served.ports.ca}`);
    expect(text).toContain(`HCM setpoint: ${nc} PVs, e.g. TX:HCM01-1:SETI`);
    // pyepics sees the records as described and the twin's values.
    const info = (await pyepics(
      served.clientEnv,
      `
out = {}
for pv in ['TX:HCM01-2:SETI', 'TX:HCM01-2:I', 'TX:BPM01-1:SA:X', 'TX:Q01-1:SETK']:
    rtyp = epics.caget(pv + '.RTYP', timeout=5)
    drv = [epics.caget(pv + '.DRVL', timeout=5), epics.caget(pv + '.DRVH', timeout=5)] if rtyp == 'ao' else [None, None]
    out[pv] = [rtyp, epics.caget(pv + '.EGU', timeout=5), epics.caget(pv + '.PREC', timeout=5)] + drv + [epics.caget(pv, timeout=5)]
print(json.dumps(out))`,
    )) as Record<string, [string, string, number, number | null, number | null, number]>;
    expect(info['TX:HCM01-2:SETI']).toEqual(['ao', 'A', 4, CM_LIMITS[0], CM_LIMITS[1], 0]);
    expect(info['TX:HCM01-2:I'].slice(0, 3)).toEqual(['ai', 'A', 4]);
    expect(info['TX:BPM01-1:SA:X'].slice(0, 3)).toEqual(['ai', 'm', 6]);
    const [k1] = await served.twin.family('QUAD').get({ field: 'setpoint' });
    expect(info['TX:Q01-1:SETK']).toEqual(['ao', 'm^-2', 6, -30, 30, k1]);
    // The BPM reading is the twin's (offsets, gains, 2e-7 m noise).
    const [x0] = await served.twin.family('BPMx').get();
    expect(Math.abs(info['TX:BPM01-1:SA:X'][5] - x0)).toBeLessThan(10 * BPM_NOISE);
    console.log(`serve start-up ${tServe} ms (${served.channels.length} PVs, IOC pid ${served.ioc.pid})`);
  });

  it('pyepics writes a corrector and reads the orbit change the twin computes (against the pyAT response matrix)', async () => {
    const bpms = bpmElements();
    const cor = corElements()[1];
    const step = 0.5;
    const pvs = bpms.map((_b, i) => `TX:BPM${String(Math.floor(i / 2) + 1).padStart(2, '0')}-${(i % 2) + 1}:SA:X`);
    const r = (await pyepics(
      served.clientEnv,
      `
bpms = [epics.PV(n) for n in ${JSON.stringify(pvs)}]
sp = epics.PV('TX:HCM01-2:SETI')
rb = epics.PV('TX:HCM01-2:I')
for p in bpms + [sp, rb]: p.wait_for_connection(timeout=5)
def orbit(n=6):
    rows = []
    for k in range(n):
        rows.append([b.get(use_monitor=False) for b in bpms])
        time.sleep(0.06)
    return [sum(c) / n for c in zip(*rows)]
v0 = sp.get(use_monitor=False)
before = orbit()
t0 = time.time()
sp.put(v0 + ${step}, wait=True)
put = time.time() - t0
t0 = time.time()
while rb.get(use_monitor=False) != v0 + ${step}:
    if time.time() - t0 > 20: raise RuntimeError('readback did not follow')
    time.sleep(0.02)
# The beam follows the readback; a BPM value is the mean over its 0.1 s period: wait for three whole periods after it.
time.sleep(0.3)
after = orbit()
# A value past the drive limit is clamped by the ao record (EPICS semantics); the twin follows the clamped value.
sp.put(${CM_LIMITS[1] + 2}, wait=True)
clamped = sp.get(use_monitor=False)
print(json.dumps({'v0': v0, 'before': before, 'after': after, 'clamped': clamped, 'put': put}))`,
    )) as { v0: number; before: number[]; after: number[]; clamped: number; put: number };
    // The put-callback completes after the settle time (2 periods of the twin's 20 Hz + 50 ms).
    expect(r.put).toBeGreaterThanOrEqual(0.15 - 0.01);
    expect(r.v0).toBe(0);
    expect(r.clamped).toBe(CM_LIMITS[1]);
    await eventually(
      async () => (await served.twin.family('HCM').get({ field: 'setpoint' }))[1] === CM_LIMITS[1],
      () => 'the twin did not follow the clamped set point',
    );
    // The orbit change is the pyAT response column (m/rad) times the kick (errors: 1 % BPM gains, quadrupole misalignments).
    const orm = thomxOrm();
    const j = orm.corrector_index.indexOf(cor);
    const column = bpms.map((b) => orm['Rxx_h1e-7' as 'Rxx'][orm.bpm_index.indexOf(b)][j]);
    const measured = r.after.map((a, i) => (a - r.before[i]) / (step * CM_GAIN));
    const scale = Math.max(...column.map(Math.abs));
    const worst = Math.max(...measured.map((m, i) => Math.abs(m - column[i])));
    console.log(`orbit response over EPICS (pyepics) vs pyAT: worst ${worst.toExponential(2)} m/rad of ${scale.toFixed(2)} m/rad`);
    expect(worst).toBeLessThan(0.04 * scale);
    // Back to zero through EPICS.
    await pyepics(served.clientEnv, `epics.caput('TX:HCM01-2:SETI', 0.0, wait=True, timeout=5); print(1)`);
    await settledOn('HCM', new Float64Array(corElements().length));
  });

  it('mlayer --mode epics orbit measure-orm and orbit correct work against the virtual accelerator', async () => {
    const n = corElements().length;
    await settledOn('HCM', new Float64Array(n));
    await settledOn('VCM', new Float64Array(n));
    const out = join(dir, 'cli');
    const t0 = Date.now();
    const m = await cli(['--facility', served.overlay, '--mode', 'epics', '--yes', '--json', 'orbit', 'measure-orm', '--kick', '0.2A', '-o', join(out, 'orm.h5'), '--no-plots']);
    const tMeasure = Date.now() - t0;
    expect(m.code, m.stderr).toBe(0);
    const orm = await loadOrm(join(out, 'orm.h5'));
    expect(orm.units).toBe('hardware');
    // Measured through EPICS (m/A) against pyAT (m/rad) times the corrector gain.
    const ref = thomxOrm();
    const bpms = bpmElements();
    const cors = corElements();
    for (const [block, name] of [['Rxx', 'Rxx_h1e-7'], ['Ryy', 'Ryy_h1e-7']] as const) {
      const R = ref[name as 'Rxx'];
      let worst = 0;
      let scale = 0;
      bpms.forEach((b, i) =>
        cors.forEach((c, j) => {
          const expected = R[ref.bpm_index.indexOf(b)][ref.corrector_index.indexOf(c)] * CM_GAIN;
          scale = Math.max(scale, Math.abs(expected));
          worst = Math.max(worst, Math.abs(orm[block]![i][j] - expected));
        }),
      );
      console.log(`${block} measured over EPICS vs pyAT: worst ${worst.toExponential(2)} of ${scale.toExponential(2)} m/A`);
      expect(worst).toBeLessThan(0.04 * scale);
    }
    // Every corrector is back where it was, on the IOC and in the twin.
    await settledOn('HCM', new Float64Array(n));
    await settledOn('VCM', new Float64Array(n));
    // ThomX's correctors come in adjacent pairs (nearly equal columns): a measured matrix keeps 4 of its 8 modes.
    const c = await cli(['--facility', served.overlay, '--mode', 'epics', '--yes', '--json', 'orbit', 'correct', '--orm', join(out, 'orm.h5'), '--sv', '4', '-i', '3', '-a', '2', '-o', out, '--no-plots']);
    expect(c.code, c.stderr).toBe(0);
    const summary = JSON.parse(c.stdout.trim().split('\n').pop()!) as { rmsInitial: { x: number; y: number }; rmsFinal: { x: number; y: number } };
    // The reference: the orbit tool on --mode twin (same error set and seed) with the same measured matrix.
    const twin = await openEpicsMode(facilityFile, 'twin');
    try {
      twin.twin.applyErrors(parse(readFileSync(errors, 'utf8')), SEED);
      const a = await correctOrbit(twin, { orm, iterations: 3, average: 2, method: { type: 'svd', singularValues: 4 } });
      console.log(`measure-orm over EPICS ${tMeasure} ms; correction with it: rms x ${summary.rmsInitial.x.toExponential(2)} -> ${summary.rmsFinal.x.toExponential(2)} m (twin ${a.rmsFinal.x!.toExponential(2)}), y ${summary.rmsInitial.y.toExponential(2)} -> ${summary.rmsFinal.y.toExponential(2)} m (twin ${a.rmsFinal.y!.toExponential(2)})`);
      for (const p of ['x', 'y'] as const) {
        expect(summary.rmsInitial[p]).toBeCloseTo(a.rmsInitial[p]!, 5);
        // Same corrected rms within the reading noise.
        expect(Math.abs(summary.rmsFinal[p] - a.rmsFinal[p]!)).toBeLessThan(10 * BPM_NOISE);
        expect(summary.rmsFinal[p]).toBeLessThan(summary.rmsInitial[p] / 3);
      }
    } finally {
      await twin.close();
    }
    // The twin behind the IOC holds the correctors the correction set over EPICS.
    const sp = await live.family('HCM').get({ field: 'setpoint' });
    await eventually(async () => Array.from(await served.twin.family('HCM').get({ field: 'setpoint' })).every((v, i) => v === sp[i]), () => 'twin HCM set points differ from the IOC');
    expect(sp.some((v) => v !== 0)).toBe(true);
    // Fresh BPM data after each of the 48 steps (issue 14) make the measurement take 25-30 s here.
  }, 120_000);

  it('Ctrl-C during mlayer orbit measure-orm aborts it and restores every corrector (the CLI\'s SIGINT handler)', async () => {
    const zeros = new Float64Array(corElements().length);
    await live.family('HCM').set(zeros, { wait: true });
    await live.family('VCM').set(zeros, { wait: true });
    await settledOn('HCM', zeros);
    await settledOn('VCM', zeros);
    const run = cli(['--facility', served.overlay, '--mode', 'epics', '--yes', 'orbit', 'measure-orm', '--kick', '0.2A', '-o', join(dir, 'ctrl-c'), '--no-plots']);
    // Wait until the measurement has moved a corrector, then press Ctrl-C.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const moved = [...(await served.twin.family('HCM').get({ field: 'setpoint' })), ...(await served.twin.family('VCM').get({ field: 'setpoint' }))].some((v) => v !== 0);
      if (moved) break;
      if (Date.now() > deadline) throw new Error('the measurement never moved a corrector');
      await new Promise((r) => setTimeout(r, 20));
    }
    process.emit('SIGINT', 'SIGINT');
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SIGINT: aborting, restoring the setpoints changed so far/);
    expect(r.stderr).toMatch(/aborted/);
    // Every corrector is back at its starting value, on the IOC and in the twin.
    await settledOn('HCM', zeros, 5_000);
    await settledOn('VCM', zeros, 5_000);
  });

  it('corrects the orbit in --mode epics as in --mode twin with the same seed (model ORM)', async () => {
    const n = corElements().length;
    await live.family('HCM').set(new Float64Array(n), { wait: true });
    await live.family('VCM').set(new Float64Array(n), { wait: true });
    await settledOn('HCM', new Float64Array(n));
    await settledOn('VCM', new Float64Array(n));
    // The reference: the same facility in --mode twin with the same error set and seed.
    const twin = await openEpicsMode(facilityFile, 'twin');
    try {
      twin.twin.applyErrors(parse(readFileSync(errors, 'utf8')), SEED);
      // The EPICS accelerator has no lattice model: the model ORM comes from the reference's design model.
      // The 4 independent modes of ThomX's paired correctors (the near-degenerate pairs would amplify the reading noise).
      const options = { orm: 'model' as const, model: twin.model, iterations: 3, average: 2, method: { type: 'svd' as const, singularValues: 4 } };
      const a = await correctOrbit(twin, options);
      const t0 = Date.now();
      const b = await correctOrbit(live, options);
      const tCorrect = Date.now() - t0;
      for (const p of ['x', 'y'] as const) {
        const fa = a.final[p]!.values;
        const fb = b.final[p]!.values;
        const diff = Math.max(...fa.map((v, i) => Math.abs(v - fb[i])));
        console.log(`plane ${p}: rms ${a.rmsInitial[p]!.toExponential(2)} -> twin ${a.rmsFinal[p]!.toExponential(2)}, epics ${b.rmsFinal[p]!.toExponential(2)} m; largest BPM difference ${diff.toExponential(2)} m (noise ${BPM_NOISE} m); correction over EPICS ${tCorrect} ms`);
        expect(b.rmsInitial[p]).toBeCloseTo(a.rmsInitial[p]!, 5);
        // Same corrected orbit within the reading noise (three correction steps with 4 modes): below a micron,
        // against a 2e-4 m orbit before correction.
        expect(diff).toBeLessThan(10 * BPM_NOISE);
        expect(Math.abs(b.rmsFinal[p]! - a.rmsFinal[p]!)).toBeLessThan(0.1 * a.rmsFinal[p]!);
        expect(b.rmsFinal[p]!).toBeLessThan(a.rmsInitial[p]! / 3);
      }
      // Same corrector settings within what the noise moves them; the IOC and the twin behind it agree.
      for (const fam of ['HCM', 'VCM']) {
        const ta = await twin.family(fam).get({ field: 'setpoint' });
        const ioc = await live.family(fam).get({ field: 'setpoint' });
        await eventually(async () => Array.from(await served.twin.family(fam).get({ field: 'setpoint' })).every((v, i) => v === ioc[i]), () => `${fam}: twin set points differ from the IOC`);
        const scale = Math.max(...ta.map(Math.abs));
        const diff = Math.max(...ta.map((v, i) => Math.abs(v - ioc[i])));
        console.log(`${fam}: largest corrector difference epics vs twin ${diff.toExponential(2)} A of ${scale.toExponential(2)} A`);
        expect(diff).toBeLessThan(0.02 * scale);
      }
    } finally {
      await twin.close();
    }
  });

  it('a measurement while the IOC is killed and restarted completes or aborts, and leaves no corrector changed', async () => {
    // Start from zero correctors (the kicks then stay within the limits).
    const n = corElements().length;
    await live.family('HCM').set(new Float64Array(n), { wait: true });
    await live.family('VCM').set(new Float64Array(n), { wait: true });
    await settledOn('HCM', new Float64Array(n));
    await settledOn('VCM', new Float64Array(n));
    const hcm0 = await served.twin.family('HCM').get({ field: 'setpoint' });
    const vcm0 = await served.twin.family('VCM').get({ field: 'setpoint' });
    const restarts0 = served.restarts;
    const t0 = Date.now();
    let measured: OrbitResponseMatrix | undefined;
    const run = measureOrm(live, { kick: 0.2, average: 1 }).then(
      (orm) => {
        measured = orm;
        return 'completed';
      },
      (e: unknown) => `failed: ${(e as Error).message}`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const pid = served.ioc.pid;
    const stepped = await killWhileStepped(served, [...hcm0, ...vcm0]);
    const tKill = Date.now();
    await served.iocRunning();
    const tUp = Date.now() - tKill;
    expect(served.restarts).toBe(restarts0 + 1);
    expect(served.ioc.pid).not.toBe(pid);
    const outcome = await run;
    // It ran into the kill: it either rode through the restart or failed because of it (not for another reason).
    expect(outcome === 'completed' || /disconnected|timed? ?out|restor/i.test(outcome)).toBe(true);
    console.log(`measurement with the IOC killed ${tKill - t0} ms in (${stepped} corrector(s) stepped in the twin at that moment; supervisor restarted it in ${tUp} ms): ${outcome} after ${Date.now() - t0} ms`);
    if (measured) {
      // A measurement that rode through the restart must have measured right: the in-process twin's matrix within the noise.
      const twin = await openEpicsMode(facilityFile, 'twin');
      try {
        twin.twin.applyErrors(parse(readFileSync(errors, 'utf8')), SEED);
        const dev = ormDeviation(measured, await measureOrm(twin, { kick: 0.2, average: 1 }), BPM_NOISE, 0.2);
        console.log(`completed through the restart: largest difference from the in-process matrix ${dev.maxZ.toFixed(2)} sigma (${dev.where})`);
        expect(dev.maxZ).toBeLessThan(6);
      } finally {
        await twin.close();
      }
    }
    // Every corrector is where it was: on the IOC (set point and readback) and in the twin.
    await settledOn('HCM', hcm0);
    await settledOn('VCM', vcm0);
    // The restarted IOC serves the twin's orbit again.
    // (BPMs publish 10 Hz averages: the first average after the restore may still hold readings from before it.)
    let gap = Number.NaN;
    await eventually(
      async () => {
        const [x, truth] = await Promise.all([live.family('BPMx').get(), served.twin.family('BPMx').get()]);
        gap = Math.max(...x.map((v, i) => Math.abs(v - truth[i])));
        return gap < 10 * BPM_NOISE;
      },
      () => `the IOC's orbit is ${gap} m from the twin's`,
      5000,
    );
  });
});

describe('mlayer serve --protocol epics: a long IOC outage', () => {
  it('a measurement aborted by an outage longer than the client timeout restores its correctors once the IOC is back', async () => {
    const outage = await serveEpics({ facility: facilityFile, errors, seed: SEED, restartOnExit: false, overlay: join(dir, 'outage.epics.yaml') });
    const acc = await openEpicsMode(outage.overlay, 'epics');
    try {
      const hcm0 = await outage.twin.family('HCM').get({ field: 'setpoint' });
      const vcm0 = await outage.twin.family('VCM').get({ field: 'setpoint' });
      const t0 = Date.now();
      const run = measureOrm(acc, { kick: 0.2, average: 1 }).then(
        () => 'completed',
        (e: unknown) => `failed: ${(e as Error).message}`,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const atKill = await killWhileStepped(outage, [...hcm0, ...vcm0]);
      const tKill = Date.now() - t0;
      // Down for 6 s, longer than the 5 s client timeout: the measurement cannot ride through.
      await new Promise((r) => setTimeout(r, 6000));
      expect(outage.ioc.running).toBe(false);
      expect(outage.restarts).toBe(0);
      await outage.restartIoc();
      const outcome = await run;
      console.log(`measurement with a 6 s IOC outage ${tKill} ms in (${atKill} corrector(s) stepped in the twin then): ${outcome} after ${Date.now() - t0} ms`);
      expect(outcome).toMatch(/^failed: .*(timed? ?out|disconnected)/i);
      // Every corrector is back where it was, on the IOC (set point and readback) and in the twin.
      for (const [fam, v0] of [['HCM', hcm0], ['VCM', vcm0]] as const) {
        let last = '';
        await eventually(
          async () => {
            const [sp, rb, tw] = await Promise.all([acc.family(fam).get({ field: 'setpoint' }), acc.family(fam).get({ field: 'readback' }), outage.twin.family(fam).get({ field: 'setpoint' })]);
            last = `IOC ${Array.from(sp)}, readback ${Array.from(rb)}, twin ${Array.from(tw)}`;
            return Array.from(v0).every((v, i) => sp[i] === v && rb[i] === v && tw[i] === v);
          },
          () => `${fam}: ${last} vs ${Array.from(v0)}`,
        );
      }
    } finally {
      await acc.close();
      await outage.stop();
    }
  });
});

describe('mlayer serve --protocol epics (command line)', () => {
  it('serves until SIGINT, prints the client environment, and stops its IOC by PID', async () => {
    const overlay = join(dir, 'cli.epics.yaml');
    let stdout = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    let code: number | undefined;
    const running = main(['node', 'mlayer', '--facility', facilityFile, 'serve', '--protocol', 'epics', '--errors', errors, '--seed', String(SEED), '--settle', '0.3', '--overlay', overlay]).then((c) => (code = c));
    try {
      const deadline = Date.now() + 120_000;
      while (!stdout.includes('serving; Ctrl-C stops') && code === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      spy.mockRestore();
    }
    expect(code).toBeUndefined();
    expect(stdout).toContain(`error set ${errors}, seed ${SEED}`);
    expect(stdout).toContain('a put-callback on a set point completes 300 ms after the write');
    const port = /export EPICS_CA_SERVER_PORT=(\d+)/.exec(stdout)?.[1];
    const pid = Number(/IOC pid (\d+)/.exec(stdout)?.[1]);
    expect(port).toBeDefined();
    expect(port).not.toBe(String(served.ports.ca));
    const env = Object.fromEntries([...stdout.matchAll(/export (EPICS_CA_[A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    // A client configured with only the printed environment reads the twin's (error set, same seed) orbit.
    const x = (await pyepics(env, `print(json.dumps(epics.caget('TX:BPM01-1:SA:X', timeout=5)))`)) as number;
    const [truth] = await served.twin.family('BPMx').get();
    expect(Math.abs(x - truth)).toBeLessThan(10 * BPM_NOISE);
    process.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(0);
    // The IOC is gone (stopped by its PID); the other IOC of this file still serves.
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(served.ioc.running).toBe(true);
  });
});

describe('mlayer serve --protocol epics --pva', () => {
  it('serves the PVs over PV Access too (softIocPVA): a pva:// write reaches the twin; BPMy throttled to its updateRate', async () => {
    // The same facility with a BPMy update rate below the twin's 20 Hz.
    const doc = parse(readFileSync(facilityFile, 'utf8')) as { families: { BPMy: { fields: { monitor: { updateRate?: number } } } } };
    doc.families.BPMy.fields.monitor.updateRate = 5;
    const file = join(dir, 'pva-facility.yaml');
    writeFileSync(file, stringify(doc));
    const lines: string[] = [];
    const pva = await serveEpics({ facility: file, pva: true, overlay: join(dir, 'pva.epics.yaml'), log: (l) => lines.push(l) });
    expect(lines).toContain(`readbacks and monitors published at the twin's update rate, 20 Hz; ${bpmElements().length} at their fields' lower updateRate`);
    // Set points complete after two periods of the slowest rate (5 Hz) + 50 ms.
    expect(lines).toContain('a put-callback on a set point completes 450 ms after the write (the twin\'s orbit and readback are on the IOC by then)');
    const client = await openEpicsMode(pva.overlay, 'epics');
    try {
      expect(pva.clientEnv).toMatchObject({ EPICS_PVA_ADDR_LIST: '127.0.0.1', EPICS_PVA_SERVER_PORT: String(pva.ports.pva) });
      const cs = client.controlSystem;
      const [k] = await cs.read(['pva://TX:Q01-2:SETK']);
      expect(k.value).toBe((await pva.twin.family('QUAD').get({ field: 'setpoint' }))[1]);
      await cs.write([{ channel: 'pva://TX:HCM02-1:SETI', value: -1.25 }], { wait: true });
      await eventually(async () => (await pva.twin.family('HCM').get({ field: 'setpoint' }))[2] === -1.25, () => 'the twin did not follow the PVA write');
      await eventually(async () => (await cs.read(['pva://TX:HCM02-1:I']))[0].value === -1.25, () => 'the readback over PVA did not follow');
    } finally {
      await client.close();
      await pva.stop();
    }
  });
});
