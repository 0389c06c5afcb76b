/** A real `mlayer server` process on a free loopback port (port 0), and a plain WebSocket client for the tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';

const BIN = join(__dirname, '../../../cli/dist/bin.js');

export interface ServerInfo {
  url: string;
  port: number;
  pid: number;
  tokenFile: string | null;
  auditFile: string;
  stateFile: string | null;
  restored: boolean;
}

export interface ServerProcess {
  readonly info: ServerInfo;
  readonly child: ChildProcess;
  stderr(): string;
  /** Kills by PID (SIGKILL unless told) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServerProcess(args: string[], cwd: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, '--json', 'server', '--listen', '127.0.0.1:0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${err}`)), 60000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)) as ServerInfo);
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${err}`)));
  });
  return {
    info,
    child,
    stderr: () => err,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) process.kill(info.pid, signal);
      return exited;
    },
  };
}

/** Server processes started in `cwd` by `start`; `killAll` (from afterAll) kills every one. */
export function serverProcesses(cwd: string): { start(args: string[]): Promise<ServerProcess>; killAll(): Promise<void> } {
  const procs: ServerProcess[] = [];
  return {
    async start(args) {
      const p = await startServerProcess(args, cwd);
      procs.push(p);
      return p;
    },
    async killAll() {
      for (const p of procs) await p.kill();
    },
  };
}

/** A plain WebSocket client speaking JSON messages: every message received is kept. */
export class PlainClient {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Record<string, unknown>;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<PlainClient> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new PlainClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The next message (or one already received after `from`) that matches. */
  next(pred: (m: Record<string, unknown>) => boolean, from = this.messages.length, timeoutMs = 10000): Promise<Record<string, unknown>> {
    const had = this.messages.slice(from).find(pred);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-3))}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** Sends a request with an id and waits for the reply carrying it. */
  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = Math.random().toString(36).slice(2);
    const from = this.messages.length;
    this.send({ ...msg, id });
    return this.next((m) => m.id === id, from);
  }

  close(): void {
    this.ws.close();
  }
}
