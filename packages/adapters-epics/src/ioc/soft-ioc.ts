import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '@mlayer/core';
import type { IocChannelDescription } from './channel-description.js';
import { generateDb } from './db-generator.js';
import { IocError } from './ioc-error.js';
import { epicsExecutable } from './epics-base.js';
import { findFreeIocPorts, loopbackEpicsEnv, udpFree, type IocPorts } from './ports.js';

export interface SoftIocOptions {
  /** EPICS base install directory (see ensureEpicsBase()). */
  readonly epicsBase: string;
  /** Channels to serve (a .db is generated); and/or raw database text. */
  readonly channels?: readonly IocChannelDescription[];
  readonly dbText?: string;
  /** Serve PV Access too (softIocPVA) besides Channel Access. */
  readonly pva?: boolean;
  /** Ports (default: four free ones). */
  readonly ports?: IocPorts;
  /** Start a caRepeater for these ports (default true), so the IOC does not spawn an orphan one. */
  readonly repeater?: boolean;
  /** Milliseconds to wait for iocInit (default 20000). */
  readonly startupTimeoutMs?: number;
  /** Called with each line the IOC prints. */
  readonly log?: (line: string) => void;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave an IOC behind when the test process ends; each is killed by its own PID.
    process.once('exit', () => {
      for (const c of live) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    });
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess | undefined, graceMs = 2000): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  process.kill(child.pid, 'SIGTERM');
  if (!(await waitExit(child, graceMs))) {
    process.kill(child.pid, 'SIGKILL');
    await waitExit(child, graceMs);
  }
}

function tcpListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const READY = 'iocRun: All initialization complete';
const DIR_PREFIX = 'mlayer-ioc-';
const OWNER_FILE = 'owner.json';

/** What an IOC directory records so that a later run can clean up after a killed one. */
interface Owner {
  readonly pid: number;
  readonly repeaterPid?: number;
}


/** True when process `pid` runs the named executable (so a recycled PID is never killed). */
function runs(pid: number, executable: string): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0.endsWith(`/${executable}`) || argv0 === executable;
  } catch {
    return false;
  }
}

/**
 * Removes what killed runs left in the temporary directory: the IOC directory of a
 * process that no longer exists, and the caRepeater it started (killed by its PID,
 * after checking that the PID still runs caRepeater). Returns the directories removed.
 */
export function cleanStaleIocs(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(dir, name);
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(join(path, OWNER_FILE), 'utf8')) as Owner;
    } catch {
      continue;
    }
    if (!Number.isSafeInteger(owner.pid) || owner.pid === process.pid || processAlive(owner.pid)) continue;
    if (owner.repeaterPid !== undefined && processAlive(owner.repeaterPid) && runs(owner.repeaterPid, 'caRepeater')) process.kill(owner.repeaterPid, 'SIGTERM');
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

/**
 * A shell that waits for its stdin to close, then kills the repeater (by PID) and
 * removes the IOC directory: when this process dies, even by SIGKILL, the pipe
 * closes and nothing stays behind. A clean stop kills the guardian first.
 */
