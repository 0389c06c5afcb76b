/**
 * `mlayer server` as a process (the CLI's dist: build first), on the demo facility's twin,
 * on a free loopback port, killed by PID: a plain WebSocket client speaking PVWS messages,
 * the security refusals, bad input, and the twin's state across SIGKILL.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlainClient, serverProcesses, type ServerProcess } from './server-process.js';

const HCM1 = 'SR01A-PC-HSTR-01:SETI';
const HCM2 = 'SR01A-PC-HSTR-02:SETI';
const dir = mkdtempSync(join(tmpdir(), 'mlayer-server-'));
const { start, killAll } = serverProcesses(dir);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setpoints(c: PlainClient): Promise<number[]> {
  const r = await c.request({ type: 'get', family: 'HCM', field: 'setpoint', devices: [[1, 1], [1, 2]] });
  return r.values as number[];
}

afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('mlayer server with --allow-writes and --state (twin)', () => {
  let server: ServerProcess;
  let token: string;
  const state = join(dir, 'twin-state.json');
  const args = ['--allow-writes', '--token-file', join(dir, 'token'), '--audit', join(dir, 'audit.jsonl'), '--state', state, '--max-message', '16384'];

  beforeAll(async () => {
    // The demo facility names no data folder: ./out of the working directory.
    mkdirSync(join(dir, 'out', 'chrom-1'), { recursive: true });
    writeFileSync(join(dir, 'out', 'orbit-20261205T000000Z.h5'), 'HDF');
    writeFileSync(join(dir, 'out', 'chrom-1', 'scan.h5'), 'HDF5');
    writeFileSync(join(dir, 'secret.h5'), 'no');
    server = await start(args);
    token = readFileSync(server.info.tokenFile!, 'utf8').trim();
  });

  it('a PVWS client subscribes and gets updates: metadata first, then values; a write with the token shows in the next update', async () => {
    expect(statSync(server.info.tokenFile!).mode & 0o777).toBe(0o600);
    const c = await PlainClient.open(server.info.url);
    c.send({ type: 'subscribe', pvs: [HCM1, 'SR01C-DI-EBPM-01:SA:X'] });
    const first = await c.next((m) => m.type === 'update' && m.pv === HCM1);
    expect(first).toMatchObject({ value: 0, severity: 'NONE', units: 'A', min: -5, max: 5, readonly: false, description: 'HSTR SR01A-PC-HSTR-01 setpoint' });
    expect(Number.isInteger(first.seconds) && Number.isInteger(first.nanos)).toBe(true);
    const bpm = await c.next((m) => m.type === 'update' && m.pv === 'SR01C-DI-EBPM-01:SA:X');
    expect(bpm).toMatchObject({ readonly: true, units: 'mm' });
    expect(typeof bpm.value).toBe('number');
    // The metadata is not repeated.
    const second = await c.next((m) => m.type === 'update' && m.pv === HCM1 && m !== first);
    expect(second.units).toBeUndefined();
    // cs-web-lib's PVWS client subscribes to PVWS's simulated heartbeat first.
    c.send({ type: 'subscribe', pvs: ['sim://flipflop(29.929)'] });
    expect(await c.next((m) => m.pv === 'sim://flipflop(29.929)')).toMatchObject({ type: 'update', value: 0, readonly: true });
    c.send({ type: 'clear', pvs: ['sim://flipflop(29.929)'] });
    c.send({ type: 'list' });
    expect((await c.next((m) => m.type === 'list')).pvs).toEqual([HCM1, 'SR01C-DI-EBPM-01:SA:X']);
    c.send({ type: 'write', pv: HCM1, value: 0.25, token, tool: 'server.test' });
    await c.next((m) => m.type === 'update' && m.pv === HCM1 && m.value === 0.25);
    c.send({ type: 'clear', pvs: [HCM1] });
    c.send({ type: 'list' });
    const from = c.messages.length;
    expect((await c.next((m) => m.type === 'list', from)).pvs).toEqual(['SR01C-DI-EBPM-01:SA:X']);
    c.close();
  });

  it('500 channel writes within 100 ms: at most 2 batches and 2 model computations in the twin; a subscriber to every BPM sees the orbit before or after a change of two families, never half of it', async () => {
    const c = await PlainClient.open(server.info.url);
    const devices = (name: string) => c.request({ type: 'devices', family: name }).then((r) => (r.devices as { channels: Record<string, string> }[]).map((d) => d.channels));
    const hstr = (await devices('HSTR')).slice(0, 100).map((ch) => ch.setpoint);
    const htrim = (await devices('HTRIM')).map((ch) => ch.setpoint);
    const bpms = (await devices('BPMx')).map((ch) => ch.monitor);
    // A subscriber to every horizontal BPM: the twin computes the orbit for it at every tick after a change.
    const s = await PlainClient.open(server.info.url);
    s.send({ type: 'subscribe', pvs: bpms });
    await s.next((m) => m.type === 'update' && m.pv === bpms.at(-1));
    await sleep(300);
    const info = () => s.request({ type: 'info' }) as Promise<{ writeBatches: number; channelWrites: number; modelComputations: { orbit: number } }>;
    const before = await info();
    const auditBefore = readFileSync(server.info.auditFile, 'utf8').split('\n').length;
    // 500 writes sent at once (serialised beforehand): they leave within a few ms on an idle machine.
    const burst = Array.from({ length: 500 }, (_, i) => JSON.stringify({ type: 'write', pv: hstr[i % 100], value: (i + 1) * 1e-3, token, tool: 'burst' }));
    const t0 = performance.now();
    for (const m of burst) c.send(m);
    const span = performance.now() - t0;
    const all = await c.request({ type: 'get', family: 'HCM', field: 'setpoint' });
    await sleep(300);
    const after = await info();
    expect(after.channelWrites).toBe(before.channelWrites + 500);
    // Within 100 ms: at most 2 batches and 2 computations. A loaded machine may take longer to send
    // them: a burst gathered for at most 100 ms, one batch per started 100 ms, one more at most.
    const most = span <= 100 ? 2 : Math.ceil(span / 100) + 1;
    const batches = after.writeBatches - before.writeBatches;
    const computed = after.modelComputations.orbit - before.modelComputations.orbit;
    expect({ span: Math.round(span), batches, computed }).toEqual({ span: Math.round(span), batches: expect.toSatisfy((n: number) => n >= 1 && n <= most), computed: expect.toSatisfy((n: number) => n >= 1 && n <= most) });
    // Device k was written last with (400 + k + 1) mA.
    expect((all.values as number[]).slice(0, 100).map((v) => Math.round(v * 1e3))).toEqual(Array.from({ length: 100 }, (_, k) => 401 + k));
    expect(readFileSync(server.info.auditFile, 'utf8').split('\n').length - auditBefore).toBe(500);

    // Two families changed in one request (a put: HSTR, then HTRIM, inside the twin's batch, as a
    // coalesced burst is): the BPMs show the orbit before or after both, nothing between.
    const orbit = async () => new Map(((await s.request({ type: 'read', pvs: bpms })).samples as { pv: string; value: number }[]).map((x) => [x.pv, x.value]));
    const o0 = await orbit();
    const mark = s.messages.length;
    const writes = [...hstr.map((pv, k) => ({ pv, value: -k * 2e-3 })), ...htrim.map((pv, k) => ({ pv, value: 0.1 + k * 1e-3 }))];
    expect(await c.request({ type: 'put', writes, token, tool: 'burst' })).toMatchObject({ type: 'done' });
    await sleep(300);
    const o1 = await orbit();
    const last = await info();
    // One change, one computation of the orbit: none from half of it.
    expect(last.modelComputations.orbit - after.modelComputations.orbit).toBe(1);
    const seen = s.messages.slice(mark).filter((m) => m.type === 'update' && typeof m.value === 'number') as { pv: string; value: number }[];
    expect(seen.filter((u) => u.value !== o0.get(u.pv) && u.value !== o1.get(u.pv))).toEqual([]);
    expect(seen.filter((u) => u.value === o1.get(u.pv) && u.value !== o0.get(u.pv)).length).toBeGreaterThan(bpms.length / 2);
    s.close();
    // Back to zero for the tests that follow.
    expect(await c.request({ type: 'set', family: 'HCM', values: 0, token })).toMatchObject({ type: 'done' });
    expect(await c.request({ type: 'set', family: 'HTRIM', values: 0, token })).toMatchObject({ type: 'done' });
    c.close();
  });

  it('HTTP: lists and downloads the measurement files of the data folder, never a file outside it', async () => {
    const base = `http://127.0.0.1:${server.info.port}`;
    const list = (await (await fetch(`${base}/files`)).json()) as { files: { name: string; size: number }[] };
    expect(list.files.map((f) => [f.name, f.size])).toEqual([['chrom-1/scan.h5', 4], ['orbit-20261205T000000Z.h5', 3]]);
    const got = await fetch(`${base}/files/chrom-1/scan.h5`);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="scan.h5"');
    expect(await got.text()).toBe('HDF5');
    for (const bad of ['/files/..%2Fsecret.h5', '/files/%2E%2E/secret.h5', '/files/nope.h5']) expect((await fetch(`${base}${bad}`)).status).toBe(404);
    expect((await fetch(`${base}/pvws/info`)).status).toBe(200);
  });

  it('refuses writes without a token, with a wrong one, and connections from a foreign origin or with a wrong bearer: nothing changes', async () => {
    const c = await PlainClient.open(server.info.url);
    const before = await setpoints(c);
    c.send({ type: 'write', pv: HCM2, value: 1 });
    expect((await c.next((m) => m.type === 'error')).message).toMatch(/no write token.*nothing was written/);
    const from = c.messages.length;
    c.send({ type: 'write', pv: HCM2, value: 1, token: 'x'.repeat(64) });
    expect((await c.next((m) => m.type === 'error', from)).message).toMatch(/wrong write token/);
    const r = await c.request({ type: 'set', family: 'HCM', values: [2, 2], devices: [[1, 1], [1, 2]], token: 'nope' });
    expect(r).toMatchObject({ type: 'error' });
    await expect(PlainClient.open(server.info.url, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(PlainClient.open(server.info.url, { headers: { authorization: 'Bearer wrong' } })).rejects.toThrow('HTTP 401');
    // DNS rebinding: a foreign name pointing at 127.0.0.1, its page's origin the same name.
    const rebound = `evil.example:${server.info.port}`;
    await expect(PlainClient.open(server.info.url, { headers: { host: rebound }, origin: `http://${rebound}` })).rejects.toThrow('HTTP 403');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get({ host: '127.0.0.1', port: server.info.port, path: '/files', headers: { host: rebound } }, (res) => (res.resume(), resolve(res.statusCode))).on('error', reject);
    });
    expect(status).toBe(403);
    // Same origin (a browser page served by this server) is accepted.
    (await PlainClient.open(server.info.url, { origin: `http://127.0.0.1:${server.info.port}` })).close();
    expect(await setpoints(c)).toEqual(before);
    // Limits stay in Family.set: out of limits is refused with the token too.
    const out = await c.request({ type: 'set', family: 'HCM', values: [99], devices: [[1, 2]], token });
    expect(out.type).toBe('error');
    expect(await setpoints(c)).toEqual(before);
    const audit = readFileSync(server.info.auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((a) => a.tool === 'server.test');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ channel: HCM1, family: 'HSTR', old: 0, new: 0.25, units: 'A', tool: 'server.test' });
    c.close();
  });

  it('bad input: malformed JSON, unknown types, unknown channels, huge subscriptions get an error; an oversized message disconnects; the others are served', async () => {
    const other = await PlainClient.open(server.info.url);
    other.send({ type: 'subscribe', pvs: [HCM2] });
    await other.next((m) => m.type === 'update' && m.pv === HCM2);
    const c = await PlainClient.open(server.info.url);
    c.send('{"type": "subscribe", ');
    expect((await c.next((m) => m.type === 'error')).message).toMatch(/^malformed JSON/);
    let from = c.messages.length;
    c.send({ type: 'bogus' });
    expect((await c.next((m) => m.type === 'error', from)).message).toMatch(/unknown message type "bogus"; known: subscribe, clear, write/);
    from = c.messages.length;
    c.send({ type: 'write', pv: 'NO:SUCH:PV', value: 1, token });
    expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ pv: 'NO:SUCH:PV', message: "write: unknown channel 'NO:SUCH:PV'; nothing was written" });
    from = c.messages.length;
    c.send({ type: 'subscribe', pvs: Array.from({ length: 1001 }, (_, i) => `X${i}`) });
    expect((await c.next((m) => m.type === 'error', from)).message).toBe('subscribe: 1001 channels in one message (at most 1000); nothing subscribed');
    c.send({ type: 'list' });
    expect((await c.next((m) => m.type === 'list')).pvs).toEqual([]);
    c.send({ type: 'echo', body: 'x'.repeat(20000) });
    await new Promise((r) => c.ws.once('close', r));
    expect(c.closeCode).toBe(1009);
    const n = other.messages.length;
    await other.next((m) => m.type === 'update' && m.pv === HCM2, n);
    other.close();
  });

  it('keeps setpoints and the error set across SIGKILL (--state)', async () => {
    const c = await PlainClient.open(server.info.url);
    const spec = { bpms: { BPMx: { offset: { sigma: 50e-6, truncation: 2 } } } };
    expect(await c.request({ type: 'twin-errors', spec, seed: 7, token })).toMatchObject({ type: 'done' });
    expect(await c.request({ type: 'set', family: 'HCM', values: [0.5, -0.75], units: 'hardware', devices: [[1, 1], [1, 2]], token, tool: 'server.test' })).toMatchObject({ type: 'done' });
    const bpm = (await c.request({ type: 'get', family: 'BPMx' })).values as number[];
    c.close();
    expect(await server.kill('SIGKILL')).toBe(null);
    server = await start(args);
    expect(server.info.restored).toBe(true);
    const d = await PlainClient.open(server.info.url);
    expect(await setpoints(d)).toEqual([0.5, -0.75]);
    expect(await d.request({ type: 'twin-state' })).toMatchObject({ seed: 7, errors: spec });
    expect((await d.request({ type: 'get', family: 'BPMx' })).values).toEqual(bpm);
    d.close();
    expect(await server.kill('SIGTERM')).toBe(0);
  });
});

describe('mlayer server without --allow-writes', () => {
  it('refuses every write, whatever the token, and nothing changes', async () => {
    const server = await start([]);
    expect(server.info.tokenFile).toBe(null);
    const c = await PlainClient.open(server.info.url);
    const before = await setpoints(c);
    c.send({ type: 'write', pv: HCM1, value: 1, token: 'anything' });
    expect((await c.next((m) => m.type === 'error')).message).toBe(`write ${HCM1}: refused: the server was started without --allow-writes; nothing was written`);
    expect((await c.request({ type: 'set', family: 'HCM', values: 1 })).message).toMatch(/without --allow-writes/);
    expect(await setpoints(c)).toEqual(before);
    c.close();
  });
});
