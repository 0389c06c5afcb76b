import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlayerError, facilityTools, isDigitalTwin } from '@mlayer/core';
import type { GlobalOptions } from '../global-options.js';
import { openAccelerator } from '../context.js';
import { cacheDir } from '../facility-cache.js';

export interface ServerCommandOptions {
  listen: string;
  state?: string;
  allowWrites: boolean;
  tokenFile?: string;
  audit?: string;
  static?: string;
  web?: boolean;
  maxMessage: string;
  throttle: string;
  maxBuffered: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** HOST:PORT (IPv6 in brackets); port 0 picks a free one. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text.trim());
  if (!m) throw new MlayerError(`--listen: '${text}' is not HOST:PORT (e.g. 127.0.0.1:8080)`);
  const port = Number(m[2]);
  if (port > 65535) throw new MlayerError(`--listen: port ${port} is not a port number (0-65535)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function positiveInteger(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0) throw new MlayerError(`${option}: '${text}' is not a positive integer`);
  return Number(text);
}

/** The token's default folder: the CLI's cache folder (facility-cache.ts), also under MLAYER_NO_CACHE=1. */
const tokenDir = (): string => cacheDir({ ...process.env, MLAYER_NO_CACHE: undefined })!;

/** The built web control room (@mlayer/web's dist): an error naming the build when it is not there. */
function webPageDir(): string {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('@mlayer/web/package.json')), 'dist');
  } catch {
    dir = fileURLToPath(new URL('../../../web/dist', import.meta.url));
  }
  if (!existsSync(join(dir, 'index.html'))) throw new MlayerError(`--web: the web page is not built (${join(dir, 'index.html')} missing): run npm run build; nothing was started`);
  return dir;
}

/** `mlayer server`: serves the accelerator until SIGINT/SIGTERM. */
export async function serverAction(o: ServerCommandOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { host, port } = parseListen(o.listen);
  const maxMessageBytes = positiveInteger(o.maxMessage, '--max-message');
  const [scalar, array = scalar] = o.throttle.split(',').map((t) => positiveInteger(t, '--throttle'));
  const say = (line: string): void => {
    process.stderr.write(`mlayer server: ${line}\n`);
  };
  if (o.web && o.static) throw new MlayerError('--web and --static both name what is served at /: give one; nothing was started');
  // Before the facility is opened: a page not built fails at once.
  const staticDir = o.web ? webPageDir() : o.static ? resolve(o.static) : undefined;
  if (!LOOPBACK.has(host)) say(`listening on ${host}, not loopback: other machines can read the accelerator`);
  // The global --server/$MLAYER_SERVER is for clients: the server opens the facility's own control system.
  const { acc, facility } = await openAccelerator({ ...g, server: undefined });
  try {
    if (acc.online && !g.yes) throw new MlayerError(`server: mode '${acc.mode}' is an online control system: serving it needs --yes at start; nothing was started`);
    if (o.state && !isDigitalTwin(acc.controlSystem)) throw new MlayerError(`--state: mode '${acc.mode}' is not a digital twin: only a twin keeps its state in a file; nothing was started`);
    const { startServer } = await import('@mlayer/server');
    const stateFile = o.state ? resolve(o.state) : undefined;
    const tokenFile = o.allowWrites ? resolve(o.tokenFile ?? g.tokenFile ?? join(tokenDir(), port === 0 ? `mlayer-server-pid${process.pid}.token` : `mlayer-server-${port}.token`)) : undefined;
    const auditFile = resolve(o.audit ?? (stateFile ? join(dirname(stateFile), 'mlayer-audit.jsonl') : 'mlayer-audit.jsonl'));
    const server = await startServer({
      acc,
      facility,
      host,
      port,
      allowWrites: o.allowWrites,
      tokenFile,
      auditFile,
      stateFile,
      staticDir,
      dataDir: facilityTools(facility).dataDir,
      maxMessageBytes,
      limits: { scalarPeriodMs: scalar, arrayPeriodMs: array, maxBufferedBytes: positiveInteger(o.maxBuffered, '--max-buffered') },
      log: say,
    });
    const info = { url: server.url, port: server.port, pid: process.pid, mode: acc.mode, writes: o.allowWrites, tokenFile: tokenFile ?? null, auditFile, stateFile: stateFile ?? null, restored: server.restored };
    process.stdout.write(g.json ? `${JSON.stringify(info)}\n` : `serving ${facility.config.name} (mode ${acc.mode}) at ${server.url}${server.restored ? `, state restored from ${stateFile}` : ''}; writes ${o.allowWrites ? `allowed with the token in ${tokenFile}` : 'off'}; Ctrl-C stops\n`);
    const sig = await new Promise<NodeJS.Signals>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    say(`${sig}: stopping`);
    await server.stop();
  } finally {
    await acc.close();
  }
}
