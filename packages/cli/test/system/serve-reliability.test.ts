import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreeIocPorts } from '@mlayer/adapters-epics';
import { serveEpics } from '@mlayer/virtual-accelerator';
import { epicsFacilityFile, pyepics } from '../serve-epics-fixture.js';
import { openMode } from '../serve-fixture.js';
import { DIAMOND, checkBuilt, processesTagged, spawnMlayer, straysAfter } from '../serve-process.js';

// `mlayer serve` starts and stops reliably: 20 starts and stops in a row (a small
// facility, realistic timing on) raise no unhandled rejection and leave no IOC; the
// command honours EPICS_CAS_SERVER_PORT so that a client configured as for the real
// machine (EPICS_CA_ADDR_LIST, EPICS_CA_SERVER_PORT) finds it; a failure at start
// exits non-zero with one clear line and leaves no process behind; the demo
// facility's Q1D quadrupoles, whose devices have different limits (one family, one
// TANGO server), serve over TANGO at their design currents.

const dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-reliability-'));
const facility = epicsFacilityFile(dir);
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => {
  rejections.push(reason);
};

beforeAll(() => {
  checkBuilt();
  process.on('unhandledRejection', onRejection);
});

afterAll(() => {
  process.off('unhandledRejection', onRejection);
});

