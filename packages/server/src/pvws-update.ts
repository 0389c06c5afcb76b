/** A sample as PVWS's update fields: value (number), text (string) or b64dbl (array), seconds, nanos, severity. */
import type { Sample } from '@mlayer/core';
import type { UpdateMessage } from './protocol.js';

const SEVERITIES = ['NONE', 'MINOR', 'MAJOR', 'INVALID'] as const;

export function severityName(sample: Sample): NonNullable<UpdateMessage['severity']> {
  if (sample.connected === false) return 'UNDEFINED';
  return SEVERITIES[sample.severity] ?? 'INVALID';
}

/** Base64 of a float64 array, little-endian (as PVWS's b64dbl). */
export function b64dbl(values: Float64Array): string {
  const le = new Float64Array(values);
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

export function decodeB64dbl(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes);
  return new Float64Array(copy.buffer, 0, Math.floor(copy.byteLength / 8));
}

export function valueFields(sample: Sample): Pick<UpdateMessage, 'value' | 'text' | 'b64dbl' | 'seconds' | 'nanos'> {
  const seconds = Math.floor(sample.timestamp);
  const nanos = Math.round((sample.timestamp - seconds) * 1e9);
  const v = sample.value;
  if (typeof v === 'number') return { value: v, seconds, nanos };
  if (typeof v === 'string') return { text: v, seconds, nanos };
  return { b64dbl: b64dbl(v), seconds, nanos };
}
