import { ControlSystemRegistry, MlayerError, type ControlSystemFactory, createAccelerator, type Accelerator, type LoadedFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import type { GlobalOptions } from './global-options.js';
import { facilityFile } from './demo-facility.js';
import { MemoizedConversionRegistry } from './conversion-registry.js';
import { replayClock, wrapForRecording } from './recording-session.js';
import { builtConversionsCached, cacheDir, latticeFromCache, loadFacilityCached, loadLatticeCached, twinKey, validatedSpecsCached, writeBuiltConversions } from './facility-cache.js';

/** Registers the adapter for a control-system type, loading its package (the twin: with the engine) only when needed. */
async function registerAdapter(type: string, registry: ControlSystemRegistry): Promise<void> {
  if (registry.has(type)) return;
  if (type === 'twin') (await import('@mlayer/adapters-sim')).registerTwin(registry);
  else if (type === 'epics') (await import('@mlayer/adapters-epics')).registerEpics(registry);
  else if (type === 'tango') (await import('@mlayer/adapters-tango')).registerTango(registry);
}

export interface OpenOptions extends GlobalOptions {
  /** Extra settings for the chosen control system's factory. */
  readonly extras?: Readonly<Record<string, unknown>>;
}

/**
 * Loads the facility and builds the accelerator for the chosen mode, with every adapter it needs.
 * The validated facility and the twin's lattice come from the compiled-facility cache when
 * their files are unchanged (facility-cache.ts).
 */
export async function openAccelerator(options: OpenOptions): Promise<{ acc: Accelerator; facility: LoadedFacility }> {
  const { facility } = loadFacilityCached(facilityFile(options.facility));
  // --server: the control system is a running `mlayer server` in its mode (server-connection.ts, loaded only then).
  // --mode replay: the control system serves a recording, in the mode it was recorded in (replay-connection.ts, loaded only then).
  const remote = options.server ? await (await import('./server-connection.js')).connectServer(options, facility) : options.mode === 'replay' ? await (await import('./replay-connection.js')).openReplay(options, facility) : undefined;
  const mode = remote?.mode ?? options.mode ?? facility.config.defaultMode ?? Object.keys(facility.config.controlSystems)[0];
  const cs = facility.config.controlSystems[mode];
  if (!cs) throw new MlayerError(`${facility.file}: unknown mode '${mode}'; the facility defines ${Object.keys(facility.config.controlSystems).join(', ')}`);
  const controlSystems = new ControlSystemRegistry();
  // Online is the server's: a server of an epics/tango mode is written only with --yes, a twin's without.
  if (remote) controlSystems.register({ type: cs.type, description: `mlayer server ${options.server}`, online: remote.cs.online, settingsSchema: anySettings, create: () => remote.cs });
  else await registerAdapter(cs.type, controlSystems);
  if (options.verbose && remote) process.stderr.write(`mlayer: facility ${facility.file}, mode '${mode}' (type ${cs.type}) served by ${options.server ?? `the recording ${options.recording}`}\n`);
  else if (options.verbose) {
    process.stderr.write(`mlayer: facility ${facility.file}, mode '${mode}' (type ${cs.type})\n`);
    if (cs.type === 'epics') for (const line of (await import('@mlayer/adapters-epics')).describeEpicsSearch(cs.settings)) process.stderr.write(`mlayer: ${line}\n`);
  }
  const conversions = new MemoizedConversionRegistry();
  registerCalibration(conversions);
  // After a start that built everything without an error from the same files and code, each
  // conversion is built, and each twin setpoint converted, on first use; else all at load (errors there).
  const built = builtConversionsCached(facility);
  const local = cs.type === 'twin' && !remote;
  const twin = local && cacheDir() !== undefined ? twinKey(facility, mode) : undefined;
  const settings = twin === undefined ? undefined : rememberSettings(controlSystems, cs.type, cs.settings, built?.twins.includes(twin) ? built.settings?.[twin] : undefined);
  if (built) conversions.adoptShapes(facility, built.shapes);
  // The specs validated once per facility file and calibration code (the cache's), so that a warm
  // start checks none again; with the shapes above, read when the first conversion is built.
  const adoptSpecs = (): void => {
    const specs = validatedSpecsCached(facility, (raw, id) => conversions.validate(raw, { file: facility.file, resolvePath: facility.resolvePath, id }, `unitConversions.${id}`));
    if (specs) conversions.adoptValidated(facility, specs);
  };
  if (built) conversions.beforeFirstBuild(adoptSpecs);
  else adoptSpecs();
  // Model-based tools need the design model online and through a server too: the facility's lattice, loaded on
  // first use (a twin in this process brings its own). The engine module is loaded here, the lattice only when asked for.
  const latticeFile = facility.config.lattice?.file;
  const engine = !local && latticeFile ? await import('@mlayer/engine') : undefined;
  // The facility's vacuum chamber and open line (issue 22) make the model what the twin's is: an open line's tools use its trajectory response.
  const { chamber, openLine } = facility.config;
  const modelOptions = { ...(chamber ? { chamber } : {}), ...(openLine ? { openLine: openLine.twiss } : {}) };
  const model = engine && latticeFile ? () => engine.createLatticeModel(engine.loadLattice(facility.resolvePath(latticeFile)), modelOptions) : undefined;
  // The twin reads its lattice through the cache (at the point where it read the file, so its errors come as before).
  const lazySetpoints = twin !== undefined && built !== undefined && built.twins.includes(twin);
  const extras = local ? { loadLattice: cachedLatticeLoader, lazySetpoints, ...options.extras } : options.extras;
  // mlayer record: the control system and the clock's readings are recorded; a replay gives the recorded readings back.
  const clock = (await wrapForRecording(controlSystems, cs.type, facility, mode)) ?? replayClock(remote?.cs);
  const acc = await createAccelerator({ facility, mode, controlSystems, conversions, allowWrites: options.yes ?? false, extras, model, clock, lazyFamilies: built !== undefined }).catch(async (e: unknown) => {
    await remote?.cs.close();
    throw e;
  });
  writeBuiltConversions(facility, built, { shapes: conversions.builtShapes(), files: conversions.readFiles(), twin, settings: settings?.parsed() });
  return { acc, facility };
}

/**
 * The control system's settings as its factory's schema returns them, taken from the cache
 * (`cached`: a start from the same facility file and code built this twin without an error)
 * instead of validated again, which would load zod on every start; else validated by the schema
 * and kept (`parsed`) for the cache. Other settings objects are validated as before.
 */
function rememberSettings(registry: ControlSystemRegistry, type: string, raw: unknown, cached: unknown): { parsed(): unknown } {
  const factory = registry.get(type);
  const schema = factory.settingsSchema;
  let parsed = cached;
  const safeParse = (data: unknown): unknown => {
    if (data === raw && parsed !== undefined) return { success: true, data: parsed };
    const result = schema.safeParse(data);
    if (result.success && data === raw) parsed = result.data;
    return result;
  };
  registry.register({
    type: factory.type,
    description: factory.description,
    online: factory.online,
    settingsSchema: { safeParse } as unknown as ControlSystemFactory['settingsSchema'],
    create: (s, context) => factory.create(s, context),
  });
  return { parsed: () => parsed };
}

/** The server's control system takes no settings of the facility's (they are the server's). */
const anySettings = { safeParse: (data: unknown) => ({ success: true as const, data }) } as unknown as ControlSystemFactory['settingsSchema'];

/** The engine's lattice loader behind the cache; the engine's lattice readers are loaded on a miss only. */
async function cachedLatticeLoader(file: string): Promise<unknown> {
  return latticeFromCache(file) ?? loadLatticeCached(file, (await import('@mlayer/engine/io')).loadLattice).lattice;
}

/**
 * An online control system is written only with --yes: without it a command that
 * would write refuses with one line (exit code 2) before anything is written.
 */
export function refuseOnlineWrites(acc: Accelerator, g: GlobalOptions, command: string, alternative = '--dry-run shows what would be written'): void {
  if (acc.online && !g.yes) {
    throw new MlayerError(`${command}: mode '${acc.mode}' is an online control system and writes need --yes (${alternative}); nothing was written`);
  }
}
