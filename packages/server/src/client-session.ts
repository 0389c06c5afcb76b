/**
 * One WebSocket client: its messages (PVWS's and mlayer's), its subscriptions with
 * throttle-latest delivery (metadata in the first update, then only when it changes), and
 * its protection: bad messages get an error reply, a client that stops reading is dropped.
 */
import type { WebSocket } from 'ws';
import { type Accelerator, type DeviceId, type Family, type Sample, type Units, MlayerError } from '@mlayer/core';
import { CLIENT_MESSAGE_TYPES, ClientMessageSchema, type ClientMessage, type UpdateMessage } from './protocol.js';
import type { ChannelIndex, ChannelInfo } from './channel-index.js';
import type { ChannelFeeds } from './channel-feeds.js';
import { severityName, valueFields } from './pvws-update.js';
import type { WriteGuard } from './write-guard.js';
import type { TwinState } from './twin-state.js';
import type { WriteCoalescer } from './write-coalescer.js';
import type { ToolRuns } from './tool-runs.js';
import { listData, readChunk } from './data-files.js';
import { inTwinBatch, modelComputations } from './twin-batch.js';
import { opticsView } from './optics-view.js';

export interface SessionLimits {
  /** Throttle-latest period of scalar channels, ms (at most one update per period per subscription). */
  readonly scalarPeriodMs: number;
  /** Throttle-latest period of array channels, ms. */
  readonly arrayPeriodMs: number;
  /** Most channels in one subscribe message. */
  readonly maxPvsPerMessage: number;
  /** Most channels one client may subscribe to. */
  readonly maxSubscriptions: number;
  /** A client whose unsent data exceeds this many bytes is disconnected (it stopped reading). */
  readonly maxBufferedBytes: number;
}

export interface SessionContext {
  readonly acc: Accelerator;
  readonly index: ChannelIndex;
  readonly feeds: ChannelFeeds;
  readonly guard: WriteGuard;
  readonly state: TwinState | undefined;
  readonly limits: SessionLimits;
  readonly log: (line: string) => void;
  readonly facilityName: string;
  readonly writes: WriteCoalescer;
  readonly version: string;
  readonly runs: ToolRuns;
  readonly dataDir: string | undefined;
}

/** PVWS's simulated heartbeat channel. */
const FLIPFLOP = /^sim:\/\/flipflop\((\d+(?:\.\d+)?)\)$/;

class Subscription {
  pending: Sample | undefined;
  lastSent = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
  meta: string | undefined;
  severity: string | undefined;
  stop: () => void = () => undefined;
}

