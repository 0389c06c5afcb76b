/**
 * AcceleratorOptions.lazyFamilies (the CLI's warm start after a facility built without an
 * error): each family's devices, channels and conversions are resolved when the family is
 * first used, giving what the eager build gives; a family with a configuration error reports
 * the same error, at its first use instead of at load.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ControlSystemRegistry, createAccelerator, loadFacility, type Accelerator, type ConversionBuildContext, type UnitConversion, type UnitConversionRegistry } from '../../src/index.js';
import { registerMemory } from '../../src/testing/index.js';
import { RING, testConversions } from '../helpers.js';

/** The test registry, counting the conversions it builds by id. */
function counting(): { registry: UnitConversionRegistry; built: string[] } {
  const registry = testConversions();
  const built: string[] = [];
  const create = registry.create.bind(registry);
  registry.create = (raw: unknown, context: ConversionBuildContext, path?: string): UnitConversion => {
    built.push(context.id);
    return create(raw, context, path);
  };
  return { registry, built };
}

async function open(file: string, lazyFamilies: boolean): Promise<{ acc: Accelerator; built: string[] }> {
  const controlSystems = new ControlSystemRegistry();
  registerMemory(controlSystems);
  const { registry, built } = counting();
  const acc = await createAccelerator({ facility: loadFacility(file), controlSystems, conversions: registry, lazyFamilies });
  return { acc, built };
}

describe('lazy families', () => {
  it('resolves a family on first use, as the eager build does', async () => {
    const eager = await open(RING, false);
    const lazy = await open(RING, true);
    expect(eager.built.length).toBeGreaterThan(0);
    expect(lazy.built).toEqual([]);
    expect(lazy.acc.familyNames()).toEqual(eager.acc.familyNames());
    // A BPM family needs no conversion; the magnets' are not built for it.
    expect(lazy.acc.family('BPMx').names).toEqual(eager.acc.family('BPMx').names);
    expect(lazy.acc.family('BPMx').channels('monitor')).toEqual(eager.acc.family('BPMx').channels('monitor'));
    expect(lazy.built).toEqual([]);
    const hcm = lazy.acc.family('HCM');
    expect(hcm.names).toEqual(eager.acc.family('HCM').names);
    expect(lazy.built.every((id) => id === 'hcm_gain')).toBe(true);
    expect(lazy.built.length).toBeGreaterThan(0);
    for (const name of eager.acc.familyNames()) {
      const [a, b] = [eager.acc.family(name), lazy.acc.family(name)];
      expect(b.deviceList, name).toEqual(a.deviceList);
      expect(b.limits, name).toEqual(a.limits);
      for (const field of a.fields) expect(b.channels(field), `${name} ${field}`).toEqual(a.channels(field));
    }
    await lazy.acc.family('QF').set(10, { units: 'hardware' });
    await eager.acc.family('QF').set(10, { units: 'hardware' });
    expect(Array.from(await lazy.acc.family('QF').get({ field: 'setpoint', units: 'physics' }))).toEqual(Array.from(await eager.acc.family('QF').get({ field: 'setpoint', units: 'physics' })));
    await Promise.all([eager.acc.close(), lazy.acc.close()]);
  });

  it('a family with a configuration error: the same error, at load eagerly, at first use lazily', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-lazy-families-'));
    const file = join(dir, 'ring.yaml');
    // QF's conversion converts A -> 1/m2, its fields now say A -> rad.
    writeFileSync(file, readFileSync(RING, 'utf8').replaceAll('units: { hardware: A, physics: 1/m2 }', 'units: { hardware: A, physics: rad }'));
    let eagerError: unknown;
    await open(file, false).catch((e: unknown) => (eagerError = e));
    expect(eagerError).toBeInstanceOf(ConfigError);
    expect((eagerError as Error).message).toMatch(/QF1: conversion 'qf_gain' converts A -> 1\/m2 but the setpoint field is in A -> rad/);
    const lazy = await open(file, true);
    expect(lazy.acc.family('HCM').names.length).toBeGreaterThan(0);
    expect(() => lazy.acc.family('QF').names).toThrow((eagerError as Error).message);
    await lazy.acc.close();
  });
});
