/**
 * A 4-seed commissioning study on the ThomX test twin, run by the mlayer command:
 * locally (worker processes), on a real single-node Slurm (job array), and locally
 * killed with SIGKILL midway then restarted. The seeds' records must be byte-identical
 * in all three; the restarted study must not compute a finished seed again and must
 * resume the interrupted seed at its last written stage.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '@mlayer/data';
import { type SeedResultFile, type WorkerCommand, canonicalJson, openStudy, readSeedResult, readStageFiles, readStudy, runSlurmStudy, seedDir } from '../../src/index.js';
import { BIN, checkBuiltAsync } from '../../../../cli/test/serve-process.js';
import { type SlurmCluster, startSlurm } from '../slurm-cluster.js';
import { writeErrors, writeSequence, writeThomxFacility } from '../study-fixture.js';

const run = promisify(execFile);
const SEEDS = [11, 12, 13, 14];

let root: string;
let files: { facility: string; errors: string; sequence: string };
let env: NodeJS.ProcessEnv;

function args(dir: string, extra: string[] = []): string[] {
  return [BIN, '--facility', files.facility, 'commission', 'run', dir, '--sequence', files.sequence, '--errors', files.errors, '--seeds', SEEDS.join(','), ...extra];
}

async function mlayer(argv: string[], e: NodeJS.ProcessEnv = env): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, argv, { env: e, timeout: 240_000 });
}

const results = (dir: string): string[] => SEEDS.map((s) => canonicalJson((readSeedResult(dir, s) as SeedResultFile).result));

let local: string;

beforeAll(async () => {
  await checkBuiltAsync();
  root = mkdtempSync(join(tmpdir(), 'mlayer-commission-'));
  files = { facility: writeThomxFacility(root), errors: writeErrors(root), sequence: writeSequence(root) };
  env = { ...process.env, MLAYER_CACHE_DIR: join(root, 'cache'), MLAYER_AUTHOR: 'Test <test@example.org>' };
  local = join(root, 'local');
  await mlayer(args(local, ['--workers', '2']));
}, 300_000);

describe('commissioning study (4 seeds, ThomX twin)', () => {
  it('local run: every seed through the sequence, one scan point per seed in the openPMD manifest', async () => {
    const m = await readManifest(join(local, 'scan_manifest.h5'));
    expect(Array.from(m.status.completed)).toEqual([1, 1, 1, 1]);
    const study = readStudy(local);
    expect(study.seeds).toEqual(SEEDS);
    for (const s of SEEDS) {
      const r = readSeedResult(local, s)!;
      expect(r.result.header.seed).toBe(s);
      expect(r.result.stages.map((x) => x.name)).toEqual(['orbit-correction', 'bba', 'orbit-to-bba', 'tune-correction', 'figures']);
      // The orbit correction did its job on the true orbit, and every record names its provenance.
      expect(r.result.stages[0].figures.orbit_true_rms_x).toBeLessThan(r.result.stages[0].attempts[0].figures.orbit_true_rms_x + 1);
      expect(r.result.header.errorSet?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.result.header.facility.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.result.header.lattice?.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // Distinct seeds, distinct machines.
    expect(new Set(SEEDS.map((s) => readSeedResult(local, s)!.result.figures.orbit_true_rms_x)).size).toBe(4);
    // A second run finds every point finished and computes nothing.
    const again = await mlayer(args(local));
    expect(again.stdout).toContain('0 computed now, 4 not computed again');
  }, 300_000);

  describe('on a real single-node Slurm', () => {
    let cluster: SlurmCluster;
    beforeAll(async () => {
      cluster = await startSlurm();
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
      for (const pid of Object.values(cluster?.pids ?? {})) expect(() => process.kill(pid, 0)).toThrow();
    });

    it('gives byte-identical records to the local run (sbatch --array, one seed per task)', async () => {
      const dir = join(root, 'slurm');
      const out = await mlayer(args(dir, ['--runner', 'slurm', '--poll', '300']), { ...env, ...cluster.env });
      expect(out.stderr).toMatch(/Slurm job \d+: array of 4 seeds \(11,12,13,14\)/);
      expect(readdirSync(join(dir, 'slurm')).filter((f) => f.endsWith('.out'))).toHaveLength(4);
      expect(results(dir)).toEqual(results(local));
    }, 300_000);

    it('submits again a seed whose array task failed, never a seed with a result, and collects both into the scan', async () => {
      const dir = join(root, 'slurm-resubmit');
      const study = openStudy(dir, { name: 'resubmit', author: 'Test <test@example.org>', ...files, seeds: [11, 12] });
      // Seed 11 has its result (the local run's): it is not submitted.
      cpSync(seedDir(local, 11), seedDir(dir, 11), { recursive: true });
      // Seed 12's first task fails (exit 3) before computing anything; the second runs the worker.
      const marker = join(dir, 'failed-once');
      const worker: WorkerCommand = (d, seed) => ({
        command: '/bin/bash',
        args: ['-c', `if [ ! -e '${marker}'-$1 ]; then touch '${marker}'-$1; exit 3; fi; exec '${process.execPath}' '${BIN}' commission seed '${d}' --seed $1`, 'worker', seed],
      });
      const submitted: number[][] = [];
      const summary = await runSlurmStudy(dir, study, { worker, env: { ...env, ...cluster.env }, pollMs: 300, onSubmit: (_id, seeds) => submitted.push([...seeds]) });
      expect(submitted).toEqual([[12], [12]]);
      expect(summary.completed).toBe(2);
      expect(summary.computed).toBe(2);
      for (const s of [11, 12]) expect(canonicalJson(readSeedResult(dir, s)!.result)).toBe(canonicalJson(readSeedResult(local, s)!.result));
    }, 300_000);
  });

  it('SIGKILL midway, restart: finished seeds not recomputed, the interrupted seed resumes at its last stage, records equal the uninterrupted run', async () => {
    const dir = join(root, 'killed');
    const child: ChildProcess = spawn(process.execPath, args(dir, ['--workers', '2']), { env, detached: true, stdio: 'ignore' });
    // Kill the whole process group (the run and its workers) as soon as one seed is finished and another has
    // written a stage but not its result.
    const state = () => {
      const done = SEEDS.filter((s) => existsSync(join(seedDir(dir, s), 'result.json')));
      const midway = SEEDS.filter((s) => !done.includes(s) && readStageFiles(seedDir(dir, s)).length > 0);
      return { done, midway };
    };
    const deadline = Date.now() + 240_000;
    for (let s = state(); s.done.length === 0 || s.midway.length === 0; s = state()) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the study finished or stalled before a seed was midway');
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const { done, midway } = state();
    expect(done.length).toBeGreaterThan(0);
    expect(midway.length).toBeGreaterThan(0);
    const first = seedDir(dir, done[0]);
    const second = seedDir(dir, midway[0]);
    const written = readStageFiles(second).length;
    expect(written).toBeLessThan(5);
    const mtimes = readdirSync(first).map((f) => statSync(join(first, f)).mtimeMs);

    const out = await mlayer(args(dir, ['--workers', '1']));
    expect(out.stdout).toContain('4 points completed, 0 failed');
    // The finished seed: not computed again (its files untouched).
    expect(readdirSync(first).map((f) => statSync(join(first, f)).mtimeMs)).toEqual(mtimes);
    // The interrupted seed: its stages before the kill from run 1, the rest from run 2.
    const runs = readStageFiles(second).map((f) => f.timing.run);
    expect(runs).toEqual([...Array(written).fill(1), ...Array(5 - written).fill(2)]);
    expect(readSeedResult(dir, midway[0])!.timing.runs).toBe(2);
    // And the records equal those of the uninterrupted run, byte for byte.
    expect(results(dir)).toEqual(results(local));
  }, 300_000);
});
