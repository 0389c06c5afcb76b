import {
  DisconnectedError,
  MlayerError,
  TimeoutError,
  WriteRejectedError,
  type ChannelValue,
  type ChannelWrite,
  type ConnectionEvent,
  type ControlSystem,
  type ReadOptions,
  type Sample,
  type WriteOptions,
} from '@mlayer/core';
import { Observable, Subject, asyncScheduler, share, throttleTime } from 'rxjs';
import { Channel_STATES, Context, Context_STATES, ECA, ECA_VALUES, PVA_STATUS_TYPE, type Channel, type ChannelMonitor } from 'epics-tca';
import { caSample, disconnectedSample, pvaSample, type CaData } from './decode.js';
import { parsePvName, type EpicsProtocol, type PvAddress } from './pv-name.js';
import { addressHosts, epicsSettingsSchema, type EpicsSettings, type EpicsSettingsInput } from './settings.js';
import { SupervisedChannel } from './supervised-channel.js';
import { Deadline } from './deadline.js';

/** Fields a PVA get or monitor asks for. */
const PVA_REQUEST = 'field(value,alarm,timeStamp)';
/** Offset from a CA base DBR type (0-6) to its DBR_TIME_* type. */
const DBR_TIME_OFFSET = 14;
const CONNECTING = 'connecting (no server answered the search for this PV, or its IOC is down)';

/** The epics-tca environment (EPICS_* variables) for these settings; nothing is left to the process environment. */
export function epicsEnvironment(s: EpicsSettings): Record<string, string> {
  return {
    EPICS_CA_ADDR_LIST: addressHosts(s.addressList).join(' '),
    EPICS_CA_AUTO_ADDR_LIST: s.autoAddressList ? 'YES' : 'NO',
    EPICS_CA_SERVER_PORT: String(s.serverPort),
    EPICS_CA_REPEATER_PORT: String(s.repeaterPort),
    EPICS_PVA_ADDR_LIST: addressHosts(s.pva.addressList).join(' '),
    EPICS_PVA_AUTO_ADDR_LIST: s.pva.autoAddressList ? 'YES' : 'NO',
    EPICS_PVA_SERVER_PORT: String(s.pva.serverPort),
    EPICS_PVA_BROADCAST_PORT: String(s.pva.broadcastPort),
  };
}

/** Merge a partial PVA monitor update (only changed fields) into the last full structure. */
function mergePva(base: unknown, update: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof update !== 'object' || update === null || Array.isArray(update)) {
    return update;
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(update as Record<string, unknown>)) out[k] = mergePva(out[k], v);
  return out;
}

function isArrayChannel(ch: Channel): boolean {
  return ch.getValueCount() > 1;
}

function caWriteValue(channel: string, value: ChannelValue): number | number[] | string {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value.length === 0) throw new WriteRejectedError(channel, 'an empty array cannot be written over Channel Access');
  return Array.from(value);
}

/**
 * The ControlSystem port over EPICS Channel Access and PV Access (epics-tca).
 * Channel names are PV names, optionally prefixed with `ca://` or `pva://`.
 * Every PV used is kept connected (and reconnected after an IOC restart) until
 * close(); monitors are shared per channel and survive reconnections.
 */
export class EpicsControlSystem implements ControlSystem {
  readonly online = true;
  readonly settings: EpicsSettings;
  private readonly context: Context;
  private readonly channels = new Map<string, SupervisedChannel>();
  private readonly monitors = new Map<string, Observable<Sample>>();
  private readonly connectionSubject = new Subject<ConnectionEvent>();
  readonly connection$: Observable<ConnectionEvent> = this.connectionSubject.asObservable();
  private closed = false;

  private constructor(
    readonly name: string,
    settings: EpicsSettings,
  ) {
    this.settings = settings;
    // epics-tca logs its own errors on the console; the adapter reports them as typed errors instead.
    this.context = new Context(epicsEnvironment(settings), 5);
  }

  /** Validate the settings, create and initialise the epics-tca context. */
  static async create(name: string, settings: EpicsSettingsInput = {}): Promise<EpicsControlSystem> {
    const cs = new EpicsControlSystem(name, epicsSettingsSchema.parse(settings));
    await cs.context.initialize();
    if (cs.context.getState() !== Context_STATES.INITIALIZED) {
      cs.context.destroyHard();
      throw new MlayerError(`EPICS control system '${name}': the epics-tca context failed to initialise (UDP ports unavailable?)`);
    }
    return cs;
  }

  private supervised(address: PvAddress): SupervisedChannel {
    if (this.closed) throw new MlayerError(`EPICS control system '${this.name}' is closed`);
    let sc = this.channels.get(address.key);
    if (!sc) {
      sc = new SupervisedChannel(this.context, address, {
        attemptSeconds: 2,
        onChange: (connected) => this.connectionSubject.next({ channel: address.key, connected, timestamp: Date.now() / 1000 }),
      });
      this.channels.set(address.key, sc);
      sc.start();
    }
    return sc;
  }

