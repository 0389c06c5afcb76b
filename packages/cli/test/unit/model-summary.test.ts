/** `mlayer model summary`: the 6D ring parameters of a lattice file against pyAT (summary_6d of the 6D references). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { runCli } from '../in-process-cli.js';

const LAT = join(sharedDataDir(), 'lattices');

describe('mlayer model summary', () => {
  it('thomx --json: radiation-integral and Ohmi-envelope values as pyAT', async () => {
    const ref = JSON.parse(readFileSync(join(LAT, 'thomx/thomx_6d_ref.json'), 'utf8')).summary_6d;
    const r = await runCli(['model', 'summary', '--lattice', join(LAT, 'thomx/thomx_source.m'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Math.abs(o.radiation_integrals.U0_eV - ref.U0_eV) / ref.U0_eV).toBeLessThan(1e-6);
    expect(Math.abs(o.six_d.tunes[0] - ref.tunes_6d[0])).toBeLessThan(1e-7);
    expect(Math.abs(o.six_d.tunes[1] - ref.tunes_6d[1])).toBeLessThan(1e-7);
    expect(Math.abs(o.six_d.Qs - ref.Qs)).toBeLessThan(1e-6);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    for (let k = 0; k < 3; k++) expect(rel(o.ohmi_envelope.damping_times_s[k], ref.damping_times_s[k])).toBeLessThan(1e-5);
    expect(rel(o.ohmi_envelope.emittances_m[0], ref.emittances_m[0])).toBeLessThan(1e-5);
    expect(rel(o.ohmi_envelope.emittances_m[2], ref.emittances_m[2])).toBeLessThan(1e-5);
    expect(rel(o.ohmi_envelope.energy_spread, ref.energy_spread)).toBeLessThan(1e-5);
    expect(rel(o.ohmi_envelope.bunch_length_m, ref.bunch_length_m)).toBeLessThan(1e-5);
    const ri = ref.radint_4d_lattice;
    expect(rel(o.radiation_integrals.natural_emittance_m, ri.natural_emittance_m)).toBeLessThan(1e-5);
    expect(rel(o.radiation_integrals.I5_per_m, ri.I5_per_m)).toBeLessThan(1e-5);
    expect(rel(o.radiation_integrals.bunch_length_m, ri.bunch_length_m)).toBeLessThan(1e-5);
  });

  it('text output names the radiation-integral and the 6D values', async () => {
    const r = await runCli(['model', 'summary', '--lattice', join(LAT, 'thomx/thomx_source.m')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/radiation integrals \(4D optics, dp = 0\):\n {2}I1 .*\n {2}U0 1\.5707\d* eV/);
    expect(r.stdout).toMatch(/natural emittance 1\.6443\d*e-9 m/);
    expect(r.stdout).toMatch(/Ohmi envelope .*\n {2}emittances x 1\.6438\d*e-9 m/);
    expect(r.stdout).toMatch(/tunes Qx 3\.17003182/);
  });

  it('a lattice without a cavity (dba): U0 only, and a clear message', async () => {
    const r = await runCli(['model', 'summary', '--lattice', join(LAT, 'dba/dba_4d.atjson.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.has_rf_cavity).toBe(false);
    expect(o.six_d).toBeNull();
    expect(o.message).toMatch(/no RF cavity/);
    expect(o.radiation_integrals.U0_eV).toBeCloseTo(4700.35829, 4);
    expect(o.radiation_integrals.natural_emittance_m).toBeGreaterThan(0);
    expect(o.radiation_integrals.bunch_length_m).toBeNull();
  });
});
