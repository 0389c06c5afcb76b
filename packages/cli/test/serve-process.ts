import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The built command (tests that run `mlayer serve` as its own process need `npx tsc -b` first). */
export const BIN = join(__dirname, '../dist/bin.js');
export const DIAMOND = join(__dirname, '../../../facilities/diamond-i04/facility.yaml');
export const DEMO_ERRORS = join(__dirname, '../../../examples/demo-errors.yaml');

const REPO = join(__dirname, '../../..');
// One build at a time: test files run in parallel processes.
const BUILD_LOCK = join(REPO, 'packages/cli/.test-build.lock');
const TSC = [join(REPO, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'];

/** One try at the build lock: true when taken; a lock older than 5 minutes is removed as stale; past the deadline, an error. */
function takeBuildLock(deadline: number): boolean {
  try {
    mkdirSync(BUILD_LOCK);
    return true;
  } catch {
    const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 300_000) rmSync(BUILD_LOCK, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`${BUILD_LOCK} held for 5 minutes: another build hangs?`);
    return false;
  }
}

function buildFailed(e: unknown): Error {
  const out = e as { stdout?: Buffer | string; stderr?: Buffer | string; message: string };
  return new Error(`npx tsc -b packages/cli failed, so ${BIN} may not match the sources:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? out.message}`);
}

/**
 * Builds packages/cli and what it depends on (tsc -b, incremental: seconds when up to date),
 * so that the command these tests start runs the present sources; fails with tsc's output.
 */
export function checkBuilt(): void {
  const deadline = Date.now() + 300_000;
  while (!takeBuildLock(deadline)) execFileSync('sleep', ['0.2']);
  try {
    execFileSync(process.execPath, TSC, { cwd: REPO, stdio: 'pipe', timeout: 300_000 });
  } catch (e) {
    throw buildFailed(e);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
  if (!existsSync(BIN)) throw new Error(`${BIN} missing after tsc -b`);
}

/** checkBuilt without blocking the test worker's event loop for the build's duration (vitest's RPC times out under load). */
export async function checkBuiltAsync(): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (!takeBuildLock(deadline)) await new Promise((r) => setTimeout(r, 200));
  try {
    await promisify(execFile)(process.execPath, TSC, { cwd: REPO, timeout: 300_000 });
  } catch (e) {
    throw buildFailed(e);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
  if (!existsSync(BIN)) throw new Error(`${BIN} missing after tsc -b`);
}

/** A `mlayer serve` process; every process it starts carries MLAYER_TEST_TAG=tag in its environment. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly tag: string;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the first stdout line matching `re` (rejects when the process exits first or after `timeoutMs`). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (SIGKILL after `graceMs`); resolves with the exit. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let counter = 0;

/** Starts `node dist/bin.js <args>` with a unique tag in its environment. */
export function spawnMlayer(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeProcess {
  const tag = `mlayer-test-${process.pid}-${Date.now()}-${counter++}`;
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, MLAYER_TEST_TAG: tag }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  const waiters: { re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    // Complete lines only (a long line arrives in several chunks).
    const lines = stdout.split('\n').slice(0, -1);
    for (const w of [...waiters]) {
      const hit = lines.find((l) => w.re.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
    check();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`mlayer ${args.join(' ')} exited (code ${code}, signal ${signal}) before printing ${w.re}:\n${out.slice(-4000)}`));
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid!,
    tag,
    output: () => out,
    exited,
    line(re, timeoutMs = 300_000) {
      return new Promise<string>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`mlayer exited before printing ${re}:\n${out.slice(-4000)}`));
        const t = setTimeout(() => reject(new Error(`mlayer ${args.join(' ')} printed no ${re} within ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        });
        check();
      });
    },
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        const t = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
        }, graceMs);
        const r = await exited;
        clearTimeout(t);
        return r;
      }
      return exited;
    },
  };
}

/** PIDs of the live processes whose environment carries MLAYER_TEST_TAG=tag (zombies excluded). */
export function processesTagged(tag: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /.test(stat)) continue;
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(`MLAYER_TEST_TAG=${tag}`)) found.push(Number(d));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Waits until no process carries the tag (those left after `timeoutMs` are returned, then killed by PID). */
export async function straysAfter(tag: string, timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesTagged(tag);
    if (left.length === 0) return [];
    if (Date.now() > deadline) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      return left;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A busy loop in its own process (a CPU hog beside the test); stop it by its PID. */
export function cpuHog(): { pid: number; stop(): void } {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return {
    pid: child.pid!,
    stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    },
  };
}
