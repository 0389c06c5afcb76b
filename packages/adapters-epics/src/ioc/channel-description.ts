import { MlayerError } from '@mlayer/core';

/** Element type of a channel served by a generated IOC (the waveform FTVL for arrays). */
export type IocElementType = 'double' | 'float' | 'long' | 'short' | 'char' | 'uchar' | 'string' | 'enum';

export interface IocLimits {
  readonly low: number;
  readonly high: number;
}

/** Alarm limits; HIHI/LOLO raise a MAJOR alarm, HIGH/LOW a MINOR one. */
export interface IocAlarmLimits {
  readonly hihi?: number;
  readonly high?: number;
  readonly low?: number;
  readonly lolo?: number;
  /** Alarm deadband (HYST). */
  readonly hysteresis?: number;
}

/**
 * One channel of a generated IOC database. The record type follows from the
 * description (ao/ai, longout/longin, stringout/stringin, mbbo/mbbi, waveform)
 * unless `recordType` names another one; `fields` adds or overrides raw fields.
 */
export interface IocChannelDescription {
  /** Record name (the PV name). */
  readonly name: string;
  readonly type: IocElementType;
  /** Number of elements; more than 1 (or `array: true`) makes a waveform. */
  readonly length?: number;
  /** Serve a waveform even when `length` is 1. */
  readonly array?: boolean;
  readonly units?: string;
  /** Drive limits (DRVL/DRVH) of writable numeric scalars, also used as display limits unless `display` is given. */
  readonly limits?: IocLimits;
  /** Display limits (LOPR/HOPR). */
  readonly display?: IocLimits;
  readonly alarm?: IocAlarmLimits;
  /** Display precision (PREC). */
  readonly precision?: number;
  /** Served by an input record (ai, longin, ...) instead of an output record. */
  readonly readonly?: boolean;
  /** Initial value (arrays for waveforms). */
  readonly initial?: number | string | readonly number[] | readonly string[];
  /** State names of an enum channel (at most 16). */
  readonly states?: readonly string[];
  /** Another record type (calcout, seq, ...); the generator then writes only the fields it knows apply to it. */
  readonly recordType?: string;
  /** Raw fields, written last (they override generated ones). */
  readonly fields?: Readonly<Record<string, string | number>>;
  readonly description?: string;
}

/** A channel description that cannot be served: names the channel and the field. */
export class IocChannelError extends MlayerError {
  constructor(
    readonly channel: string,
    readonly field: string,
    detail: string,
  ) {
    super(`IOC channel '${channel}': ${field}: ${detail}`);
  }
}

/** Characters EPICS allows in record names. */
const RECORD_NAME = /^[A-Za-z0-9_\-+:[\]<>;.]{1,60}$/;
const FIELD_NAME = /^[A-Z][A-Z0-9]{0,3}$/;
export const MAX_ENUM_STATES = 16;

export function isArrayChannel(c: IocChannelDescription): boolean {
  return c.array === true || (c.length ?? 1) > 1;
}

export function validateChannelDescription(c: IocChannelDescription): void {
  if (!RECORD_NAME.test(c.name)) {
    throw new IocChannelError(c.name, 'name', 'must be 1-60 characters of letters, digits and _-+:[]<>;.');
  }
  const length = c.length ?? 1;
  if (!Number.isInteger(length) || length < 1) {
    throw new IocChannelError(c.name, 'length', `must be a positive integer (got ${length})`);
  }
  if (c.precision !== undefined && (!Number.isInteger(c.precision) || c.precision < 0 || c.precision > 17)) {
    throw new IocChannelError(c.name, 'precision', `must be an integer in [0, 17] (got ${c.precision})`);
  }
  for (const key of ['limits', 'display'] as const) {
    const l = c[key];
    if (l && !(Number.isFinite(l.low) && Number.isFinite(l.high) && l.low <= l.high)) {
      throw new IocChannelError(c.name, key, `low must not exceed high and both must be finite (got [${l.low}, ${l.high}])`);
    }
  }
  if (c.type === 'enum') {
    if (isArrayChannel(c)) throw new IocChannelError(c.name, 'type', 'enum channels are scalars');
    if (c.states && c.states.length > MAX_ENUM_STATES) {
      throw new IocChannelError(c.name, 'states', `at most ${MAX_ENUM_STATES} states (got ${c.states.length})`);
    }
  }
  if (c.units !== undefined && c.units.length > 15) {
    throw new IocChannelError(c.name, 'units', `at most 15 characters (got "${c.units}")`);
  }
  if (c.initial !== undefined) {
    const init = c.initial;
    if (Array.isArray(init)) {
      if (!isArrayChannel(c)) throw new IocChannelError(c.name, 'initial', 'an array initial value needs an array channel');
      if (init.length > length) {
        throw new IocChannelError(c.name, 'initial', `${init.length} elements do not fit in length ${length}`);
      }
    }
  }
  for (const f of Object.keys(c.fields ?? {})) {
    if (!FIELD_NAME.test(f)) throw new IocChannelError(c.name, `fields.${f}`, 'is not an EPICS field name');
  }
}