function startGuardian(dir: string, repeaterPid: number | undefined): ChildProcess {
  const script = 'trap "" INT TERM HUP; cat >/dev/null; if [ -n "$1" ]; then kill -TERM "$1" 2>/dev/null; fi; rm -rf -- "$2"';
  const child = spawn('sh', ['-c', script, 'mlayer-ioc-guardian', repeaterPid === undefined ? '' : String(repeaterPid), dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  // Not counted as work: the guardian never keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}

/**
 * A softIoc (or softIocPVA) serving a generated database on loopback only, on
 * its own ports, started and stopped by PID (never by name). `restart()` keeps
 * the ports and database, so clients can reconnect to the same address.
 */
export class SoftIoc {
  readonly ports: IocPorts;
  readonly dbPath: string;
  private readonly dir: string;
  private ioc: ChildProcess | undefined;
  private repeater: ChildProcess | undefined;
  private guardian: ChildProcess | undefined;
  private readonly output: string[] = [];

  private constructor(
    private readonly options: SoftIocOptions,
    ports: IocPorts,
  ) {
    this.ports = ports;
    this.dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    this.writeOwner();
    this.dbPath = join(this.dir, 'ioc.db');
    const parts: string[] = [];
    if (options.channels?.length) parts.push(generateDb(options.channels));
    if (options.dbText) parts.push(options.dbText);
    if (!parts.length) throw new IocError('SoftIoc: no channels and no database text to serve');
    writeFileSync(this.dbPath, parts.join('\n'));
  }

  /** Generate the database and start the IOC; resolves once iocInit is complete and the CA port accepts connections. */
  static async start(options: SoftIocOptions): Promise<SoftIoc> {
    // What a killed run left (its directory, its caRepeater) goes first.
    cleanStaleIocs();
    const ports = options.ports ?? (await findFreeIocPorts());
    const ioc = new SoftIoc(options, ports);
    try {
      if (options.repeater !== false) await ioc.startRepeater();
      ioc.writeOwner();
      ioc.guardian = startGuardian(ioc.dir, ioc.repeater?.pid);
      await ioc.startIoc();
    } catch (e) {
      await ioc.stop();
      throw e;
    }
    return ioc;
  }

  /** Environment for client tools (caget, pvget, pyepics) talking to this IOC. */
  get clientEnv(): Record<string, string> {
    return loopbackEpicsEnv(this.ports);
  }

  get pid(): number | undefined {
    return this.ioc?.exitCode === null && this.ioc.signalCode === null ? this.ioc.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** PID of the caRepeater this IOC started (undefined when it uses one already running). */
  get repeaterPid(): number | undefined {
    return this.repeater?.exitCode === null && this.repeater.signalCode === null ? this.repeater.pid : undefined;
  }

  /** The temporary directory of the IOC (database, owner record); removed by stop(). */
  get directory(): string {
    return this.dir;
  }

  private writeOwner(): void {
    const owner: Owner = { pid: process.pid, repeaterPid: this.repeater?.pid };
    writeFileSync(join(this.dir, OWNER_FILE), JSON.stringify(owner));
  }

  /** The last lines the IOC printed. */
  get log(): string {
    return this.output.join('\n');
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EPICS_')) env[k] = v;
    return { ...env, ...loopbackEpicsEnv(this.ports) };
  }

  /**
   * Starts a caRepeater on the IOC's repeater port unless one already listens there. A repeater that
   * exits at once (another process took the port between the check and its bind, or a loaded machine)
   * is tried again; the error names the port and what the repeater printed.
   */
  private async startRepeater(): Promise<void> {
    const said: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (!(await udpFree(this.ports.caRepeater))) return;
      const child = spawn(epicsExecutable(this.options.epicsBase, 'caRepeater'), [], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      track(child);
      const keep = (b: Buffer) => said.length < 20 && said.push(...b.toString().split('\n').filter((l) => l.trim()).slice(0, 5));
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      this.repeater = child;
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline) {
        if (!(await udpFree(this.ports.caRepeater))) return;
        if (child.exitCode !== null || child.signalCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      this.repeater = undefined;
    }
    throw new IocError(`caRepeater did not bind UDP port ${this.ports.caRepeater} (3 tries)${said.length ? `; it printed: ${said.slice(0, 6).join(' | ')}` : ''}`);
  }

  private record(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      this.output.push(line);
      if (this.output.length > 200) this.output.shift();
      this.options.log?.(line);
    }
  }

  private async startIoc(): Promise<void> {
    if (this.running) throw new IocError(`IOC already running (pid ${this.pid})`);
    const exe = epicsExecutable(this.options.epicsBase, this.options.pva ? 'softIocPVA' : 'softIoc');
    // Not -S: the IOC shell reads the (open, idle) stdin pipe, and SIGTERM ends the IOC.
    const child = spawn(exe, ['-d', this.dbPath], { env: this.env(), stdio: ['pipe', 'pipe', 'pipe'], cwd: this.dir });
    track(child);
    this.ioc = child;
    const timeoutMs = this.options.startupTimeoutMs ?? 20000;
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => fail(`IOC did not finish iocInit within ${timeoutMs} ms`), timeoutMs);
      const onData = (d: Buffer) => {
        const s = d.toString('utf8');
        this.record(s);
        text += s;
        if (text.includes(READY)) done();
      };
      const onExit = (code: number | null, signal: string | null) =>
        fail(`IOC exited during startup (code ${code}, signal ${signal})`);
      const cleanup = () => {
        clearTimeout(timer);
        child.off('exit', onExit);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const fail = (why: string) => {
        cleanup();
        reject(new Error(`${why}; ${exe} -d ${this.dbPath}; output:\n${this.log}`));
      };
      // iocInit reports through errlog (stderr); the shell prompt goes to stdout.
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
    });
    const deadline = Date.now() + 5000;
    while (!(await tcpListening(this.ports.ca))) {
      if (Date.now() > deadline) throw new IocError(`IOC does not accept CA connections on 127.0.0.1:${this.ports.ca}\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kill the IOC process by PID (SIGKILL simulates a crash); the repeater and files stay. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.ioc;
    if (!child || child.pid === undefined || !this.running) return;
    process.kill(child.pid, signal);
    if (!(await waitExit(child, 3000))) throw new IocError(`IOC pid ${child.pid} did not exit on ${signal}`);
  }

  /** Start the IOC again on the same ports with the same database. */
  async restart(): Promise<void> {
    await stopChild(this.ioc);
    await this.startIoc();
  }

  /** Stop the IOC and its repeater (by PID) and remove the generated files. */
  async stop(): Promise<void> {
    // The guardian goes first, so that it never kills a PID the repeater no longer holds.
    if (this.guardian?.pid !== undefined && this.guardian.exitCode === null && this.guardian.signalCode === null) process.kill(this.guardian.pid, 'SIGKILL');
    this.guardian = undefined;
    await stopChild(this.ioc);
    await stopChild(this.repeater);
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}
