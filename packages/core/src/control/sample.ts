/** A value read from a channel: a number, an array (waveform, spectrum) or a string. */
export type ChannelValue = number | Float64Array | string;

/** Alarm severity as EPICS defines it; TANGO qualities map onto it (VALID=0, WARNING=1, ALARM=2, INVALID=3). */
export const AlarmSeverity = {
  NO_ALARM: 0,
  MINOR: 1,
  MAJOR: 2,
  INVALID: 3,
} as const;
export type AlarmSeverity = (typeof AlarmSeverity)[keyof typeof AlarmSeverity];

/** One reading of one channel. */
export interface Sample<V extends ChannelValue = ChannelValue> {
  readonly value: V;
  /** Seconds since the Unix epoch (server time when the server gives it). */
  readonly timestamp: number;
  readonly severity: AlarmSeverity;
  /** Alarm status text ("NO_ALARM", "HIHI", "ATTR_WARNING", "DISCONNECTED", ...). */
  readonly status: string;
  /** False on the sample emitted when a monitored channel disconnects. */
  readonly connected?: boolean;
}

export function makeSample<V extends ChannelValue>(value: V, timestamp = Date.now() / 1000, severity: AlarmSeverity = 0, status = 'NO_ALARM'): Sample<V> {
  return { value, timestamp, severity, status, connected: true };
}
