import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const HEX64 = /^[0-9a-f]{64}$/;

/** SHA-256 of a file's bytes, as 64 lowercase hex digits. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** SHA-256 of bytes or a UTF-8 string, as 64 lowercase hex digits. */
export function sha256Of(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function isSha256Hex(s: unknown): s is string {
  return typeof s === 'string' && HEX64.test(s);
}
