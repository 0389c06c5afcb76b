import { AbortedError, TimeoutError } from '@mlayer/core';

/**
 * The deadline and abort signal of one batched operation: a single timer and a
 * single abort listener for the whole batch, raced against each channel's
 * operation (epics-tca keeps running an abandoned operation; its reply is dropped).
 */
export class Deadline {
  private readonly pending = new Set<(kind: 'timeout' | 'abort') => void>();
  private fired: 'timeout' | 'abort' | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () => this.fire('abort');
  readonly end: number;

  constructor(
    readonly timeoutMs: number,
    private readonly signal?: AbortSignal,
  ) {
    this.end = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.fire('timeout'), timeoutMs);
    if (signal?.aborted) this.fired = 'abort';
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Milliseconds left (at least 1). */
  get remainingMs(): number {
    return Math.max(1, this.end - Date.now());
  }

  private fire(kind: 'timeout' | 'abort'): void {
    if (this.fired) return;
    this.fired = kind;
    for (const f of this.pending) f(kind);
    this.pending.clear();
  }

  private error(kind: 'timeout' | 'abort', channel: string, operation: string): Error {
    return kind === 'timeout' ? new TimeoutError(channel, this.timeoutMs, operation) : new AbortedError(`${operation} on '${channel}' aborted`);
  }

  /** `op`'s result, or TimeoutError / AbortedError naming the channel and operation. */
  race<T>(op: Promise<T>, channel: string, operation: string): Promise<T> {
    if (this.fired) {
      op.catch(() => undefined);
      return Promise.reject(this.error(this.fired, channel, operation));
    }
    return new Promise<T>((resolve, reject) => {
      const onFire = (kind: 'timeout' | 'abort') => reject(this.error(kind, channel, operation));
      this.pending.add(onFire);
      op.then(
        (v) => {
          this.pending.delete(onFire);
          resolve(v);
        },
        (e: unknown) => {
          this.pending.delete(onFire);
          reject(e);
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.pending.clear();
  }
}
