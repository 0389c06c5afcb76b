import { AlarmSeverity, type Sample } from '@mlayer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestIoc, type TestIoc } from '../epics-fixture.js';

describe('EPICS adapter over PV Access (real softIocPVA)', () => {
  let t: TestIoc;
  beforeAll(async () => {
    t = await startTestIoc(
      [
        { name: 'P:X', type: 'double', initial: 2.5, units: 'mm', alarm: { hihi: 10, high: 5 } },
        { name: 'P:WF', type: 'double', length: 200, initial: [1, 2, 3] },
        { name: 'P:S', type: 'string', initial: 'pva' },
      ],
      { pva: true, dbText: 'record(calc, "P:TICK") { field(SCAN, ".1 second") field(INPA, "P:TICK NPP") field(CALC, "A+1") }\n' },
    );
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('gets scalars, strings and arrays with alarm and Unix timestamps', async () => {
    const [x, s, wf] = await t.cs.read(['pva://P:X', 'pva://P:S', 'pva://P:WF']);
    expect(x.value).toBe(2.5);
    expect(x.severity).toBe(AlarmSeverity.NO_ALARM);
    expect(Math.abs(x.timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(s.value).toBe('pva');
    expect(Array.from(wf.value as Float64Array)).toEqual([1, 2, 3]);
  });

  it('puts values and reads them back, also over CA', async () => {
    await t.cs.write([{ channel: 'pva://P:X', value: 3.75 }], { wait: true });
    expect((await t.cs.read(['pva://P:X']))[0].value).toBe(3.75);
    const data = Float64Array.from({ length: 200 }, (_, i) => i / 4);
    await t.cs.write([{ channel: 'pva://P:WF', value: data }], { wait: true });
    expect(Array.from((await t.cs.read(['pva://P:WF']))[0].value as Float64Array)).toEqual(Array.from(data));
    expect((await t.cs.read(['ca://P:X']))[0].value).toBe(3.75);
  });

  it('reports alarms from QSRV (severity and the status text in alarm.message)', async () => {
    await t.cs.write([{ channel: 'pva://P:X', value: 11 }], { wait: true });
    const [x] = await t.cs.read(['pva://P:X']);
    expect(x.severity).toBe(AlarmSeverity.MAJOR);
    expect(x.status).toBe('HIHI');
    await t.cs.write([{ channel: 'pva://P:X', value: 0 }], { wait: true });
  });

  it('monitors a PV at the server rate and sees puts', async () => {
    const ticks: Sample[] = [];
    const sub = t.cs.monitor('pva://P:TICK').subscribe((s) => ticks.push(s));
    const xs: Sample[] = [];
    const subX = t.cs.monitor('pva://P:X').subscribe((s) => xs.push(s));
    await sleep(1500);
    await t.cs.write([{ channel: 'pva://P:X', value: 4.5 }], { wait: true });
    await sleep(500);
    sub.unsubscribe();
    subX.unsubscribe();
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    const values = ticks.map((s) => s.value as number);
    for (let i = 1; i < values.length; i++) expect(values[i] - values[i - 1]).toBe(1);
    expect(xs[xs.length - 1].value).toBe(4.5);
    expect(xs[xs.length - 1].severity).toBe(AlarmSeverity.NO_ALARM);
  });
});
