/**
 * Nothing of an IOC outlives its owner (issue 15, item 11): after kill -9 of the
 * process that started it, the IOC, its caRepeater and its temporary directory go;
 * what a run killed with its guardian left is cleaned at the next start; a clean
 * stop leaves no process and no directory. Real softIoc and caRepeater, killed by PID.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SoftIoc, cleanStaleIocs, epicsExecutable, findFreeIocPorts, udpFree } from '../../src/index.js';
import { epicsBase, sleep } from '../epics-fixture.js';

const DIST = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

/** True while the process runs (a zombie waiting for its parent to reap it has ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Waits until `done()` holds (polling), at most `ms`; returns whether it did. */
async function eventually(done: () => boolean, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** Processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('IOC leftovers', () => {
  it('kill -9 of the owner: the IOC, its caRepeater and its directory go', async () => {
    const base = await epicsBase();
    const script = `
      import { SoftIoc } from ${JSON.stringify(DIST)};
      const ioc = await SoftIoc.start({ epicsBase: ${JSON.stringify(base)}, channels: [{ name: 'W15:LEFT:A', type: 'double', initial: 1 }] });
      process.stdout.write(JSON.stringify({ ioc: ioc.pid, repeater: ioc.repeaterPid, dir: ioc.directory }) + '\\n');
      setInterval(() => undefined, 1000);`;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      owner.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) resolve(text.split('\n')[0]);
      });
      owner.on('exit', (code) => reject(new Error(`the owner exited (${code}) before the IOC ran`)));
    });
    const started = JSON.parse(line) as { ioc: number; repeater: number; dir: string };
    try {
      expect(alive(started.ioc)).toBe(true);
      expect(alive(started.repeater)).toBe(true);
      expect(existsSync(started.dir)).toBe(true);
      process.kill(owner.pid!, 'SIGKILL');
      expect(await eventually(() => !alive(started.ioc)), 'the IOC outlived its owner').toBe(true);
      expect(await eventually(() => !alive(started.repeater)), 'the caRepeater outlived its owner').toBe(true);
      expect(await eventually(() => !existsSync(started.dir)), `${started.dir} outlived its owner`).toBe(true);
    } finally {
      for (const pid of [started.ioc, started.repeater]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);

  it('what a run killed with its guardian left is removed at the next start, its caRepeater stopped by PID', async () => {
    const base = await epicsBase();
    const port = (await findFreeIocPorts()).caRepeater;
    const repeater = spawn(epicsExecutable(base, 'caRepeater'), [], { env: { ...process.env, EPICS_CA_REPEATER_PORT: String(port) }, stdio: 'ignore' });
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    const stale = mkdtempSync(join(tmpdir(), 'mlayer-ioc-'));
    const live = mkdtempSync(join(tmpdir(), 'mlayer-ioc-'));
    try {
      expect(await eventually(() => processesMentioning('caRepeater').includes(repeater.pid!))).toBe(true);
      while (await udpFree(port)) await sleep(50);
      writeFileSync(join(stale, 'owner.json'), JSON.stringify({ pid: deadPid, repeaterPid: repeater.pid }));
      writeFileSync(join(stale, 'ioc.db'), '');
      writeFileSync(join(live, 'owner.json'), JSON.stringify({ pid: process.pid }));
      const removed = cleanStaleIocs();
      expect(removed).toContain(stale);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live), 'a directory of a live owner is kept').toBe(true);
      expect(await eventually(() => repeater.exitCode !== null || repeater.signalCode !== null), 'the stale caRepeater still runs').toBe(true);
    } finally {
      if (repeater.exitCode === null && repeater.signalCode === null) process.kill(repeater.pid!, 'SIGKILL');
      rmSync(live, { recursive: true, force: true });
      rmSync(stale, { recursive: true, force: true });
    }
  }, 60_000);

  it('a clean stop leaves no process and no directory', async () => {
    const ioc = await SoftIoc.start({ epicsBase: await epicsBase(), channels: [{ name: 'W15:LEFT:B', type: 'double', initial: 1 }] });
    const dir = ioc.directory;
    const pids = [ioc.pid!, ioc.repeaterPid!];
    expect(processesMentioning(dir).length).toBeGreaterThan(0);
    await ioc.stop();
    expect(existsSync(dir)).toBe(false);
    for (const pid of pids) expect(alive(pid), `pid ${pid} still runs`).toBe(false);
    expect(processesMentioning(dir), 'a process still names the IOC directory (its guardian?)').toEqual([]);
  }, 60_000);
});
