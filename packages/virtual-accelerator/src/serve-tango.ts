import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { MlayerError, resolveFacilityPath, loadFacility, type Accelerator, type ChannelValue, type LoadedFacility } from '@mlayer/core';
import { bridgeControlSystems, type BridgePair, type ControlSystemBridge } from './bridge/index.js';
import { TangoControlSystem } from '@mlayer/adapters-tango';
import { startTangoSystem, type ManagedProcess, type TangoSystem } from '@mlayer/adapters-tango/system';
import { openTwin } from './open-twin.js';
import { writeFacilityOverlay } from './facility-overlay.js';
import { controlSystemOfType, hardwareChannels, outOfLimitDesignValues, servedFamilies, type ServedChannel } from './served-channels.js';
import { ServedHardware } from './served-hardware.js';
import { checkTiming, describeTiming, type ServedTiming } from './served-timing.js';
import { BRIDGE_SUFFIX, tangoNaming } from './tango-names.js';
import { registerVirtualServers, startVirtualServer, tangoEnv, virtualServers, type VirtualServer } from './tango-virtual-servers.js';
import { applyErrorSetFile, injectFaultsFile } from '@mlayer/adapters-sim';
import type { ServeOptions, Served } from './serve-options.js';

export interface ServeTangoOptions {
  /** Facility file or package. */
  readonly facility: string;
  /** Register in this database (default: start a private TANGO system on loopback). */
  readonly tangoHost?: string;
  readonly twin?: string;
  readonly controlSystem?: string;
  /** Error set (YAML/JSON) applied to the twin with `seed` (default 1). */
  readonly errors?: string;
  /** Faults (YAML/JSON list, issue 24) injected into the twin after the error set. */
  readonly faults?: string;
  readonly seed?: number;
  readonly overlay?: string;
  /** Bridge refresh period, ms (default 2000). */
  readonly refreshInterval?: number;
  /** Bridge poll period of the served set points, ms (default 1000; covers events lost during a server restart). */
  readonly pollInterval?: number;
  /** Realistic timing: BPM rate and averaging, supply ramps, latency, write (put-callback) delay. */
  readonly timing?: ServedTiming;
  /** Serve only these families (default every family). */
  readonly families?: readonly string[];
  readonly log?: (line: string) => void;
}

/** Device servers started at the same time. */
const SERVER_STARTS_AT_ONCE = 3;

/** The twin served over TANGO. */
export interface ServedTango {
  readonly tangoHost: string;
  /** The facility plus the served `tango` control system: `mlayer --facility <overlay> --mode <controlSystem>`. */
  readonly overlay: string;
  readonly controlSystem: string;
  /** Every twin channel with its TANGO name (the one clients use). */
  readonly channels: readonly ServedChannel[];
  /** The twin's accelerator (its control system is the twin). */
  readonly twin: Accelerator;
  readonly bridge: ControlSystemBridge;
  /** The twin as the served hardware (BPM publication, ramps, latency): stop BPM publication here. */
  readonly hardware: ServedHardware;
  readonly servers: readonly VirtualServer[];
  /** The running server process of an instance (one per family). */
  process(instance: string): ManagedProcess;
  /** Starts an instance again (after it stopped or was killed). */
  restart(instance: string): Promise<ManagedProcess>;
  /** Stops the bridge, the servers (by PID) and the private TANGO system. */
  stop(): Promise<void>;
}

function defaultOverlayPath(facility: LoadedFacility, csName: string): string {
  const dir = dirname(facility.file);
  const name = `${basename(facility.file, extname(facility.file))}.${csName}.yaml`;
  try {
    accessSync(dir, constants.W_OK);
    return join(dir, name);
  } catch {
    return join(mkdtempSync(join(tmpdir(), 'mlayer-serve-')), name);
  }
}

/**
 * Serves the facility's digital twin as a virtual accelerator over TANGO: one
 * TANGO device per facility device (servers/MlayerVirtual.py, one server instance
 * per family), bridged to the twin by core's bridgeControlSystems.
 */
