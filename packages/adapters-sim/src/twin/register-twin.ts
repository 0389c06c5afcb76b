import { MlayerError, UnitConversionRegistry, type Clock, type ControlSystemRegistry, type LoadedFacility } from '@mlayer/core';
import type { Lattice } from '@mlayer/engine';
import { TwinSettingsSchema, type TwinSettings } from './settings.js';
import { readErrorSet } from './error-set-file.js';
import { TwinControlSystem } from './twin-control-system.js';

/**
 * Registers the 'twin' control-system type. The factory needs `extras.facility`
 * (the LoadedFacility, passed by createAccelerator) and uses `extras.conversions`
 * (the application's registry) and, when given, `extras.lattice` (a Lattice already
 * loaded) instead of the facility's lattice file, or `extras.loadLattice` (a loader of
 * the lattice file used instead of the engine's, e.g. one that caches: the CLI's; it may
 * return a promise). The engine's lattice readers are loaded only when the factory reads
 * the lattice file itself. `extras.lazySetpoints: true` defers converting each initial
 * setpoint to its actuator's first use (TwinOptions.lazySetpoints). `extras.clock` (a Clock) is the
 * twin's time (ramps, faults; TwinOptions.clock).
 */
export function registerTwin(registry: ControlSystemRegistry): void {
  registry.register<TwinSettings>({
    type: 'twin',
    description: 'the digital twin: AT-compatible engine behind the facility channel names',
    online: false,
    settingsSchema: TwinSettingsSchema,
    async create(settings, context) {
      const facility = context.extras.facility as LoadedFacility | undefined;
      if (!facility) throw new MlayerError('the twin control system needs extras.facility');
      const conversions = (context.extras.conversions as UnitConversionRegistry | undefined) ?? new UnitConversionRegistry();
      let lattice = context.extras.lattice as Lattice | undefined;
      if (!lattice) {
        if (!facility.config.lattice) throw new MlayerError(`${facility.file}: the twin needs a lattice (lattice.file)`);
        const load = (context.extras.loadLattice as ((file: string) => Lattice | Promise<Lattice>) | undefined) ?? (await import('@mlayer/engine/io')).loadLattice;
        lattice = await load(facility.resolvePath(facility.config.lattice.file));
      }
      const twin = new TwinControlSystem({ name: context.name, facility, conversions, lattice, settings, lazySetpoints: context.extras.lazySetpoints === true, clock: context.extras.clock as Clock | undefined });
      if (settings.errors) {
        // The error set, keyed by families or groups (as the demo's); its problems name the file.
        const file = context.resolvePath(settings.errors);
        try {
          twin.applyErrors(readErrorSet(file, facility.config), settings.seed);
        } catch (e) {
          throw new MlayerError(`${file} (controlSystems.${context.name}.settings.errors): ${(e as Error).message}`, { cause: e });
        }
      }
      return twin.start();
    },
  });
}
