import { writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { MlayerError, resolveFacilityPath, loadFacility, type Accelerator, type ChannelValue, type LoadedFacility } from '@mlayer/core';
import { bridgeControlSystems, type BridgePair, type ControlSystemBridge } from './bridge/index.js';
import { TwinSettingsSchema } from '@mlayer/adapters-sim';
import { EpicsControlSystem, SoftIoc, ensureEpicsBase, generateDb, iocPortsFrom, loopbackEpicsEnv, type IocPorts } from '@mlayer/adapters-epics';
import { openTwin } from './open-twin.js';
import { bridgeDirection, epicsDescriptions, epicsNaming, settleRecords, type EpicsServedChannel } from './epics-records.js';
import { writeFacilityOverlay } from './facility-overlay.js';
import { ThrottledMonitors } from './throttled-monitors.js';
import { ServedHardware } from './served-hardware.js';
import { controlSystemOfType, hardwareChannels, outOfLimitDesignValues, outsideLimits, servedFamilies, setpointLimits } from './served-channels.js';
import { checkTiming, describeTiming, type ServedTiming } from './served-timing.js';
import { applyErrorSetFile, injectFaultsFile } from '@mlayer/adapters-sim';
import type { ServeOptions, Served } from './serve-options.js';

export interface ServeEpicsOptions {
  /** Facility file or package. */
  readonly facility: string;
  /** Twin control system of the facility (default: the first of type twin). */
  readonly twin?: string;
  /** The facility's control system of type epics whose PV names are served (default: the first of type epics). */
  readonly controlSystem?: string;
  /** Error set (YAML/JSON) applied to the twin with `seed` (default 1). */
  readonly errors?: string;
  /** Faults (YAML/JSON list, issue 24) injected into the twin after the error set. */
  readonly faults?: string;
  readonly seed?: number;
  /** Where to write the facility overlay (default: the IOC's temporary directory, removed when the IOC stops). */
  readonly overlay?: string;
  /** Serve PV Access too (softIocPVA). */
  readonly pva?: boolean;
  /**
   * IOC ports; missing ones from the EPICS server variables of `env` (EPICS_CAS_SERVER_PORT,
   * else EPICS_CA_SERVER_PORT, ...), else free ones in [20000, 60000).
   */
  readonly ports?: Partial<IocPorts>;
  /** Environment whose EPICS server variables choose the ports (default: none, free ports). */
  readonly env?: NodeJS.ProcessEnv;
  /** Realistic timing: BPM rate and averaging, supply ramps, latency, put-callback delay. */
  readonly timing?: ServedTiming;
  /** Serve only these families (default every family). */
  readonly families?: readonly string[];
  /** Start the IOC again (with the twin's present values) when it exits unexpectedly (default true). */
  readonly restartOnExit?: boolean;
  /**
   * Seconds a client's put-callback on a set point takes to complete (`timing.putCallbackDelay`
   * wins when both are given; default: two
   * periods of the slowest publication rate, the twin's or a field's, plus 50 ms), so that a client which waits for
   * completion then reads the orbit and readbacks that follow; 0 completes at once.
   */
  readonly settle?: number;
  /** Timeout of the bridge's reads and writes, ms (default 5000). */
  readonly timeout?: number;
  readonly log?: (line: string) => void;
}

/** The twin served over EPICS. */
export interface ServedEpics {
  readonly ports: IocPorts;
  /** EPICS_CA_* (and EPICS_PVA_*) variables a client on this host needs. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** The facility with its epics control system pointed at the IOC: `mlayer --facility <overlay> --mode <controlSystem>`. */
  readonly overlay: string;
  readonly controlSystem: string;
  /** One entry per served PV. */
  readonly channels: readonly EpicsServedChannel[];
  /** The twin's accelerator. */
  readonly twin: Accelerator;
  readonly bridge: ControlSystemBridge;
  /** The twin as the served hardware (BPM publication, ramps, latency): stop BPM publication here. */
  readonly hardware: ServedHardware;
  readonly ioc: SoftIoc;
  /** How many times the IOC was started again after it exited. */
  readonly restarts: number;
  /** Resolves once the IOC runs again after it was found stopped (immediately when it runs). */
  iocRunning(timeoutMs?: number): Promise<void>;
  /** Stops the IOC and starts it again with the twin's present values, on the same ports. */
  restartIoc(): Promise<void>;
  /** Stops the bridge and the IOC (by PID) and closes the twin. */
  stop(): Promise<void>;
}

/** The variables EPICS clients need (not the server-side EPICS_CAS_ and EPICS_PVAS_ ones). */
function clientVariables(ports: IocPorts, pva: boolean): Record<string, string> {
  const all = loopbackEpicsEnv(ports);
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('EPICS_CA_') || (pva && k.startsWith('EPICS_PVA_'))));
}

