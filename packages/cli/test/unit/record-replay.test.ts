/**
 * Record & replay through the CLI (issue 24 items 4 and 5), on the ThomX test twin with
 * quadrupole misalignments (seeded): `mlayer --mode twin record --out FILE -- COMMAND`
 * records an ORM measurement and an orbit correction; `mlayer --mode replay --recording
 * FILE COMMAND` runs them again against the recording and gives the same results and
 * files: every dataset and attribute of the HDF5 file identical, except `date` (the time
 * the file was written, the only timestamp a measurement file holds) and its own path, and,
 * in the --json output, `mode` ('replay', as the replay says) and the file paths (other
 * folders). Each as fast as possible (the default) and at the recorded pace (--replay-speed
 * 1; the correction: a short one, one iteration). A correction changed to write one more corrector (MICADO
 * with 3 correctors instead of 2) fails the replay with the difference: the channel,
 * the expected and the actual value.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { thomxFacilityFile } from '../../../tuning-tools/orbit/test/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-record-replay-'));
const errors = join(dir, 'errors.yaml');
writeFileSync(errors, 'magnets:\n  QUAD: { dx: { sigma: 100.0e-6, truncation: 2 }, dy: { sigma: 100.0e-6, truncation: 2 } }\n');
const facility = thomxFacilityFile({ settings: { errors, seed: 3 } });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `data show --json` gives for a measurement file, without its date and its own path. */
async function fileContent(file: string): Promise<Record<string, unknown>> {
  const r = await runCli(['--json', 'data', 'show', file]);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'date' && k !== 'file' && k !== 'path').map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return strip(j) as Record<string, unknown>;
}

/** The --json output without the mode and the file paths. */
function result(stdout: string): Record<string, unknown> {
  const j = JSON.parse(stdout) as Record<string, unknown>;
  expect(j.mode === undefined || j.mode === 'twin' || j.mode === 'replay').toBe(true);
  const { mode: _m, file: _f, files: _fs, ...rest } = j;
  return rest;
}

let n = 0;
/** Records `args` on the twin into a new file; returns the recording, the output and the folder of its files. */
async function record(args: string[]): Promise<{ recording: string; out: string; stdout: string }> {
  const recording = join(dir, `rec-${n}.jsonl`);
  const out = join(dir, `out-${n++}`);
  const r = await runCli(['-f', facility, '--mode', 'twin', 'record', '--out', recording, '--', '--json', ...args, '-o', out, '--no-plots']);
  expect(r.code, r.stderr).toBe(0);
  return { recording, out, stdout: r.stdout };
}

async function replay(recording: string, args: string[], speed?: string): Promise<{ code: number; out: string; stdout: string; stderr: string }> {
  const out = join(dir, `out-${n++}`);
  const r = await runCli(['-f', facility, '--mode', 'replay', '--recording', recording, ...(speed ? ['--replay-speed', speed] : []), '--json', ...args, '-o', out, '--no-plots']);
  return { code: r.code, out, stdout: r.stdout, stderr: r.stderr };
}

/** When the last call of a recording completed (ms after it started). */
function lastCompletion(recording: string): number {
  const events = readFileSync(recording, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as { d?: number });
  const ds = events.flatMap((e) => (typeof e.d === 'number' ? [e.d] : []));
  expect(ds.length).toBeGreaterThan(0);
  return Math.max(...ds);
}

const h5 = (folder: string): string => {
  const files = readdirSync(folder).filter((f) => f.endsWith('.h5'));
  expect(files).toHaveLength(1);
  return join(folder, files[0]);
};

