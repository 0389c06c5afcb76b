/**
 * Ctrl-C from outside: SIGINT sent to a child process running `mlayer orbit measure-orm`
 * on the twin of the demo facility with settle 0 (344 correctors, the twin never waits on
 * I/O). The abort is seen while the measurement runs and restores what it changed; once
 * the last column is measured, Ctrl-C, even twice, no longer loses the matrix.
 * The CLI runs from the TypeScript sources (vite-node with the repository's vitest config).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrm } from '@mlayer/orbit';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '..', '..', '..', '..');
const VITE_NODE = join(dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
const DIAMOND = join(REPO, 'facilities', 'diamond-i04');
const TOTAL = 344; // HSTR + VSTR of the demo facility

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Cli {
  readonly child: ChildProcess;
  /** Resolves with the first non-undefined value of `test(stderr so far)`, checked on every output of the child. */
  waitFor<T>(what: string, test: (stderr: string) => T | undefined, timeoutMs?: number): Promise<T>;
  readonly done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

function startMeasureOrm(out: string): Cli {
  const args = ['--facility', DIAMOND, 'orbit', 'measure-orm', '--kick', '0.01A', '--settle', '0', '-o', join(out, 'orm.h5'), '--no-plots'];
  const child = spawn(process.execPath, [VITE_NODE, '--config', join(REPO, 'vitest.config.ts'), join(REPO, 'packages/cli/src/bin.ts'), '--', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const checks = new Set<() => void>();
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    for (const c of [...checks]) c();
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res) => child.on('exit', (code, signal) => res({ code, signal, stdout, stderr })));
  const waitFor = <T>(what: string, test: (stderr: string) => T | undefined, timeoutMs = 180_000) =>
    new Promise<T>((res, rej) => {
      const stop = (f: () => void) => {
        checks.delete(check);
        clearTimeout(timer);
        f();
      };
      const check = () => {
        const v = test(stderr);
        if (v !== undefined) stop(() => res(v));
      };
      const timer = setTimeout(() => stop(() => rej(new Error(`no ${what} on stderr within ${timeoutMs} ms:\n${stderr}`))), timeoutMs);
      void done.then((d) => stop(() => rej(new Error(`the CLI exited (${d.code ?? d.signal}) before ${what}:\n${d.stderr}`))));
      checks.add(check);
      check();
    });
  return { child, waitFor, done };
}

/** The last progress step printed (stderr is not a terminal: one line every 2 s, and the last). */
const lastStep = (stderr: string): number => Math.max(0, ...[...stderr.matchAll(/orbit response matrix: (?:\d+ % \()?(\d+)\/\d+/g)].map((m) => Number(m[1])));

describe('Ctrl-C (SIGINT to the CLI process) during mlayer orbit measure-orm on the demo twin, settle 0', () => {
  it('aborts while the measurement runs, at its start and midway, restores every changed corrector and writes no file', async () => {
    for (const from of [1, 60]) {
      const out = mkdtempSync(join(tmpdir(), 'mlayer-ctrl-c-'));
      dirs.push(out);
      const cli = startMeasureOrm(out);
      // The progress lines (stderr is not a terminal) say how far the measurement is.
      const seen = await cli.waitFor(`progress step ${from}`, (e) => (lastStep(e) >= from ? lastStep(e) : undefined));
      const t0 = performance.now();
      cli.child.kill('SIGINT');
      await cli.waitFor('the abort message', (e) => (/SIGINT: aborting, restoring the setpoints changed so far/.test(e) ? true : undefined));
      const seenAfter = performance.now() - t0;
      const r = await cli.done;
      console.log(`Ctrl-C after progress step ${seen}/${TOTAL}: the CLI saw it after ${seenAfter.toFixed(0)} ms; ${r.stderr.match(/aborted[^\n]*/)?.[0]}`);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.signal).toBeNull();
      // Aborted mid-measurement: the correctors stepped so far (at least those reported) were restored.
      const restored = Number(r.stderr.match(/aborted; (\d+) changed setpoints? restored/)?.[1]);
      expect(restored).toBeGreaterThanOrEqual(seen);
      expect(restored).toBeLessThan(TOTAL);
      expect(r.stdout).not.toMatch(/response matrix written/);
      expect(readdirSync(out)).toEqual([]);
    }
  }, 600_000);

  it('Ctrl-C, however often, after the last column does not lose the measured matrix: it is written in full, then the CLI exits', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mlayer-ctrl-c-'));
    dirs.push(out);
    const cli = startMeasureOrm(out);
    await cli.waitFor('the last progress step', (e) => (lastStep(e) === TOTAL ? true : undefined));
    // Ctrl-C again and again (every 5 ms) until the CLI exits: during the restore and the file write.
    let presses = 0;
    const ctrlC = setInterval(() => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill('SIGINT');
        presses++;
      }
    }, 5);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    clearInterval(ctrlC);
    console.log(`${presses + 1} Ctrl-C sent after the last column; exit ${r.code ?? r.signal}`);
    // The file is complete (no temporary file left) and holds every column.
    expect(readdirSync(out), r.stderr).toEqual(['orm.h5']);
    // Ctrl-C came while the matrix was being kept: said so, not acted on.
    expect(r.stderr).toMatch(/SIGINT: the response matrix is measured, it is being saved; exiting when it is written/);
    expect(r.stderr).not.toMatch(/aborting, restoring/);
    const orm = await loadOrm(join(out, 'orm.h5'));
    expect(orm.Rxx!.length).toBe(orm.bpms.x!.names.length);
    expect(orm.Rxx![0].length + orm.Ryy![0].length).toBe(TOTAL);
    expect(orm.Rxx!.flatMap((row) => Array.from(row)).every(Number.isFinite)).toBe(true);
    // Once it is written the CLI ends: normally, or by one of the Ctrl-C that kept coming (never by exit 130 before the write).
    expect(r.code === 0 || r.signal === 'SIGINT', r.stderr).toBe(true);
  }, 600_000);
});
