import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { IocError } from './ioc-error.js';

/** The ports one IOC (and its clients) use on the loopback interface. */
export interface IocPorts {
  /** EPICS_CA_SERVER_PORT: UDP name search and TCP circuits. */
  readonly ca: number;
  /** EPICS_CA_REPEATER_PORT: beacons. */
  readonly caRepeater: number;
  /** EPICS_PVA_SERVER_PORT: TCP. */
  readonly pva: number;
  /** EPICS_PVA_BROADCAST_PORT: UDP search and beacons. */
  readonly pvaBroadcast: number;
}

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** True when no socket holds the UDP port (a bind without SO_REUSEADDR succeeds). */
export function udpFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function portFree(port: number): Promise<boolean> {
  return (await tcpFree(port, '0.0.0.0')) && (await tcpFree(port, '127.0.0.1')) && (await udpFree(port, '0.0.0.0'));
}

/**
 * Four distinct ports free for both TCP and UDP, drawn at random from
 * [20000, 60000) (never the EPICS defaults 5064-5076).
 */
export async function findFreeIocPorts(): Promise<IocPorts> {
  const picked: number[] = [];
  for (let attempt = 0; picked.length < 4 && attempt < 400; attempt++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if (picked.includes(p)) continue;
    if (await portFree(p)) picked.push(p);
  }
  if (picked.length < 4) throw new IocError('could not find 4 free ports for an IOC in [20000, 60000)');
  const [ca, caRepeater, pva, pvaBroadcast] = picked;
  return { ca, caRepeater, pva, pvaBroadcast };
}

/** Environment for EPICS servers and clients confined to the loopback interface on these ports. */
export function loopbackEpicsEnv(ports: IocPorts): Record<string, string> {
  return {
    EPICS_CA_SERVER_PORT: String(ports.ca),
    EPICS_CA_REPEATER_PORT: String(ports.caRepeater),
    EPICS_CA_ADDR_LIST: '127.0.0.1',
    EPICS_CA_AUTO_ADDR_LIST: 'NO',
    EPICS_CAS_INTF_ADDR_LIST: '127.0.0.1',
    EPICS_CAS_BEACON_ADDR_LIST: '127.0.0.1',
    EPICS_CAS_AUTO_BEACON_ADDR_LIST: 'NO',
    EPICS_PVA_SERVER_PORT: String(ports.pva),
    EPICS_PVAS_SERVER_PORT: String(ports.pva),
    EPICS_PVA_BROADCAST_PORT: String(ports.pvaBroadcast),
    EPICS_PVAS_BROADCAST_PORT: String(ports.pvaBroadcast),
    EPICS_PVA_ADDR_LIST: '127.0.0.1',
    EPICS_PVA_AUTO_ADDR_LIST: 'NO',
    EPICS_PVAS_INTF_ADDR_LIST: '127.0.0.1',
    EPICS_PVAS_BEACON_ADDR_LIST: '127.0.0.1',
    EPICS_PVAS_AUTO_BEACON_ADDR_LIST: 'NO',
  };
}

/** Where each IOC port comes from, for messages. */
const PORT_SOURCES: Record<keyof IocPorts, readonly string[]> = {
  ca: ['EPICS_CAS_SERVER_PORT', 'EPICS_CA_SERVER_PORT'],
  caRepeater: ['EPICS_CA_REPEATER_PORT'],
  pva: ['EPICS_PVAS_SERVER_PORT', 'EPICS_PVA_SERVER_PORT'],
  pvaBroadcast: ['EPICS_PVAS_BROADCAST_PORT', 'EPICS_PVA_BROADCAST_PORT'],
};

/**
 * The ports of an IOC as EPICS servers choose them: `given` (e.g. `--port` for
 * the CA server port), else the server variables of `env` (EPICS_CAS_SERVER_PORT,
 * falling back to EPICS_CA_SERVER_PORT as an EPICS server does; EPICS_CA_REPEATER_PORT;
 * EPICS_PVAS_SERVER_PORT / EPICS_PVA_SERVER_PORT; EPICS_PVAS_BROADCAST_PORT /
 * EPICS_PVA_BROADCAST_PORT), else free ones drawn as findFreeIocPorts does. A chosen
 * CA server port must be free (TCP and UDP): a clear error names where it came from.
 */
export async function iocPortsFrom(env: NodeJS.ProcessEnv, given: Partial<IocPorts> = {}): Promise<IocPorts> {
  const chosen: Partial<Record<keyof IocPorts, { port: number; from: string }>> = {};
  for (const key of Object.keys(PORT_SOURCES) as (keyof IocPorts)[]) {
    if (given[key] !== undefined) {
      chosen[key] = { port: given[key]!, from: key === 'ca' ? '--port' : key };
      continue;
    }
    const name = PORT_SOURCES[key].find((n) => env[n] !== undefined && env[n] !== '');
    if (name) chosen[key] = { port: Number(env[name]), from: name };
  }
  for (const [key, c] of Object.entries(chosen) as [keyof IocPorts, { port: number; from: string }][]) {
    if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) throw new IocError(`${c.from}: '${c.port}' is not a port number (1-65535)`);
    if (key === 'ca' && !(await portFree(c.port))) throw new IocError(`${c.from}=${c.port}: the port is in use (another IOC or CA server?); choose another with --port or EPICS_CAS_SERVER_PORT`);
  }
  const ports = Object.values(chosen).map((c) => c.port);
  if (new Set(ports).size !== ports.length) throw new IocError(`IOC ports must differ: ${Object.entries(chosen).map(([, c]) => `${c.from}=${c.port}`).join(', ')}`);
  if (ports.length === 4) return { ca: chosen.ca!.port, caRepeater: chosen.caRepeater!.port, pva: chosen.pva!.port, pvaBroadcast: chosen.pvaBroadcast!.port };
  // The rest drawn at random, distinct from the chosen ones.
  let free = await findFreeIocPorts();
  for (let i = 0; i < 20 && Object.values(free).some((p) => ports.includes(p)); i++) free = await findFreeIocPorts();
  return { ca: chosen.ca?.port ?? free.ca, caRepeater: chosen.caRepeater?.port ?? free.caRepeater, pva: chosen.pva?.port ?? free.pva, pvaBroadcast: chosen.pvaBroadcast?.port ?? free.pvaBroadcast };
}
