import { AlarmSeverity, TimeoutError, WriteRejectedError, type Sample } from '@mlayer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpicsControlSystem, type IocChannelDescription } from '../../src/index.js';
import { settingsFor, sleep, startTestIoc, type TestIoc } from '../epics-fixture.js';

const channels: IocChannelDescription[] = [
  { name: 'T:X', type: 'double', units: 'A', precision: 3, initial: 1.5, alarm: { hihi: 10, high: 5, low: -5, lolo: -10 } },
  { name: 'T:WF', type: 'double', length: 200, initial: [1, 2, 3] },
  { name: 'T:UC', type: 'uchar', length: 4, initial: [200, 255, 0, 7] },
  { name: 'T:UC1', type: 'uchar', initial: 201 },
  { name: 'T:L', type: 'long', initial: -123456 },
  { name: 'T:S', type: 'string', initial: 'hello' },
  { name: 'T:E', type: 'enum', states: ['Off', 'On', 'Standby'], initial: 2 },
  ...Array.from({ length: 50 }, (_, i): IocChannelDescription => ({ name: `T:B${i}`, type: 'double', initial: i * 0.5 })),
];

// A setpoint whose processing completes 1 s later: its forward link runs a calcout
// with an output delay (ODLY), which writes the readback when the delay is over.
const slowDb = `
record(ao, "T:SLOW") { field(FLNK, "T:SLOW:DLY") }
record(calcout, "T:SLOW:DLY") { field(INPA, "T:SLOW NPP") field(CALC, "A") field(ODLY, "1.0") field(OUT, "T:SLOW:RB PP") }
record(ao, "T:SLOW:RB") { field(PINI, "YES") }
record(calc, "T:TICK") { field(SCAN, ".1 second") field(INPA, "T:TICK NPP") field(CALC, "A+1") }
`;