/** The overlay's default place: the IOC's own directory, removed when the IOC stops (or its owner is killed). */
function defaultOverlayPath(facility: LoadedFacility, csName: string, ioc: SoftIoc): string {
  return join(ioc.directory, `${basename(facility.file, extname(facility.file))}.${csName}.yaml`);
}

/**
 * Serves the facility's digital twin as a virtual accelerator over EPICS: one
 * softIoc (softIocPVA with `pva`) on loopback holding a record for every PV of
 * the facility's epics control system, initialised with the twin's values and
 * bridged to the twin by core's bridgeControlSystems over Channel Access (client
 * set points to the twin; readbacks and monitors to the IOC at the devices'
 * update rates). An IOC that exits is started again with the twin's values
 * (as autosave would restore them), so the bridge lets the IOC's set points win
 * after a reconnection.
 */
export async function serveEpics(options: ServeEpicsOptions): Promise<ServedEpics> {
  const log = options.log ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const t0 = Date.now();
    const loaded = loadFacility(resolveFacilityPath(options.facility));
    const twinName = controlSystemOfType(loaded, 'twin', options.twin);
    if (!twinName) throw new MlayerError(`${loaded.file}: mlayer serve needs a control system of type twin (${options.twin ? `none named '${options.twin}'` : 'none'} in the facility)`);
    const epicsName = controlSystemOfType(loaded, 'epics', options.controlSystem);
    if (!epicsName) throw new MlayerError(`${loaded.file}: mlayer serve --protocol epics serves the PV names of a control system of type epics (${options.controlSystem ? `none named '${options.controlSystem}'` : 'none'} in the facility)`);
    const allNames = epicsNaming(loaded, twinName, epicsName);
    const wanted = servedFamilies(loaded, options.families);
    const naming = { ...allNames, channels: allNames.channels.filter((c) => wanted.has(c.family)) };
    const timing = options.timing ?? {};
    checkTiming(timing, loaded);

    // The twin, with its error set.
    const { acc, facility } = await openTwin(loaded.file, twinName);
    cleanups.push(() => acc.close());
    if (facility.config.controlSystems[twinName].type !== 'twin') throw new MlayerError(`${facility.file}: control system '${twinName}' is of type '${facility.config.controlSystems[twinName].type}', not twin`);
    if (options.errors) {
      applyErrorSetFile(acc, facility.config, options.errors, options.seed ?? 1);
      log(`error set ${options.errors}, seed ${options.seed ?? 1}`);
    }
    if (options.faults) log(`${injectFaultsFile(acc.twin, options.faults)} faults of ${options.faults} injected`);
    const twinCs = acc.controlSystem;
    const twinChannels = naming.channels.map((c) => c.twin);
    const twinRate = TwinSettingsSchema.parse(facility.config.controlSystems[twinName].settings).updateRate;
    // Slowest publication: the twin's rate, or a field's lower updateRate.
    const slowest = Math.min(twinRate, ...naming.channels.flatMap((c) => (c.field !== 'setpoint' && c.updateRate !== undefined ? [c.updateRate] : [])));
    const hwChannels = hardwareChannels(facility, naming.channels, timing);
    const bpm = new Set(hwChannels.flatMap((c) => (c.bpmRate !== undefined ? [c.channel] : [])));
    const bpmRates = hwChannels.flatMap((c) => (c.bpmRate !== undefined ? [c.bpmRate] : []));
    const settle = timing.putCallbackDelay ?? options.settle ?? 2 / Math.min(slowest, ...bpmRates) + 0.05;
    if (!(settle >= 0) || !Number.isFinite(settle)) throw new MlayerError(`settle: must be a finite number of seconds >= 0 (got ${settle})`);
    // The twin behind realistic hardware (BPMs at their rate, averaged; ramps; latency); monitors of fields
    // that declare a lower rate than the twin's are throttled to it.
    const period = new Map<string, number>();
    const tooFast = new Set<string>();
    for (const c of naming.channels) {
      if (c.field === 'setpoint' || c.updateRate === undefined) continue;
      if (c.updateRate < twinRate) period.set(c.twin, 1000 / c.updateRate);
      else if (c.updateRate > twinRate) tooFast.add(`${c.family} ${c.field} (${c.updateRate} Hz)`);
    }
    const hardware = new ServedHardware(new ThrottledMonitors(twinCs, (channel) => period.get(channel)), hwChannels, {
      bpmSamples: timing.bpmSamples,
      latency: timing.latency,
      onError: (channel, e) => log(`twin refused ${channel}: ${(e as Error).message}`),
    });
    cleanups.push(() => hardware.close());
    await hardware.start();
    const design = await twinCs.read(naming.channels.map((c) => c.twin));
    for (const line of outOfLimitDesignValues(facility, naming.channels, design)) log(line);
    // Drive limits would clamp the value the machine runs at (see outOfLimitDesignValues).
    const unlimited = new Set(naming.channels.filter((c, i) => c.field === 'setpoint' && outsideLimits(design[i].value, setpointLimits(facility, c))).map((c) => c.served));
    const database = async (): Promise<string> => {
      const samples = await hardware.read(twinChannels);
      const values = new Map<string, ChannelValue>(naming.channels.map((c, i) => [c.served, samples[i].value]));
      // A BPM record posts a monitor on every publication, even of an unchanged value (MDEL -1), as a BPM IOC does.
      const bpmPvs = new Set(naming.channels.filter((c) => bpm.has(c.twin)).map((c) => c.served));
      const descriptions = epicsDescriptions(naming.channels, values).map((d) => (bpmPvs.has(d.name) ? { ...d, fields: { ...d.fields, MDEL: -1, ADEL: -1 } } : unlimited.has(d.name) ? { ...d, limits: undefined } : d));
      return generateDb(settleRecords(descriptions, naming.channels, settle));
    };

    // The IOC, on loopback, its own ports.
    const epicsBase = await ensureEpicsBase({ log });
    const pva = options.pva ?? false;
    log(`starting ${pva ? 'softIocPVA' : 'softIoc'} with ${naming.channels.length} PVs (${naming.shared} facility channels share a PV)...`);
    const ports = await iocPortsFrom(options.env ?? {}, options.ports).catch((e: unknown) => {
      throw new MlayerError(`mlayer serve --protocol epics: ${(e as Error).message}`, { cause: e });
    });
    const ioc = await SoftIoc.start({ epicsBase, dbText: await database(), pva, ports });
    cleanups.push(() => ioc.stop());
    const tIoc = Date.now() - t0;

    // The bridge: a Channel Access client of the IOC as the sink, the twin (each monitor at its device's rate) as the source.
    const timeout = options.timeout ?? 5000;
    const sink = await EpicsControlSystem.create(`${epicsName}-bridge`, {
      addressList: ['127.0.0.1'],
      autoAddressList: false,
      serverPort: ioc.ports.ca,
      repeaterPort: ioc.ports.caRepeater,
      pva: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ioc.ports.pva, broadcastPort: ioc.ports.pvaBroadcast },
      timeout,
    });
    cleanups.push(() => sink.close());
    // Connect every PV once (it also checks that the IOC serves them all) before the bridge's first copy.
    await sink.read(naming.channels.map((c) => c.served), { timeout: Math.max(timeout, 30_000) }).catch((e: unknown) => {
      throw new MlayerError(`the IOC does not serve every PV: ${(e as Error).message}`, { cause: e });
    });
    log(`readbacks and monitors published at the twin's update rate, ${twinRate} Hz${period.size > 0 ? `; ${period.size} at their fields' lower updateRate` : ''}`);
    if (tooFast.size > 0) log(`published at ${twinRate} Hz, the twin's update rate, not faster: ${[...tooFast].join(', ')}`);
    log(describeTiming(timing, bpmRates));
    const source = hardware;
    const pairs: BridgePair[] = naming.channels.map((c) =>
      bridgeDirection(c.field) === 'to-source'
        ? { source: c.twin, sink: c.served, direction: 'to-source' }
        : { source: c.twin, sink: c.served, direction: 'to-sink', phase: c.field === 'readback' ? 1 : 0, everySample: bpm.has(c.twin) },
    );
    // The IOC restarts with the twin's values (see restartIoc), so its set points win after a reconnection;
    // a full copy follows every reconnection, so no periodic refresh is needed.
    const bridge = await bridgeControlSystems({ source, sink, pairs, onSinkReconnect: 'sink', refreshInterval: 0, timeout });
    cleanups.push(() => bridge.close());
    bridge.failures$.subscribe((f) => log(`bridge: ${f.side} ${f.channel}: ${(f.error as Error).message}${f.retrying ? ' (retrying)' : ''}`));
    const tReady = Date.now() - t0;

    // Supervision: an IOC that exits is started again with the twin's present values.
    let restarts = 0;
    let restarting: Promise<void> | undefined;
    let stopping = false;
    const restartIoc = (): Promise<void> => {
      if (restarting) return restarting;
      restarting = (async () => {
        writeFileSync(ioc.dbPath, await database());
        let lastError: unknown;
        for (let attempt = 0; attempt < 5 && !stopping; attempt++) {
          try {
            await ioc.restart();
            restarts++;
            log(`IOC running again (pid ${ioc.pid}, restart ${restarts})`);
            return;
          } catch (e) {
            lastError = e;
            await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          }
        }
        if (!stopping) log(`IOC restart failed: ${(lastError as Error)?.message ?? 'stopped'}`);
      })().finally(() => {
        restarting = undefined;
      });
      return restarting;
    };
    const watch = setInterval(() => {
      if (stopping || restarting || ioc.running || options.restartOnExit === false) return;
      log('IOC exited; starting it again with the twin\'s present values');
      void restartIoc();
    }, 200);
    watch.unref?.();
    cleanups.push(async () => clearInterval(watch));

    const overlay = writeFacilityOverlay(
      facility,
      {
        name: epicsName,
        type: 'epics',
        settings: {
          addressList: ['127.0.0.1'],
          autoAddressList: false,
          serverPort: ioc.ports.ca,
          repeaterPort: ioc.ports.caRepeater,
          pva: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ioc.ports.pva, broadcastPort: ioc.ports.pvaBroadcast },
        },
      },
      resolve(options.overlay ?? defaultOverlayPath(facility, epicsName, ioc)),
      options.families ? wanted : undefined,
    );
    const clientEnv = clientVariables(ioc.ports, pva);
    log(`IOC pid ${ioc.pid} serving ${naming.channels.length} PVs on 127.0.0.1 (IOC up in ${tIoc} ms, bridged in ${tReady} ms)`);
    const delayed = (timing.latency?.[1] ?? 0) > 0 || hwChannels.some((c) => c.rampRate !== undefined);
    if (settle > 0) log(`a put-callback on a set point completes ${Math.round(settle * 1000)} ms after the write (${delayed ? 'with latency or ramps the supply may not have the value yet: clients wait for the readback and for fresh BPM data' : "the twin's orbit and readback are on the IOC by then"})`);
    log('environment for EPICS clients (caget, pyepics, ...):');
    for (const [k, v] of Object.entries(clientEnv)) log(`  export ${k}=${v}`);
    log(`facility overlay: ${overlay} (mlayer --facility ${overlay} --mode ${epicsName} ...)`);
    const families = new Map<string, EpicsServedChannel[]>();
    for (const c of naming.channels) families.set(`${c.family} ${c.field}`, [...(families.get(`${c.family} ${c.field}`) ?? []), c]);
    for (const [key, list] of families) log(`  ${key}: ${list.length} PV${list.length === 1 ? '' : 's'}, e.g. ${list[0].served}`);

    return {
      ports: ioc.ports,
      clientEnv,
      overlay,
      controlSystem: epicsName,
      channels: naming.channels,
      twin: acc,
      bridge,
      hardware,
      ioc,
      get restarts() {
        return restarts;
      },
      async iocRunning(timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs;
        while (!ioc.running || restarting) {
          if (restarting) await restarting;
          else if (Date.now() > deadline) throw new MlayerError(`the IOC did not run again within ${timeoutMs} ms`);
          else await new Promise((r) => setTimeout(r, 50));
        }
      },
      restartIoc,
      async stop() {
        if (stopping) return;
        stopping = true;
        await restarting?.catch(() => undefined);
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** `mlayer serve --protocol epics`. */
export const serveEpicsCommand = async (o: ServeOptions, log: (line: string) => void): Promise<Served> => {
  const port = o.protocolOptions.port;
  const served = await serveEpics({
    facility: o.facility,
    twin: o.twin,
    controlSystem: o.controlSystem,
    errors: o.errors,
    faults: o.faults,
    seed: o.seed,
    overlay: o.overlay,
    pva: o.protocolOptions.pva === true,
    timing: o.timing,
    families: o.families,
    env: process.env,
    ports: typeof port === 'number' ? { ca: port } : undefined,
    log,
  });
  return {
    summary: { protocol: 'epics', env: served.clientEnv, overlay: served.overlay, controlSystem: served.controlSystem, iocPid: served.ioc.pid, ports: served.ports, pvs: served.channels.map((c) => ({ family: c.family, name: c.name, field: c.field, pv: c.served })) },
    hardware: served.hardware,
    stop: () => served.stop(),
  };
};
