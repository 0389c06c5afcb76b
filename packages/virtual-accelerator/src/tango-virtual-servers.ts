import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlayerError, type ChannelValue, type FieldName, type LoadedFacility } from '@mlayer/core';
import { DEBIAN_PYTHON, runToCompletion, spawnManaged, waitForOutput, type ManagedProcess } from '@mlayer/adapters-tango/system';
import { outsideLimits, type ServedChannel } from './served-channels.js';
import { checkTangoName } from './tango-names.js';

/** The generic PyTango server of the virtual accelerator (packages/virtual-accelerator/servers/MlayerVirtual.py). */
export const VIRTUAL_SERVER_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'servers', 'MlayerVirtual.py');
export const VIRTUAL_SERVER_NAME = 'MlayerVirtual';

/** One attribute of a virtual device (the JSON of the `Attributes` property). */
export interface VirtualAttribute {
  readonly name: string;
  readonly kind: FieldName;
  readonly type: 'number' | 'array' | 'string';
  readonly length?: number;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  /** Set point before the first write (the twin's value at registration). */
  readonly initial?: number | string | number[];
  readonly description: string;
  /** Set point: seconds a write takes to complete (the reply comes that late). */
  readonly write_delay?: number;
  /** Readback or monitor: push an event on every value the bridge feeds, even an unchanged one (BPMs). */
  readonly every_write_event?: boolean;
}

export interface VirtualDevice {
  /** domain/family/member */
  readonly name: string;
  readonly attributes: VirtualAttribute[];
}

/** Devices of one server instance (one instance per family: the first family naming the device). */
export interface VirtualServer {
  readonly instance: string;
  readonly devices: VirtualDevice[];
}

export interface VirtualServerOptions {
  /** Seconds a set point write takes to complete (default 0). */
  readonly writeDelay?: number;
  /** Channels whose every fed value is an event (BPMs published at their rate). */
  readonly everyWriteEvent?: (c: ServedChannel) => boolean;
}

/**
 * Groups the served channels into devices and server instances, with units, limits and
 * initial set points from the facility. A set point whose initial value lies outside its
 * limits gets no limits (TANGO would refuse the value; see outOfLimitDesignValues).
 */
export function virtualServers(facility: LoadedFacility, channels: readonly ServedChannel[], initial: ReadonlyMap<string, ChannelValue>, options: VirtualServerOptions = {}): VirtualServer[] {
  const servers = new Map<string, VirtualServer>();
  const devices = new Map<string, { device: VirtualDevice; instance: string }>();
  for (const c of channels) {
    const { device, attribute } = checkTangoName(c.served, `${facility.file}: ${c.family} ${c.name}`);
    const fam = facility.config.families[c.family];
    const field = fam.fields[c.field]!;
    const dev = fam.devices[c.deviceIndex];
    const key = device.toLowerCase();
    let entry = devices.get(key);
    if (!entry) {
      const instance = c.family;
      let server = servers.get(instance);
      if (!server) servers.set(instance, (server = { instance, devices: [] }));
      entry = { device: { name: device, attributes: [] }, instance };
      server.devices.push(entry.device);
      devices.set(key, entry);
    }
    const value = c.field === 'setpoint' ? initial.get(c.twin) : undefined;
    const declared = c.field === 'setpoint' ? (dev.limits ?? field.limits) : undefined;
    const limits = outsideLimits(value, declared) ? undefined : declared;
    entry.device.attributes.push({
      name: attribute,
      kind: c.field,
      type: field.dataType,
      length: field.dataType === 'array' ? (field.length ?? 4096) : undefined,
      unit: field.units.hardware,
      min: limits?.[0],
      max: limits?.[1],
      initial: value instanceof Float64Array ? Array.from(value) : value,
      description: `${c.family} ${c.name} ${c.field} (twin ${c.twin})`,
      ...(c.field === 'setpoint' && options.writeDelay ? { write_delay: options.writeDelay } : {}),
      ...(c.field !== 'setpoint' && options.everyWriteEvent?.(c) ? { every_write_event: true } : {}),
    });
  }
  return [...servers.values()];
}

/** Environment of processes that talk to a TANGO database; servers advertise loopback when the database is local. */
export function tangoEnv(tangoHost: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const local = /^(127\.0\.0\.1|localhost):/.test(tangoHost);
  return { ...base, TANGO_HOST: tangoHost, ...(local ? { ORBendPoint: 'giop:tcp:127.0.0.1:' } : {}) };
}

/** Registers the devices of the servers (and their Attributes property) in the database of `env.TANGO_HOST`. */
export async function registerVirtualServers(servers: readonly VirtualServer[], env: NodeJS.ProcessEnv): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-'));
  try {
    for (const s of servers) {
      const file = join(dir, `${s.instance}.json`);
      writeFileSync(file, JSON.stringify({ server: VIRTUAL_SERVER_NAME, instance: s.instance, devices: s.devices }));
      await runToCompletion({ name: `register ${VIRTUAL_SERVER_NAME}/${s.instance}`, command: DEBIAN_PYTHON, args: [VIRTUAL_SERVER_SCRIPT, '--register', file], env });
    }
  } finally {
    // The registration files are needed only here: nothing of them lingers (issue 15, item 11).
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts one registered instance; resolves when it accepts requests. Stop it by PID (`stop()`). */
export async function startVirtualServer(instance: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ManagedProcess> {
  const p = spawnManaged({ name: `${VIRTUAL_SERVER_NAME}/${instance}`, command: DEBIAN_PYTHON, args: [VIRTUAL_SERVER_SCRIPT, instance], env });
  try {
    await waitForOutput(p, /Ready to accept request/, timeoutMs);
  } catch (e) {
    await p.stop(2000);
    throw new MlayerError(`TANGO server ${VIRTUAL_SERVER_NAME}/${instance} did not start: ${(e as Error).message}`, { cause: e });
  }
  return p;
}
