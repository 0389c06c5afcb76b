import type { Command } from 'commander';
import type { CommissionReportOptions, CommissionRunOptions } from './commission-actions.js';

/** `mlayer commission run|seed|status|report`: automated commissioning studies over error seeds (commission-actions.ts, loaded when run). */
export function registerCommissionCommands(program: Command): void {
  const c = program.command('commission').description('automated commissioning: a sequence of tool stages run on the twins of many error seeds (a study: an openPMD parameter scan over the seed), locally or on Slurm');
  c.command('run <dir>')
    .description('run (or resume) a study in DIR: each seed without a result is computed by a worker process (local) or a Slurm array task; finished seeds are never computed again, a seed stopped midway resumes at its last stage')
    .option('--sequence <file>', 'the sequence YAML (a new study; a resumed one takes its study.json)')
    .option('--errors <file>', 'the error set applied to each seed\'s twin')
    .option('--seeds <list>', 'seeds: 1-20, 0,3,7 or 1-4,9 (a new study)')
    .option('--name <name>', 'study name (default: the directory name)')
    .option('--author <text>', 'author of the scan files (default $MLAYER_AUTHOR, else the login name)')
    .option('--runner <runner>', 'local (worker processes) or slurm (sbatch --array)', 'local')
    .option('--workers <n>', 'local: worker processes at a time (default: the number of cores)')
    .option('--sbatch-args <args>', 'slurm: extra sbatch options, space-separated (--partition=..., --time=...)')
    .option('--resubmit <n>', 'slurm: submissions again for seeds that failed or are missing', '2')
    .option('--poll <ms>', 'slurm: queue poll period, ms', '1000')
    .action(async (dir: string, o: CommissionRunOptions, cmd: Command) => (await import('./commission-actions.js')).commissionRunAction(dir, o, cmd));
  c.command('seed <dir>')
    .description('compute one seed of the study in DIR into DIR/seeds/seed-NNNN (what the runners\' workers and array tasks run)')
    .requiredOption('--seed <n>', 'the seed')
    .action(async (dir: string, o: { seed: string }, cmd: Command) => (await import('./commission-actions.js')).commissionSeedAction(dir, o, cmd));
  c.command('live')
    .description('run a sequence once on the machine of --mode (a live machine: epics, tango; or the twin), stage by stage, asking before each stage (run, skip, quit); records in -o DIR as a seed\'s; online writes need --yes')
    .requiredOption('--sequence <file>', 'the sequence YAML')
    .requiredOption('-o, --out <dir>', 'folder of the stage records (a new one, or one to resume)')
    .option('--no-confirm', 'run every stage without asking (still needs --yes online)')
    .action(async (o: { sequence: string; out: string; confirm: boolean }, cmd: Command) => (await import('./commission-actions.js')).commissionLiveAction(o, cmd));
  c.command('status <dir>')
    .description('where a study stands: seeds done, running, failed, pending, and the stage each reached')
    .option('--watch <s>', 'print again every s seconds until no seed is running or pending')
    .action(async (dir: string, o: { watch?: string }, cmd: Command) => (await import('./commission-actions.js')).commissionStatusAction(dir, o, cmd));
  c.command('report <dir>')
    .description('aggregate a study: the fraction of seeds reaching each stage, a table per stage (median and 90th percentile of the figures of merit, wall time), cumulative distributions; plots as .svg and .png')
    .option('-o, --out <dir>', 'folder of the plots (default DIR/report)')
    .option('--no-plots', 'print the tables only')
    .action(async (dir: string, o: CommissionReportOptions, cmd: Command) => (await import('./commission-actions.js')).commissionReportAction(dir, o, cmd));
}
