/**
 * The client adapter against a real `mlayer server` process (the CLI's dist: build first):
 * read, write, monitor, reconnection and resubscription after the server is killed and
 * started again on the same port; an orbit correction through the server equals the
 * in-process one on the demo facility's twin.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { firstValueFrom, filter } from 'rxjs';
import { ControlSystemRegistry, createAccelerator, loadFacility, type Sample } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { correctOrbit } from '@mlayer/orbit';
import { loadAccelerator } from '@mlayer/cli';
import { UnitConversionRegistry } from '@mlayer/core';
import { WsControlSystem } from '../../src/index.js';
import { PlainClient, serverProcesses } from '../../../server/test/system/server-process.js';

const FACILITY = join(__dirname, '../../../../facilities/diamond-i04');
const HCM1 = 'SR01A-PC-HSTR-01:SETI';
const dir = mkdtempSync(join(tmpdir(), 'mlayer-ws-'));
const { start, killAll } = serverProcesses(dir);

afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('WsControlSystem against mlayer server', () => {
  it('reads, writes, monitors; after a SIGKILL and a restart on the same port it reconnects and resubscribes', async () => {
    const args = ['--allow-writes', '--token-file', join(dir, 'token'), '--state', join(dir, 'state.json')];
    let server = await start(args);
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const cs = await WsControlSystem.connect(server.info.url, { token, tool: 'ws.test', reconnectMs: 200 });
    expect(cs.online).toBe(false);
    expect(cs.immediate).toBe(true);
    const samples: Sample[] = [];
    const sub = cs.monitor(HCM1).subscribe((s) => samples.push(s));
    await cs.write([{ channel: HCM1, value: 0.125 }], { wait: true });
    expect((await cs.read([HCM1]))[0].value).toBe(0.125);
    await firstValueFrom(cs.monitor(HCM1).pipe(filter((s) => s.value === 0.125)));
    await expect(cs.write([{ channel: HCM1, value: 50 }])).rejects.toThrow(/limit/);
    expect((await cs.read([HCM1]))[0].value).toBe(0.125);
    await server.kill('SIGKILL');
    await firstValueFrom(cs.monitor(HCM1).pipe(filter((s) => s.connected === false)));
    server = await start([...args, '--listen', `127.0.0.1:${server.info.port}`]);
    const n = samples.length;
    await firstValueFrom(cs.monitor(HCM1).pipe(filter((s) => s.connected !== false && s.value === 0.125)));
    await new Promise((r) => setTimeout(r, 300));
    expect(samples.slice(n).some((s) => s.value === 0.125)).toBe(true);
    expect(cs.connections).toBe(2);
    sub.unsubscribe();
    await cs.close();
  });

  it('an orbit correction through the server gives the setpoints of the in-process one (demo twin, same error set)', async () => {
    const spec = { magnets: { QUAD: { dx: { sigma: 30e-6, truncation: 2 }, dy: { sigma: 30e-6, truncation: 2 } } } };
    const seed = 11;
    const options = { orm: 'model' as const, iterations: 1, method: { type: 'svd' as const, threshold: 1e-3 } };
    // In process.
    const local = await loadAccelerator(FACILITY, { mode: 'twin' });
    local.twin.applyErrors(spec, seed);
    const rLocal = await correctOrbit(local, options);
    const hLocal = await local.family('HCM').get();
    const vLocal = await local.family('VCM').get();
    await local.close();
    // Through the server.
    const server = await start(['--allow-writes', '--token-file', join(dir, 'token2')]);
    const token = readFileSync(join(dir, 'token2'), 'utf8').trim();
    const c = await PlainClient.open(server.info.url);
    expect(await c.request({ type: 'twin-errors', spec, seed, token })).toMatchObject({ type: 'done' });
    c.close();
    const cs = await WsControlSystem.connect(server.info.url, { token, tool: 'orbit correct' });
    const facility = loadFacility(join(FACILITY, 'facility.yaml'));
    const controlSystems = new ControlSystemRegistry().register({ type: 'twin', description: 'the server', online: false, settingsSchema: z.any(), create: () => cs });
    const conversions = new UnitConversionRegistry();
    registerCalibration(conversions);
    const lattice = facility.resolvePath(facility.config.lattice!.file);
    const remote = await createAccelerator({ facility, mode: 'twin', controlSystems, conversions, model: () => createLatticeModel(loadLattice(lattice)) });
    const rRemote = await correctOrbit(remote, options);
    const hRemote = await remote.family('HCM').get();
    const vRemote = await remote.family('VCM').get();
    await remote.close();
    expect(rRemote.status).toBe(rLocal.status);
    expect(Array.from(hRemote)).toEqual(Array.from(hLocal));
    expect(Array.from(vRemote)).toEqual(Array.from(vLocal));
    expect(Math.max(...Array.from(hLocal, Math.abs))).toBeGreaterThan(1e-3);
  }, 120000);
});
