import type { ControlSystemRegistry } from '@mlayer/core';
import { tangoSettingsSchema, type TangoSettings } from './settings.js';
import { TangoControlSystem } from './tango-control-system.js';

/**
 * Registers the `tango` control-system type. The addon is loaded when a
 * control system is created, not here, so registering works on machines
 * without cppTango.
 */
export function registerTango(registry: ControlSystemRegistry): ControlSystemRegistry {
  return registry.register<TangoSettings>({
    type: 'tango',
    description: 'TANGO controls through cppTango (Node-API addon): attributes, commands, change/periodic/archive events',
    online: true,
    settingsSchema: tangoSettingsSchema,
    create(settings, context) {
      return new TangoControlSystem({ name: context.name, ...settings });
    },
  });
}
