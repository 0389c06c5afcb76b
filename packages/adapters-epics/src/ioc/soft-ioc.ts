import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IocChannelDescription } from './channel-description.js';
import { generateDb } from './db-generator.js';
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
  private readonly output: string[] = [];

  private constructor(
    private readonly options: SoftIocOptions,
    ports: IocPorts,
  ) {
    this.ports = ports;
    this.dir = mkdtempSync(join(tmpdir(), 'mlayer-ioc-'));
    this.dbPath = join(this.dir, 'ioc.db');
    const parts: string[] = [];
    if (options.channels?.length) parts.push(generateDb(options.channels));
    if (options.dbText) parts.push(options.dbText);
    if (!parts.length) throw new Error('SoftIoc: no channels and no database text to serve');
    writeFileSync(this.dbPath, parts.join('\n'));
  }

  /** Generate the database and start the IOC; resolves once iocInit is complete and the CA port accepts connections. */
  static async start(options: SoftIocOptions): Promise<SoftIoc> {
    const ports = options.ports ?? (await findFreeIocPorts());
    const ioc = new SoftIoc(options, ports);
    try {
      if (options.repeater !== false) await ioc.startRepeater();
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

  /** The last lines the IOC printed. */
  get log(): string {
    return this.output.join('\n');
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EPICS_')) env[k] = v;
    return { ...env, ...loopbackEpicsEnv(this.ports) };
  }

  private async startRepeater(): Promise<void> {
    if (!(await udpFree(this.ports.caRepeater))) return;
    const child = spawn(epicsExecutable(this.options.epicsBase, 'caRepeater'), [], { env: this.env(), stdio: 'ignore' });
    track(child);
    this.repeater = child;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (!(await udpFree(this.ports.caRepeater))) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`caRepeater did not bind UDP port ${this.ports.caRepeater}`);
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
    if (this.running) throw new Error(`IOC already running (pid ${this.pid})`);
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
      if (Date.now() > deadline) throw new Error(`IOC does not accept CA connections on 127.0.0.1:${this.ports.ca}\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kill the IOC process by PID (SIGKILL simulates a crash); the repeater and files stay. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.ioc;
    if (!child || child.pid === undefined || !this.running) return;
    process.kill(child.pid, signal);
    if (!(await waitExit(child, 3000))) throw new Error(`IOC pid ${child.pid} did not exit on ${signal}`);
  }

  /** Start the IOC again on the same ports with the same database. */
  async restart(): Promise<void> {
    await stopChild(this.ioc);
    await this.startIoc();
  }

  /** Stop the IOC and its repeater (by PID) and remove the generated files. */
  async stop(): Promise<void> {
    await stopChild(this.ioc);
    await stopChild(this.repeater);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
