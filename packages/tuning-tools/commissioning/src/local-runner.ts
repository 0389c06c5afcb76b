/**
 * The local runner: one worker process per seed being computed, as many at a time
 * as there are cores (default). A worker is a command line (the CLI's
 * `mlayer commission seed --study DIR --seed N`) that computes the seed into its
 * directory; its output goes to the seed's worker.log.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AbortedError } from '@mlayer/core';
import type { ScanRunSummary } from '@mlayer/data';
import { CommissioningError } from './errors.js';
import { type RunStudyOptions, type SeedComputer, type StudyFile, runStudy } from './study.js';

/** The command line of a worker computing `seed` (its decimal text, or a shell variable for Slurm) of the study in `dir`. */
export type WorkerCommand = (dir: string, seed: string) => { readonly command: string; readonly args: readonly string[] };

export interface LocalRunnerOptions extends Omit<RunStudyOptions, 'concurrency'> {
  /** Worker processes at a time (default: the number of cores). */
  readonly workers?: number;
  readonly worker: WorkerCommand;
}

/** A SeedComputer that runs the worker command and waits for it (SIGTERM to it on abort). */
export function processComputer(studyDir: string, worker: WorkerCommand): SeedComputer {
  return (seed, dir, signal) =>
    new Promise<void>((resolve, reject) => {
      mkdirSync(dir, { recursive: true });
      const { command, args } = worker(studyDir, String(seed));
      const log = createWriteStream(join(dir, 'worker.log'), { flags: 'a' });
      const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
      const onAbort = () => child.kill('SIGTERM');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => reject(new CommissioningError(`seed ${seed}: cannot start the worker ${command} (${e.message})`, { cause: e })));
      child.on('close', (code, sig) => {
        signal?.removeEventListener('abort', onAbort);
        log.end();
        if (signal?.aborted) reject(new AbortedError(`seed ${seed}: aborted`));
        else if (code === 0) resolve();
        else reject(new CommissioningError(`seed ${seed}: the worker exited with ${sig ? `signal ${sig}` : `code ${code}`}; see ${join(dir, 'worker.log')}`));
      });
    });
}

export function runLocalStudy(dir: string, study: StudyFile, options: LocalRunnerOptions): Promise<ScanRunSummary> {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new CommissioningError(`workers ${workers}: a positive integer is required`);
  return runStudy(dir, study, processComputer(dir, options.worker), { ...options, concurrency: workers });
}
