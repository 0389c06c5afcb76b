import { DeviceBusyError } from '../errors.js';

/** Exclusive ownership of channels, so two measurements cannot drive the same devices at once. */
export class DeviceLock {
  private readonly owners = new Map<string, string>();

  /** Takes all channels or none; throws DeviceBusyError naming the busy ones and their owner. */
  acquire(owner: string, channels: readonly string[]): () => void {
    const busy = channels.filter((c) => this.owners.has(c) && this.owners.get(c) !== owner);
    if (busy.length > 0) throw new DeviceBusyError(busy, this.owners.get(busy[0])!);
    const taken = channels.filter((c) => !this.owners.has(c));
    for (const c of taken) this.owners.set(c, owner);
    return () => {
      for (const c of taken) if (this.owners.get(c) === owner) this.owners.delete(c);
    };
  }

  ownerOf(channel: string): string | undefined {
    return this.owners.get(channel);
  }
}