export class ClientSession {
  private readonly subs = new Map<string, Subscription>();
  private closed = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly client: string,
    private readonly ctx: SessionContext,
    private authenticated: boolean,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? null : data.toString()));
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    for (const s of this.subs.values()) {
      s.stop();
      if (s.timer) clearTimeout(s.timer);
    }
    this.subs.clear();
  }

  private send(msg: object): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) {
      this.ctx.log(`client ${this.client}: ${this.ws.bufferedAmount} bytes unsent (limit ${this.ctx.limits.maxBufferedBytes}): it stopped reading; disconnected`);
      this.dispose();
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  private error(message: string, extra: { pv?: string; id?: string | number } = {}): void {
    this.send({ type: 'error', message, ...extra });
  }

  private onMessage(text: string | null): void {
    if (text === null) return this.error('binary messages are not understood: send JSON text');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return this.error(`malformed JSON: ${(e as Error).message}`);
    }
    const parsed = ClientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const type = (raw as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !(CLIENT_MESSAGE_TYPES as string[]).includes(type)) {
        return this.error(`unknown message type ${JSON.stringify(type ?? null)}; known: ${CLIENT_MESSAGE_TYPES.join(', ')}`);
      }
      const issue = parsed.error.issues[0];
      return this.error(`message '${type}': ${issue.path.join('.') || '(message)'}: ${issue.message}`);
    }
    const msg = parsed.data;
    const id = 'id' in msg ? msg.id : undefined;
    this.handle(msg).catch((e: unknown) => {
      const pv = msg.type === 'write' ? msg.pv : undefined;
      this.error(e instanceof Error ? e.message : String(e), { pv, id });
    });
  }

  private async handle(msg: ClientMessage): Promise<void> {
    // A request after channel writes of the burst being gathered sees them applied.
    if (msg.type !== 'write' && msg.type !== 'subscribe' && msg.type !== 'clear' && msg.type !== 'ping' && msg.type !== 'echo' && msg.type !== 'list') await this.ctx.writes.settled(this.client);
    switch (msg.type) {
      case 'subscribe':
        return this.subscribe(msg.pvs);
      case 'clear':
        for (const pv of msg.pvs) this.clear(pv);
        return;
      case 'list':
        return this.send({ type: 'list', pvs: [...this.subs.keys()] });
      case 'ping':
        this.ws.ping();
        return;
      case 'echo':
        return this.send({ type: 'echo', body: msg.body });
      case 'auth':
        if (!this.ctx.guard.valid(msg.token)) {
          this.send({ type: 'auth', writes: false });
          throw new MlayerError('auth: wrong write token');
        }
        this.authenticated = true;
        return this.send({ type: 'auth', writes: this.ctx.guard.allowWrites });
      case 'write':
        return this.write(msg.pv, msg.value, msg.token, msg.tool);
      case 'families':
        return this.send({
          type: 'families',
          id: msg.id,
          families: this.ctx.acc.familyNames().map((name) => {
            const f = this.ctx.acc.family(name);
            return { name, elementClass: f.elementClass, size: f.size, fields: f.fields, memberOf: [...f.memberOf] };
          }),
        });
      case 'devices': {
        const f = this.ctx.acc.family(msg.family);
        return this.send({
          type: 'devices',
          id: msg.id,
          family: f.name,
          devices: f.deviceList.map((device, i) => ({
            device,
            name: f.names[i],
            limits: f.limits[i] ?? null,
            channels: Object.fromEntries(f.fields.map((field) => [field, f.channels(field)[i]])),
          })),
        });
      }
      case 'get': {
        const f = this.select(msg.family, msg.devices);
        const field = msg.field ?? f.readField;
        const units = msg.units ?? 'hardware';
        const values = await f.get({ units, field });
        return this.send({ type: 'values', id: msg.id, family: f.name, field, units: f.units(field)[units], values: Array.from(values) });
      }
      case 'set': {
        const f = this.select(msg.family, msg.devices);
        this.ctx.guard.check(`set ${f.name}`, msg.token, this.authenticated);
        this.refuseDriven(`set ${f.name}`, f.channels('setpoint'));
        await this.setAudited(f, msg.values, msg.units ?? 'hardware', msg.tool);
        await this.ctx.state?.save();
        return this.send({ type: 'done', id: msg.id, request: 'set' });
      }
      case 'snapshot':
        return this.send({ type: 'snapshot', id: msg.id, snapshot: await this.ctx.acc.snapshot() });
      case 'twin-state': {
        const twin = this.ctx.acc.twin;
        const applied = this.ctx.state?.errors;
        return this.send({ type: 'twin-state', id: msg.id, seed: applied?.seed ?? twin.errorSeed ?? null, errors: applied?.spec ?? null, faults: [...(twin.faults ?? [])] });
      }
      case 'twin-errors':
        return this.changeTwinErrors(msg, (state) => state.applyErrors(msg.spec, msg.seed), { seed: msg.seed, spec: msg.spec });
      case 'optics':
        return this.send({ type: 'optics', id: msg.id, ...opticsView(this.ctx.acc) });
      case 'info':
        return this.send({
          type: 'info',
          id: msg.id,
          facility: this.ctx.facilityName,
          mode: this.ctx.acc.mode,
          online: this.ctx.acc.online,
          immediate: this.ctx.acc.controlSystem.immediate === true,
          writes: this.ctx.guard.allowWrites,
          version: this.ctx.version,
          writeBatches: this.ctx.writes.batches,
          channelWrites: this.ctx.writes.writes,
          modelComputations: modelComputations(this.ctx.acc),
        });
      case 'read': {
        const unknown = msg.pvs.filter((pv) => !this.ctx.index.get(pv));
        if (unknown.length > 0) throw new MlayerError(`read: unknown channel${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((p) => `'${p}'`).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
        const samples = await this.ctx.acc.controlSystem.read(msg.pvs.map((pv) => this.ctx.index.get(pv)!.channel));
        return this.send({ type: 'samples', id: msg.id, samples: samples.map((s, i) => ({ pv: msg.pvs[i], ...valueFields(s), severity: severityName(s) })) });
      }
      case 'put':
        await this.put(msg.writes, msg.token, msg.tool);
        return this.send({ type: 'done', id: msg.id, request: 'put' });
      case 'twin-reset':
        return this.changeTwinErrors(msg, (state) => state.clearErrors(), null);
      case 'twin-faults':
        return this.changeTwinErrors(msg, (state) => (msg.action === 'add' ? state.addFaults(msg.faults ?? []) : state.clearFaults()), { faults: msg.action === 'add' ? msg.faults ?? [] : 'cleared' });
      case 'run':
        this.ctx.guard.check(`run ${msg.run.tool}`, msg.token, this.authenticated);
        // Refused at once when another run is running; otherwise progress and the result follow.
        void this.ctx.runs.start(msg.run, this.client, msg.id, (m) => this.send(m));
        return;
      case 'abort': {
        this.ctx.guard.check('abort', msg.token, this.authenticated);
        this.ctx.runs.abort(msg.runId, this.client);
        return this.send({ type: 'done', id: msg.id, request: 'abort' });
      }
      case 'run-status':
        if (msg.watch && !this.unwatch) this.unwatch = this.ctx.runs.watch((m) => this.send(m));
        return this.send({ type: 'run-status', id: msg.id, ...this.ctx.runs.status() });
      case 'files':
        return this.send({ type: 'files', id: msg.id, files: listData(this.ctx.dataDir) });
      case 'file-read':
        return this.send({ type: 'file-data', id: msg.id, name: msg.name, ...readChunk(this.ctx.dataDir, msg.name, msg.offset ?? 0, msg.length ?? 256 * 1024) });
    }
  }

  /** twin-errors / twin-reset: the write token checked, the change audited (the seed before, `next` after), the state saved. */
  private async changeTwinErrors(msg: Extract<ClientMessage, { type: 'twin-errors' | 'twin-reset' | 'twin-faults' }>, change: (state: TwinState) => void, next: unknown): Promise<void> {
    const state = this.ctx.state;
    if (!state) throw new MlayerError(`${msg.type}: mode '${this.ctx.acc.mode}' is not a digital twin`);
    this.ctx.guard.check(msg.type, msg.token, this.authenticated);
    const running = this.ctx.runs.status().running;
    if (running) throw new MlayerError(`${msg.type}: refused: run ${running.runId} (${running.tool}) is running; the machine under it is not changed; nothing was written`);
    const old = state.errors ? { seed: state.errors.seed } : null;
    change(state);
    this.ctx.guard.audit({ client: this.client, family: 'twin errors', old, new: next, tool: msg.tool });
    await state.save();
    this.send({ type: 'done', id: msg.id, request: msg.type });
  }

  /** Writes `values` to the selected devices (waiting for them) and audits the setpoints before and after. */
  private async setAudited(f: Family, values: number | number[], units: Units, tool: string | undefined, channel?: string): Promise<void> {
    const old = Array.from(await f.get({ units, field: 'setpoint' }));
    await f.set(values, { units, wait: true });
    this.ctx.guard.audit({ client: this.client, family: f.name, devices: f.deviceList, channel, old, new: values, units: f.units('setpoint')[units], tool });
  }

  /** A setpoint a measurement drives (a tool run of this server) is not written by anyone else meanwhile. */
  private refuseDriven(what: string, channels: readonly string[]): void {
    for (const c of channels) {
      const owner = this.ctx.acc.lock.ownerOf(c);
      if (owner !== undefined) throw new MlayerError(`${what}: refused: ${c} is driven by the measurement '${owner}' of a tool run (run-status names it); nothing was written`);
    }
  }

  private select(family: string, devices: readonly (readonly [number, number])[] | undefined): Family {
    const f = this.ctx.acc.family(family);
    return devices ? f.devices(devices as DeviceId[]) : f;
  }

  private subscribe(pvs: readonly string[]): void {
    const { maxPvsPerMessage, maxSubscriptions } = this.ctx.limits;
    if (pvs.length > maxPvsPerMessage) {
      throw new MlayerError(`subscribe: ${pvs.length} channels in one message (at most ${maxPvsPerMessage}); nothing subscribed`);
    }
    const fresh = [...new Set(pvs)].filter((pv) => !this.subs.has(pv));
    if (this.subs.size + fresh.length > maxSubscriptions) {
      throw new MlayerError(`subscribe: ${this.subs.size + fresh.length} subscriptions for this client (at most ${maxSubscriptions}); nothing subscribed`);
    }
    const unknown: string[] = [];
    for (const pv of fresh) {
      const flip = FLIPFLOP.exec(pv);
      if (flip) {
        this.flipflop(pv, Number(flip[1]));
        continue;
      }
      const info = this.ctx.index.get(pv);
      if (!info) {
        unknown.push(pv);
        continue;
      }
      const sub = new Subscription();
      this.subs.set(pv, sub);
      sub.stop = this.ctx.feeds.listen(info.channel, (s) => this.onSample(pv, info, sub, s));
    }
    for (const pv of unknown) this.error(`subscribe: unknown channel '${pv}' (not a channel of mode '${this.ctx.acc.mode}')`, { pv });
  }

  /**
   * PVWS's simulated `sim://flipflop(SECONDS)`: 0 and 1 in turn every SECONDS (at least 1 s).
   * cs-web-lib's PVWS client subscribes to one as its heartbeat.
   */
  private flipflop(pv: string, seconds: number): void {
    const sub = new Subscription();
    this.subs.set(pv, sub);
    let value = 0;
    const tick = (): void => {
      const now = Date.now() / 1000;
      const update: UpdateMessage = { type: 'update', pv, value, seconds: Math.floor(now), nanos: Math.round((now % 1) * 1e9) };
      if (sub.meta === undefined) Object.assign(update, { severity: 'NONE', readonly: true, description: 'heartbeat' });
      sub.meta = 'sent';
      this.send(update);
      value = 1 - value;
    };
    tick();
    const timer = setInterval(tick, Math.max(1, seconds) * 1000);
    sub.stop = () => clearInterval(timer);
  }

  private clear(pv: string): void {
    const sub = this.subs.get(pv);
    if (!sub) return;
    sub.stop();
    if (sub.timer) clearTimeout(sub.timer);
    this.subs.delete(pv);
  }

  /** Throttle-latest: the newest sample is sent at most once per period; those in between are dropped. */
  private onSample(pv: string, info: ChannelInfo, sub: Subscription, sample: Sample): void {
    sub.pending = sample;
    if (sub.timer) return;
    const period = typeof sample.value === 'object' ? this.ctx.limits.arrayPeriodMs : this.ctx.limits.scalarPeriodMs;
    const wait = sub.lastSent + period - Date.now();
    if (wait <= 0) this.flush(pv, info, sub);
    else sub.timer = setTimeout(() => this.flush(pv, info, sub), wait);
  }

  /** Sends the pending sample of the subscription to `pv` (the name as the client gave it). */
  private flush(pv: string, info: ChannelInfo, sub: Subscription): void {
    sub.timer = undefined;
    const sample = sub.pending;
    if (!sample || this.subs.get(pv) !== sub) return;
    sub.pending = undefined;
    sub.lastSent = Date.now();
    const update: UpdateMessage = { type: 'update', pv, ...valueFields(sample) };
    const severity = severityName(sample);
    if (severity !== sub.severity) update.severity = sub.severity = severity;
    const meta = {
      readonly: info.field !== 'setpoint' || !this.ctx.guard.allowWrites,
      units: info.units,
      precision: 6,
      min: info.limits?.[0],
      max: info.limits?.[1],
      description: info.description,
    };
    const key = JSON.stringify(meta);
    if (key !== sub.meta) {
      sub.meta = key;
      Object.assign(update, meta);
    }
    this.send(update);
  }

  /**
   * A batch of channel writes: grouped by family, each family written through its set
   * (limits and NaN checked there). Every channel is checked before anything is written.
   */
  private async put(writes: readonly { pv: string; value: number }[], token: string | undefined, tool: string | undefined): Promise<void> {
    const byFamily = new Map<string, { devices: DeviceId[]; values: number[]; channels: string[] }>();
    for (const w of writes) {
      const info = this.ctx.index.get(w.pv);
      if (!info) throw new MlayerError(`put: unknown channel '${w.pv}'; nothing was written`);
      if (info.field !== 'setpoint') throw new MlayerError(`put ${w.pv}: ${info.description} is read-only; nothing was written`);
      const g = byFamily.get(info.family) ?? { devices: [], values: [], channels: [] };
      g.devices.push(info.device);
      g.values.push(w.value);
      g.channels.push(w.pv);
      byFamily.set(info.family, g);
    }
    this.ctx.guard.check(`put of ${writes.length} channel${writes.length === 1 ? '' : 's'}`, token, this.authenticated);
    this.refuseDriven(`put of ${writes.length} channel${writes.length === 1 ? '' : 's'}`, [...byFamily.values()].flatMap((g) => g.channels.map((c) => this.ctx.index.get(c)!.channel)));
    const selections = [...byFamily].map(([family, g]) => ({ family, g, f: this.ctx.acc.family(family).devices(g.devices) }));
    // Limits of every family first: a batch is written whole or not at all.
    for (const { family, g, f } of selections) {
      f.limits.forEach((lim, i) => {
        const v = g.values[i];
        if (!Number.isFinite(v) || (lim && (v < lim[0] || v > lim[1]))) throw new MlayerError(`put ${g.channels[i]}: ${v} is outside the limits of ${family} [${lim?.join(', ')}]; nothing was written`);
      });
    }
    // A family that fails once others were written (a server-side limit, a lost connection):
    // every family tried, the failing one too, is put back to its setpoints before the put.
    const tried: { f: Family; old: Float64Array }[] = [];
    try {
      await inTwinBatch(this.ctx.acc, async () => {
        for (const { g, f } of selections) {
          tried.push({ f, old: await f.get({ field: 'setpoint' }) });
          await this.setAudited(f, g.values, 'hardware', tool, g.channels.length === 1 ? g.channels[0] : undefined);
        }
      });
    } catch (e) {
      const failed: string[] = [];
      for (const { f, old } of tried) {
        try {
          await this.setAudited(f, Array.from(old), 'hardware', `${tool ?? 'put'} (restore after a failed put)`);
        } catch (r) {
          failed.push(`${f.name}: ${(r as Error).message}`);
        }
      }
      const what = `put of ${writes.length} channel${writes.length === 1 ? '' : 's'} failed: ${(e as Error).message}`;
      throw new MlayerError(failed.length === 0 ? `${what}; ${tried.map((t) => t.f.name).join(', ')} put back to their setpoints before the put` : `${what}; putting back failed: ${failed.join('; ')}`, { cause: e });
    } finally {
      await this.ctx.state?.save();
    }
  }

  private async write(pv: string, value: number | string, token: string | undefined, tool: string | undefined): Promise<void> {
    const info = this.ctx.index.get(pv);
    if (!info) throw new MlayerError(`write: unknown channel '${pv}'; nothing was written`);
    if (info.field !== 'setpoint') throw new MlayerError(`write ${pv}: ${info.description} is read-only; nothing was written`);
    const v = typeof value === 'number' ? value : /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : NaN;
    if (typeof value === 'string' && Number.isNaN(v)) throw new MlayerError(`write ${pv}: '${value}' is not a number; nothing was written`);
    this.ctx.guard.check(`write ${pv}`, token, this.authenticated);
    this.refuseDriven(`write ${pv}`, [info.channel]);
    await this.ctx.writes.write(info, v, this.client, tool);
  }
}
