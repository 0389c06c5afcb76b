import { MlayerError } from '@mlayer/core';
import { z } from 'zod';

const HOST = /^(?:(?:25[0-5]|2[0-4]\d|[01]?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d?\d)$|^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `host` or `host:port` (IPv4 address or host name). */
const addressEntry = z.string().refine((s) => {
  const [host, port, ...rest] = s.split(':');
  if (rest.length || !HOST.test(host)) return false;
  return port === undefined || (/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536);
}, 'an IPv4 address or host name, optionally with :port');

/** Ports must be > 5000 (epics-tca rejects lower ones). */
const port = z.number().int().gt(5000).lt(65536);

export const pvaSettingsSchema = z
  .strictObject({
    addressList: z.array(addressEntry).default([]),
    autoAddressList: z.boolean().default(true),
    serverPort: port.default(5075),
    broadcastPort: port.default(5076),
  })
  .describe('PV Access client settings (EPICS_PVA_*)');

export const epicsSettingsSchema = z
  .strictObject({
    /** EPICS_CA_ADDR_LIST: hosts searched for PVs (`host` or `host:port`; ports must equal serverPort). */
    addressList: z.array(addressEntry).default([]),
    /** EPICS_CA_AUTO_ADDR_LIST: also broadcast searches on every interface. */
    autoAddressList: z.boolean().default(true),
    /** EPICS_CA_SERVER_PORT. */
    serverPort: port.default(5064),
    /** EPICS_CA_REPEATER_PORT. */
    repeaterPort: port.default(5065),
    pva: pvaSettingsSchema.default({ addressList: [], autoAddressList: true, serverPort: 5075, broadcastPort: 5076 }),
    /** Protocol of PV names without a ca:// or pva:// prefix. */
    defaultProtocol: z.enum(['ca', 'pva']).default('ca'),
    /** Milliseconds; default timeout of every read, write and connection wait. */
    timeout: z.number().positive().finite().default(3000),
    /** Milliseconds between two samples a monitor emits (0: every update). */
    monitorThrottle: z.number().min(0).finite().default(0),
  })
  .superRefine((s, ctx) => {
    const check = (list: readonly string[], port: number, path: (string | number)[], setting: string) =>
      list.forEach((entry, i) => {
        const p = entry.split(':')[1];
        if (p !== undefined && Number(p) !== port) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, i],
            message: `'${entry}' names port ${p} but ${setting} is ${port}; epics-tca uses one port for every host: set ${setting} instead`,
          });
        }
      });
    check(s.addressList, s.serverPort, ['addressList'], 'serverPort');
    check(s.pva.addressList, s.pva.broadcastPort, ['pva', 'addressList'], 'pva.broadcastPort');
  })
  .describe('EPICS control system (Channel Access and PV Access through epics-tca)');

export type EpicsSettings = z.output<typeof epicsSettingsSchema>;
export type EpicsSettingsInput = z.input<typeof epicsSettingsSchema>;
export type PvaSettings = z.output<typeof pvaSettingsSchema>;

/** Hosts of an address list (the schema has checked that explicit ports equal the server port). */
export function addressHosts(list: readonly string[]): string[] {
  return list.map((entry) => entry.split(':')[0]);
}

/** The EPICS client variables mlayer follows, and the setting each one fills. */
const ENVIRONMENT = [
  { variable: 'EPICS_CA_ADDR_LIST', path: ['addressList'], kind: 'list' },
  { variable: 'EPICS_CA_AUTO_ADDR_LIST', path: ['autoAddressList'], kind: 'yesno' },
  { variable: 'EPICS_CA_SERVER_PORT', path: ['serverPort'], kind: 'port' },
  { variable: 'EPICS_CA_REPEATER_PORT', path: ['repeaterPort'], kind: 'port' },
  { variable: 'EPICS_PVA_ADDR_LIST', path: ['pva', 'addressList'], kind: 'list' },
  { variable: 'EPICS_PVA_AUTO_ADDR_LIST', path: ['pva', 'autoAddressList'], kind: 'yesno' },
  { variable: 'EPICS_PVA_SERVER_PORT', path: ['pva', 'serverPort'], kind: 'port' },
  { variable: 'EPICS_PVA_BROADCAST_PORT', path: ['pva', 'broadcastPort'], kind: 'port' },
] as const;

/** An EPICS_* variable of the environment that cannot be used. */
export class EpicsEnvironmentError extends MlayerError {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`environment variable ${variable}=${JSON.stringify(value)}: ${expected}`);
  }
}

function environmentValue(variable: string, kind: 'list' | 'yesno' | 'port', text: string): unknown {
  if (kind === 'list') {
    const list = text.trim().split(/\s+/).filter(Boolean);
    for (const entry of list) if (!addressEntry.safeParse(entry).success) throw new EpicsEnvironmentError(variable, text, `'${entry}' is not an IPv4 address or host name (optionally with :port)`);
    return list;
  }
  if (kind === 'yesno') {
    if (/^yes$/i.test(text.trim())) return true;
    if (/^no$/i.test(text.trim())) return false;
    throw new EpicsEnvironmentError(variable, text, 'expected YES or NO');
  }
  const p = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!port.safeParse(p).success) throw new EpicsEnvironmentError(variable, text, 'expected a port number between 5001 and 65535');
  return p;
}

