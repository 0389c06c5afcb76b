import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beamContext, create, makeRegistry, relErr } from '../helpers.js';

describe('README example', () => {
  it('every conversion of the YAML example is created and round-trips', () => {
    const md = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(md)![1];
    const doc = parse(block) as { unitConversions: Record<string, unknown> };
    const registry = makeRegistry();
    const ctx = beamContext(3e9);
    const ids = Object.keys(doc.unitConversions);
    expect(ids).toEqual(['BPM.x', 'EXC1', 'HSTR.x_kick', 'Q1D.b1', 'QH1']);
    for (const id of ids) {
      const conv = create(registry, id, doc.unitConversions[id]);
      const h = 60;
      expect(relErr(conv.toHardware(conv.toPhysics(h, ctx), ctx), h)).toBeLessThan(1e-12);
    }
  });
});
