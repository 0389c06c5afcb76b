import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '../src/index.js';
import { MemoryControlSystem, registerMemory } from '../src/testing/index.js';

export const RING = fileURLToPath(new URL('./fixtures/ring.yaml', import.meta.url));

/** A linear conversion type for core's own tests (the real ones live in @mlayer/calibration). */
export function testConversions(): UnitConversionRegistry {
  const registry = new UnitConversionRegistry();
  registry.register({
    type: 'test-linear',
    description: 'physics = gain * hardware',
    schema: z.object({ type: z.literal('test-linear'), gain: z.number(), hardwareUnits: z.string(), physicsUnits: z.string() }).strict(),
    create: (spec) => ({
      hardwareUnits: spec.hardwareUnits,
      physicsUnits: spec.physicsUnits,
      toPhysics: (v: number) => v * spec.gain,
      toHardware: (v: number) => v / spec.gain,
    }),
  });
  return registry;
}

export async function ringAccelerator(mode = 'sim', allowWrites = false): Promise<{ acc: Accelerator; cs: MemoryControlSystem }> {
  const controlSystems = new ControlSystemRegistry();
  const created = registerMemory(controlSystems);
  const acc = await createAccelerator({ facility: loadFacility(RING), mode, controlSystems, conversions: testConversions(), allowWrites });
  return { acc, cs: created[0] };
}