describe('mlayer record and --mode replay', () => {
  it('an ORM measurement replays to the same matrix and file', async () => {
    const rec = await record(['orbit', 'measure-orm', '--kick', '20urad']);
    const header = JSON.parse(readFileSync(rec.recording, 'utf8').split('\n')[0]);
    expect(header).toMatchObject({ format: 'mlayer-recording', mode: 'twin', facility: { name: 'thomx-orbit-test' }, controlSystem: { type: 'twin', immediate: true }, twin: { errorSeed: 3 } });
    expect(header.lattice.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(header.software['@mlayer/core']).toBe('0.1.0');
    const r = await replay(rec.recording, ['orbit', 'measure-orm', '--kick', '20urad']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(result(r.stdout)).toEqual(result(rec.stdout));
    const recorded = await fileContent(h5(rec.out));
    expect(await fileContent(h5(r.out))).toEqual(recorded);
    // At the recorded pace (the measurement itself took ~1.5 s of the recording).
    const recordedMs = lastCompletion(rec.recording);
    const t0 = performance.now();
    const paced = await replay(rec.recording, ['orbit', 'measure-orm', '--kick', '20urad'], '1');
    expect(paced.code, paced.stderr).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(recordedMs);
    expect(result(paced.stdout)).toEqual(result(rec.stdout));
    expect(await fileContent(h5(paced.out))).toEqual(recorded);
  });

  it('an orbit correction replays to the same result and file, as fast as possible and at the recorded pace', async () => {
    const rec = await record(['orbit', 'correct', '--orm', 'model', '-i', '2']);
    const fast = await replay(rec.recording, ['orbit', 'correct', '--orm', 'model', '-i', '2']);
    expect(fast.code, fast.stderr).toBe(0);
    expect(result(fast.stdout)).toEqual(result(rec.stdout));
    expect(await fileContent(h5(fast.out))).toEqual(await fileContent(h5(rec.out)));

    // At the recorded pace: a short correction (one iteration).
    const short = await record(['orbit', 'correct', '--orm', 'model', '-i', '1']);
    const recordedMs = lastCompletion(short.recording);
    const t0 = performance.now();
    const paced = await replay(short.recording, ['orbit', 'correct', '--orm', 'model', '-i', '1'], '1');
    const replayMs = performance.now() - t0;
    expect(paced.code, paced.stderr).toBe(0);
    expect(replayMs).toBeGreaterThanOrEqual(recordedMs);
    expect(result(paced.stdout)).toEqual(result(short.stdout));
    expect(await fileContent(h5(paced.out))).toEqual(await fileContent(h5(short.out)));
  });

  it('a command that writes one more corrector, or another value, fails the replay with the difference', async () => {
    const recording = join(dir, 'set.jsonl');
    const r0 = await runCli(['-f', facility, '--mode', 'twin', 'record', '--out', recording, '--', 'set', 'HCM', '0.5', '--devices', '1,1']);
    expect(r0.code, r0.stderr).toBe(0);
    const at = `replay of ${recording}: call 1: the write differs from the recording: `;
    const same = await runCli(['-f', facility, '--mode', 'replay', '--recording', recording, 'set', 'HCM', '0.5', '--devices', '1,1']);
    expect(same.code, same.stderr).toBe(0);
    const extra = await runCli(['-f', facility, '--mode', 'replay', '--recording', recording, 'set', 'HCM', '0.5', '0.5', '--devices', '1,1;1,2']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe(`mlayer: ${at}HCM:1:2:SP: not in the recorded write, actual 0.5\n`);
    const other = await runCli(['-f', facility, '--mode', 'replay', '--recording', recording, 'set', 'HCM', '0.25', '--devices', '1,1']);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(`mlayer: ${at}HCM:1:1:SP: expected 0.5, actual 0.25\n`);
    // A recording is never written over (without --force).
    const again = await runCli(['-f', facility, '--mode', 'twin', 'record', '--out', recording, '--', 'set', 'HCM', '0.5', '--devices', '1,1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`recording ${recording}: the file exists`);
    // get --json: the recorded values, and the mode the replay says.
    const got = join(dir, 'get.jsonl');
    const g0 = await runCli(['-f', facility, '--mode', 'twin', 'record', '--out', got, '--', '--json', 'get', 'BPMx']);
    expect(g0.code, g0.stderr).toBe(0);
    const g1 = await runCli(['-f', facility, '--mode', 'replay', '--recording', got, '--json', 'get', 'BPMx']);
    expect(g1.code, g1.stderr).toBe(0);
    const [live, replayed] = [JSON.parse(g0.stdout), JSON.parse(g1.stdout)];
    expect([live.mode, replayed.mode]).toEqual(['twin', 'replay']);
    expect(replayed.values).toEqual(live.values);
    expect(Math.max(...live.values.map(Math.abs))).toBeGreaterThan(0);
    // Bad replay options: each one line naming what is wrong; nothing runs.
    const bad = async (args: string[]): Promise<string> => {
      const r = await runCli([...args, 'set', 'HCM', '0.5', '--devices', '1,1']);
      expect(r.code).toBe(2);
      return r.stderr;
    };
    expect(await bad(['-f', facility, '--mode', 'replay'])).toBe('mlayer: --mode replay needs --recording FILE (a file written by mlayer record --out FILE)\n');
    expect(await bad(['-f', facility, '--mode', 'replay', '--recording', recording, '--replay-speed', 'fast'])).toBe(`mlayer: --replay-speed: 'fast' is not a positive number or 'max'\n`);
    expect(await bad(['--mode', 'replay', '--recording', recording])).toMatch(new RegExp(`^mlayer: --recording ${recording.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: recorded on facility 'thomx-orbit-test' \\(${facility.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, SHA-256 [0-9a-f]{12}…\\), not on \\S+facility.yaml \\(SHA-256 [0-9a-f]{12}…\\): replay it with the facility it was recorded on\n$`));
  });

  it('a correction with one more corrector (MICADO 3 instead of 2) fails the replay where it first differs', async () => {
    const rec = await record(['orbit', 'correct', '--orm', 'model', '--micado', '2', '-i', '1']);
    const r = await replay(rec.recording, ['orbit', 'correct', '--orm', 'model', '--micado', '3', '-i', '1']);
    expect(r.code).toBe(2);
    // MICADO reads the correctors it chose before it writes them: the read of 3 channels instead of 2 is the difference.
    expect(r.stderr).toMatch(/^mlayer: replay of \S+rec-\d+\.jsonl: call \d+: the read differs from the recording: 3 channels instead of 2: channel \d: expected [HV]CM:\d+:\d+:SP, actual [HV]CM:\d+:\d+:SP\n$/);
  });
});
