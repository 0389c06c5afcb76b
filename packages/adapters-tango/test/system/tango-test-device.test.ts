import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, take, toArray, timeout as rxTimeout } from 'rxjs';
import { AbortedError, DisconnectedError, WriteRejectedError, type ConnectionEvent, type Sample } from '@mlayer/core';
import { TangoClosedError, TangoControlSystem } from '../../src/tango-control-system.js';
import { TangoDisconnectedError, TangoNotFoundError, TangoWriteRejectedError } from '../../src/errors.js';
import { startTangoSystem, type TangoSystem } from '../../src/testing/index.js';

// Debian's TangoTest (sys/tg_test/1) on a private TANGO system; PyTango
// (Debian's python3-tango) is the independent reference client.
let system: TangoSystem;
let cs: TangoControlSystem;
const T = 'sys/tg_test/1/';

async function pytango(code: string): Promise<unknown> {
  const out = await system.python(`import json, tango\nd = tango.DeviceProxy('sys/tg_test/1')\n${code}`);
  return JSON.parse(out.trim().split('\n').pop() ?? 'null') as unknown;
}

beforeAll(async () => {
  system = await startTangoSystem();
  // Poll double_scalar every 100 ms so that the server sends periodic and change events.
  await system.python(`
import tango
db = tango.Database()
db.put_device_property('sys/tg_test/1', {'polled_attr': ['double_scalar', '100']})
db.put_device_attribute_property('sys/tg_test/1', {'double_scalar': {'event_period': ['200'], 'abs_change': ['0.000001']}})
`);
  await system.startTangoTest();
  cs = new TangoControlSystem({ name: 'tango-test', tangoHost: system.tangoHost, timeout: 3000 });
});

afterAll(async () => {
  await cs?.close();
  await system?.stop();
});

