/**
 * The Slurm runner: the seeds without a result are submitted as one job array
 * (`sbatch --array`, one seed per task, each task the worker command of the local
 * runner), the runner waits for the array to leave the queue, then submits again
 * the seeds whose task failed or never ran (up to `resubmit` times), and finally
 * collects every seed's result into the study's scan (manifest and point files).
 * The study directory must be on a filesystem the nodes share.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '@mlayer/core';
import type { ScanRunSummary } from '@mlayer/data';
import { CommissioningError } from './errors.js';
import type { WorkerCommand } from './local-runner.js';
import { type RunStudyOptions, type StudyFile, readSeedResult, runStudy } from './study.js';

const run = promisify(execFile);

export interface SlurmRunnerOptions extends Omit<RunStudyOptions, 'concurrency'> {
  readonly worker: WorkerCommand;
  /** Extra sbatch options (--partition, --time, --mem, ...). */
  readonly sbatchArgs?: readonly string[];
  /** Submissions after the first for seeds that failed or are missing (default 2). */
  readonly resubmit?: number;
  /** Queue poll period, ms (default 1000). */
  readonly pollMs?: number;
  /** Environment of sbatch/squeue (SLURM_CONF, PATH, ...); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called after each submission with the job id and the seeds. */
  readonly onSubmit?: (jobId: string, seeds: readonly number[]) => void;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The job-array script: task i computes seeds[i]. */
export function arrayScript(dir: string, seeds: readonly number[], worker: WorkerCommand): string {
  const lines = ['#!/bin/bash', '# mlayer commissioning: one seed per array task', `SEEDS=(${seeds.join(' ')})`, 'SEED=${SEEDS[$SLURM_ARRAY_TASK_ID]}'];
  const marker = '@MLAYER_SEED@';
  const { command, args } = worker(dir, marker);
  const argv = [command, ...args].map((a) => (a === marker ? '"$SEED"' : quote(a)));
  lines.push(`exec ${argv.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export async function submitArray(dir: string, seeds: readonly number[], options: SlurmRunnerOptions, round: number): Promise<string> {
  const slurmDir = join(dir, 'slurm');
  mkdirSync(slurmDir, { recursive: true });
  const script = join(slurmDir, `array-${round}.sh`);
  writeFileSync(script, arrayScript(dir, seeds, options.worker));
  chmodSync(script, 0o755);
  const args = ['--parsable', `--array=0-${seeds.length - 1}`, `--job-name=mlayer-commission`, `--output=${join(slurmDir, `%A_%a.out`)}`, '--chdir', dir, ...(options.sbatchArgs ?? []), script];
  let out: string;
  try {
    out = (await run('sbatch', args, { env: options.env ?? process.env })).stdout;
  } catch (e) {
    throw new CommissioningError(`sbatch ${args.join(' ')}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  const jobId = out.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new CommissioningError(`sbatch printed '${out.trim()}', not a job id`);
  return jobId;
}

/** Waits until no task of the job is pending or running. */
export async function waitForJob(jobId: string, options: Pick<SlurmRunnerOptions, 'pollMs' | 'env' | 'signal'>): Promise<void> {
  for (;;) {
    options.signal?.throwIfAborted();
    let out: string;
    try {
      out = (await run('squeue', ['-h', '-j', jobId, '-o', '%i %T'], { env: options.env ?? process.env })).stdout;
    } catch (e) {
      // squeue refuses a job id it no longer knows: the job has left the queue.
      if (/Invalid job id/i.test((e as { stderr?: string }).stderr ?? '')) return;
      throw new CommissioningError(`squeue -j ${jobId}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
    }
    if (out.trim() === '') return;
    await sleep(options.pollMs ?? 1000);
  }
}

/** Runs a study on Slurm; resolves with the collected scan. */
export async function runSlurmStudy(dir: string, study: StudyFile, options: SlurmRunnerOptions): Promise<ScanRunSummary> {
  const rounds = 1 + (options.resubmit ?? 2);
  for (let round = 0; round < rounds; round++) {
    const missing = study.seeds.filter((s) => !readSeedResult(dir, s));
    if (missing.length === 0) break;
    const jobId = await submitArray(dir, missing, options, round);
    options.onSubmit?.(jobId, missing);
    await waitForJob(jobId, options);
  }
  return runStudy(
    dir,
    study,
    async (seed) => {
      throw new CommissioningError(`seed ${seed}: no result after ${rounds} Slurm submissions; see ${join(dir, 'slurm')}`);
    },
    { ...options, concurrency: 1 },
  );
}
