import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { MlayerError } from '@mlayer/core';

/** A process of the test TANGO system failed to start or to stop. */
export class TangoSystemError extends MlayerError {}

/** A child process started by the test system, stopped by its PID only. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal name) when the process ended. */
  readonly exited: Promise<number | string>;
  /** stdout and stderr so far (the last 64 kB). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (a crash, as far as clients can tell); resolves when the process is gone. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave servers behind when the test process ends without stop().
  process.on('exit', () => {
    for (const child of live) if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export function spawnManaged(o: SpawnOptions): ManagedProcess {
  installExitHook();
  const child = spawn(o.command, [...o.args], { env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    if (out.length > 65536) out = out.slice(-65536);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once('error', (e) => {
      live.delete(child);
      reject(new TangoSystemError(`${o.name}: cannot run ${o.command}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  exited.catch(() => undefined);
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT is reported through 'error')
  } else {
    live.add(child);
  }
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid !== undefined && !gone()) {
      try {
        process.kill(child.pid, sig);
      } catch {
        // exited meanwhile
      }
    }
  };
  return {
    name: o.name,
    pid: child.pid ?? -1,
    exited,
    output: () => out,
    async stop(graceMs = 5000) {
      if (gone() || child.pid === undefined) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited.catch(() => undefined);
      clearTimeout(timer);
    },
    async kill() {
      if (gone() || child.pid === undefined) return;
      signal('SIGKILL');
      await exited.catch(() => undefined);
    },
  };
}

/** Waits until `pattern` appears in the process output; rejects when it exits first or after `timeoutMs`. */
export async function waitForOutput(p: ManagedProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended: number | string | undefined;
  void p.exited.then(
    (c) => (ended = c),
    (e: unknown) => (ended = e instanceof Error ? e.message : String(e)),
  );
  while (!pattern.test(p.output())) {
    if (ended !== undefined) {
      throw new TangoSystemError(`${p.name} (pid ${p.pid}) exited (${ended}) before printing ${pattern}; its output:\n${p.output().slice(-4000)}`);
    }
    if (Date.now() > deadline) {
      throw new TangoSystemError(`${p.name} (pid ${p.pid}) did not print ${pattern} within ${timeoutMs} ms; its output:\n${p.output().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a command to completion; rejects with its output when it fails. */
export async function runToCompletion(o: SpawnOptions & { readonly input?: string; readonly timeoutMs?: number }): Promise<string> {
  installExitHook();
  return new Promise<string>((resolve, reject) => {
    const child = spawn(o.command, [...o.args], { env: o.env ?? process.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, o.timeoutMs ?? 120_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new TangoSystemError(`${o.name}: cannot run ${o.command}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new TangoSystemError(`${o.name}: ${o.command} ${o.args.join(' ')} failed (${code ?? signal}):\n${out.slice(-4000)}`));
    });
    child.stdin.end(o.input ?? '');
  });
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new TangoSystemError('no free port'))));
    });
  });
}
