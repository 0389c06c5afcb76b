import { AlarmSeverity, MlayerError, type ChannelValue, type Sample } from '@mlayer/core';
import type { NativeReading } from './native-binding.js';

/** Tango::DevState names, by value. */
export const TANGO_STATES = [
  'ON', 'OFF', 'CLOSE', 'OPEN', 'INSERT', 'EXTRACT', 'MOVING', 'STANDBY', 'FAULT', 'INIT', 'RUNNING', 'ALARM', 'DISABLE', 'UNKNOWN',
] as const;

/** Tango::AttrQuality, by value. */
export const TANGO_QUALITIES = ['ATTR_VALID', 'ATTR_INVALID', 'ATTR_ALARM', 'ATTR_CHANGING', 'ATTR_WARNING'] as const;

const SEVERITY_OF_QUALITY: readonly AlarmSeverity[] = [
  AlarmSeverity.NO_ALARM, // VALID
  AlarmSeverity.INVALID, // INVALID
  AlarmSeverity.MAJOR, // ALARM
  AlarmSeverity.MINOR, // CHANGING
  AlarmSeverity.MINOR, // WARNING
];

export const DEV_STATE_TYPE = 19;
const FORMAT_SCALAR = 0;

/** Severity and status text of a TANGO quality (VALID gives NO_ALARM like the other adapters). */
export function qualityToSeverity(quality: number): { severity: AlarmSeverity; status: string } {
  const severity = SEVERITY_OF_QUALITY[quality];
  if (severity === undefined) return { severity: AlarmSeverity.INVALID, status: `ATTR_QUALITY_${quality}` };
  return { severity, status: quality === 0 ? 'NO_ALARM' : TANGO_QUALITIES[quality] };
}

/** A reading that cannot become a ChannelValue (string spectra, images of strings). */
export class UnrepresentableReadingError extends MlayerError {}

/**
 * Value of a reading: numeric scalars give a number (booleans 0/1, enums their
 * index), states their name ('ON', 'RUNNING'), strings a string, numeric
 * spectra and images a Float64Array (images row-major). An empty reading
 * (INVALID quality) gives NaN, or '' for strings and states.
 */
export function readingValue(r: NativeReading): ChannelValue {
  const isText = r.typeName === 'DevString' || r.type === DEV_STATE_TYPE;
  if (r.value === null) return isText ? '' : Number.NaN;
  if (Array.isArray(r.value)) {
    if (r.format !== FORMAT_SCALAR) {
      throw new UnrepresentableReadingError(`attribute ${r.name} is a ${r.format === 1 ? 'spectrum' : 'image'} of strings, which is not a channel value`);
    }
    return r.value[0] ?? '';
  }
  const numbers = r.value as Float64Array;
  if (r.type === DEV_STATE_TYPE && r.format === FORMAT_SCALAR) return TANGO_STATES[numbers[0]] ?? `STATE_${numbers[0]}`;
  if (r.format === FORMAT_SCALAR) return numbers[0];
  return numbers;
}

export function readingToSample(r: NativeReading): Sample {
  const { severity, status } = qualityToSeverity(r.quality);
  return { value: readingValue(r), timestamp: r.timestamp, severity, status, connected: true };
}
