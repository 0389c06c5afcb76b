/**
 * `mlayer server`'s core: one accelerator served over WebSocket at /pvws/pv
 * (PVWS-compatible channels, mlayer messages) and HTTP (static files, measurement files).
 * Browser connections from another origin are refused; a bearer token at the upgrade
 * authenticates writes for the connection.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { type Accelerator, type LoadedFacility, isDigitalTwin } from '@mlayer/core';
import { ChannelIndex } from './channel-index.js';
import { ChannelFeeds } from './channel-feeds.js';
import { ClientSession, type SessionLimits } from './client-session.js';
import { handleHttp } from './http-routes.js';
import { WriteGuard } from './write-guard.js';
import { TwinState } from './twin-state.js';
import { WriteCoalescer } from './write-coalescer.js';
import { ToolRuns } from './tool-runs.js';

export const SERVER_VERSION = '0.1.0';
export const PVWS_PATH = '/pvws/pv';

export interface ServerOptions {
  readonly acc: Accelerator;
  readonly facility: LoadedFacility;
  readonly host: string;
  readonly port: number;
  readonly allowWrites?: boolean;
  /** Where the write token is written (mode 0600); needed with allowWrites. */
  readonly tokenFile?: string;
  /** Audit log of accepted writes (JSON lines). */
  readonly auditFile?: string;
  /** Twin state file (twin mode only). */
  readonly stateFile?: string;
  readonly staticDir?: string;
  readonly dataDir?: string;
  /** Largest accepted message, bytes (default 64 KiB): a larger one closes the connection (1009). */
  readonly maxMessageBytes?: number;
  readonly limits?: Partial<SessionLimits>;
  /** A burst of channel writes is gathered while they come less than this many ms apart (default 20)... */
  readonly coalesceMs?: number;
  /** ...for at most this many ms from its first write (default 100), then applied as one batch. */
  readonly coalesceMaxMs?: number;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly restored: boolean;
  clients(): number;
  stop(): Promise<void>;
}

export const DEFAULT_LIMITS: SessionLimits = { scalarPeriodMs: 100, arrayPeriodMs: 100, maxPvsPerMessage: 1000, maxSubscriptions: 5000, maxBufferedBytes: 8 * 1024 * 1024 };

function refuse(socket: Duplex, status: string, why: string): void {
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * On loopback, the Host a request names must be a loopback name: a page of another site
 * whose name was made to point at 127.0.0.1 (DNS rebinding) names its own host, and its
 * Origin then matches that Host.
 */
function loopbackHost(req: IncomingMessage): boolean {
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOOPBACK_NAMES.has(name.toLowerCase());
}

/** True when a browser's Origin is the server's own (same host and port as the request's Host). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const log = o.log ?? (() => undefined);
  const limits: SessionLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const twin = isDigitalTwin(o.acc.controlSystem);
  const state = twin ? new TwinState(o.acc, o.stateFile) : undefined;
  const restored = state ? await state.restore() : false;
  const guard = new WriteGuard(!!o.allowWrites, o.auditFile, o.tokenFile);
  const index = new ChannelIndex(o.acc, o.facility);
  const feeds = new ChannelFeeds(o.acc);
  const writes = new WriteCoalescer(o.acc, guard, state, o.coalesceMs ?? 20, o.coalesceMaxMs ?? 100);
  const runs = new ToolRuns(o.acc, guard, state, o.dataDir);
  const ctx = { acc: o.acc, index, feeds, guard, state, limits, log, facilityName: o.facility.config.name, version: SERVER_VERSION, writes, runs, dataDir: o.dataDir };
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxMessageBytes ?? 64 * 1024 });
  const sessions = new Set<ClientSession>();
  const onLoopback = LOOPBACK_NAMES.has(o.host) || o.host.startsWith('127.');
  const http: Server = createServer((req, res) => {
    if (onLoopback && !loopbackHost(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`host ${req.headers.host ?? '(none)'} is not this loopback server's\n`);
      return;
    }
    handleHttp(req, res, { staticDir: o.staticDir, dataDir: o.dataDir, version: SERVER_VERSION });
  });
  http.on('upgrade', (req, socket, head) => {
    if (onLoopback && !loopbackHost(req)) return refuse(socket, '403 Forbidden', `host ${req.headers.host ?? '(none)'} is not this loopback server's\n`);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== PVWS_PATH) return refuse(socket, '404 Not Found', `no WebSocket at ${path}; it is at ${PVWS_PATH}\n`);
    if (!sameOrigin(req)) {
      log(`refused a connection from origin ${req.headers.origin} (${req.socket.remoteAddress})`);
      return refuse(socket, '403 Forbidden', `origin ${req.headers.origin} is not this server's\n`);
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (bearer !== undefined && !guard.valid(bearer)) return refuse(socket, '401 Unauthorized', 'wrong write token\n');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      const session = new ClientSession(ws, client, ctx, bearer !== undefined);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const addr = http.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let stopped: Promise<void> | undefined;
  return {
    url: `ws://${hostPart}:${addr.port}${PVWS_PATH}`,
    port: addr.port,
    host: addr.address,
    restored,
    clients: () => sessions.size,
    stop: () =>
      (stopped ??= (async () => {
        for (const s of sessions) s.dispose();
        for (const ws of wss.clients) ws.close(1001, 'server stopping');
        feeds.close();
        await state?.save().catch(() => undefined);
        await new Promise<void>((resolve) => {
          wss.close(() => resolve());
        });
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })()),
  };
}
