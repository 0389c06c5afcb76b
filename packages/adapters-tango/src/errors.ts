import { DisconnectedError, MlayerError, OutOfLimitsError, TimeoutError, WriteRejectedError } from '@mlayer/core';
import { isNativeError, type NativeFailure, type TangoErrorItem } from './native-binding.js';

/** "REASON: desc [origin] <- REASON: desc [origin]", innermost first. */
export function formatTangoStack(stack: readonly TangoErrorItem[]): string {
  return stack.map((e) => `${e.reason}: ${e.desc.trim()} [${e.origin}]`).join(' <- ');
}

/** What every TANGO error carries besides its message. */
export interface TangoErrorDetails {
  /** cppTango exception class (DevFailed, ConnectionFailed, ...) or the addon's own kind. */
  readonly kind: string;
  readonly tangoErrors: readonly TangoErrorItem[];
}

/** The call did not complete in time (API_DeviceTimedOut, or mlayer's own deadline). */
export class TangoTimeoutError extends TimeoutError implements TangoErrorDetails {
  constructor(
    channel: string,
    timeoutMs: number,
    operation: string,
    readonly kind: string,
    readonly tangoErrors: readonly TangoErrorItem[],
  ) {
    super(channel, timeoutMs, operation);
    if (tangoErrors.length) this.message += ` (${formatTangoStack(tangoErrors)})`;
  }
}

/** The device server cannot be reached (not running, not exported, connection lost). */
export class TangoDisconnectedError extends DisconnectedError implements TangoErrorDetails {
  constructor(
    channel: string,
    readonly kind: string,
    readonly tangoErrors: readonly TangoErrorItem[],
  ) {
    super(channel, `TANGO server unreachable: ${formatTangoStack(tangoErrors)}`);
  }
}

/** The device, attribute or command does not exist (a DisconnectedError that will not heal by itself). */
export class TangoNotFoundError extends DisconnectedError implements TangoErrorDetails {
  constructor(
    channel: string,
    readonly what: 'device' | 'attribute' | 'command' | 'name',
    readonly kind: string,
    readonly tangoErrors: readonly TangoErrorItem[],
  ) {
    super(channel, `${what} not found: ${formatTangoStack(tangoErrors)}`);
  }
}

/** The server (or the readback check) refused a write. */
export class TangoWriteRejectedError extends WriteRejectedError implements TangoErrorDetails {
  constructor(
    channel: string,
    readonly kind: string,
    readonly tangoErrors: readonly TangoErrorItem[],
  ) {
    super(channel, formatTangoStack(tangoErrors));
  }
}

/** The server refused a write outside the attribute's min_value/max_value. */
export class TangoOutOfLimitsError extends OutOfLimitsError implements TangoErrorDetails {
  constructor(
    channel: string,
    value: number,
    limits: readonly [number, number],
    readonly kind: string,
    readonly tangoErrors: readonly TangoErrorItem[],
  ) {
    super(channel, value, limits);
    this.message += ` (${formatTangoStack(tangoErrors)})`;
  }
}

/** Any other DevFailed (a command that threw, an unsupported data type, ...). */
export class TangoDevFailedError extends MlayerError implements TangoErrorDetails {
  constructor(
    readonly channel: string,
    readonly operation: string,
    readonly kind: string,
    readonly tangoErrors: readonly TangoErrorItem[],
  ) {
    super(`${operation} on '${channel}' failed (${kind}): ${formatTangoStack(tangoErrors)}`);
  }
}

const NOT_FOUND: Record<string, TangoNotFoundError['what']> = {
  DB_DeviceNotDefined: 'device',
  API_DeviceNotDefined: 'device',
  API_AttrNotFound: 'attribute',
  API_AttributeNotFound: 'attribute',
  API_CommandNotFound: 'command',
  API_WrongDeviceNameSyntax: 'name',
  API_UnsupportedProtocol: 'name',
};

const UNREACHABLE = new Set([
  'API_CantConnectToDevice',
  'API_DeviceNotExported',
  'API_ServerNotRunning',
  'API_CorbaException',
  'API_CantConnectToDatabase',
  'API_EventTimeout',
  'API_DServerNotExported',
  'API_CommunicationFailed',
]);

const WRITE_REJECTED_KINDS = new Set(['ReadOnly', 'WrongValue', 'ReadbackMismatch']);

export type TangoOperation = 'read' | 'write' | 'command' | 'subscribe' | 'info' | 'ping';

/**
 * Maps an addon failure (a rejected native call or a failed reading) onto
 * mlayer's typed errors. Anything else is returned unchanged.
 */
export function toTangoError(e: unknown, channel: string, operation: TangoOperation, timeoutMs: number): unknown {
  if (!isNativeError(e)) return e;
  return failureToError(e, channel, operation, timeoutMs);
}

export function failureToError(f: NativeFailure, channel: string, operation: TangoOperation, timeoutMs: number): Error {
  const reasons = f.tangoErrors.map((x) => x.reason);
  if (reasons.includes('API_DeviceTimedOut')) return new TangoTimeoutError(channel, timeoutMs, operation, f.kind, f.tangoErrors);
  const missing = reasons.map((r) => NOT_FOUND[r]).find((w) => w !== undefined);
  if (missing) return new TangoNotFoundError(channel, missing, f.kind, f.tangoErrors);
  if (f.kind === 'WrongNameSyntax') return new TangoNotFoundError(channel, 'name', f.kind, f.tangoErrors);
  if (f.kind === 'ConnectionFailed' || f.kind === 'CORBA' || reasons.some((r) => UNREACHABLE.has(r))) {
    return new TangoDisconnectedError(channel, f.kind, f.tangoErrors);
  }
  if (operation === 'write' && (WRITE_REJECTED_KINDS.has(f.kind) || f.kind === 'DevFailed' || f.kind === 'CommunicationFailed')) {
    return new TangoWriteRejectedError(channel, f.kind, f.tangoErrors);
  }
  return new TangoDevFailedError(channel, operation, f.kind, f.tangoErrors);
}

/** True for failures of the transport (the channel is disconnected, not broken). */
export function isConnectionLoss(e: unknown): boolean {
  return e instanceof TangoDisconnectedError || e instanceof TangoTimeoutError;
}
