/**
 * A ControlSystem over `mlayer server`'s protocol (PVWS-compatible channels plus the
 * mlayer read/put/info messages): reads and batched writes by request, monitors by PVWS
 * subscriptions (partial updates merged into whole samples). A dropped connection is
 * opened again after reconnectMs and every monitored channel subscribed again; the
 * server's close code 3001 (as PVWS clients take it) and close() end it for good.
 */
import { Observable, Subject } from 'rxjs';
import { type ChannelValue, type ChannelWrite, type ConnectionEvent, type ControlSystem, DisconnectedError, MlayerError, type ReadOptions, type Sample, TimeoutError, type WriteOptions } from '@mlayer/core';
import { defaultSocketFactory, OPEN, type SocketFactory, type SocketLike } from './socket.js';

export const DO_NOT_RECONNECT = 3001;
const SEVERITY: Record<string, 0 | 1 | 2 | 3> = { NONE: 0, MINOR: 1, MAJOR: 2, INVALID: 3, UNDEFINED: 3 };

export interface WsControlSystemOptions {
  /** Name of the control system (default 'ws'). */
  readonly name?: string;
  /** The server's write token (sent with each write). */
  readonly token?: string;
  /** Recorded in the server's audit log. */
  readonly tool?: string;
  /** Default ms (default 10000). */
  readonly timeout?: number;
  /** Wait before opening a dropped connection again, ms (default 500, as cs-web-lib's PVWS client). */
  readonly reconnectMs?: number;
  readonly socketFactory?: SocketFactory;
}