  private readonly addresses = new Map<string, PvAddress>();

  private address(channel: string): PvAddress {
    let a = this.addresses.get(channel);
    if (!a) {
      a = parsePvName(channel, this.settings.defaultProtocol as EpicsProtocol);
      this.addresses.set(channel, a);
    }
    return a;
  }

  async read(channels: readonly string[], options: ReadOptions = {}): Promise<Sample[]> {
    // Resolve every name first (a bad name fails the batch before any I/O), then read all concurrently.
    const addresses = channels.map((c) => this.address(c));
    const deadline = new Deadline(options.timeout ?? this.settings.timeout, options.signal);
    try {
      return await Promise.all(addresses.map((a) => this.readOne(a, deadline)));
    } finally {
      deadline.dispose();
    }
  }

  private async readOne(address: PvAddress, deadline: Deadline): Promise<Sample> {
    const sc = this.supervised(address);
    const ch = sc.channel ?? (await this.connected(sc, deadline));
    const seconds = deadline.remainingMs / 1000;
    if (address.protocol === 'pva') {
      const data = await deadline.race(ch.getPva(seconds, PVA_REQUEST), address.key, 'read');
      if (data === undefined) throw this.failure(address, ch, 'read');
      return pvaSample(address.key, data);
    }
    const array = isArrayChannel(ch);
    // Arrays are read with count 0: the server sends the current number of elements (NORD).
    const data = await deadline.race(ch.get(seconds, ch.getDbrType() + DBR_TIME_OFFSET, array ? 0 : 1), address.key, 'read');
    if (data === undefined) throw this.failure(address, ch, 'read');
    return caSample(address.key, data as CaData, array);
  }

  /** Wait for the connection within the operation's deadline (TimeoutError names the connection wait). */
  private connected(sc: SupervisedChannel, deadline: Deadline): Promise<Channel> {
    return deadline.race(sc.connection(), sc.address.key, CONNECTING);
  }

  /** Why epics-tca returned nothing: the channel dropped, or the operation timed out inside epics-tca. */
  private failure(address: PvAddress, ch: Channel, operation: string): MlayerError {
    if (ch.getState() !== Channel_STATES.CREATED) return new DisconnectedError(address.key, `disconnected during ${operation}`);
    return new TimeoutError(address.key, this.settings.timeout, operation);
  }

