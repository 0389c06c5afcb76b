import type { ControlSystemFactory, ControlSystemRegistry } from '@mlayer/core';
import { EpicsControlSystem } from './epics-control-system.js';
import { epicsSettingsSchema, type EpicsSettings } from './settings.js';

/** The `epics` control-system type (Channel Access and PV Access). */
export const epicsControlSystemFactory: ControlSystemFactory<EpicsSettings> = {
  type: 'epics',
  description: 'EPICS Channel Access and PV Access (epics-tca); PV names may carry ca:// or pva://',
  online: true,
  settingsSchema: epicsSettingsSchema,
  create: (settings, context) => EpicsControlSystem.create(context.name, settings),
};

/** Register the `epics` control-system type. */
export function registerEpics(registry: ControlSystemRegistry): ControlSystemRegistry {
  return registry.register(epicsControlSystemFactory);
}
