/** `mlayer twin errors apply|reset|state` against a real `mlayer server` process (dist: build first). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startServerProcess, type ServerProcess } from '../../../server/test/system/server-process.js';

const BIN = join(__dirname, '../../dist/bin.js');
const ERRORS = join(__dirname, '../../../../examples/demo-errors.yaml');
const dir = mkdtempSync(join(tmpdir(), 'mlayer-twin-'));
let server: ServerProcess | undefined;

async function mlayer(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: dir });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

afterAll(async () => {
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

it('applies an error set with a seed through the server, shows it, refuses without the token, resets', async () => {
  server = await startServerProcess(['--allow-writes', '--token-file', join(dir, 'token'), '--state', join(dir, 'state.json')], dir);
  const at = ['--server', `ws://127.0.0.1:${server.info.port}`];
  const refused = await mlayer(['twin', 'errors', 'apply', ERRORS, '--seed', '3', ...at]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/twin-errors: refused: no write token/);
  expect(JSON.parse((await mlayer(['--json', 'twin', 'state', ...at])).stdout)).toEqual({ seed: null, errors: null });
  const applied = await mlayer(['twin', 'errors', 'apply', ERRORS, '--seed', '3', ...at, '--token-file', join(dir, 'token')]);
  expect(applied.stdout).toBe(`error set ${ERRORS} applied with seed 3\n`);
  expect(JSON.parse((await mlayer(['--json', 'twin', 'state', ...at])).stdout)).toEqual({ seed: 3, errors: parse(readFileSync(ERRORS, 'utf8')) });
  expect((await mlayer(['twin', 'reset', ...at, '--token-file', join(dir, 'token')])).stdout).toBe('twin errors removed\n');
  expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).errors).toBe(null);
}, 120000);
