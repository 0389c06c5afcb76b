import type { ConnectionEvent, Sample } from '@mlayer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestIoc, type TestIoc } from '../epics-fixture.js';

/** Resolve when `pred` holds, polling every 20 ms; reject after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - start;
}

describe('EPICS adapter: IOC killed and restarted during a monitor', () => {
  let t: TestIoc;
  beforeAll(async () => {
    t = await startTestIoc([{ name: 'R:X', type: 'double', initial: 1 }], {
      dbText: 'record(calc, "R:TICK") { field(SCAN, ".1 second") field(INPA, "R:TICK NPP") field(CALC, "A+1") }\n',
      pva: true,
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the same subscription resumes after the restart, with only a disconnected sample in between', async () => {
    const samples: Sample[] = [];
    const errors: unknown[] = [];
    let completed = false;
    const events: ConnectionEvent[] = [];
    const ev = t.cs.connection$.subscribe((e) => events.push(e));
    const sub = t.cs.monitor('R:TICK').subscribe({ next: (s) => samples.push(s), error: (e) => errors.push(e), complete: () => (completed = true) });
    await until(() => samples.length >= 5, 5000, 'monitor updates');

    await t.ioc.kill('SIGKILL'); // a crash: no clean shutdown
    await until(() => samples.some((s) => s.connected === false), 5000, 'a disconnected sample');
    const down = samples.findIndex((s) => s.connected === false);
    expect(samples[down]).toMatchObject({ status: 'DISCONNECTED', severity: 3, connected: false });
    expect(events.some((e) => e.channel === 'ca://R:TICK' && !e.connected)).toBe(true);

    await sleep(500);
    await t.ioc.restart();
    // Generous limits: they only stop a test that would otherwise hang (no timing claim).
    await until(() => samples.length > down + 1, 30_000, 'monitor resumption after the restart');
    await until(() => samples.length > down + 5, 30_000, 'further updates');
    sub.unsubscribe();
    ev.unsubscribe();

    // After the restart the counter starts again from 0, on the same subscription.
    const after = samples.slice(down + 1);
    expect(after.every((s) => s.connected === true)).toBe(true);
    // (the very first update after iocInit may still carry the UDF alarm of a not yet processed record)
    expect(after[after.length - 1].severity).toBe(0);
    expect(after[0].value as number).toBeLessThan(samples[down - 1].value as number);
    expect(samples.filter((s) => s.connected === false)).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(completed).toBe(false);
    expect(events.filter((e) => e.channel === 'ca://R:TICK').map((e) => e.connected)).toEqual([true, false, true]);
  });

  it('a PVA monitor resumes too', async () => {
    const samples: Sample[] = [];
    const errors: unknown[] = [];
    const sub = t.cs.monitor('pva://R:TICK').subscribe({ next: (s) => samples.push(s), error: (e) => errors.push(e) });
    await until(() => samples.length >= 3, 5000, 'PVA monitor updates');
    await t.ioc.kill('SIGKILL');
    await until(() => samples.some((s) => s.connected === false), 5000, 'a disconnected PVA sample');
    const down = samples.findIndex((s) => s.connected === false);
    await t.ioc.restart();
    await until(() => samples.length > down + 3, 5000, 'PVA monitor resumption after the restart');
    sub.unsubscribe();
    expect(samples.slice(down + 1).every((s) => s.connected === true)).toBe(true);
    expect(samples.filter((s) => s.connected === false)).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('reads and writes work again after the restart', async () => {
    await t.cs.write([{ channel: 'R:X', value: 5.5 }], { wait: true });
    expect((await t.cs.read(['R:X']))[0].value).toBe(5.5);
    await t.ioc.kill('SIGKILL');
    const err = await t.cs.read(['R:X'], { timeout: 500 }).catch((e: unknown) => e);
    expect((err as Error).name).toMatch(/TimeoutError|DisconnectedError/);
    await t.ioc.restart();
    const [x] = await t.cs.read(['R:X'], { timeout: 5000 });
    expect(x.value).toBe(1); // the restarted IOC starts from the database's initial value
  });
});
