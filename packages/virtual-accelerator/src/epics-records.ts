import { MlayerError, facilityChannels, type ChannelValue, type FieldName, type LoadedFacility } from '@mlayer/core';
import type { IocChannelDescription, IocElementType } from '@mlayer/adapters-epics';
import type { ServedChannel } from './served-channels.js';

/** Display precision (PREC) of records whose field declares none. */
export const DEFAULT_PRECISION = 6;

/** One served PV: the facility channels (twin and EPICS names) it stands for, and its record. */
export interface EpicsServedChannel extends ServedChannel {
  /** The record serving it (initial value filled in by epicsDescriptions). */
  readonly record: Omit<IocChannelDescription, 'initial'>;
  /** Hz at which the twin's value is published to the IOC (the field's updateRate), when the field declares one. */
  readonly updateRate?: number;
}

export interface EpicsNaming {
  /** The facility's control system of type epics that names the PVs. */
  readonly controlSystem: string;
  /** One entry per PV (devices sharing a PV, such as dipoles on one supply, are served once). */
  readonly channels: readonly EpicsServedChannel[];
  /** Facility channels served by a PV already listed (same twin channel, same PV). */
  readonly shared: number;
}

const elementType = (dataType: 'number' | 'array' | 'string'): IocElementType => (dataType === 'string' ? 'string' : 'double');

/**
 * The PVs of the facility's EPICS control system `epicsName`, each paired with the
 * twin channel it serves: set points as output records (ao, DRVL/DRVH from the
 * limits), readbacks and monitors as input records (ai), arrays as waveforms; EGU
 * the hardware units, PREC the field's precision. Every EPICS channel must have a
 * twin channel; a PV named by two different twin channels or fields is an error.
 */
export function epicsNaming(facility: LoadedFacility, twinName: string, epicsName: string): EpicsNaming {
  const cs = facility.config.controlSystems[epicsName];
  if (!cs) throw new MlayerError(`${facility.file}: no control system '${epicsName}' (control systems: ${Object.keys(facility.config.controlSystems).join(', ')})`);
  if (cs.type !== 'epics') throw new MlayerError(`${facility.file}: control system '${epicsName}' is of type '${cs.type}', not epics`);
  const served = facilityChannels(facility, epicsName);
  if (served.length === 0) throw new MlayerError(`${facility.file}: control system '${epicsName}' names no channels (give the families' fields channels.${epicsName} templates)`);
  const byPv = new Map<string, EpicsServedChannel>();
  let shared = 0;
  for (const c of served) {
    const fam = facility.config.families[c.family];
    const device = fam.devices[c.deviceIndex];
    const where = `${facility.file}: ${c.family} ${device.name} ${c.field}`;
    const twin = facility.channel(c.family, c.deviceIndex, c.field, twinName);
    if (twin === undefined) throw new MlayerError(`${where}: PV '${c.channel}' has no channel in the twin control system '${twinName}', so the twin cannot serve it`);
    const existing = byPv.get(c.channel);
    if (existing) {
      if (existing.twin !== twin || existing.field !== c.field) {
        throw new MlayerError(`${where}: PV '${c.channel}' is also the ${existing.field} of ${existing.family} ${existing.name} (twin channel '${existing.twin}', here '${twin}'); one PV can serve one twin channel only`);
      }
      shared++;
      continue;
    }
    const field = fam.fields[c.field]!;
    const setpoint = c.field === 'setpoint';
    const limits = setpoint ? (device.limits ?? field.limits) : undefined;
    const array = field.dataType === 'array';
    if (array && field.length === undefined) throw new MlayerError(`${where}: an array field needs a length (the waveform's NELM)`);
    const record: Omit<IocChannelDescription, 'initial'> = {
      name: c.channel,
      type: elementType(field.dataType),
      ...(array ? { length: field.length, array: true } : {}),
      units: field.units.hardware,
      precision: field.dataType === 'string' ? undefined : (field.precision ?? DEFAULT_PRECISION),
      readonly: !setpoint,
      ...(limits ? { limits: { low: limits[0], high: limits[1] } } : {}),
      description: `${c.family} ${device.name} ${c.field}`,
    };
    if (Buffer.byteLength(field.units.hardware, 'utf8') > 15) throw new MlayerError(`${where}: hardware units '${field.units.hardware}' are longer than the 15 bytes of an EPICS EGU field`);
    byPv.set(c.channel, { family: c.family, deviceIndex: c.deviceIndex, name: device.name, field: c.field, twin, served: c.channel, record, updateRate: field.updateRate });
  }
  return { controlSystem: epicsName, channels: [...byPv.values()], shared };
}

/** The record descriptions with the given present values as initial values (PV name -> value). */
export function epicsDescriptions(channels: readonly EpicsServedChannel[], values: ReadonlyMap<string, ChannelValue>): IocChannelDescription[] {
  return channels.map((c) => {
    const v = values.get(c.served);
    if (v === undefined) return c.record;
    const initial = typeof v === 'number' || typeof v === 'string' ? v : Array.from(v);
    // NaN (a BPM without beam) cannot be a record's initial VAL in every record type: start undefined instead.
    if (typeof initial === 'number' && !Number.isFinite(initial)) return c.record;
    return { ...c.record, initial };
  });
}

/** Suffix of the record each set point forward-links to (see settleRecords). */
export const SETTLE_SUFFIX = ':MLAYER_SETTLE';

/**
 * Makes a client's put-callback on a set point complete only `seconds` after the
 * record processed, the time the bridge needs to reach the twin and bring back the
 * orbit and readback that follow (a power supply's completion, as asynchronous
 * device support would report it): each set point forward-links to a calcout
 * record (`<PV>:MLAYER_SETTLE`) that stays active for its output delay (ODLY).
 */
export function settleRecords(descriptions: readonly IocChannelDescription[], channels: readonly EpicsServedChannel[], seconds: number): IocChannelDescription[] {
  if (!(seconds > 0)) return [...descriptions];
  const setpoints = new Set(channels.filter((c) => c.field === 'setpoint').map((c) => c.served));
  const out: IocChannelDescription[] = [];
  for (const d of descriptions) {
    if (!setpoints.has(d.name)) {
      out.push(d);
      continue;
    }
    const settle = `${d.name}${SETTLE_SUFFIX}`;
    out.push({ ...d, fields: { ...d.fields, FLNK: settle } });
    out.push({ name: settle, type: 'double', recordType: 'calcout', description: `settle of ${d.name}`, fields: { CALC: '0', OOPT: 'Every Time', ODLY: seconds } });
  }
  return out;
}

/** Which way the bridge moves a field's values: client set points to the twin, the rest to the IOC. */
export function bridgeDirection(field: FieldName): 'to-source' | 'to-sink' {
  return field === 'setpoint' ? 'to-source' : 'to-sink';
}
