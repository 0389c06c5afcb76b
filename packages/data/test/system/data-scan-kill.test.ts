/**
 * A scan killed with SIGKILL part-way resumes and finishes, computing every
 * point that had finished before the kill exactly once. The scan runs in a
 * child process (vite-node, which ships with vitest, runs the TypeScript sources).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, type ScanRunSummary, checkScan, readManifest } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from '../fixtures/data-tools.js';

afterAll(cleanupTempDirs);

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, '..', 'fixtures', 'scan-child.ts');
const VITE_NODE = join(dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
const REPO = resolve(here, '..', '..', '..', '..');

function startChild(dir: string, markers: string, delayMs: number, holdFrom?: number): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const args = [VITE_NODE, CHILD, dir, markers, String(delayMs), ...(holdFrom === undefined ? [] : [String(holdFrom)])];
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

function finishedFiles(dir: string): string[] {
  const out = join(dir, 'outputs');
  return existsSync(out) ? readdirSync(out).filter((n) => /^point_\d{4}\.h5$/.test(n)) : [];
}

function markerCounts(markers: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const name of existsSync(markers) ? readdirSync(markers) : []) {
    const i = Number(name.split('-')[0]);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

describe('a scan killed with SIGKILL', () => {
  it('resumes and finishes; points finished before the kill are never computed again', async () => {
    const root = tempDir();
    const dir = join(root, 'scan');
    const markers = join(root, 'markers');

    // Points from 10 on never finish in the first run: the kill comes after 8 to 10 finished points whatever
    // the load (no race between the child's speed and this test's polling).
    const first = startChild(dir, markers, 20, 10);
    const deadline = Date.now() + 120_000;
    while (finishedFiles(dir).length < 8) {
      if (Date.now() > deadline) throw new Error('child made no progress');
      const exited = await Promise.race([first.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 10))]);
      if (exited) throw new Error(`child exited before it was killed: ${(await first.done).stderr}`);
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const doneAtKill = finishedFiles(dir).map((n) => Number(n.slice(6, 10)));
    expect(doneAtKill.length).toBeGreaterThanOrEqual(8);
    expect(doneAtKill.length).toBeLessThanOrEqual(10);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true); // left behind by the killed run

    const second = startChild(dir, markers, 0);
    const finished = await second.done;
    expect(finished.code, finished.stderr).toBe(0);
    const summary = JSON.parse(finished.stdout.trim().split('\n').pop()!) as ScanRunSummary;
    expect(summary).toMatchObject({ totalPoints: 30, completed: 30, failed: 0 });
    expect(summary.reused + summary.adopted.length).toBe(doneAtKill.length);
    expect(summary.computed).toBe(30 - doneAtKill.length);

    const counts = markerCounts(markers);
    expect(counts.size).toBe(30);
    for (const i of doneAtKill) expect(counts.get(i), `point ${i} finished before the kill`).toBe(1);
    // The only point that may have run twice is the one in flight when the kill came (its first attempt never finished).
    const twice = [...counts.entries()].filter(([, c]) => c > 1);
    expect(twice.length).toBeLessThanOrEqual(1);
    expect(twice.every(([i, c]) => c === 2 && !doneAtKill.includes(i))).toBe(true);

    const report = await checkScan(dir);
    expect(report.problems).toEqual([]);
    expect(report.completed).toBe(30);
    const m = await readManifest(dir);
    expect(Array.from(m.status.completed).every((c) => c === 1)).toBe(true);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 120_000);
});
