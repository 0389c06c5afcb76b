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
