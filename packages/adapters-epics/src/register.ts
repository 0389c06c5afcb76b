import type { ControlSystemFactory, ControlSystemRegistry } from '@mlayer/core';
import { EpicsControlSystem } from './epics-control-system.js';
import { epicsFacilitySettingsSchema, type EpicsSettings } from './settings.js';

/** The `epics` control-system type (Channel Access and PV Access). */
export const epicsControlSystemFactory: ControlSystemFactory<EpicsSettings> = {
  type: 'epics',
  description: 'EPICS Channel Access and PV Access (epics-tca); PV names may carry ca:// or pva://',
  online: true,
  // The facility's settings; what they leave out comes from the EPICS environment (EPICS_CA_ADDR_LIST, ...).
  settingsSchema: epicsFacilitySettingsSchema,
  create: (settings, context) => EpicsControlSystem.create(context.name, settings),
};

/** Register the `epics` control-system type. */
export function registerEpics(registry: ControlSystemRegistry): ControlSystemRegistry {
  return registry.register(epicsControlSystemFactory);
}
