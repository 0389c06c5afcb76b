import { describe, expect, it } from 'vitest';
import { WritesNotAllowedError, measure } from '../../src/index.js';
import { ringAccelerator } from '../helpers.js';

describe('a measurement whose writes the safety layer refuses (issue 15, item 7)', () => {
  it('fails with the refusal alone: nothing was written, so there is nothing to restore', async () => {
    const { acc, cs } = await ringAccelerator('online', false);
    const hcm = acc.family('HCM');
    const err = await measure(acc, { name: 'orm', drives: [hcm] }, async (ctx) => {
      await ctx.step(hcm, 0.1);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WritesNotAllowedError);
    expect((err as Error).message).not.toMatch(/restoring setpoints failed/);
    expect(cs.writes).toEqual([]);
  });
});
