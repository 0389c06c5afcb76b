import { MlayerError } from '@mlayer/core';

/** A channel name that is not a TANGO attribute address. */
export class TangoChannelError extends MlayerError {
  constructor(
    readonly channel: string,
    detail: string,
  ) {
    super(`TANGO channel '${channel}': ${detail}`);
  }
}

/** A parsed TANGO channel: one attribute of one device. */
export interface TangoChannel {
  /** The channel as given. */
  readonly channel: string;
  /** host:port of the database (TANGO_HOST form; may list several, comma-separated). */
  readonly host: string;
  /** domain/family/member */
  readonly deviceName: string;
  /** tango://host:port/domain/family/member: the name the addon gets. */
  readonly device: string;
  readonly attribute: string;
}

const HOST_PART = /^[A-Za-z0-9_.-]+:\d{1,5}$/;
const NAME_PART = /^[^\s/#:]+$/;

/** Checks a TANGO_HOST value (host:port, or several separated by commas). */
export function isTangoHost(host: string): boolean {
  return host.split(',').every((h) => HOST_PART.test(h.trim()));
}

/**
 * Parses `tango://host:port/domain/family/member/attribute` or
 * `domain/family/member/attribute` (the database is then `defaultHost`,
 * from the settings or TANGO_HOST).
 */
export function parseTangoChannel(channel: string, defaultHost: string | undefined): TangoChannel {
  let rest = channel.trim();
  let host = defaultHost;
  const prefix = /^tango:\/\//i;
  if (prefix.test(rest)) {
    rest = rest.replace(prefix, '');
    const slash = rest.indexOf('/');
    if (slash < 0) throw new TangoChannelError(channel, 'expected tango://host:port/domain/family/member/attribute');
    host = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!isTangoHost(host)) throw new TangoChannelError(channel, `'${host}' is not a host:port database address`);
  }
  const parts = rest.split('/');
  if (parts.length !== 4 || !parts.every((p) => NAME_PART.test(p))) {
    throw new TangoChannelError(
      channel,
      'expected domain/family/member/attribute or tango://host:port/domain/family/member/attribute',
    );
  }
  if (!host) {
    throw new TangoChannelError(channel, 'no database given: use tango://host:port/..., the tangoHost setting or the TANGO_HOST environment variable');
  }
  const deviceName = parts.slice(0, 3).join('/');
  return { channel, host, deviceName, device: `tango://${host}/${deviceName}`, attribute: parts[3] };
}

/** A parsed TANGO device address (for commands). */
export interface TangoDevice {
  readonly host: string;
  readonly deviceName: string;
  /** tango://host:port/domain/family/member */
  readonly device: string;
}

/** Parses `tango://host:port/domain/family/member` or `domain/family/member`. */
export function parseTangoDevice(device: string, defaultHost: string | undefined): TangoDevice {
  // Reuse the channel grammar with a placeholder attribute.
  const c = parseTangoChannel(`${device.trim().replace(/\/+$/, '')}/_`, defaultHost);
  return { host: c.host, deviceName: c.deviceName, device: c.device };
}
