/**
 * `mlayer twin faults add|list|clear` (in process) against a real `mlayer server` process (dist: build first):
 * a stuck steerer seen on its channels through the server, the faults kept in the --state file
 * and restored by a server started again on it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { startServerProcess, type ServerProcess } from '../../../server/test/system/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-faults-'));
let server: ServerProcess | undefined;

// The CLI in this process (the server is a process of its own: it is restarted on its state file).
const mlayer = runCli;

afterAll(async () => {
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

it('injects faults through the server (token needed), lists them, keeps them in the state file across a restart, clears them', async () => {
  const state = join(dir, 'state.json');
  const token = ['--token-file', join(dir, 'token')];
  server = await startServerProcess(['--allow-writes', ...token, '--state', state], dir);
  let at = ['--server', `ws://127.0.0.1:${server.info.port}`];
  const file = join(dir, 'faults.yaml');
  writeFileSync(file, 'faults:\n  - { kind: stuck, family: HSTR, device: [1, 1] }\n  - { kind: beam-loss, lifetime: 36000, after: 3600 }\n');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, '- { kind: trip, family: HSTR, device: [99, 1] }\n');

  expect((await mlayer(['twin', 'faults', 'add', file, ...at])).stderr).toMatch(/twin-faults: refused: no write token/);
  const refused = await mlayer(['twin', 'faults', 'add', bad, ...at, ...token]);
  expect(refused.stderr).toMatch(/fault 1 \(trip\): family HSTR has no device \[99, 1\]/);
  expect((await mlayer(['twin', 'faults', 'add', file, ...at, ...token])).stdout).toBe(`2 faults of ${file} injected\n`);

  // The stuck steerer: its setpoint moves, its readback does not.
  const rb0 = JSON.parse((await mlayer(['--json', 'get', 'HSTR', '-d', '1,1', '--field', 'readback', ...at])).stdout);
  expect((await mlayer(['--yes', 'set', 'HSTR', '-d', '1,1', '0.5', ...at, ...token])).code).toBe(0);
  const sp = JSON.parse((await mlayer(['--json', 'get', 'HSTR', '-d', '1,1', '--field', 'setpoint', ...at])).stdout);
  const rb = JSON.parse((await mlayer(['--json', 'get', 'HSTR', '-d', '1,1', '--field', 'readback', ...at])).stdout);
  expect(JSON.stringify(sp)).toContain('0.5');
  expect(rb).toEqual(rb0);

  const listed = JSON.parse((await mlayer(['--json', 'twin', 'faults', 'list', ...at])).stdout).faults;
  expect(listed.map((f: { kind: string }) => f.kind)).toEqual(['stuck', 'beam-loss']);
  expect(listed[1].start - listed[0].start).toBeCloseTo(3600e3, -3);
  expect(JSON.parse(readFileSync(state, 'utf8')).faults).toEqual(listed);

  // A server started again on the state file restores the faults as they were.
  await server.kill();
  server = await startServerProcess(['--allow-writes', ...token, '--state', state], dir);
  at = ['--server', `ws://127.0.0.1:${server.info.port}`];
  expect(JSON.parse((await mlayer(['--json', 'twin', 'faults', 'list', ...at])).stdout).faults).toEqual(listed);

  expect((await mlayer(['twin', 'faults', 'clear', ...at, ...token])).stdout).toBe('twin faults removed\n');
  expect((await mlayer(['twin', 'faults', 'list', ...at])).stdout).toBe('no faults injected\n');
  expect(JSON.parse(readFileSync(state, 'utf8')).faults).toBeUndefined();
}, 120000);
