import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, take, toArray, timeout as rxTimeout } from 'rxjs';
import { OutOfLimitsError, TimeoutError, type ConnectionEvent, type Sample } from '@mlayer/core';
import { TangoControlSystem } from '../../src/tango-control-system.js';
import { TangoDevFailedError, TangoTimeoutError, TangoWriteRejectedError } from '../../src/errors.js';
import { registerAcceleratorServer, startAcceleratorServer, startTangoSystem, type TangoSystem } from '../../src/testing/index.js';

// The PyTango accelerator server (servers/MlayerAccel.py): Magnet and BPM
// devices on a private TANGO system; PyTango is the independent reference.
let system: TangoSystem;
let cs: TangoControlSystem;
const MAGNET = { CurrentMin: -5, CurrentMax: 5, WarningLevel: 3, AlarmLevel: 4.5, InitialCurrent: 0.5 };

async function pytango(code: string): Promise<unknown> {
  const out = await system.python(`import json, tango\n${code}`);
  return JSON.parse(out.trim().split('\n').pop() ?? 'null') as unknown;
}

beforeAll(async () => {
  system = await startTangoSystem();
  await registerAcceleratorServer(system, {
    instance: 'ring',
    magnets: [{ name: 'sr/mag/q1', properties: MAGNET }, { name: 'sr/mag/q2' }],
    bpms: [{ name: 'sr/bpm/1', properties: { AcquisitionRate: 20, OffsetX: 0.25, NumSamples: 8 } }],
  });
  await registerAcceleratorServer(system, { instance: 'restart', magnets: [{ name: 'sr/mag/r1', properties: MAGNET }] });
  await startAcceleratorServer(system, 'ring');
  cs = new TangoControlSystem({ name: 'ring', tangoHost: system.tangoHost });
});

afterAll(async () => {
  await cs?.close();
  await system?.stop();
});

