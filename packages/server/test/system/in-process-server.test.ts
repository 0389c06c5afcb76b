/**
 * The server in this process on core's example ring (in-memory channels standing for the
 * IOCs), on a free loopback port, driven by plain WebSocket clients: a put that fails in its
 * second family (an IOC's own limit, tighter than the facility's) puts the first back; a
 * client that stops reading is disconnected while the others are served.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import type { MemoryControlSystem } from '@mlayer/core/testing';
import { ringAccelerator } from '../../../core/test/helpers.js';
import { startServer, type RunningServer } from '../../src/index.js';
import { PlainClient } from './server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-inproc-'));

describe('mlayer server in process (example ring, in-memory channels)', () => {
  let acc: Accelerator;
  let cs: MemoryControlSystem;
  let server: RunningServer;
  let token: string;
  const log: string[] = [];

  beforeAll(async () => {
    ({ acc, cs } = await ringAccelerator('sim', true));
    // A measurement file of 1 MiB for the client that stops reading.
    writeFileSync(join(dir, 'big.h5'), Buffer.alloc(1024 * 1024, 7));
    server = await startServer({
      acc,
      facility: acc.facility,
      host: '127.0.0.1',
      port: 0,
      allowWrites: true,
      tokenFile: join(dir, 'token'),
      auditFile: join(dir, 'audit.jsonl'),
      dataDir: dir,
      limits: { maxBufferedBytes: 64 * 1024 },
      log: (l) => log.push(l),
    });
    token = readFileSync(join(dir, 'token'), 'utf8').trim();
  });

  afterAll(async () => {
    await server?.stop();
    await acc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a put whose second family fails (the IOC refuses a value within the facility limits) puts the first family back; the error says so', async () => {
    const c = await PlainClient.open(server.url);
    expect(await c.request({ type: 'put', writes: [{ pv: 'SR01-HCM-01:SP', value: 1 }, { pv: 'SR-QF-QF1:SP', value: 100 }, { pv: 'SR-QF-QF2:SP', value: 100 }], token })).toMatchObject({ type: 'done' });
    // The QF2 supply's own limit (DRVH) is 150 A; the facility allows 200 A.
    cs.define('SR-QF-QF2:SP', 100, { limits: [0, 150] });
    const r = await c.request({
      type: 'put',
      writes: [{ pv: 'SR01-HCM-01:SP', value: 3 }, { pv: 'SR02-HCM-01:SP', value: 4 }, { pv: 'SR-QF-QF1:SP', value: 120 }, { pv: 'SR-QF-QF2:SP', value: 180 }],
      token,
      tool: 'restore.test',
    });
    expect(r.type).toBe('error');
    expect(r.message).toMatch(/^put of 4 channels failed: .*SR-QF-QF2:SP.*180 outside the server limits \[0, 150\].*; HCM, QF put back to their setpoints before the put$/);
    expect(Array.from(await acc.family('HCM').get({ field: 'setpoint' }))).toEqual([1, 0, 0, 0]);
    expect(Array.from(await acc.family('QF').get({ field: 'setpoint' }))).toEqual([100, 100]);
    // HCM was written (3, 4) and put back: both in the audit log.
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((a) => String(a.tool).startsWith('restore.test'));
    expect(audit.map((a) => [a.family, a.new])).toEqual([
      ['HCM', [3, 4]],
      ['HCM', [1, 0]],
      ['QF', [100, 100]],
    ]);
    c.close();
  });

  it("PVWS's protocol prefixes (ca://, pva://, as cs-web-lib names channels) name the same channel: updates carry the name subscribed", async () => {
    const c = await PlainClient.open(server.url);
    c.send({ type: 'subscribe', pvs: ['ca://SR02-HCM-01:SP', 'pva://SR-QF-QF1:SP'] });
    expect(await c.next((m) => m.pv === 'ca://SR02-HCM-01:SP', 0)).toMatchObject({ type: 'update', value: 0, units: 'A' });
    expect(await c.next((m) => m.pv === 'pva://SR-QF-QF1:SP', 0)).toMatchObject({ type: 'update', value: 100 });
    expect(await c.request({ type: 'read', pvs: ['ca://SR-QF-QF1:SP'] })).toMatchObject({ samples: [{ pv: 'ca://SR-QF-QF1:SP', value: 100 }] });
    c.send({ type: 'subscribe', pvs: ['xyz://SR02-HCM-01:SP'] });
    expect((await c.next((m) => m.type === 'error')).message).toMatch(/unknown channel 'xyz:\/\/SR02-HCM-01:SP'/);
    c.close();
  });

  it('a client that stops reading is disconnected when its unsent data pass the limit; the others are served meanwhile', async () => {
    const other = await PlainClient.open(server.url);
    other.send({ type: 'subscribe', pvs: ['SR01-HCM-01:SP'] });
    await other.next((m) => m.type === 'update' && m.pv === 'SR01-HCM-01:SP');
    const slow = await PlainClient.open(server.url);
    await new Promise((r) => setTimeout(r, 100));
    const before = server.clients();
    slow.ws.pause();
    // Each reply is 1.4 MB of base64: the socket's buffers fill, then the server's queue passes 64 KiB.
    for (let i = 0; i < 20; i++) slow.send({ type: 'file-read', name: 'big.h5', length: 1024 * 1024 });
    const deadline = Date.now() + 10000;
    while (server.clients() >= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(server.clients()).toBe(before - 1);
    expect(log.some((l) => /bytes unsent \(limit 65536\): it stopped reading; disconnected$/.test(l))).toBe(true);
    // The other client is still served: a write shows in its subscription.
    other.send({ type: 'write', pv: 'SR01-HCM-01:SP', value: 2.5, token });
    await other.next((m) => m.type === 'update' && m.pv === 'SR01-HCM-01:SP' && m.value === 2.5);
    other.close();
    slow.ws.terminate();
  });
});