/** True while a process of that PID exists. */
const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('mlayer serve starts and stops reliably', () => {
  it('20 starts and stops in a row (EPICS, ramps and latency on): no unhandled rejection, no IOC left', async () => {
    const times: number[] = [];
    for (let k = 0; k < 20; k++) {
      const t0 = Date.now();
      const served = await serveEpics({ facility, overlay: join(dir, `run${k}.yaml`), timing: { latency: [0.01, 0.05], rampRate: 5, bpmRate: 20 } });
      const pid = served.ioc.pid;
      expect(alive(pid)).toBe(true);
      // Something in flight at the stop: a client write through the latency queue and a ramp.
      await served.hardware.write([{ channel: served.channels.find((c) => c.field === 'setpoint' && c.family === 'HCM')!.twin, value: 0.1 * (k % 3) }]);
      await served.stop();
      expect(alive(pid)).toBe(false);
      times.push(Date.now() - t0);
    }
    await new Promise((r) => setTimeout(r, 200));
    console.log(`20 starts and stops: ${times.reduce((a, b) => a + b, 0)} ms in all, slowest ${Math.max(...times)} ms`);
    expect(rejections).toEqual([]);
  }, 300_000);

  it('the CA server port comes from EPICS_CAS_SERVER_PORT: a client set up as for the real machine finds it; SIGTERM ends it with no process left', async () => {
    const { ca } = await findFreeIocPorts();
    const p = spawnMlayer(['--facility', facility, 'serve', '--protocol', 'epics', '--overlay', join(dir, 'port.yaml')], { ...process.env, EPICS_CAS_SERVER_PORT: String(ca) });
    try {
      await p.line(/^serving; Ctrl-C stops/, 120_000);
      const env = { EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_SERVER_PORT: String(ca) };
      const value = await pyepics(env, `print(json.dumps(epics.caget('TX:HCM01-1:SETI', timeout=10)))`);
      expect(typeof value).toBe('number');
      expect(p.output()).toContain(`EPICS_CA_SERVER_PORT=${ca}`);
      // The tag reaches the children (the command, the softIoc, its caRepeater): the check for strays can see them.
      expect(processesTagged(p.tag).length).toBeGreaterThanOrEqual(3);
    } finally {
      const exit = await p.stop();
      expect(exit.code).toBe(0);
      expect(await straysAfter(p.tag)).toEqual([]);
    }
  }, 180_000);

  it('a failure at start (the CA port taken) exits non-zero with one clear line and no process left', async () => {
    const { ca } = await findFreeIocPorts();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(ca, '0.0.0.0', r));
    try {
      const p = spawnMlayer(['--facility', facility, 'serve', '--protocol', 'epics', '--port', String(ca), '--overlay', join(dir, 'taken.yaml')]);
      const exit = await Promise.race([p.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(exit).not.toBe('hung');
      expect((exit as { code: number }).code).not.toBe(0);
      expect(p.output()).toMatch(new RegExp(`^mlayer: .*--port=${ca}: the port is in use`, 'm'));
      expect(await straysAfter(p.tag)).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 120_000);

  it('a TANGO failure at start (no database at --tango-host) exits non-zero, clearly, with no process left', async () => {
    const { ca: closed } = await findFreeIocPorts();
    const p = spawnMlayer(['--facility', facility, 'serve', '--protocol', 'tango', '--tango-host', `127.0.0.1:${closed}`, '--overlay', join(dir, 'nodb.yaml')]);
    const exit = await Promise.race([p.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 120_000))]);
    if (exit === 'hung') await p.stop();
    expect(exit).not.toBe('hung');
    expect((exit as { code: number }).code).not.toBe(0);
    expect(p.output()).toMatch(/^mlayer: .*(register|database|DB_DeviceNotDefined|connect)/im);
    expect(await straysAfter(p.tag)).toEqual([]);
  }, 180_000);

  it('the demo facility dipole supply (design 1422 A, limits [0, 1400]) serves over EPICS at its design value, with a warning, not clamped to the drive limit', async () => {
    const p = spawnMlayer(['--facility', DIAMOND, 'serve', '--protocol', 'epics', '--families', 'BB', '--overlay', join(dir, 'bb.epics.yaml')]);
    try {
      await p.line(/^serving; Ctrl-C stops/, 120_000);
      const warning = p.output().split('\n').find((l) => l.startsWith('warning: BB:'));
      expect(warning).toMatch(/outside the facility's limits \[0, 1400\]/);
      // The client environment the command prints (export EPICS_CA_...=...).
      const env = Object.fromEntries(p.output().split('\n').flatMap((l) => {
        const m = /^ {2}export (EPICS_CA_\w+)=(.*)$/.exec(l);
        return m ? [[m[1], m[2]]] : [];
      }));
      const [value, drvh] = (await pyepics(env, `print(json.dumps([epics.caget('SR-PC-DIPOL-01:SETI', timeout=10), epics.caget('SR-PC-DIPOL-01:SETI.DRVH', timeout=10)]))`)) as [number, number];
      console.log(`dipole over EPICS: SR-PC-DIPOL-01:SETI = ${value} A (DRVH ${drvh}); ${warning}`);
      expect(value).toBeGreaterThan(1400);
    } finally {
      const exit = await p.stop();
      expect(exit.code).toBe(0);
      expect(await straysAfter(p.tag)).toEqual([]);
    }
  }, 180_000);

  it('the demo facility serves its Q1D quadrupoles over TANGO: each device has its own limits, the design currents (up to 204 A, limits [0, 200] or [0, 250]) are served and writable within them', async () => {
    const p = spawnMlayer(['--facility', DIAMOND, 'serve', '--protocol', 'tango', '--families', 'Q1D', '--overlay', join(dir, 'q1d.tango.yaml')]);
    try {
      await p.line(/^serving; Ctrl-C stops/, 300_000);
      expect(p.output()).not.toMatch(/did not start|API_WAttrOutsideLimit/);
      const [live, twin] = await Promise.all([openMode(join(dir, 'q1d.tango.yaml'), 'tango'), openMode(DIAMOND, 'twin')]);
      try {
        const q = live.family('Q1D');
        const served = await q.get({ field: 'setpoint' });
        const design = await twin.family('Q1D').get({ field: 'setpoint' });
        expect(Array.from(served)).toEqual(Array.from(design));
        // SR08A-PC-Q1D-10 runs at 200.1 A within its own limits [0, 250]; its neighbours in the family have [0, 200].
        const k = q.names.indexOf('SR08A-PC-Q1D-10');
        expect(q.limits[k]).toEqual([0, 250]);
        expect(served[k]).toBeGreaterThan(200);
        const one = q.devices([q.deviceList[k]]);
        await one.set(220, { wait: true });
        expect((await one.get({ field: 'setpoint' }))[0]).toBe(220);
        await one.set(design[k], { wait: true });
        console.log(`Q1D over TANGO: design currents ${Array.from(design, (v) => v.toFixed(1)).join(', ')} A served; ${q.names[k]} written to 220 A within its limits [0, 250]`);
      } finally {
        await Promise.all([live.close(), twin.close()]);
      }
    } finally {
      const exit = await p.stop();
      expect(exit.code).toBe(0);
      expect(await straysAfter(p.tag)).toEqual([]);
    }
  }, 400_000);
});
