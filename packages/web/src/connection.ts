/**
 * The page's link to `mlayer server`: one WebSocket at /pvws/pv of the page's own host,
 * speaking the server's protocol (docs/server-protocol.md): requests with an id and their
 * replies, PVWS subscriptions whose partial updates are merged per channel, and the
 * messages of tool runs. A dropped connection is opened again after 500 ms (as PVWS
 * clients do) and every channel subscribed again; close code 3001 means do not reconnect.
 */
import { MlayerError } from '@mlayer/core/errors';

export type Message = Record<string, unknown>;

/** A channel's merged state: the last value (number or array), time, severity and metadata. */
export interface ChannelState {
  value: number | Float64Array | string | undefined;
  /** Seconds since the epoch of the last update. */
  time: number;
  severity: string;
  units?: string;
  min?: number;
  max?: number;
  description?: string;
  readonly?: boolean;
}

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

/** What the server refused or could not answer (its message as sent), or a connection failure. */
export class ServerError extends MlayerError {}

interface Pending {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

function decodeB64dbl(text: string): Float64Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float64Array(bytes.buffer, 0, Math.floor(bytes.length / 8));
}

/** Merges a PVWS sample (an update or a read's sample) into a channel's state: value, time, severity. */
function mergeSample(s: ChannelState, m: Message): void {
  if (typeof m.b64dbl === 'string') s.value = decodeB64dbl(m.b64dbl);
  else if (typeof m.text === 'string') s.value = m.text;
  else if ('value' in m) s.value = typeof m.value === 'number' ? m.value : NaN;
  if (typeof m.seconds === 'number') s.time = m.seconds + (typeof m.nanos === 'number' ? m.nanos / 1e9 : 0);
  if (typeof m.severity === 'string') s.severity = m.severity;
}

export class Connection {
  status: ConnectionStatus = 'connecting';
  /** Channel updates received (all channels). */
  updates = 0;
  /** Newest update time (seconds since the epoch, the server's time stamp). */
  newest = 0;
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly listeners = new Map<string, Set<(pv: string, s: ChannelState) => void>>();
  private readonly messageListeners = new Set<(m: Message) => void>();
  private readonly statusListeners = new Set<(s: ConnectionStatus) => void>();
  private opened: Promise<void> | undefined;
  private token: string | undefined;

  constructor(readonly url: string) {}

  /** ws://HOST/pvws/pv of the page's own server. */
  static forPage(): Connection {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Connection(`${proto}//${location.host}/pvws/pv`);
  }

  open(): Promise<void> {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.setStatus('connecting');
    this.opened = new Promise<void>((resolve) => {
      ws.onopen = () => {
        this.setStatus('open');
        const pvs = [...this.listeners.keys()];
        for (let i = 0; i < pvs.length; i += 1000) ws.send(JSON.stringify({ type: 'subscribe', pvs: pvs.slice(i, i + 1000) }));
        if (this.token) ws.send(JSON.stringify({ type: 'auth', token: this.token }));
        resolve();
      };
    });
    ws.onmessage = (ev) => this.onMessage(String(ev.data));
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.setStatus('closed');
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new ServerError(`connection closed (${ev.code})`));
      }
      this.pending.clear();
      if (ev.code !== 3001) setTimeout(() => void this.open(), 500);
    };
    return this.opened;
  }

  onStatus(f: (s: ConnectionStatus) => void): void {
    this.statusListeners.add(f);
  }

  /** Every message that is not a reply to a request of this page (progress, result, errors). */
  onMessageOf(f: (m: Message) => void): void {
    this.messageListeners.add(f);
  }

  private setStatus(s: ConnectionStatus): void {
    this.status = s;
    for (const f of this.statusListeners) f(s);
  }

  private onMessage(text: string): void {
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (m.type === 'update' && typeof m.pv === 'string') return this.onUpdate(m.pv, m);
    if (m.id !== undefined && m.type !== 'progress') {
      const p = this.pending.get(String(m.id));
      if (p && !(m.type === 'run-started')) {
        this.pending.delete(String(m.id));
        clearTimeout(p.timer);
        if (m.type === 'error') p.reject(new ServerError(String(m.message)));
        else p.resolve(m);
        return;
      }
    }
    for (const f of this.messageListeners) f(m);
  }

  private onUpdate(pv: string, m: Message): void {
    const s = this.channels.get(pv) ?? { value: undefined, time: 0, severity: 'NONE' };
    mergeSample(s, m);
    for (const k of ['units', 'min', 'max', 'description', 'readonly'] as const) if (k in m) (s as unknown as Message)[k] = m[k];
    this.channels.set(pv, s);
    this.updates++;
    if (s.time > this.newest) this.newest = s.time;
    const ls = this.listeners.get(pv);
    if (ls) for (const f of ls) f(pv, s);
  }

  /** Subscribes to channels (PVWS subscribe, 1000 a message); `f` gets every update of each. */
  subscribe(pvs: readonly string[], f: (pv: string, s: ChannelState) => void): void {
    const fresh: string[] = [];
    for (const pv of pvs) {
      let ls = this.listeners.get(pv);
      if (!ls) {
        ls = new Set();
        this.listeners.set(pv, ls);
        fresh.push(pv);
      }
      ls.add(f);
    }
    if (this.ws?.readyState === WebSocket.OPEN) for (let i = 0; i < fresh.length; i += 1000) this.ws.send(JSON.stringify({ type: 'subscribe', pvs: fresh.slice(i, i + 1000) }));
  }

  /**
   * Reads channels now (the protocol's read): their states, merged into those of the
   * subscriptions (metadata kept) and counted in the data age like updates.
   */
  async read(pvs: readonly string[]): Promise<ChannelState[]> {
    const r = await this.request({ type: 'read', pvs });
    const samples = r.samples as Message[];
    return samples.map((m, i) => {
      const pv = pvs[i];
      // A read's sample always carries its value: one without a number reads NaN.
      const s: ChannelState = { ...(this.channels.get(pv) ?? { value: undefined, time: 0, severity: 'NONE' }), value: NaN };
      mergeSample(s, m);
      if (s.time > this.newest) this.newest = s.time;
      this.updates++;
      return s;
    });
  }

  channel(pv: string): ChannelState | undefined {
    return this.channels.get(pv);
  }

  /** Sends a request with an id; resolves with its reply, rejects with the server's error message. */
  async request(msg: Message, timeoutMs = 30000): Promise<Message> {
    await this.opened;
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new ServerError('not connected to the server');
    const id = `p${this.nextId++}`;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ServerError(`no reply to '${String(msg.type)}' in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  /** Sends a message without waiting for a reply. */
  send(msg: Message): void {
    this.ws?.send(JSON.stringify(msg));
  }

  /** Authenticates this connection's writes with the server's write token (an auth message). */
  async authenticate(token: string): Promise<boolean> {
    this.token = token;
    this.send({ type: 'auth', token });
    return new Promise<boolean>((resolve) => {
      const f = (m: Message): void => {
        if (m.type === 'auth') {
          this.messageListeners.delete(f);
          resolve(m.writes === true);
        } else if (m.type === 'error' && String(m.message).startsWith('auth')) {
          this.messageListeners.delete(f);
          resolve(false);
        }
      };
      this.messageListeners.add(f);
    });
  }
}
