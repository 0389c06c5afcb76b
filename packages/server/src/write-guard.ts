/**
 * Who may write: writes are off unless the server was started with allowWrites; then
 * each write needs the token generated at start (written to a file only the user can
 * read). Every accepted write is appended to the audit log (JSON lines).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MlayerError } from '@mlayer/core';

export interface AuditEntry {
  readonly client: string;
  readonly channel?: string;
  readonly family?: string;
  readonly devices?: readonly (readonly [number, number])[];
  readonly old?: unknown;
  readonly new: unknown;
  readonly units?: string;
  readonly tool?: string;
}

export class WriteGuard {
  private readonly token: Buffer | undefined;

  /** allowWrites false: every write is refused. tokenFile: where the token is written (mode 0600). */
  constructor(
    readonly allowWrites: boolean,
    private readonly auditFile: string | undefined,
    tokenFile: string | undefined,
    token = randomBytes(32).toString('hex'),
  ) {
    if (allowWrites) {
      if (!tokenFile) throw new MlayerError('writes allowed but no token file given');
      mkdirSync(dirname(tokenFile), { recursive: true });
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      chmodSync(tokenFile, 0o600);
      this.token = Buffer.from(token);
    }
  }

  /** True when the token is the server's. */
  valid(token: string | undefined): boolean {
    if (!this.token || token === undefined) return false;
    const t = Buffer.from(token);
    return t.length === this.token.length && timingSafeEqual(t, this.token);
  }

  /** Throws unless a write with this token (or a connection authenticated earlier) may go ahead. */
  check(what: string, token: string | undefined, authenticated: boolean): void {
    if (!this.allowWrites) throw new MlayerError(`${what}: refused: the server was started without --allow-writes; nothing was written`);
    if (token !== undefined ? !this.valid(token) : !authenticated) {
      throw new MlayerError(`${what}: refused: ${token === undefined ? 'no write token (Authorization: Bearer, an auth message or the token field)' : 'wrong write token'}; nothing was written`);
    }
  }

  /** Appends one accepted write to the audit log. */
  audit(entry: AuditEntry): void {
    if (!this.auditFile) return;
    appendFileSync(this.auditFile, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
  }
}
