/**
 * What tune set and chrom measure print and draw (issue 17 items 4 and 6): tune set names
 * each family it moved with its setpoint before and after and the change; the chromaticity
 * plot draws the measured tunes against δ and the fitted line, one panel per plane.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { twinFacilityFile } from '../../../tuning-tools/tune/test/twin-facility.js';

describe('tune set and chrom measure output', () => {
  const facility = twinFacilityFile({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, limits: 1 });

  it('tune set prints family, old, new and change', async () => {
    const design = JSON.parse((await runCli(['-f', facility, '--json', 'get', 'Q_QP1', '-u', 'physics'])).stdout);
    const r = await runCli(['-f', facility, 'tune', 'set', '0.18', '0.63', '--families', 'Q_QP1,Q_QP2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^converged after \d step\(s\): qx 0\.\d{6} -> 0\.18\d{4}  qy 0\.\d{6} -> 0\.63\d{4}/m);
    expect(r.stdout).toMatch(/family\s+devices\s+old\s+new\s+change\s+change \(hardware\)/);
    const row = (f: string) => r.stdout.split('\n').find((l) => l.trim().startsWith(`${f} `))!.trim().split(/\s+/);
    for (const f of ['Q_QP1', 'Q_QP2']) {
      // family, devices, old unit, new unit, change unit, hardware change unit
      const [, devices, oldV, u1, newV, u2, change, u3, hw, hwUnit] = row(f);
      expect(devices).toBe('4');
      expect([u1, u2, u3]).toEqual(['m^-2', 'm^-2', 'm^-2']);
      expect(Number(newV) - Number(oldV)).toBeCloseTo(Number(change), 3);
      expect(Math.abs(Number(change))).toBeGreaterThan(0.01);
      expect(hw).toMatch(/^[+-]\d+\.\d+$/);
      expect(hwUnit).toMatch(/^m?A$/);
    }
    // "old" is the setpoint the twin started from.
    expect(Number(row('Q_QP1')[2])).toBeCloseTo(design.values[0], 4);
  });

  it('chrom measure --plot draws the tunes against δ with the fitted line, per plane', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-chrom-plot-'));
    const base = join(dir, 'chrom');
    const r = await runCli(['-f', facility, 'chrom', 'measure', '--points', '5', '--plot', base, '--dir', join(dir, 'scan')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/RF restored to \d+\.\d{8} MHz/);
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('δ = Δp/p (10⁻³)');
    expect(svg).toMatch(/fit: ξx = -?\d+\.\d{3} ± \d+\.\d{3}/);
    expect(svg).toMatch(/fit: ξy = /);
    expect(svg).toContain('measured qx');
  });
});
