/**
 * A real single-node Slurm cluster for tests: Debian's slurm-wlm and munge
 * (scripts/debian-packages.txt), with a private munged (its own key, socket, pid
 * and log files in a temporary folder, the key made as Debian's postinst makes
 * /etc/munge/munge.key: 1024 random bytes, mode 0400), slurmctld and slurmd on
 * loopback with a generated slurm.conf on free non-default ports. Each daemon
 * runs in the foreground as a child of the test, started and stopped by its PID.
 * Commands reach it with SLURM_CONF (see `env`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const DAEMONS = { munged: '/usr/sbin/munged', slurmctld: '/usr/sbin/slurmctld', slurmd: '/usr/sbin/slurmd' };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface SlurmCluster {
  readonly dir: string;
  /** Environment for sbatch, squeue, sinfo and the mlayer command. */
  readonly env: NodeJS.ProcessEnv;
  readonly pids: { readonly munged: number; readonly slurmctld: number; readonly slurmd: number };
  stop(): Promise<void>;
}

function startDaemon(name: string, cmd: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not be started (${cmd})`);
  return child;
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }, 10_000);
  await gone;
  clearTimeout(timer);
}

export async function startSlurm(): Promise<SlurmCluster> {
  for (const [name, path] of Object.entries(DAEMONS)) {
    if (!existsSync(path)) throw new Error(`${path} missing: the Slurm tests need Debian's slurm-wlm and munge (${name}); run node scripts/ensure-system-deps.mjs as root`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, d), { mode: 0o700 });
  chmodSync(join(dir, 'munge'), 0o755);
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.socket');
  const host = hostname().split('.')[0];
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=mlayertest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'SchedulerType=sched/backfill',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'MpiDefault=none',
      'ReturnToService=2',
      'InactiveLimit=0',
      'MinJobAge=300',
      'KillWait=5',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const started: ChildProcess[] = [];
  const stop = async () => {
    for (const c of [...started].reverse()) await stopDaemon(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    started.push(startDaemon('munged', DAEMONS.munged, ['-F', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`, `--log-file=${join(dir, 'log', 'munged.log')}`], join(dir, 'log', 'munged.out')));
    await waitFor(() => existsSync(socket), 10_000, 'munged socket', dir);
    started.push(startDaemon('slurmctld', DAEMONS.slurmctld, ['-D', '-i', '-f', conf], join(dir, 'log', 'slurmctld.out')));
    started.push(startDaemon('slurmd', DAEMONS.slurmd, ['-D', '-f', conf], join(dir, 'log', 'slurmd.out')));
    await waitFor(
      () => {
        try {
          return /idle|mixed|alloc/.test(execFileSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8', timeout: 5000 }));
        } catch {
          return false;
        }
      },
      60_000,
      'the node to come up (sinfo idle)',
      dir,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const [munged, slurmctld, slurmd] = started.map((c) => c.pid!);
  return { dir, env, pids: { munged, slurmctld, slurmd }, stop };
}

async function waitFor(ok: () => boolean, ms: number, what: string, dir: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) {
      const logs = ['munged.out', 'slurmctld.out', 'slurmd.out'].map((f) => join(dir, 'log', f)).filter(existsSync).map((f) => `${f}:\n${readFileSync(f, 'utf8').slice(-2000)}`);
      throw new Error(`Slurm test cluster: timed out waiting for ${what}\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
