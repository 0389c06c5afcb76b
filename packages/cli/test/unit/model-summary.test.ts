/** `mlayer model summary`: the 6D ring parameters of a lattice file against pyAT (summary_6d of the 6D references). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { runCli } from '../in-process-cli.js';

const LAT = join(sharedDataDir(), 'lattices');

describe('mlayer model summary', () => {
  it('thomx --json: U0, 6D tunes, Qs and damping times as pyAT', async () => {
    const ref = JSON.parse(readFileSync(join(LAT, 'thomx/thomx_6d_ref.json'), 'utf8')).summary_6d;
    const r = await runCli(['model', 'summary', '--lattice', join(LAT, 'thomx/thomx_source.m'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Math.abs(o.radiation_integrals.U0_eV - ref.U0_eV) / ref.U0_eV).toBeLessThan(1e-6);
    expect(Math.abs(o.six_d.tunes[0] - ref.tunes_6d[0])).toBeLessThan(1e-7);
    expect(Math.abs(o.six_d.tunes[1] - ref.tunes_6d[1])).toBeLessThan(1e-7);
    expect(Math.abs(o.six_d.Qs - ref.Qs)).toBeLessThan(1e-6);
    for (let k = 0; k < 3; k++) expect(Math.abs(o.six_d.damping_times_s[k] - ref.damping_times_s[k]) / ref.damping_times_s[k]).toBeLessThan(1e-5);
  });

  it('text output names the radiation-integral and the 6D values', async () => {
    const r = await runCli(['model', 'summary', '--lattice', join(LAT, 'thomx/thomx_source.m')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/radiation integrals:\n {2}I2 .* U0 1\.5707\d* eV/);
    expect(r.stdout).toMatch(/6D one-turn matrix .*\n {2}tunes Qx 3\.17003182/);
  });

  it('a lattice without a cavity (dba): U0 only, and a clear message', async () => {
    const r = await runCli(['model', 'summary', '--lattice', join(LAT, 'dba/dba_4d.atjson.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.has_rf_cavity).toBe(false);
    expect(o.six_d).toBeNull();
    expect(o.message).toMatch(/no RF cavity/);
    expect(o.radiation_integrals.U0_eV).toBeCloseTo(4700.35829, 4);
  });
});
