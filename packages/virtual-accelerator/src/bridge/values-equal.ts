import type { ChannelValue } from '@mlayer/core';

/** Equality of channel values as a bridge needs it: NaN equals NaN, arrays element by element. */
export function sameChannelValue(a: ChannelValue | undefined, b: ChannelValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') return typeof a === 'number' && typeof b === 'number' && Object.is(a === 0 ? 0 : a, b === 0 ? 0 : b);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === b[i])) return false;
  return true;
}
