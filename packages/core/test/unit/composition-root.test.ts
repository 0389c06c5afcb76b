/**
 * inversify is the composition root: what a facility, a test or a user overrides
 * (control-system factories, the conversion registry, the lattice-model provider,
 * the clock) is bound in the accelerator's container and replaced there before
 * the accelerator is resolved; the accelerator then uses the replacement.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  Accelerator,
  ChannelAccess,
  ConfigError,
  ControlSystemRegistry,
  DeviceLock,
  Measurement,
  TOKENS,
  UnitConversionRegistry,
  acceleratorContainer,
  createAccelerator,
  loadFacility,
  type Clock,
  type LatticeModel,
  type LatticeModelProvider,
} from '../../src/index.js';
import { MemoryControlSystem, registerMemory } from '../../src/testing/index.js';
import { RING, testConversions } from '../helpers.js';

/** A clock that reads a set time (ms since the epoch) and moves only when told. */
function fixedClock(ms: number): Clock & { set(ms: number): void } {
  let t = ms;
  return { now: () => t, set: (v) => void (t = v) };
}

/** A stand-in LatticeModel: only identity matters here. */
const stubModel = (name: string): LatticeModel => ({ name }) as unknown as LatticeModel;

function memoryRegistry(): { controlSystems: ControlSystemRegistry; created: MemoryControlSystem[] } {
  const controlSystems = new ControlSystemRegistry();
  return { controlSystems, created: registerMemory(controlSystems) };
}

describe('accelerator container (composition root)', () => {
  it('binds every token and resolves each of them', async () => {
    const { controlSystems } = memoryRegistry();
    const container = acceleratorContainer({ facility: loadFacility(RING), controlSystems, conversions: testConversions() });
    for (const [name, token] of Object.entries(TOKENS)) expect(container.isBound(token), name).toBe(true);
    const acc = await container.getAsync<Accelerator>(TOKENS.Accelerator);
    expect(acc).toBeInstanceOf(Accelerator);
    expect(await container.getAsync(TOKENS.ChannelAccess)).toBe(acc.access);
    expect(container.get(TOKENS.DeviceLock)).toBe(acc.lock);
    expect(container.get(TOKENS.DeviceLock)).toBeInstanceOf(DeviceLock);
    expect(await container.getAsync(TOKENS.ControlSystem)).toBe(acc.controlSystem);
    expect(container.get(TOKENS.ControlSystems)).toBe(controlSystems);
    expect(container.get(TOKENS.Mode)).toBe('sim');
    expect(acc.container).toBe(container);
    expect(acc.access).toBeInstanceOf(ChannelAccess);
  });

  it('a clock rebound in the container stamps changes, measurement records and snapshots', async () => {
    const clock = fixedClock(Date.UTC(2030, 0, 2, 3, 4, 5));
    const { controlSystems, created } = memoryRegistry();
    const acc = await createAccelerator({
      facility: loadFacility(RING),
      controlSystems,
      conversions: testConversions(),
      configure: (c) => void c.rebindSync<Clock>(TOKENS.Clock).toConstantValue(clock),
    });
    expect(acc.clock).toBe(clock);
    expect((await acc.snapshot()).date).toBe('2030-01-02T03:04:05.000Z');

    // A change on a control system that is not immediate is stamped with the clock's time:
    // later readings must be newer than it (fresh-reading.ts).
    created[0].immediate = false;
    clock.set(Date.UTC(2030, 0, 2, 3, 4, 6, 500));
    await acc.family('HCM').devices([[1, 1]]).set(0.25, { wait: false });
    expect(acc.access.lastChange).toBe(Date.UTC(2030, 0, 2, 3, 4, 6, 500) / 1000);

    created[0].immediate = true;
    const m = new Measurement(acc, { name: 'clocked', drives: [] });
    await m.run(async (ctx) => ctx.note('one note'));
    expect(m.records.length).toBeGreaterThan(0);
    for (const r of m.records) expect(r.time).toBe(Date.UTC(2030, 0, 2, 3, 4, 6, 500) / 1000);
  });

  it('without an override the system clock is used', async () => {
    const { controlSystems } = memoryRegistry();
    const before = Date.now();
    const acc = await createAccelerator({ facility: loadFacility(RING), controlSystems, conversions: testConversions() });
    const date = Date.parse((await acc.snapshot()).date);
    expect(date).toBeGreaterThanOrEqual(before);
    expect(date).toBeLessThanOrEqual(Date.now());
  });

  it('a lattice-model provider rebound in the container gives the model; the option is built once, on first use', async () => {
    const { controlSystems } = memoryRegistry();
    const facility = loadFacility(RING);
    const replaced = stubModel('replaced');
    const provider: LatticeModelProvider = () => replaced;
    const acc = await createAccelerator({
      facility,
      controlSystems,
      conversions: testConversions(),
      model: stubModel('from options'),
      configure: (c) => void c.rebindSync<LatticeModelProvider>(TOKENS.LatticeModelProvider).toConstantValue(provider),
    });
    expect(acc.model).toBe(replaced);

    const build = vi.fn(() => stubModel('lazy'));
    const lazy = await createAccelerator({ facility, controlSystems, conversions: testConversions(), model: build });
    expect(build).not.toHaveBeenCalled();
    const first = lazy.model;
    expect(lazy.model).toBe(first);
    expect((first as unknown as { name: string }).name).toBe('lazy');
    expect(build).toHaveBeenCalledTimes(1);

    const none = await createAccelerator({ facility, controlSystems, conversions: testConversions() });
    expect(none.model).toBeUndefined();
  });

  it('the conversion registry and the control-system factories come from the container', async () => {
    const facility = loadFacility(RING);
    // Without the test conversion type the facility's conversions cannot be built.
    await expect(createAccelerator({ facility, controlSystems: memoryRegistry().controlSystems })).rejects.toThrow(ConfigError);
    const { controlSystems, created } = memoryRegistry();
    const acc = await createAccelerator({
      facility,
      controlSystems: new ControlSystemRegistry(), // knows no type: replaced below
      configure: (c) => {
        c.rebindSync<UnitConversionRegistry>(TOKENS.Conversions).toConstantValue(testConversions());
        c.rebindSync<ControlSystemRegistry>(TOKENS.ControlSystems).toConstantValue(controlSystems);
      },
    });
    expect(acc.controlSystem).toBe(created[0]);
    await acc.family('HCM').devices([[1, 1]]).set(1e-3, { units: 'physics' });
    // 0.5 mrad/A in the fixture: 1 mrad is 2 A.
    expect(created[0].value('SR01-HCM-01:SP')).toBeCloseTo(2, 12);
  });
});