  async write(writes: readonly ChannelWrite[], options: WriteOptions = {}): Promise<void> {
    const items = writes.map((w) => ({ address: this.address(w.channel), value: w.value }));
    const deadline = new Deadline(options.timeout ?? this.settings.timeout, options.signal);
    try {
      const results = await Promise.allSettled(items.map((w) => this.writeOne(w.address, w.value, options.wait === true, deadline)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      deadline.dispose();
    }
  }

  private async writeOne(address: PvAddress, value: ChannelValue, wait: boolean, deadline: Deadline): Promise<void> {
    const sc = this.supervised(address);
    const ch = sc.channel ?? (await this.connected(sc, deadline));
    const seconds = deadline.remainingMs / 1000;
    if (address.protocol === 'pva') {
      const v = typeof value === 'number' || typeof value === 'string' ? value : Array.from(value);
      // A PVA put always completes on the server before it is acknowledged (QSRV processes the record).
      const status = await deadline.race(ch.putPva('field(value)', [v], seconds), address.key, 'write');
      if (status.type !== PVA_STATUS_TYPE.OK && status.type !== PVA_STATUS_TYPE.OKOK && status.type !== PVA_STATUS_TYPE.WARNING) {
        if (ch.getState() !== Channel_STATES.CREATED) throw new DisconnectedError(address.key, 'disconnected during write');
        throw new WriteRejectedError(address.key, status.message || `PVA status ${PVA_STATUS_TYPE[status.type]}`);
      }
      return;
    }
    let payload: number | number[] | string;
    try {
      payload = caWriteValue(address.key, value);
    } catch (e) {
      throw e instanceof MlayerError ? e : new WriteRejectedError(address.key, String(e));
    }
    const shown = JSON.stringify(typeof value === 'object' ? Array.from(value) : value);
    // epics-tca throws (RangeError, ...) when the value does not fit the channel's native type.
    const put = (notify: boolean): Promise<number | undefined> =>
      ch.put(payload, seconds, notify).catch((e: unknown) => {
        throw new WriteRejectedError(address.key, `value ${shown} does not fit the channel's type: ${e instanceof Error ? e.message : String(e)}`);
      });
    if (!wait) {
      const id = await put(false);
      if (id === undefined) {
        if (ch.getState() !== Channel_STATES.CREATED) throw new DisconnectedError(address.key, 'disconnected during write');
        throw new WriteRejectedError(address.key, `value ${shown} cannot be encoded for this channel's type`);
      }
      return;
    }
    // Put with completion callback (CA_PROTO_WRITE_NOTIFY): resolves when the record's processing completed.
    const code = await deadline.race(put(true), address.key, 'write (waiting for completion)');
    if (code === ECA_VALUES.ECA_NORMAL) return;
    if (ch.getState() !== Channel_STATES.CREATED) throw new DisconnectedError(address.key, 'disconnected while waiting for write completion');
    if (code === undefined) {
      throw new WriteRejectedError(address.key, `value ${shown} cannot be encoded for this channel's type`);
    }
    if (code === 0) throw new TimeoutError(address.key, deadline.timeoutMs, 'write (waiting for completion)');
    throw new WriteRejectedError(address.key, `server answered ${describeEca(code)}`);
  }

  monitor(channel: string): Observable<Sample> {
    const address = this.address(channel);
    let obs = this.monitors.get(address.key);
    if (!obs) {
      const source = new Observable<Sample>((subscriber) => this.runMonitor(address, (s) => subscriber.next(s)));
      const throttled = this.settings.monitorThrottle > 0 ? source.pipe(throttleTime(this.settings.monitorThrottle, asyncScheduler, { leading: true, trailing: true })) : source;
      obs = throttled.pipe(share());
      this.monitors.set(address.key, obs);
    }
    return obs;
  }

  /** The underlying subscription of one shared monitor; returns its teardown. */
  private runMonitor(address: PvAddress, emit: (s: Sample) => void): () => void {
    const sc = this.supervised(address);
    let monitor: ChannelMonitor | undefined;
    let last: Sample | undefined;
    let stopped = false;
    let generation = 0;
    let sawConnection = false;
    const subscribe = async (ch: Channel, gen: number): Promise<void> => {
      for (let attempt = 0; !stopped && gen === generation && ch.getState() === Channel_STATES.CREATED; attempt++) {
        const m = await this.createMonitor(ch, address, (s) => {
          if (!stopped && gen === generation) emit((last = s));
        });
        if (stopped || gen !== generation) {
          m?.destroyHard();
          return;
        }
        if (m) {
          monitor = m;
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000)));
      }
    };
    const sub = sc.current$.subscribe((ch) => {
      generation++;
      monitor = undefined;
      if (ch) {
        sawConnection = true;
        void subscribe(ch, generation);
      } else if (sawConnection && !stopped) {
        emit((last = disconnectedSample(last)));
      }
    });
    return () => {
      stopped = true;
      sub.unsubscribe();
      const m = monitor;
      monitor = undefined;
      if (m && sc.channel && m.getChannel() === sc.channel) m.destroyHard();
    };
  }

  private async createMonitor(ch: Channel, address: PvAddress, onSample: (s: Sample) => void): Promise<ChannelMonitor | undefined> {
    const seconds = this.settings.timeout / 1000;
    if (address.protocol === 'pva') {
      let state: unknown;
      return ch.createMonitorPva(seconds, PVA_REQUEST, (m) => {
        state = mergePva(state, m.getPvaData());
        try {
          onSample(pvaSample(address.key, state));
        } catch {
          // a partial first update without a value cannot make a sample yet
        }
      });
    }
    const array = isArrayChannel(ch);
    return ch.createMonitor(
      seconds,
      // The update was just decoded into the channel's Dbr; caSample copies what it needs at once,
      // so the Dbr's own fields are read without epics-tca's defensive deep copy.
      (m) => onSample(caSample(address.key, dbrNow(m.getChannel()), array)),
      ch.getDbrType() + DBR_TIME_OFFSET,
      array ? 0 : 1,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.channels.values()].map((c) => c.close()));
    this.channels.clear();
    this.monitors.clear();
    this.connectionSubject.complete();
    this.context.destroyHard();
    // epics-tca runs a CA repeater in a worker thread when none is running on the host; its
    // 'quit' message does not always end it, and a live worker keeps the process from exiting.
    await (this.context.getRepeaterThread() as { terminate?: () => unknown } | undefined)?.terminate?.();
  }
}

/** The fields epics-tca's Dbr holds after decoding (read synchronously, never kept). */
interface DbrFields {
  readonly meta: Omit<CaData, 'value'>;
  readonly value: CaData['value'];
}

function dbrNow(ch: Channel): CaData {
  const dbr = ch.getDbr() as unknown as DbrFields;
  const m = dbr.meta;
  return { value: dbr.value, status: m.status, severity: m.severity, secondsSinceEpoch: m.secondsSinceEpoch, nanoSeconds: m.nanoSeconds };
}

function describeEca(code: number): string {
  try {
    const d = ECA.decode(code) as unknown;
    return typeof d === 'string' ? `${d} (ECA ${code})` : `ECA status ${code} ${JSON.stringify(d)}`;
  } catch {
    return `ECA status ${code}`;
  }
}
