import { AlarmSeverity, MlayerError, type ChannelValue, type Sample } from '@mlayer/core';

/** Seconds between the Unix epoch (1970) and the EPICS epoch (1990-01-01 UTC). */
export const EPICS_EPOCH_OFFSET = 631152000;

/** CA alarm status names, by code (alarm.h). */
export const CA_ALARM_STATUS = [
  'NO_ALARM', 'READ', 'WRITE', 'HIHI', 'HIGH', 'LOLO', 'LOW', 'STATE', 'COS', 'COMM', 'TIMEOUT',
  'HWLIMIT', 'CALC', 'SCAN', 'LINK', 'SOFT', 'BAD_SUB', 'UDF', 'DISABLE', 'SIMM', 'READ_ACCESS', 'WRITE_ACCESS',
] as const;

/** A value the server sent that a Sample cannot hold (string arrays, structures). */
export class UnsupportedValueError extends MlayerError {
  constructor(
    readonly channel: string,
    detail: string,
  ) {
    super(`channel '${channel}': ${detail}`);
  }
}

export function toSeverity(n: unknown): AlarmSeverity {
  const v = typeof n === 'number' ? n : typeof n === 'bigint' ? Number(n) : 3;
  return (v >= 0 && v <= 3 ? v : 3) as AlarmSeverity;
}

/** Raw CA data as epics-tca (patched) decodes it. */
export interface CaData {
  readonly value: number | number[] | string | string[];
  readonly status?: number;
  readonly severity?: number;
  readonly secondsSinceEpoch?: number;
  readonly nanoSeconds?: number;
}

/**
 * A CA DBR_TIME_* reply as a Sample. `isArray` comes from the channel's native
 * element count: an array channel stays an array even with one element.
 */
export function caSample(channel: string, data: CaData, isArray: boolean): Sample {
  const severity = toSeverity(data.severity ?? 0);
  const status = CA_ALARM_STATUS[data.status ?? 0] ?? `STATUS_${data.status}`;
  const timestamp = data.secondsSinceEpoch !== undefined ? data.secondsSinceEpoch + EPICS_EPOCH_OFFSET + (data.nanoSeconds ?? 0) / 1e9 : Date.now() / 1000;
  return { value: caValue(channel, data.value, isArray), timestamp, severity, status, connected: true };
}

function caValue(channel: string, v: CaData['value'], isArray: boolean): ChannelValue {
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') {
      if (v.length === 1 && !isArray) return v[0] as string;
      throw new UnsupportedValueError(channel, `string arrays (${v.length} elements) cannot be represented as a channel value`);
    }
    return Float64Array.from(v as number[]);
  }
  if (typeof v === 'number') return isArray ? Float64Array.of(v) : v;
  if (isArray) throw new UnsupportedValueError(channel, 'string arrays cannot be represented as a channel value');
  return v;
}

type PvaRecord = { readonly [key: string]: unknown };

function isRecord(v: unknown): v is PvaRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function toNumber(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/**
 * An NTScalar / NTScalarArray / NTEnum structure as a Sample (alarm.message
 * carries the CA-style status text for records served by QSRV).
 */
export function pvaSample(channel: string, data: unknown): Sample {
  if (!isRecord(data) || !('value' in data)) {
    throw new UnsupportedValueError(channel, 'PVA structure without a value field (not a normative type)');
  }
  const alarm = isRecord(data.alarm) ? data.alarm : undefined;
  const ts = isRecord(data.timeStamp) ? data.timeStamp : undefined;
  const severity = toSeverity(alarm?.severity ?? 0);
  const message = typeof alarm?.message === 'string' ? alarm.message : '';
  const status = message !== '' ? message : severity === 0 ? 'NO_ALARM' : 'ALARM';
  const timestamp =
    ts && ts.secondsPastEpoch !== undefined ? toNumber(ts.secondsPastEpoch) + toNumber(ts.nanoseconds ?? 0) / 1e9 : Date.now() / 1000;
  return { value: pvaValue(channel, data.value), timestamp, severity, status, connected: true };
}

function pvaValue(channel: string, v: unknown): ChannelValue {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number' || typeof x === 'bigint')) return Float64Array.from(v, toNumber);
    throw new UnsupportedValueError(channel, `array of ${typeof v[0]} cannot be represented as a channel value`);
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Float64Array.from(v as unknown as ArrayLike<number>, toNumber);
  }
  if (isRecord(v) && 'index' in v) return toNumber(v.index); // NTEnum
  throw new UnsupportedValueError(channel, 'value is a structure');
}

/** The sample a monitor emits when its channel disconnects. */
export function disconnectedSample(last: Sample | undefined): Sample {
  return {
    value: last?.value ?? Number.NaN,
    timestamp: Date.now() / 1000,
    severity: AlarmSeverity.INVALID,
    status: 'DISCONNECTED',
    connected: false,
  };
}
