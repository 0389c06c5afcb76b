/**
 * The global `--server URL`: a command runs unchanged against a real `mlayer server` process
 * (dist: build first). An orbit correction through the server, on the demo facility's twin
 * with an error set applied through the server, ends where the same command ends in process
 * on a twin given the same error set and seed (the twin's settings.errors of a copy of the
 * facility); `get BPMx` through the server reads the server's twin.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readMeasurement } from '@mlayer/data';
import { runCli } from '../in-process-cli.js';
import { PlainClient, startServerProcess, type ServerProcess } from '../../../server/test/system/server-process.js';

const DEMO = join(__dirname, '../../../../facilities/diamond-i04');
const dir = mkdtempSync(join(tmpdir(), 'mlayer-global-server-'));
const ERRORS = join(dir, 'errors.yaml');
const COPY = join(dir, 'facility');
const SEED = 5;
let server: ServerProcess;
let url: string;
const token = join(dir, 'token');

beforeAll(async () => {
  // Misalignments, BPM offsets and gains; no reading noise (its draws depend on how often the BPMs are read).
  writeFileSync(ERRORS, stringify({ magnets: { QUAD: { dx: { sigma: 30e-6, truncation: 2 }, dy: { sigma: 30e-6, truncation: 2 } } }, bpms: { BPMx: { offset: { sigma: 50e-6, truncation: 2 }, gain: 0.01 } } }));
  // The in-process twin: a copy of the demo facility whose twin starts with the same error set and seed.
  cpSync(DEMO, COPY, { recursive: true, filter: (src) => !src.includes(`${DEMO}/test`) });
  const config = parse(readFileSync(join(COPY, 'facility.yaml'), 'utf8')) as { controlSystems: { twin: Record<string, unknown> } };
  config.controlSystems.twin.settings = { errors: ERRORS, seed: SEED };
  writeFileSync(join(COPY, 'facility.yaml'), stringify(config));
  server = await startServerProcess(['-f', DEMO, '--allow-writes', '--token-file', token], dir);
  url = `ws://127.0.0.1:${server.info.port}`;
}, 60000);

afterAll(async () => {
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

it('orbit correct through --server gives the in-process setpoints and rms; get BPMx reads the server twin', async () => {
  const at = ['-f', DEMO, '--server', url];
  const applied = await runCli([...at, 'twin', 'errors', 'apply', ERRORS, '--seed', String(SEED), '--token-file', token]);
  expect(applied.code, applied.stderr).toBe(0);

  // get BPMx: the server's twin (its channels read with a plain client), and the in-process twin with the same errors.
  const got = await runCli([...at, '--json', 'get', 'BPMx']);
  expect(got.code, got.stderr).toBe(0);
  const remote = JSON.parse(got.stdout) as { values: number[]; units: string };
  const local = JSON.parse((await runCli(['-f', COPY, '--json', 'get', 'BPMx'])).stdout) as { values: number[] };
  expect(remote.values).toEqual(local.values);
  expect(Math.max(...remote.values.map(Math.abs))).toBeGreaterThan(0.1); // mm: the errors are there
  const c = await PlainClient.open(server.info.url);
  // The server's own reading of its twin (its Family.get, hardware units).
  const served = await c.request({ type: 'get', family: 'BPMx' });
  expect(served.units).toBe(remote.units);
  expect(served.values).toEqual(remote.values);
  c.close();

  // A mode the server does not serve is refused before anything is read.
  const wrong = await runCli([...at, '--mode', 'epics', 'get', 'BPMx']);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain(`--server ${url}: serves mode 'twin', not --mode 'epics'`);

  // No server there, or not a ws:// URL: one line naming --server, exit code 2.
  const none = await runCli(['-f', DEMO, '--server', 'ws://127.0.0.1:1', 'get', 'BPMx']);
  expect([none.code, none.stderr]).toEqual([2, "mlayer: --server ws://127.0.0.1:1: channel 'ws://127.0.0.1:1/pvws/pv': cannot connect\n"]);
  const http = await runCli(['-f', DEMO, '--server', 'http://127.0.0.1:1', 'get', 'BPMx']);
  expect([http.code, http.stderr]).toEqual([2, "mlayer: --server: 'http://127.0.0.1:1' is not a ws:// or wss:// URL\n"]);

  // orbit correct, model ORM, 2 iterations: no --yes needed (the server's twin is not online).
  const args = ['--json', 'orbit', 'correct', '--orm', 'model', '-i', '2', '--no-plots'];
  const viaServer = await runCli([...at, '--token-file', token, ...args, '-o', join(dir, 'remote')]);
  expect(viaServer.code, viaServer.stderr).toBe(0);
  const inProcess = await runCli(['-f', COPY, ...args, '-o', join(dir, 'local')]);
  expect(inProcess.code, inProcess.stderr).toBe(0);
  const r = JSON.parse(viaServer.stdout) as { status: string; iterations: number; rmsInitial: { x: number; y: number }; rmsFinal: { x: number; y: number } };
  const l = JSON.parse(inProcess.stdout) as typeof r;
  expect(r.iterations).toBe(2);
  expect(r.rmsInitial.x).toBeGreaterThan(3 * r.rmsFinal.x);
  expect({ status: r.status, iterations: r.iterations, rmsInitial: r.rmsInitial, rmsFinal: r.rmsFinal }).toEqual({ status: l.status, iterations: l.iterations, rmsInitial: l.rmsInitial, rmsFinal: l.rmsFinal });

  // Final corrector setpoints: the correction files of both runs hold the same; the server's twin keeps them.
  const setpoints = async (file: string): Promise<Record<string, number[]>> =>
    Object.fromEntries((await readMeasurement(file)).datasets.filter((d) => /^setpoints\/\w+\/after$/.test(d.path)).map((d) => [d.path.split('/')[1], Array.from(d.value as ArrayLike<number>)]));
  const sr = await setpoints((r as unknown as { files: string[] }).files[0]);
  const sl = await setpoints((l as unknown as { files: string[] }).files[0]);
  expect(Object.keys(sr).sort()).toEqual(['HSTR', 'VSTR']);
  expect(sr).toEqual(sl);
  // The server's twin keeps them: each written device reads back its final setpoint.
  for (const fam of ['HSTR', 'VSTR']) {
    const kept = JSON.parse((await runCli([...at, '--json', 'get', fam, '--field', 'setpoint'])).stdout) as { values: number[] };
    expect(kept.values.filter((v) => v !== 0).sort()).toEqual(sr[fam].filter((v) => v !== 0).sort());
  }
}, 180000);
