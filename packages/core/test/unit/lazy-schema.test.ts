/**
 * Schemas built on first use (config/lazy-schema.ts, issue 16 start-up): importing core, the
 * calibration package or the twin imports no zod; a lazy schema is its schema to every user
 * (parse results and errors, composition, instanceof, JSON Schema with its description).
 */
import { describe, expect, it, vi } from 'vitest';

// Records an import of zod through the module graph (a lazy schema loads it by require(), not by import):
// the factory runs at the first import; this file imports none.
const imported = vi.hoisted(() => [] as string[]);
vi.mock('zod', async (original) => {
  imported.push('zod');
  return original();
});

describe('lazy schemas', () => {
  it('core, calibration and the twin import no zod; their schemas still validate', async () => {
    const core = await import('@mlayer/core');
    await import('@mlayer/calibration');
    const sim = await import('@mlayer/adapters-sim');
    expect(imported).toEqual([]);
    expect(sim.TwinSettingsSchema.parse({})).toMatchObject({ updateRate: 10, seed: 1 });
    expect(core.FacilitySchema.safeParse({ name: 'x' }).success).toBe(false);
  });

  it('a lazy schema gives what the schema gives: data, errors, composition, JSON Schema', async () => {
    const { lazySchema, zodNow } = await import('@mlayer/core');
    const z = zodNow();
    let built = 0;
    const eager = z.object({ a: z.number().int(), b: z.string().default('b') }).strict().describe('an object');
    const lazy = lazySchema((zod) => {
      built++;
      return zod.object({ a: zod.number().int(), b: zod.string().default('b') }).strict().describe('an object');
    });
    expect(built).toBe(0);
    for (const input of [{ a: 1 }, { a: 1.5 }, { a: 1, c: 2 }, null, { a: 'x', b: 3 }]) {
      expect(lazy.safeParse(input)).toStrictEqual(eager.safeParse(input));
    }
    expect(built).toBe(1);
    expect(zodNow()).toBe((await import('zod')).z);
    expect(lazy instanceof z.ZodObject).toBe(true);
    const outer = lazySchema((zod) => zod.object({ inner: lazy, list: zod.array(lazy.optional()) }));
    const bad = { inner: { a: 2 }, list: [{ a: 'y' }] };
    expect(outer.safeParse(bad)).toStrictEqual(z.object({ inner: eager, list: z.array(eager.optional()) }).safeParse(bad));
    expect(z.toJSONSchema(z.object({ x: lazy }))).toStrictEqual(z.toJSONSchema(z.object({ x: eager })));
    expect(JSON.stringify(z.toJSONSchema(lazy))).toContain('an object');
  });
});
