/**
 * A PVWS client nobody here wrote: Diamond's cs-web-lib (the published
 * @diamondlightsource/cs-web-lib 0.9.14; the older @dls-controls/cs-web-lib 0.1.13-0.2.3 have
 * no PVWS client), its PvwsPlugin behind the library's own redux store, in a Node 20 process
 * (cs-web-lib-client.cjs: `ws` as the global WebSocket, jsdom for the DOM its bundled plotting
 * needs at load), against a real `mlayer server` process on the demo twin (the CLI's dist:
 * build first). Only the package's bundle is used (its npm dependencies, plotly.js among them,
 * 360 MB, are not loaded by it): fetched once with `npm pack` into node_modules/.cache, checked
 * against the registry's integrity; react, react-dom, react-redux, react-router-dom (its peers)
 * and jsdom are the server package's dev dependencies.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlainClient, serverProcesses } from './server-process.js';

const VERSION = '0.9.14';
const INTEGRITY = 'sha512-6mGUi2BsE+IQwRU/GLX4rsBr6Yt98IkZ/ntbeoHRGUvP/CPAAb0wuBZIb64ruY7PYPwn1un4xfVRD90VNFTpmw==';
const ROOT = join(__dirname, '../../../..');
const CACHE = join(ROOT, 'node_modules', '.cache', `mlayer-cs-web-lib-${VERSION}`);
const BUNDLE = join(CACHE, 'package', 'dist', 'cjs', 'index.js');
const HCM1 = 'SR01A-PC-HSTR-01:SETI';
const BPM1 = 'SR01C-DI-EBPM-01:SA:X';

/** The published bundle, fetched and checked once. */
function bundle(): string {
  if (existsSync(BUNDLE)) return BUNDLE;
  mkdirSync(CACHE, { recursive: true });
  execFileSync('npm', ['pack', `@diamondlightsource/cs-web-lib@${VERSION}`, '--pack-destination', CACHE, '--silent'], { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120000 });
  const tgz = join(CACHE, `diamondlightsource-cs-web-lib-${VERSION}.tgz`);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (integrity !== INTEGRITY) throw new Error(`${tgz}: integrity ${integrity}, the registry's is ${INTEGRITY}`);
  execFileSync('tar', ['xzf', tgz, '-C', CACHE]);
  return BUNDLE;
}

const dir = mkdtempSync(join(tmpdir(), 'mlayer-csweb-'));
const { start, killAll } = serverProcesses(dir);
let client: ChildProcess | undefined;

afterAll(async () => {
  if (client?.pid && client.exitCode === null) process.kill(client.pid);
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("cs-web-lib's PVWS client against mlayer server", () => {
  let lib: string;
  beforeAll(() => {
    lib = bundle();
  }, 180000);

  it('subscribes (ca:// names), receives values and metadata, and sees a write made through the server', async () => {
    const server = await start(['--allow-writes', '--token-file', join(dir, 'token')]);
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const port = server.info.port;
    const lines: Record<string, unknown>[] = [];
    const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
    let err = '';
    client = spawn(process.execPath, [join(__dirname, 'cs-web-lib-client.cjs'), lib, `127.0.0.1:${port}`, `ca://${HCM1}`, `ca://${BPM1}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    client.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    let buf = '';
    client.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const l = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        lines.push(l);
        for (const w of waiters.filter((x) => x.pred(l))) w.resolve();
      }
    });
    const seen = (pred: (l: Record<string, unknown>) => boolean, what: string) =>
      lines.some(pred)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`cs-web-lib client: no ${what} in 60 s; lines: ${JSON.stringify(lines.slice(-4))}; stderr: ${err.slice(-2000)}`)), 60000);
            waiters.push({ pred, resolve: () => (clearTimeout(t), resolve()) });
          });
    await seen((l) => l.pv === `ca://${HCM1}` && l.connected === true && l.value === 0 && l.units === 'A' && l.quality === 'valid', 'HCM value with units');
    await seen((l) => l.pv === `ca://${BPM1}` && l.connected === true && typeof l.value === 'number' && l.units === 'mm', 'BPM value with units');
    const bpm0 = lines.filter((l) => l.pv === `ca://${BPM1}`).at(-1)!.value as number;
    const c = await PlainClient.open(server.info.url);
    c.send({ type: 'write', pv: HCM1, value: 0.25, token, tool: 'cs-web-lib.test' });
    await seen((l) => l.pv === `ca://${HCM1}` && l.value === 0.25, 'HCM update after the write');
    // The corrector moved the orbit: the BPM's update reaches cs-web-lib too.
    await seen((l) => l.pv === `ca://${BPM1}` && typeof l.value === 'number' && Math.abs((l.value as number) - bpm0) > 1e-6, 'BPM update after the write');
    c.close();
  }, 120000);
});