describe('Magnet over TANGO', () => {
  it('writes the current with readback; PyTango sees it', async () => {
    await cs.write([{ channel: 'sr/mag/q1/Current', value: 2.5 }, { channel: 'sr/mag/q2/Current', value: -1.25 }], { wait: true });
    const ref = (await pytango("print(json.dumps([tango.DeviceProxy(n).read_attribute('Current').value for n in ('sr/mag/q1', 'sr/mag/q2')]))")) as number[];
    expect(ref).toEqual([2.5, -1.25]);
    const [q1, q2] = await cs.read(['sr/mag/q1/Current', 'sr/mag/q2/Current']);
    expect([q1.value, q2.value]).toEqual([2.5, -1.25]);
  });

  it('gives the limits and refuses a current outside them with OutOfLimitsError, writing nothing', async () => {
    const info = await cs.attributeInfo('sr/mag/q1/Current');
    expect(info.limits).toEqual([-5, 5]);
    expect(info.unit).toBe('A');
    await cs.write([{ channel: 'sr/mag/q1/Current', value: 1 }], { wait: true });
    const err = await cs.write([{ channel: 'sr/mag/q1/Current', value: 6 }], { wait: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfLimitsError);
    expect((err as OutOfLimitsError).limits).toEqual([-5, 5]);
    expect((err as Error).message).toMatch(/sr\/mag\/q1\/Current.*6.*API_WAttrOutsideLimit/);
    expect(await pytango("print(json.dumps(tango.DeviceProxy('sr/mag/q1').read_attribute('Current').value))")).toBe(1);
  });

  it('maps the attribute quality onto the alarm severity', async () => {
    const severities: [number, number, string][] = [];
    for (const current of [1, 3.5, 4.8, -4.8]) {
      await cs.write([{ channel: 'sr/mag/q1/Current', value: current }], { wait: true });
      const [s] = await cs.read(['sr/mag/q1/Current']);
      severities.push([s.value as number, s.severity, s.status]);
    }
    expect(severities).toEqual([
      [1, 0, 'NO_ALARM'],
      [3.5, 1, 'ATTR_WARNING'],
      [4.8, 2, 'ATTR_ALARM'],
      [-4.8, 2, 'ATTR_ALARM'],
    ]);
  });

  it('writes enums by label or index and names the labels on a wrong one', async () => {
    await cs.write([{ channel: 'sr/mag/q1/Mode', value: 'STANDBY' }], { wait: true });
    expect((await cs.read(['sr/mag/q1/Mode']))[0].value).toBe(2);
    await cs.write([{ channel: 'sr/mag/q1/Mode', value: 1 }], { wait: true });
    expect(await pytango("print(json.dumps(int(tango.DeviceProxy('sr/mag/q1').read_attribute('Mode').value)))")).toBe(1);
    const err = await cs.write([{ channel: 'sr/mag/q1/Mode', value: 'BOGUS' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoWriteRejectedError);
    expect((err as Error).message).toContain('OFF, ON, STANDBY');
  });

  it('checks the set point read back after a write with wait', async () => {
    await cs.write([{ channel: 'sr/mag/q1/Trim', value: 0.25 }], { wait: true });
    const err = await cs.write([{ channel: 'sr/mag/q1/Trim', value: 0.123 }], { wait: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoWriteRejectedError);
    expect((err as TangoWriteRejectedError).kind).toBe('ReadbackMismatch');
    expect((err as Error).message).toMatch(/wrote 0\.123 but the set point reads back 0\.12/);
    // Without wait the write is acknowledged and not read back.
    await cs.write([{ channel: 'sr/mag/q1/Trim', value: 0.456 }]);
    expect(await pytango("print(json.dumps(round(tango.DeviceProxy('sr/mag/q1').read_attribute('Trim').value, 9)))")).toBe(0.46);
  });

  it('runs commands and reports the server exception stack', async () => {
    expect(await cs.command('sr/mag/q2', 'SetCurrent', 1.75)).toBe(1.75);
    expect((await cs.read(['sr/mag/q2/Current']))[0].value).toBe(1.75);
    await cs.command('sr/mag/q2', 'Reset');
    expect((await cs.read(['sr/mag/q2/Current']))[0].value).toBe(0);
    const err = await cs.command('sr/mag/q2', 'SetCurrent', 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoDevFailedError);
    expect((err as Error).message).toMatch(/MAGNET_OutOfLimits: current 100 A outside \[-10, 10\] A \[Magnet\.SetCurrent\]/);
  });

  it('pushes a change event for every write', async () => {
    const received: Sample[] = [];
    const sub = cs.monitor('sr/mag/q2/Current').subscribe((s) => received.push(s));
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.length).toBe(1); // the value at subscription time
    for (const v of [0.1, 0.2, 0.3, 0.2]) await cs.write([{ channel: 'sr/mag/q2/Current', value: v }], { wait: true });
    while (received.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    expect(received.slice(1).map((s) => s.value)).toEqual([0.1, 0.2, 0.3, 0.2]);
    expect(received.every((s) => s.connected === true && s.severity === 0)).toBe(true);
  });
});

describe('timeouts', () => {
  it('times out a command and a read on a device that hangs, with the TANGO reason', async () => {
    const hang = cs.command('sr/mag/q2', 'Wait', 1.5, { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300)); // the server is inside Wait
    const err = await cs.read(['sr/mag/q2/Current'], { timeout: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).timeoutMs).toBe(300);
    expect((err as Error).message).toMatch(/read on 'sr\/mag\/q2\/Current' timed out after 300 ms.*API_DeviceTimedOut/);
    await hang;
    const err2 = await cs.command('sr/mag/q2', 'Wait', 1, { timeout: 200 }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(TangoTimeoutError);
    await new Promise((r) => setTimeout(r, 1000));
    // The device answers again once it is free.
    expect((await cs.read(['sr/mag/q2/Current'], { timeout: 3000 }))[0].connected).toBe(true);
  });
});

describe('BPM over TANGO', () => {
  it('reads the position spectrum and writes/reads the orbit buffer', async () => {
    const [position] = await cs.read(['sr/bpm/1/Position']);
    expect(position.value).toBeInstanceOf(Float64Array);
    const [x, y] = position.value as Float64Array;
    expect(Math.abs(x - 0.25)).toBeLessThanOrEqual(0.1 + 1e-12);
    expect(Math.abs(y)).toBeLessThanOrEqual(0.05 + 1e-12);
    const orbit = Float64Array.from({ length: 8 }, (_, i) => i * 0.125 - 0.5);
    await cs.write([{ channel: 'sr/bpm/1/Orbit', value: orbit }], { wait: true });
    expect(Array.from((await cs.read(['sr/bpm/1/Orbit']))[0].value as Float64Array)).toEqual(Array.from(orbit));
  });

  it('delivers every acquisition as an event (the counter has no gaps)', async () => {
    const counters = await firstValueFrom(cs.monitor('sr/bpm/1/Counter').pipe(take(12), toArray(), rxTimeout(20_000)));
    const values = counters.map((s) => s.value as number);
    for (let i = 2; i < values.length; i++) expect(values[i] - values[i - 1]).toBe(1);
    const positions = await firstValueFrom(cs.monitor('sr/bpm/1/Position', { eventType: 'archive' }).pipe(take(3), toArray(), rxTimeout(20_000)));
    for (const p of positions) expect((p.value as Float64Array).length).toBe(2);
  });
});

describe('device server restart', () => {
  it('resumes the same subscription after the server is killed and restarted', async () => {
    const server = await startAcceleratorServer(system, 'restart');
    const received: Sample[] = [];
    const connection: ConnectionEvent[] = [];
    const c = cs.connection$.pipe(filter((e) => e.channel === 'sr/mag/r1/Current')).subscribe((e) => connection.push(e));
    const sub = cs.monitor('sr/mag/r1/Current').subscribe({ next: (s) => received.push(s), error: (e: unknown) => received.push({ value: String(e), timestamp: 0, severity: 3, status: 'ERROR' }) });
    const waitFor = async (what: string, ok: () => boolean, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor('the first event', () => received.length > 0, 10_000);
      await cs.write([{ channel: 'sr/mag/r1/Current', value: 2 }], { wait: true });
      await waitFor('the event of the write', () => received.some((s) => s.value === 2), 10_000);

      await server.kill();
      await waitFor('the disconnected sample', () => received.some((s) => s.connected === false), 60_000);
      const lost = received.find((s) => s.connected === false) as Sample;
      expect(lost).toMatchObject({ status: 'DISCONNECTED', severity: 3, value: 2 });

      await system.startServer(server.spec);
      // The restarted server starts from InitialCurrent; a write from another client must reach us.
      await waitFor('the event after the restart', () => received.indexOf(lost) < received.length - 1, 60_000);
      await pytango("tango.DeviceProxy('sr/mag/r1').write_attribute('Current', 1.75); print('null')");
      await waitFor('the event of the write after the restart', () => received.some((s) => s.value === 1.75), 20_000);
      expect(received.filter((s) => s.status === 'ERROR')).toEqual([]);
      expect(connection.map((e) => e.connected)).toEqual([true, false, true]);
    } finally {
      sub.unsubscribe();
      c.unsubscribe();
    }
  }, 180_000);
});