interface Pending {
  resolve: (m: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Monitor {
  readonly observers: Set<(s: Sample) => void>;
  /** The merged state of PVWS's partial updates. */
  state: Record<string, unknown>;
}

function decodeValue(m: Record<string, unknown>): ChannelValue {
  if (typeof m.b64dbl === 'string') {
    const bin = atob(m.b64dbl);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float64Array(bytes.buffer, 0, Math.floor(bytes.length / 8));
  }
  if (typeof m.text === 'string') return m.text;
  return typeof m.value === 'number' ? m.value : NaN;
}

function toSample(m: Record<string, unknown>): Sample {
  const seconds = typeof m.seconds === 'number' ? m.seconds : Date.now() / 1000;
  const severity = SEVERITY[String(m.severity ?? 'NONE')] ?? 3;
  return { value: decodeValue(m), timestamp: seconds + (typeof m.nanos === 'number' ? m.nanos / 1e9 : 0), severity, status: m.severity === 'UNDEFINED' ? 'DISCONNECTED' : severity === 0 ? 'NO_ALARM' : String(m.severity), connected: true };
}

export class WsControlSystem implements ControlSystem {
  readonly name: string;
  online = false;
  immediate = false;
  readonly connection$ = new Subject<ConnectionEvent>();
  private socket: SocketLike | undefined;
  private opened: Promise<void> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly monitors = new Map<string, Monitor>();
  private nextId = 1;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Connections opened (1 + reconnections). */
  connections = 0;

  private constructor(
    readonly url: string,
    private readonly options: WsControlSystemOptions,
    private readonly factory: SocketFactory,
  ) {
    this.name = options.name ?? 'ws';
  }

  /** Connects and asks the server what it serves (online or not, immediate or not). */
  static async connect(url: string, options: WsControlSystemOptions = {}): Promise<WsControlSystem> {
    const cs = new WsControlSystem(url, options, options.socketFactory ?? (await defaultSocketFactory()));
    await cs.open();
    const info = await cs.request({ type: 'info' });
    cs.online = info.online === true;
    cs.immediate = info.immediate === true;
    return cs;
  }

  private open(): Promise<void> {
    const socket = this.factory(this.url);
    this.socket = socket;
    this.opened = new Promise<void>((resolve, reject) => {
      socket.onopen = () => {
        this.connections++;
        // Resubscribe what is monitored.
        const pvs = [...this.monitors.keys()];
        if (pvs.length > 0) socket.send(JSON.stringify({ type: 'subscribe', pvs }));
        resolve();
      };
      socket.onerror = () => reject(new DisconnectedError(this.url, 'cannot connect'));
    });
    socket.onmessage = (ev) => this.onMessage(String(ev.data));
    socket.onclose = (ev) => this.onClose(socket, ev.code, ev.reason);
    this.opened.catch(() => undefined);
    return this.opened;
  }

  private onClose(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    const why = new DisconnectedError(this.url, `connection closed (${code}${reason ? `, ${reason}` : ''})`);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(why);
    }
    this.pending.clear();
    const now = Date.now() / 1000;
    for (const [channel, m] of this.monitors) {
      m.state = {};
      const s: Sample = { value: NaN, timestamp: now, severity: 3, status: 'DISCONNECTED', connected: false };
      for (const o of m.observers) o(s);
      this.connection$.next({ channel, connected: false, timestamp: now });
    }
    if (this.closed || code === DO_NOT_RECONNECT || this.reconnectTimer) return;
    // A failed attempt closes its socket too (onclose), which schedules the next one.
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) void this.open().catch(() => undefined);
    }, this.options.reconnectMs ?? 500);
  }

  private onMessage(text: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (m.id !== undefined) {
      const p = this.pending.get(String(m.id));
      if (p) {
        this.pending.delete(String(m.id));
        clearTimeout(p.timer);
        if (m.type === 'error') p.reject(new MlayerError(`${this.url}: ${String(m.message)}`));
        else p.resolve(m);
        return;
      }
    }
    if (m.type === 'update' && typeof m.pv === 'string') {
      const mon = this.monitors.get(m.pv);
      if (!mon) return;
      const first = Object.keys(mon.state).length === 0;
      // PVWS sends changed fields only: merge, and drop the other value forms when one comes.
      if ('value' in m || 'text' in m || 'b64dbl' in m) for (const k of ['value', 'text', 'b64dbl']) delete mon.state[k];
      mon.state = { ...mon.state, ...m };
      const s = toSample(mon.state);
      if (first) this.connection$.next({ channel: m.pv, connected: true, timestamp: s.timestamp });
      for (const o of mon.observers) o(s);
    }
  }

  /** Sends one mlayer message with an id and resolves with the reply (an error reply rejects). */
  async request(msg: Record<string, unknown>, timeout = this.options.timeout ?? 10000, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (this.closed) throw new DisconnectedError(this.url, 'closed');
    await this.opened;
    const socket = this.socket!;
    if (socket.readyState !== OPEN) throw new DisconnectedError(this.url, 'not connected');
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(signal!.reason instanceof Error ? signal!.reason : new MlayerError('aborted'));
      };
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        done();
        reject(new TimeoutError(this.url, timeout, String(msg.type)));
      }, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve: (m) => (done(), resolve(m)), reject: (e) => (done(), reject(e)), timer });
      socket.send(JSON.stringify({ ...msg, id }));
    });
  }

  async read(channels: readonly string[], options: ReadOptions = {}): Promise<Sample[]> {
    if (channels.length === 0) return [];
    const r = await this.request({ type: 'read', pvs: channels }, options.timeout, options.signal);
    return (r.samples as Record<string, unknown>[]).map(toSample);
  }

  async write(writes: readonly ChannelWrite[], options: WriteOptions = {}): Promise<void> {
    if (writes.length === 0) return;
    for (const w of writes) if (typeof w.value !== 'number') throw new MlayerError(`${this.url}: write of ${w.channel}: only numbers are written through the server`);
    await this.request({ type: 'put', writes: writes.map((w) => ({ pv: w.channel, value: w.value })), token: this.options.token, tool: this.options.tool }, options.timeout, options.signal);
  }

  monitor(channel: string): Observable<Sample> {
    return new Observable<Sample>((sub) => {
      let mon = this.monitors.get(channel);
      const observer = (s: Sample): void => sub.next(s);
      if (!mon) {
        mon = { observers: new Set(), state: {} };
        this.monitors.set(channel, mon);
        if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify({ type: 'subscribe', pvs: [channel] }));
      } else if (Object.keys(mon.state).length > 0) observer(toSample(mon.state));
      mon.observers.add(observer);
      const m = mon;
      return () => {
        m.observers.delete(observer);
        if (m.observers.size === 0) {
          this.monitors.delete(channel);
          if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify({ type: 'clear', pvs: [channel] }));
        }
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.monitors.clear();
    this.socket?.close(1000, 'client closed');
    this.connection$.complete();
  }
}
