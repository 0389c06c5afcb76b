import { AbortedError } from '@mlayer/core';

/**
 * Settles with `work`, or rejects with `onTimeout()` after `timeoutMs`, or
 * with AbortedError when `signal` aborts (the native call then finishes in
 * the background and its result is dropped).
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
  if (signal?.aborted) return Promise.reject(new AbortedError(abortReason(signal)));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(onTimeout())), timeoutMs);
    const onAbort = (): void => finish(() => reject(new AbortedError(abortReason(signal))));
    signal?.addEventListener('abort', onAbort, { once: true });
    let done = false;
    function finish(settle: () => void): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    work.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'aborted';
}