describe('EPICS adapter over Channel Access (real softIoc)', () => {
  let t: TestIoc;
  beforeAll(async () => {
    t = await startTestIoc(channels, { dbText: slowDb });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('reads scalars with units-free values, alarm fields and Unix timestamps', async () => {
    const [x, l, s, e] = await t.cs.read(['T:X', 'T:L', 'ca://T:S', 'T:E']);
    expect(x.value).toBe(1.5);
    expect(l.value).toBe(-123456);
    expect(s.value).toBe('hello');
    expect(e.value).toBe(2);
    expect(x.severity).toBe(AlarmSeverity.NO_ALARM);
    expect(x.status).toBe('NO_ALARM');
    // EPICS epoch (1990) converted to Unix seconds: the IOC processed the record moments ago.
    expect(Math.abs(x.timestamp - Date.now() / 1000)).toBeLessThan(60);
  });

  it('writes and reads back numbers and strings', async () => {
    await t.cs.write([
      { channel: 'T:X', value: 2.25 },
      { channel: 'T:S', value: 'world' },
      { channel: 'T:L', value: 42 },
    ], { wait: true });
    const [x, s, l] = await t.cs.read(['T:X', 'T:S', 'T:L']);
    expect(x.value).toBe(2.25);
    expect(s.value).toBe('world');
    expect(l.value).toBe(42);
  });

  it('a put with wait resolves only when the delayed processing completed', async () => {
    await t.cs.write([{ channel: 'T:SLOW', value: 0 }], { wait: true, timeout: 5000 });
    await t.cs.write([{ channel: 'T:SLOW', value: 7 }], { wait: true, timeout: 5000 });
    const [rb] = await t.cs.read(['T:SLOW:RB']);
    expect(rb.value).toBe(7); // the delayed output (ODLY = 1 s) already happened when the write resolved

    // Without wait the write returns at once, before the delayed output.
    await t.cs.write([{ channel: 'T:SLOW', value: 9 }]);
    const [early] = await t.cs.read(['T:SLOW:RB']);
    expect(early.value).toBe(7);
    await sleep(1500);
    const [late] = await t.cs.read(['T:SLOW:RB']);
    expect(late.value).toBe(9);
  });

  it('a put with wait shorter than the processing times out with a clear error', async () => {
    const err = await t.cs.write([{ channel: 'T:SLOW', value: 3 }], { wait: true, timeout: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain("'ca://T:SLOW'");
    await sleep(1200);
  });

  it('raises HIHI/HIGH/LOLO alarms with severity and status', async () => {
    const cases: [number, AlarmSeverity, string][] = [
      [11, AlarmSeverity.MAJOR, 'HIHI'],
      [6, AlarmSeverity.MINOR, 'HIGH'],
      [-6, AlarmSeverity.MINOR, 'LOW'],
      [-11, AlarmSeverity.MAJOR, 'LOLO'],
      [0, AlarmSeverity.NO_ALARM, 'NO_ALARM'],
    ];
    for (const [v, sev, status] of cases) {
      await t.cs.write([{ channel: 'T:X', value: v }], { wait: true });
      const [s] = await t.cs.read(['T:X']);
      expect([s.value, s.severity, s.status]).toEqual([v, sev, status]);
    }
  });

  it('keeps NaN and infinities, in scalars and in arrays', async () => {
    await t.cs.write([{ channel: 'T:X', value: Number.POSITIVE_INFINITY }], { wait: true });
    expect((await t.cs.read(['T:X']))[0].value).toBe(Number.POSITIVE_INFINITY);
    await t.cs.write([{ channel: 'T:X', value: Number.NaN }], { wait: true });
    expect(Number.isNaN((await t.cs.read(['T:X']))[0].value)).toBe(true);
    await t.cs.write([{ channel: 'T:WF', value: Float64Array.of(1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) }], { wait: true });
    const [wf] = await t.cs.read(['T:WF']);
    expect(Array.from(wf.value as Float64Array)).toEqual([1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    await t.cs.write([{ channel: 'T:X', value: 0 }], { wait: true });
  });

  it('decodes and encodes unsigned chars (0..255)', async () => {
    const [uc, one] = await t.cs.read(['T:UC', 'T:UC1']);
    expect(Array.from(uc.value as Float64Array)).toEqual([200, 255, 0, 7]);
    expect(one.value).toBe(201); // a 1-element (NELM 1) channel reads as a scalar
    await t.cs.write([{ channel: 'T:UC', value: Float64Array.of(250, 128, 1, 255) }], { wait: true });
    expect(Array.from((await t.cs.read(['T:UC']))[0].value as Float64Array)).toEqual([250, 128, 1, 255]);
    const err = await t.cs.write([{ channel: 'T:UC', value: Float64Array.of(256) }], { wait: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteRejectedError);
  });

  it('round-trips 200-element waveforms, and a 1-element array stays an array', async () => {
    const data = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i / 10) * 1e3);
    await t.cs.write([{ channel: 'T:WF', value: data }], { wait: true });
    const [wf] = await t.cs.read(['T:WF']);
    expect(wf.value).toBeInstanceOf(Float64Array);
    expect(Array.from(wf.value as Float64Array)).toEqual(Array.from(data));

    await t.cs.write([{ channel: 'T:WF', value: Float64Array.of(42) }], { wait: true });
    const [single] = await t.cs.read(['T:WF']);
    expect(single.value).toBeInstanceOf(Float64Array);
    expect(Array.from(single.value as Float64Array)).toEqual([42]);
  });

  it('reads a batch concurrently and returns the samples in order', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `T:B${49 - i}`);
    const samples = await t.cs.read(names);
    expect(samples.map((s) => s.value)).toEqual(names.map((_, i) => (49 - i) * 0.5));
  });

  it('a missing PV times out with an error naming it; the rest of the batch is not blocked forever', async () => {
    const err = await t.cs.read(['T:X', 'T:NO_SUCH_PV'], { timeout: 800 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).channel).toBe('ca://T:NO_SUCH_PV');
    expect((err as Error).message).toMatch(/connecting .* 'ca:\/\/T:NO_SUCH_PV' timed out after 800 ms/);
    const w = await t.cs.write([{ channel: 'T:NO_SUCH_PV', value: 1 }], { timeout: 300 }).catch((e: unknown) => e);
    expect(w).toBeInstanceOf(TimeoutError);
  });

  it('rejects a read aborted through its signal', async () => {
    const ac = new AbortController();
    const p = t.cs.read(['T:ALSO_MISSING'], { timeout: 10000, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(/aborted/);
  });

  it('monitors follow the server scan rate (10 Hz) and are shared per channel', async () => {
    const a: Sample[] = [];
    const b: Sample[] = [];
    const m1 = t.cs.monitor('T:TICK');
    expect(t.cs.monitor('ca://T:TICK')).toBe(m1);
    const s1 = m1.subscribe((s) => a.push(s));
    const s2 = m1.subscribe((s) => b.push(s));
    // Every update of the 10 Hz counter arrives, each one count more than the last (no timing window:
    // the limit only stops a test that would hang).
    for (const deadline = Date.now() + 30_000; a.length < 15 && Date.now() < deadline; ) await sleep(50);
    s1.unsubscribe();
    s2.unsubscribe();
    expect(a.length).toBeGreaterThanOrEqual(15);
    const values = a.map((s) => s.value as number);
    for (let i = 1; i < values.length; i++) expect(values[i] - values[i - 1]).toBe(1);
    expect(b.map((s) => s.value)).toEqual(a.map((s) => s.value));
  });

  it('throttles monitors when asked', async () => {
    const cs = await EpicsControlSystem.create('throttled', settingsFor(t.ioc, { monitorThrottle: 500 }));
    try {
      const got: Sample[] = [];
      const sub = cs.monitor('T:TICK').subscribe((s) => got.push(s));
      const first = (await t.cs.read(['T:TICK']))[0].value as number;
      // Until the server's counter has advanced by 20 updates (at 10 Hz, 2 s), however long that takes here.
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        if (((await t.cs.read(['T:TICK']))[0].value as number) >= first + 20) break;
        await sleep(50);
      }
      sub.unsubscribe();
      // Throttled: far fewer samples than updates, and consecutive samples skip counts (one per 500 ms window,
      // leading and trailing), whatever the load on this machine.
      const values = got.map((s) => s.value as number);
      const span = values[values.length - 1] - values[0];
      expect(got.length).toBeGreaterThanOrEqual(2);
      expect(span).toBeGreaterThanOrEqual(15);
      expect(got.length).toBeLessThanOrEqual(span / 2);
    } finally {
      await cs.close();
    }
  });

  it('monitors a 200-element waveform', async () => {
    const got: Sample[] = [];
    const sub = t.cs.monitor('T:WF').subscribe((s) => got.push(s));
    await sleep(300);
    const data = Float64Array.from({ length: 200 }, (_, i) => i * 2);
    await t.cs.write([{ channel: 'T:WF', value: data }], { wait: true });
    await sleep(300);
    sub.unsubscribe();
    const last = got[got.length - 1];
    expect(Array.from(last.value as Float64Array)).toEqual(Array.from(data));
  });
});
