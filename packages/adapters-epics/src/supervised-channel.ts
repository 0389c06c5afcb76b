import { DisconnectedError } from '@mlayer/core';
import { BehaviorSubject } from 'rxjs';
import { Channel_STATES, type Channel, type Context } from 'epics-tca';
import type { PvAddress } from './pv-name.js';

export interface SupervisionOptions {
  /** Seconds one epics-tca channel creation (search, TCP, create) may take before it is retried. */
  readonly attemptSeconds: number;
  /** Called on every connection change (after the channel is adopted, or after it was lost). */
  readonly onChange: (connected: boolean) => void;
}

/** Pause before the n-th retry: quick at first (IOC restarts), then backing off to 10 s (missing PVs). */
function retryPauseMs(attempt: number): number {
  return attempt <= 5 ? 50 : Math.min(250 * 2 ** (attempt - 5), 10_000);
}

/**
 * One PV kept connected for as long as the adapter lives. epics-tca 1.1.31 does
 * not reconnect a channel once its server went away (its own re-creation makes
 * an orphan Channel object and resubscribes monitors on the stale one), so the
 * supervisor owns the connection: when the TCP circuit drops, the epics-tca
 * channel is dropped (patched `recreateOnSoftDestroy = false`) and a new one
 * is searched for and created, in bounded attempts, until close().
 */
export class SupervisedChannel {
  /** The connected epics-tca channel, or undefined while (re)connecting. */
  readonly current$ = new BehaviorSubject<Channel | undefined>(undefined);
  private running = false;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly context: Context,
    readonly address: PvAddress,
    private readonly options: SupervisionOptions,
  ) {}

  get channel(): Channel | undefined {
    return this.current$.value;
  }

  /** Start connecting (idempotent). */
  start(): void {
    if (this.running || this.closed || this.current$.value) return;
    this.running = true;
    void this.run().finally(() => (this.running = false));
  }

  private async run(): Promise<void> {
    for (let attempt = 1; !this.closed && !this.current$.value; attempt++) {
      // Short attempts first (a restarted IOC is found quickly), longer ones later (a loaded machine or a slow network).
      const seconds = this.options.attemptSeconds * (attempt <= 3 ? 1 : Math.min(2 ** (attempt - 3), 8));
      const ch = await this.context.createChannel(this.address.name, this.address.protocol, seconds);
      if (this.closed) {
        if (ch) await ch.destroyHard();
        return;
      }
      if (ch && ch.getState() === Channel_STATES.CREATED) {
        this.adopt(ch);
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryPauseMs(attempt));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private adopt(ch: Channel): void {
    ch.recreateOnSoftDestroy = false;
    const lost = () => this.lost(ch);
    ch.setDestroySoftCallback(lost);
    ch.setDestroyHardCallback(lost);
    this.current$.next(ch);
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(ch);
    this.options.onChange(true);
  }

  private waiter: { promise: Promise<Channel>; resolve: (ch: Channel) => void; reject: (e: unknown) => void } | undefined;

  /**
   * The connected channel, now or when it connects (one promise shared by all
   * waiters; the caller bounds the wait). Rejects only when the channel is closed.
   */
  connection(): Promise<Channel> {
    const now = this.current$.value;
    if (now) return Promise.resolve(now);
    if (this.closed) return Promise.reject(new DisconnectedError(this.address.key, 'the control system was closed'));
    this.start();
    if (!this.waiter) {
      let resolve!: (ch: Channel) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<Channel>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      this.waiter = { promise, resolve, reject };
    }
    return this.waiter.promise;
  }

  private lost(ch: Channel): void {
    if (this.current$.value !== ch) return;
    this.current$.next(undefined);
    this.options.onChange(false);
    // Let epics-tca finish tearing the old channel down before searching anew.
    if (!this.closed) setImmediate(() => this.start());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.waiter?.reject(new DisconnectedError(this.address.key, 'the control system was closed'));
    this.waiter = undefined;
    const ch = this.current$.value;
    this.current$.next(undefined);
    this.current$.complete();
    if (ch) {
      ch.setDestroySoftCallback(() => undefined);
      ch.setDestroyHardCallback(() => undefined);
      await ch.destroyHard();
    }
  }
}