describe('TangoControlSystem on TangoTest: reads', () => {
  it('reads scalars of each kind with types, quality and server timestamps', async () => {
    const [d, l, s, b, state, status, u] = await cs.read([T + 'double_scalar', T + 'long_scalar', T + 'string_scalar', T + 'boolean_scalar', T + 'State', T + 'Status', T + 'uchar_scalar']);
    expect(typeof d.value).toBe('number');
    expect(Number.isInteger(l.value)).toBe(true);
    expect(typeof s.value).toBe('string');
    expect([0, 1]).toContain(b.value);
    expect(Number.isInteger(u.value)).toBe(true);
    const reference = (await pytango('print(json.dumps([str(d.state()), d.status()]))')) as [string, string];
    expect(state.value).toBe(reference[0]);
    expect(status.value).toBe(reference[1]);
    for (const x of [d, l, s, b, state, status, u]) {
      expect(x.severity).toBe(0);
      expect(x.status).toBe('NO_ALARM');
      expect(Math.abs(x.timestamp - Date.now() / 1000)).toBeLessThan(30);
    }
  });

  it('reads spectra as Float64Array with the dimension PyTango sees', async () => {
    const [spectrum] = await cs.read([T + 'double_spectrum_ro']);
    const dimX = (await pytango("print(json.dumps(d.read_attribute('double_spectrum_ro').dim_x))")) as number;
    expect(spectrum.value).toBeInstanceOf(Float64Array);
    expect((spectrum.value as Float64Array).length).toBe(dimX);
  });

  it('batches many channels over several devices and keeps their order', async () => {
    const channels = Array.from({ length: 40 }, (_, i) => (i % 2 ? T + 'string_scalar' : T + 'State'));
    channels.push(T + 'double_spectrum_ro');
    const samples = await cs.read(channels);
    expect(samples).toHaveLength(41);
    samples.slice(0, 40).forEach((s, i) => expect(s.value).toBe(i % 2 ? samples[1].value : 'RUNNING'));
    expect(samples[40].value).toBeInstanceOf(Float64Array);
  });

  it('names a missing attribute, even inside a batch with valid ones', async () => {
    const err = await cs.read([T + 'double_scalar', T + 'no_such_attribute']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoNotFoundError);
    expect(err).toBeInstanceOf(DisconnectedError);
    expect((err as TangoNotFoundError).what).toBe('attribute');
    expect((err as Error).message).toContain('sys/tg_test/1/no_such_attribute');
    expect((err as Error).message).toContain('API_AttrNotFound');
  });

  it('names a device missing from the database', async () => {
    const err = await cs.read(['sys/tg_test/99/double_scalar']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoNotFoundError);
    expect((err as TangoNotFoundError).what).toBe('device');
    expect((err as Error).message).toMatch(/DB_DeviceNotDefined.*sys\/tg_test\/99/);
  });

  it('reports a registered device whose server is not running as disconnected', async () => {
    await system.registerServer('TangoTest', 'stopped', [{ name: 'sys/tg_test/stopped', class: 'TangoTest' }]);
    const events: ConnectionEvent[] = [];
    const sub = cs.connection$.subscribe((e) => events.push(e));
    const err = await cs.read(['sys/tg_test/stopped/double_scalar']).catch((e: unknown) => e);
    sub.unsubscribe();
    expect(err).toBeInstanceOf(TangoDisconnectedError);
    expect((err as Error).message).toMatch(/API_DeviceNotExported|API_CantConnectToDevice/);
    expect(events).toContainEqual(expect.objectContaining({ channel: 'sys/tg_test/stopped/double_scalar', connected: false }));
  });

  it('rejects at once when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(cs.read([T + 'double_scalar'], { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('TangoControlSystem on TangoTest: writes and commands', () => {
  it('writes scalars, strings and spectra; PyTango reads the set points back', async () => {
    await cs.write(
      [
        { channel: T + 'double_scalar', value: 3.25 },
        { channel: T + 'long_scalar', value: -42 },
        { channel: T + 'string_scalar', value: 'written by mlayer' },
        { channel: T + 'double_spectrum', value: new Float64Array([1.5, -2.5, 1e-9]) },
        { channel: T + 'boolean_scalar', value: 0 },
      ],
      { wait: true },
    );
    const reference = (await pytango(
      "print(json.dumps([d.read_attribute('double_scalar').w_value, d.read_attribute('long_scalar').w_value, d.read_attribute('string_scalar').value, list(d.read_attribute('double_spectrum').value), bool(d.read_attribute('boolean_scalar').value)]))",
    )) as [number, number, string, number[], boolean];
    expect(reference).toEqual([3.25, -42, 'written by mlayer', [1.5, -2.5, 1e-9], false]);
    const [spectrum, text] = await cs.read([T + 'double_spectrum', T + 'string_scalar']);
    expect(Array.from(spectrum.value as Float64Array)).toEqual([1.5, -2.5, 1e-9]);
    expect(text.value).toBe('written by mlayer');
  });

  it('reads what PyTango wrote', async () => {
    await pytango("d.write_attribute('string_scalar', 'from pytango'); d.write_attribute('double_spectrum', [7.0, 8.0]); print('null')");
    const [text, spectrum] = await cs.read([T + 'string_scalar', T + 'double_spectrum']);
    expect(text.value).toBe('from pytango');
    expect(Array.from(spectrum.value as Float64Array)).toEqual([7, 8]);
  });

  it('refuses read-only attributes, wrong types and non-integral integers without writing', async () => {
    const before = (await pytango("print(json.dumps(d.read_attribute('long_scalar').w_value))")) as number;
    const cases: [string, number | string][] = [
      [T + 'short_scalar_ro', 1],
      [T + 'long_scalar', 1.5],
      [T + 'long_scalar', 'text'],
      [T + 'short_scalar', 70000],
    ];
    for (const [channel, value] of cases) {
      const err = await cs.write([{ channel, value }], { wait: true }).catch((e: unknown) => e);
      expect(err, `${channel} = ${value}`).toBeInstanceOf(TangoWriteRejectedError);
      expect(err).toBeInstanceOf(WriteRejectedError);
      expect((err as Error).message).toContain(channel);
    }
    expect(await pytango("print(json.dumps(d.read_attribute('long_scalar').w_value))")).toBe(before);
  });

  it('runs commands with typed arguments and results', async () => {
    expect(await cs.command('sys/tg_test/1', 'DevDouble', 2.5)).toBe(2.5);
    expect(await cs.command('sys/tg_test/1', 'DevLong', -7)).toBe(-7);
    expect(await cs.command('sys/tg_test/1', 'DevBoolean', true)).toBe(true);
    expect(await cs.command('sys/tg_test/1', 'DevString', 'echo')).toBe('echo');
    expect(Array.from((await cs.command('sys/tg_test/1', 'DevVarDoubleArray', [1, 2.5, -3])) as Float64Array)).toEqual([1, 2.5, -3]);
    expect(await cs.command('sys/tg_test/1', 'DevVarStringArray', ['a', 'b'])).toEqual(['a', 'b']);
    expect(await cs.command('sys/tg_test/1', 'State')).toBe('RUNNING');
    expect(await cs.command(`tango://${system.tangoHost}/sys/tg_test/1`, 'DevVoid')).toBeUndefined();
    const err = await cs.command('sys/tg_test/1', 'NoSuchCommand').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoNotFoundError);
    expect((err as TangoNotFoundError).what).toBe('command');
  });
});

describe('TangoControlSystem on TangoTest: events', () => {
  it('receives periodic events of a polled attribute', async () => {
    const samples = await firstValueFrom(
      cs.monitor(T + 'double_scalar', { eventType: 'periodic' }).pipe(take(4), toArray(), rxTimeout(15_000)),
    );
    for (const s of samples) expect(typeof s.value).toBe('number');
    for (let i = 1; i < samples.length; i++) expect(samples[i].timestamp).toBeGreaterThan(samples[i - 1].timestamp);
  });

  it('receives change events of a polled attribute with an abs_change criterion', async () => {
    const samples: Sample[] = await firstValueFrom(
      cs.monitor(T + 'double_scalar', { eventType: 'change' }).pipe(filter((s) => s.connected !== false), take(3), toArray(), rxTimeout(15_000)),
    );
    expect(new Set(samples.map((s) => s.value)).size).toBeGreaterThan(1);
  });

  it('errors the stream with a typed error for a missing attribute', async () => {
    const err = await firstValueFrom(cs.monitor(T + 'no_such_attribute')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TangoNotFoundError);
  });
});

describe('TangoControlSystem.close', () => {
  it('completes the monitor streams and refuses further calls', async () => {
    const other = new TangoControlSystem({ tangoHost: system.tangoHost });
    let completed = false;
    const values: Sample[] = [];
    other.monitor(T + 'double_scalar', { eventType: 'periodic' }).subscribe({ next: (s) => values.push(s), complete: () => (completed = true) });
    const deadline = Date.now() + 10_000;
    while (values.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(values.length).toBeGreaterThan(0);
    await other.close();
    expect(completed).toBe(true);
    await expect(other.read([T + 'double_scalar'])).rejects.toBeInstanceOf(TangoClosedError);
  });
});
