/**
 * The Clock port: the client's time as the accelerator reads it, in milliseconds
 * since the epoch (Date.now's scale). It stamps the completion of a change (the
 * reference that later readings must be newer than: fresh-reading.ts), the records
 * of a measurement and snapshots. Bound in the accelerator's container
 * (TOKENS.Clock), so a test or a facility with a disciplined time source
 * replaces it. Waits and timeouts stay on the process's own timers.
 */
export interface Clock {
  /** Milliseconds since 1970-01-01T00:00:00Z. */
  now(): number;
}

/** The host's clock (Date.now). */
export const systemClock: Clock = { now: () => Date.now() };