/**
 * Fills the settings a facility file leaves out from the EPICS environment
 * (EPICS_CA_ADDR_LIST, EPICS_CA_AUTO_ADDR_LIST, EPICS_CA_SERVER_PORT, ..., as
 * EPICS clients do); a value the file sets explicitly wins. Returns new raw
 * settings for epicsSettingsSchema and the variables used.
 */
export function withEpicsEnvironment(raw: unknown, env: NodeJS.ProcessEnv = process.env): { settings: unknown; used: Record<string, string> } {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) return { settings: raw, used: {} };
  const out: Record<string, unknown> = { ...((raw as Record<string, unknown> | undefined) ?? {}) };
  const used: Record<string, string> = {};
  for (const { variable, path, kind } of ENVIRONMENT) {
    const text = env[variable];
    if (text === undefined || (text.trim() === '' && kind !== 'list')) continue;
    let target = out;
    if (path.length === 2) {
      const inner = out[path[0]];
      if (inner !== undefined && (typeof inner !== 'object' || inner === null || Array.isArray(inner))) continue;
      target = { ...((inner as Record<string, unknown> | undefined) ?? {}) };
      out[path[0]] = target;
    }
    const key = path[path.length - 1];
    if (key in target) continue;
    target[key] = environmentValue(variable, kind, text);
    used[variable] = text;
  }
  // EPICS gives a port per address-list entry; epics-tca one port for all: an entry's port must be the server port.
  const check = (list: unknown, portValue: unknown, variable: string, portVariable: string) => {
    if (!used[variable] || !Array.isArray(list)) return;
    for (const entry of list as string[]) {
      const p = entry.split(':')[1];
      if (p !== undefined && Number(p) !== portValue) throw new EpicsEnvironmentError(variable, used[variable], `'${entry}' names port ${p} but the server port is ${String(portValue)}; epics-tca uses one port for every host: set ${portVariable} (or the facility's settings) instead`);
    }
  };
  const pva = (out.pva ?? {}) as Record<string, unknown>;
  check(out.addressList, out.serverPort ?? 5064, 'EPICS_CA_ADDR_LIST', 'EPICS_CA_SERVER_PORT');
  check(pva.addressList, pva.broadcastPort ?? 5076, 'EPICS_PVA_ADDR_LIST', 'EPICS_PVA_BROADCAST_PORT');
  return { settings: out, used };
}

/**
 * The settings of a facility's epics control system: what the file gives, else the
 * EPICS environment, else the EPICS defaults (see withEpicsEnvironment).
 */
export const epicsFacilitySettingsSchema = z.preprocess((raw) => withEpicsEnvironment(raw).settings, epicsSettingsSchema);

/**
 * Where an EPICS client with these facility settings searches for PVs, in words,
 * each value with its origin (the facility file, an EPICS_* variable, or the default):
 * what `mlayer --verbose` prints.
 */
export function describeEpicsSearch(raw: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  const { settings, used } = withEpicsEnvironment(raw, env);
  const s = epicsSettingsSchema.parse(settings);
  const given = (raw ?? {}) as Record<string, unknown>;
  const givenPva = (given.pva ?? {}) as Record<string, unknown>;
  const origin = (variable: string, key: string, inPva = false): string => {
    if ((inPva ? givenPva : given)[key] !== undefined) return 'facility file';
    return used[variable] !== undefined ? variable : 'default';
  };
  const line = (protocol: string, hosts: readonly string[], auto: boolean, portValue: number, vars: [string, string, string], inPva: boolean): string =>
    `${protocol}: searches ${hosts.length ? addressHosts(hosts).join(' ') : 'no listed address'} (${origin(vars[0], 'addressList', inPva)})` +
    `${auto ? ', and broadcasts on every interface' : ', no broadcast'} (${origin(vars[1], 'autoAddressList', inPva)})` +
    `, UDP port ${portValue} (${origin(vars[2], inPva ? 'broadcastPort' : 'serverPort', inPva)})`;
  return [
    line('EPICS Channel Access', s.addressList, s.autoAddressList, s.serverPort, ['EPICS_CA_ADDR_LIST', 'EPICS_CA_AUTO_ADDR_LIST', 'EPICS_CA_SERVER_PORT'], false),
    line('EPICS PV Access', s.pva.addressList, s.pva.autoAddressList, s.pva.broadcastPort, ['EPICS_PVA_ADDR_LIST', 'EPICS_PVA_AUTO_ADDR_LIST', 'EPICS_PVA_BROADCAST_PORT'], true),
  ];
}
