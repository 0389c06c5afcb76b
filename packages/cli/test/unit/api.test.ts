import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { TwinControlSystem } from '@mlayer/adapters-sim';
import { loadAccelerator } from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIAMOND = join(ROOT, 'facilities/diamond-i04');

describe('the accelerator from a script (loadAccelerator, groups, the twin API)', () => {
  it("runs the README's first snippet as written", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toContain("acc.family('HCM')");
    const dir = mkdtempSync(join(ROOT, 'packages/cli/test/unit/.readme-'));
    const cwd = process.cwd();
    try {
      const file = join(dir, 'snippet.ts');
      // The snippet's last line is acc.close(); the test also wants to see the accelerator.
      writeFileSync(file, `${snippet}\nexport { acc, orbit, snap };\n`);
      process.chdir(ROOT);
      const m = (await import(pathToFileURL(file).href)) as { acc: import('@mlayer/core').Accelerator; orbit: Float64Array; snap: import('@mlayer/core').Snapshot };
      expect(m.orbit.length).toBe(173);
      expect(m.snap.families.HSTR.values.length).toBe(172);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  it("opens the demo facility in one line; acc.family('HCM') is HSTR; the demo's error file applies through the twin's API", async () => {
    const acc = await loadAccelerator(DIAMOND);
    try {
      expect(acc.mode).toBe('twin');
      expect(acc.family('HCM').name).toBe('HSTR');
      expect(acc.family('VCM').name).toBe('VSTR');
      expect(() => acc.family('COR')).toThrow("'COR' is a group of 2 families (HSTR, VSTR); name one of them");
      expect(() => acc.family('HTSR')).toThrow(/unknown family 'HTSR' \(did you mean 'HSTR'/);
      // Keyed by the group QUAD (and BPM families): expanded into QUAD's families as the CLI's --errors does.
      acc.twin.applyErrors(parse(readFileSync(join(ROOT, 'examples/demo-errors.yaml'), 'utf8')), 3);
      const quads = Object.entries(acc.facility.config.families).filter(([, f]) => f.memberOf.includes('QUAD')).map(([n]) => n);
      expect(quads.length).toBe(16);
      const applied = (acc.twin as TwinControlSystem).appliedErrors!;
      expect(() => acc.twin.applyErrors({ magnets: { Q1DD: { dx: 1e-6 } } }, 3)).toThrow(/magnets\.Q1DD: no such family or group \(did you mean 'Q1D' or 'Q1AD'\?\)/);
      expect(Object.keys(applied.magnets).sort()).toEqual([...quads].sort());
      // 30 µm rms misalignments give an orbit of order 1 mm rms (the demo's figure).
      const x = await acc.family('BPMx').get({ units: 'physics' });
      const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      expect(rms).toBeGreaterThan(1e-4);
      expect(rms).toBeLessThan(1e-2);
    } finally {
      await acc.close();
    }
  }, 60000);
});
