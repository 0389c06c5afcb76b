/**
 * Bursts of channel writes (PVWS `write`, one channel each) coalesced: a burst is gathered
 * while writes keep coming less than quietMs apart, for at most maxMs from its first write,
 * and applied as one batch, one Family.set per family (the last value of a device wins),
 * inside the twin's batch (its monitors publish nothing computed from half a batch). So a
 * burst of 500 writes within 100 ms is one or two changes of the model, and a reader sees
 * the machine before or after each. A write outside its device's limits is refused alone;
 * Family.set checks again. Batches run one after the other, in arrival order.
 */
import { type Accelerator, type DeviceId, MlayerError } from '@mlayer/core';
import { inTwinBatch } from './twin-batch.js';
import type { ChannelInfo } from './channel-index.js';
import type { WriteGuard } from './write-guard.js';
import type { TwinState } from './twin-state.js';

interface Queued {
  readonly info: ChannelInfo;
  readonly value: number;
  readonly client: string;
  readonly tool: string | undefined;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class WriteCoalescer {
  private queue: Queued[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the burst being gathered began (ms). */
  private burstStart = 0;
  private running: Promise<void> = Promise.resolve();
  /** Batches applied and writes in them (the `info` message reports them). */
  batches = 0;
  writes = 0;

  constructor(
    private readonly acc: Accelerator,
    private readonly guard: WriteGuard,
    private readonly state: TwinState | undefined,
    private readonly quietMs: number,
    private readonly maxMs: number,
  ) {}

  write(info: ChannelInfo, value: number, client: string, tool: string | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const now = Date.now();
      if (this.queue.length === 0) this.burstStart = now;
      this.queue.push({ info, value, client, tool, resolve, reject });
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), Math.max(0, Math.min(now + this.quietMs, this.burstStart + this.maxMs) - now));
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.running = this.running.then(() => inTwinBatch(this.acc, () => this.apply(batch)));
  }

  /**
   * Resolves when the batches being applied are done. A request of a client with writes in
   * the burst being gathered applies the burst first (it reads what it wrote); another
   * client's request does not cut the burst: it sees the machine before it.
   */
  settled(client?: string): Promise<void> {
    if (this.timer && (client === undefined || this.queue.some((q) => q.client === client))) this.flush();
    return this.running;
  }

  private async apply(batch: readonly Queued[]): Promise<void> {
    this.batches++;
    this.writes += batch.length;
    const byFamily = new Map<string, Map<string, Queued[]>>();
    for (const q of batch) {
      const lim = q.info.limits;
      if (!Number.isFinite(q.value) || (lim && (q.value < lim[0] || q.value > lim[1]))) {
        q.reject(new MlayerError(`write ${q.info.channel}: ${q.value} is outside the limits of ${q.info.description} [${lim?.join(', ')}] ${q.info.units}; nothing was written`));
        continue;
      }
      const devices = byFamily.get(q.info.family) ?? new Map<string, Queued[]>();
      const key = q.info.device.join(',');
      devices.set(key, [...(devices.get(key) ?? []), q]);
      byFamily.set(q.info.family, devices);
    }
    const applied: Queued[] = [];
    for (const [family, devices] of byFamily) {
      const groups = [...devices.values()];
      const ids: DeviceId[] = groups.map((g) => g[0].info.device);
      const values = groups.map((g) => g[g.length - 1].value);
      try {
        const f = this.acc.family(family).devices(ids);
        const old = await f.get({ units: 'hardware', field: 'setpoint' });
        await f.set(values, { units: 'hardware', wait: true });
        groups.forEach((g, i) => {
          let before = old[i];
          for (const q of g) {
            this.guard.audit({ client: q.client, channel: q.info.channel, family, devices: [q.info.device], old: before, new: q.value, units: q.info.units, tool: q.tool });
            before = q.value;
            applied.push(q);
          }
        });
      } catch (e) {
        for (const g of groups) for (const q of g) q.reject(e instanceof Error ? e : new MlayerError(String(e)));
      }
    }
    if (applied.length > 0) {
      try {
        await this.state?.save();
      } catch (e) {
        for (const q of applied) q.reject(e as Error);
        return;
      }
    }
    for (const q of applied) q.resolve();
  }
}