export async function serveTango(options: ServeTangoOptions): Promise<ServedTango> {
  const log = options.log ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    // The twin, with its error set.
    const loaded = loadFacility(resolveFacilityPath(options.facility));
    const twinName = controlSystemOfType(loaded, 'twin', options.twin);
    if (!twinName) throw new MlayerError(`${loaded.file}: mlayer serve needs a control system of type twin (${options.twin ? `none named '${options.twin}'` : 'none'} in the facility)`);
    const { acc, facility } = await openTwin(loaded.file, twinName);
    cleanups.push(() => acc.close());
    if (facility.config.controlSystems[twinName].type !== 'twin') throw new MlayerError(`${facility.file}: control system '${twinName}' is of type '${facility.config.controlSystems[twinName].type}', not twin`);
    if (options.errors) {
      applyErrorSetFile(acc, facility.config, options.errors, options.seed ?? 1);
      log(`error set ${options.errors}, seed ${options.seed ?? 1}`);
    }
    if (options.faults) log(`${injectFaultsFile(acc.twin, options.faults)} faults of ${options.faults} injected`);
    const allNames = tangoNaming(facility, twinName, options.controlSystem);
    const wanted = servedFamilies(facility, options.families);
    const naming = { ...allNames, channels: allNames.channels.filter((c) => wanted.has(c.family)) };
    const timing = options.timing ?? {};
    checkTiming(timing, facility);
    const hwChannels = hardwareChannels(facility, naming.channels, timing);
    const bpm = new Set(hwChannels.flatMap((c) => (c.bpmRate !== undefined ? [c.channel] : [])));
    const hardware = new ServedHardware(acc.controlSystem, hwChannels, {
      bpmSamples: timing.bpmSamples,
      latency: timing.latency,
      onError: (channel, e) => log(`twin refused ${channel}: ${(e as Error).message.split('\n')[0]}`),
    });
    cleanups.push(() => hardware.close());

    // The TANGO database.
    let system: TangoSystem | undefined;
    let tangoHost = options.tangoHost;
    if (!tangoHost) {
      log('starting a private TANGO system (MariaDB, DataBaseds) on loopback...');
      system = await startTangoSystem();
      cleanups.push(() => system!.stop());
      tangoHost = system.tangoHost;
    }
    const env = tangoEnv(tangoHost);

    // Devices: registered with the twin's set points, then started (one server per family).
    const setpoints = naming.channels.filter((c) => c.field === 'setpoint');
    const values = await acc.controlSystem.read(setpoints.map((c) => c.twin));
    const initial = new Map<string, ChannelValue>(setpoints.map((c, i) => [c.twin, values[i].value]));
    for (const line of outOfLimitDesignValues(facility, setpoints, values)) log(line);
    const servers = virtualServers(facility, naming.channels, initial, { writeDelay: timing.putCallbackDelay, everyWriteEvent: (c) => bpm.has(c.twin) });
    await registerVirtualServers(servers, env);
    const processes = new Map<string, ManagedProcess>();
    cleanups.push(async () => {
      for (const p of processes.values()) await p.stop(5000);
    });
    log(`starting ${servers.length} TANGO device servers (${servers.reduce((n, s) => n + s.devices.length, 0)} devices)...`);
    // A few at a time (on a small machine dozens of interpreters starting at once all time out), the
    // largest first; every start settles before a failure is reported, so that no server is left
    // running (each is stopped by PID).
    const queue = [...servers].sort((a, b) => b.devices.length - a.devices.length);
    const failed: Error[] = [];
    const worker = async (): Promise<void> => {
      for (let s = queue.shift(); s && failed.length === 0; s = queue.shift()) {
        try {
          processes.set(s.instance, await startVirtualServer(s.instance, env, 60_000 + 500 * s.devices.length));
        } catch (e) {
          failed.push(e as Error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SERVER_STARTS_AT_ONCE, servers.length) }, worker));
    if (failed.length > 0) throw new MlayerError(`${failed.length} of ${servers.length} TANGO device servers did not start: ${failed.map((e) => e.message.split('\n')[0]).join('; ')}`, { cause: failed[0] });

    await hardware.start();
    // The bridge: set points from TANGO to the twin, readbacks and monitors (fed through <attr>_bridge) to TANGO.
    const sink = new TangoControlSystem({ name: `${naming.controlSystem}-bridge`, tangoHost });
    cleanups.push(() => sink.close());
    // Devices that share one supply (one twin set point, e.g. dipoles in series) each get their TANGO
    // device; the first one's set point drives the supply, as the one PV does over EPICS.
    const driving = new Map<string, ServedChannel>();
    const followers = new Map<string, number>();
    const pairs: BridgePair[] = naming.channels.flatMap((c): BridgePair[] => {
      if (c.field !== 'setpoint') return [{ source: c.twin, sink: `${c.served}${BRIDGE_SUFFIX}`, direction: 'to-sink', phase: c.field === 'readback' ? 1 : 0, everySample: bpm.has(c.twin) }];
      if (driving.has(c.twin)) {
        followers.set(c.twin, (followers.get(c.twin) ?? 0) + 1);
        return [];
      }
      driving.set(c.twin, c);
      return [{ source: c.twin, sink: c.served, direction: 'to-source' }];
    });
    for (const [twin, n] of followers) log(`${driving.get(twin)!.family}: ${n + 1} devices share the supply '${twin}'; a write reaches it through ${driving.get(twin)!.served} (the others' set points are served, not forwarded)`);
    // Set points are memorized attributes: after a restart the server holds the last value written, so the sink wins.
    const bridge = await bridgeControlSystems({ source: hardware, sink, pairs, onSinkReconnect: 'sink', refreshInterval: options.refreshInterval ?? 2000, pollInterval: options.pollInterval ?? 1000 });
    cleanups.push(() => bridge.close());
    // One line per failing channel every 10 s at most (a server down fails every update).
    const lastLogged = new Map<string, number>();
    bridge.failures$.subscribe((f) => {
      const now = Date.now();
      if (now - (lastLogged.get(f.channel) ?? 0) < 10_000) return;
      lastLogged.set(f.channel, now);
      log(`bridge: ${f.side} ${f.channel}: ${(f.error as Error).message.split('\n')[0]}${f.retrying ? ' (retrying)' : ''}`);
    });

    const overlay = writeFacilityOverlay(
      facility,
      { name: naming.controlSystem, type: 'tango', settings: { tangoHost }, templates: naming.declared ? undefined : naming.templates },
      resolve(options.overlay ?? defaultOverlayPath(facility, naming.controlSystem)),
      options.families ? wanted : undefined,
    );
    log(describeTiming(timing, hwChannels.flatMap((c) => (c.bpmRate !== undefined ? [c.bpmRate] : []))));
    if (timing.putCallbackDelay) log(`a write of a set point completes ${Math.round(timing.putCallbackDelay * 1000)} ms after it arrived`);
    log(`TANGO_HOST=${tangoHost}`);
    log(`facility overlay: ${overlay} (mlayer --facility ${overlay} --mode ${naming.controlSystem} ...)`);
    log(`channels (${naming.declared ? 'declared by the facility' : `derived: ${'mlayer/<family>/<sector>-<index>/<field>'}`}):`);
    for (const c of naming.channels) log(`  ${c.family} ${c.name} ${c.field}: ${c.served}`);

    let stopped = false;
    return {
      tangoHost,
      overlay,
      controlSystem: naming.controlSystem,
      channels: naming.channels,
      twin: acc,
      bridge,
      hardware,
      servers,
      process(instance) {
        const p = processes.get(instance);
        if (!p) throw new MlayerError(`no TANGO server instance '${instance}' (instances: ${[...processes.keys()].join(', ')})`);
        return p;
      },
      async restart(instance) {
        if (!servers.some((s) => s.instance === instance)) throw new MlayerError(`no TANGO server instance '${instance}'`);
        await processes.get(instance)?.stop(5000);
        const p = await startVirtualServer(instance, env);
        processes.set(instance, p);
        return p;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** `mlayer serve --protocol tango`. */
export const serveTangoCommand = async (o: ServeOptions, log: (line: string) => void): Promise<Served> => {
  const tangoHost = o.protocolOptions.tangoHost;
  const served = await serveTango({ facility: o.facility, tangoHost: typeof tangoHost === 'string' ? tangoHost : undefined, twin: o.twin, controlSystem: o.controlSystem, errors: o.errors, faults: o.faults, seed: o.seed, overlay: o.overlay, timing: o.timing, families: o.families, log });
  return {
    summary: { protocol: 'tango', tangoHost: served.tangoHost, overlay: served.overlay, controlSystem: served.controlSystem, channels: served.channels },
    hardware: served.hardware,
    stop: () => served.stop(),
  };
};
