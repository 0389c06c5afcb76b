/**
 * Record & replay of an online control system that is not immediate (issue 24 item 5):
 * the twin of a ThomX facility served over EPICS (`serveEpics`: a real softIoc, BPM noise,
 * seeded errors); an orbit correction in --mode epics (readings after each change awaited
 * until their timestamps are newer than the change, as on a real machine) recorded with
 * `mlayer record`, then replayed with --mode replay, the IOC still there but unused: the
 * same result and file (apart from the file's date and path, and the --json mode and
 * paths). The recorded clock readings make the fresh-data wait decide as it did: the same
 * recording without them leaves the recording at the wait's reads (checked here).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServedEpics } from '@mlayer/virtual-accelerator';
import { runCli } from '../in-process-cli.js';
import { errorFile } from '../serve-fixture.js';
import { PYTHON, epicsFacilityFile } from '../serve-epics-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-record-epics-'));
let served: ServedEpics;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: install the Debian packages (scripts/debian-packages.txt)`);
  const { serveEpics } = await import('@mlayer/virtual-accelerator');
  served = await serveEpics({ facility: epicsFacilityFile(dir), errors: errorFile(dir), seed: 7, overlay: join(dir, 'facility.epics.yaml') });
}, 600_000);

afterAll(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function content(folder: string): Promise<unknown> {
  const files = readdirSync(folder).filter((f) => f.endsWith('.h5'));
  expect(files).toHaveLength(1);
  const r = await runCli(['--json', 'data', 'show', join(folder, files[0])]);
  expect(r.code, r.stderr).toBe(0);
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'date' && k !== 'file' && k !== 'path').map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return strip(JSON.parse(r.stdout));
}

function result(stdout: string): Record<string, unknown> {
  const { mode: _m, file: _f, files: _fs, ...rest } = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  return rest;
}

it('an orbit correction in --mode epics replays to the same result and file', async () => {
  const recording = join(dir, 'epics.jsonl');
  const args = ['--json', 'orbit', 'correct', '--orm', 'model', '--sv', '4', '-i', '1', '--no-plots'];
  const rec = await runCli(['--facility', served.overlay, '--mode', 'epics', '--yes', 'record', '--out', recording, '--', ...args, '-o', join(dir, 'a')]);
  expect(rec.code, rec.stderr).toBe(0);
  const lines = readFileSync(recording, 'utf8').trim().split('\n');
  expect(JSON.parse(lines[0]).controlSystem).toMatchObject({ type: 'epics', immediate: false, online: true });
  expect(lines.filter((l) => l.startsWith('{"k":"write"')).length).toBeGreaterThan(0);
  expect(lines.filter((l) => l.startsWith('{"k":"clock"')).length).toBeGreaterThan(0);
  const replayed = await runCli(['--facility', served.overlay, '--mode', 'replay', '--recording', recording, ...args, '-o', join(dir, 'b')]);
  expect(replayed.code, replayed.stderr).toBe(0);
  expect(replayed.stderr).toBe('');
  expect(result(replayed.stdout)).toEqual(result(rec.stdout));
  expect(await content(join(dir, 'b'))).toEqual(await content(join(dir, 'a')));

  // The same recording without its clock readings: the fresh-data wait sees other times and leaves the recording.
  const noClock = join(dir, 'no-clock.jsonl');
  writeFileSync(noClock, `${lines.filter((l) => !l.startsWith('{"k":"clock"')).join('\n')}\n`);
  const off = await runCli(['--facility', served.overlay, '--mode', 'replay', '--recording', noClock, ...args, '-o', join(dir, 'c')]);
  expect(off.code).toBe(2);
  expect(off.stderr).toMatch(/^mlayer: replay of \S+no-clock\.jsonl: call \d+: the read differs from the recording/);
}, 120_000);
