/**
 * The orbit commands take their defaults from the facility's tools section (issue 17):
 * the response-matrix step per corrector family (physics units, converted per
 * corrector), the RF step of the dispersion, the golden orbit; measurement files are
 * named by kind and time and never written over. ThomX twin (the orbit tool's test
 * facility: correctors 0.1 mrad/A, limits ±5 A).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readMeasurement } from '@mlayer/data';
import { loadOrm } from '@mlayer/orbit';
import { runCli } from '../in-process-cli.js';
import { thomxFacilityFile, thomxRef } from '../../../tuning-tools/orbit/test/fixture.js';

/** The ThomX test facility with a tools section (and its files, relative to the facility file). */
function facility(tools: Record<string, unknown>, settings: Record<string, unknown> = {}, files: Record<string, string> = {}): string {
  const file = thomxFacilityFile({ settings });
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  doc.tools = tools;
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dirname(file), name), text);
  writeFileSync(file, stringify(doc));
  return file;
}

const STEPS = { ormStep: { HCM: 1e-5, VCM: 2e-5 }, dispersionStep: 40 };

describe('orbit measure-orm with the facility step, files by time and kind', () => {
  it('steps each corrector by the facility step (physics, converted to A); a second run keeps both files', async () => {
    const f = facility({ dataDir: 'data', orbit: STEPS });
    const data = join(dirname(f), 'data');
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['-f', f, '--json', 'orbit', 'measure-orm', '--no-plots']);
      expect(r.code, r.stderr).toBe(0);
    }
    const files = readdirSync(data).sort();
    expect(files).toHaveLength(2);
    for (const n of files) expect(n).toMatch(/^orm-\d{8}T\d{6}Z(-2)?\.h5$/);
    const orm = await loadOrm(join(data, files[0]));
    expect(orm.units).toBe('hardware');
    // 1e-5 rad / 1e-4 rad/A = 0.1 A; 2e-5 rad -> 0.2 A.
    for (const k of orm.correctors.x!.kicks) expect(k).toBeCloseTo(0.1, 12);
    for (const k of orm.correctors.y!.kicks) expect(k).toBeCloseTo(0.2, 12);
  });

  it('--kick names its unit; a bare number needs -u; -o FILE.h5 is not replaced without --force', async () => {
    const f = facility({ orbit: STEPS });
    const file = join(dirname(f), 'mine', 'orm.h5');
    const bare = await runCli(['-f', f, 'orbit', 'measure-orm', '--kick', '1e-5', '-o', file, '--no-plots']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--kick 1e-5: say which units the step is in: give its unit \(--kick 10urad or --kick 0\.05A\), or -u physics \/ -u hardware/);
    const hz = await runCli(['-f', f, 'orbit', 'measure-orm', '--kick', '10Hz', '-o', file, '--no-plots']);
    expect(hz.stderr).toMatch(/--kick: 'Hz' is not a unit of HCM's setpoint \(hardware A, physics rad\)/);
    const ok = await runCli(['-f', f, 'orbit', 'measure-orm', '--kick', '30urad', '-o', file, '--no-plots']);
    expect(ok.code, ok.stderr).toBe(0);
    for (const k of (await loadOrm(file)).correctors.x!.kicks) expect(k).toBeCloseTo(0.3, 12);
    const again = await runCli(['-f', f, 'orbit', 'measure-orm', '--kick', '0.2A', '-o', file, '--no-plots']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${file} exists: a measurement is never written over another`);
    const forced = await runCli(['-f', f, 'orbit', 'measure-orm', '-u', 'physics', '--kick', '2e-5', '-o', file, '--force', '--no-plots']);
    expect(forced.code, forced.stderr).toBe(0);
    const orm = await loadOrm(file);
    expect(orm.units).toBe('physics');
    for (const k of orm.correctors.x!.kicks) expect(k).toBe(2e-5);
  });

  it('refuses a facility step whose signal is below the BPM noise, before anything moves, and writes nothing', async () => {
    const f = facility({ dataDir: 'data', orbit: { ormStep: { HCM: 1e-10, VCM: 1e-10 } } }, { bpmNoise: 1e-6 });
    const r = await runCli(['-f', f, 'orbit', 'measure-orm', '--no-plots']);
    expect(r.code).toBe(2);
    // 1e-10 rad is 1e-6 A: the tool's SNR check refuses it before the first corrector moves.
    expect(r.stderr).toMatch(/HCM E\d+: the step is refused, its expected signal-to-noise ratio is [\d.e-]+ \(< 3\): a step of ±(0\.000001|1e-6) A should change the readings by/);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(existsSync(join(dirname(f), 'data'))).toBe(false);
    const none = await runCli(['-f', facility({}), 'orbit', 'measure-orm', '--no-plots']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give --kick \(e\.g\. --kick 10urad\), or name the step of HCM in the facility \(.*facility\.yaml: tools\.orbit\.ormStep\.HCM, physics units\)/);
  });
});

describe('orbit measure-dispersion and correct with the facility defaults', () => {
  it('measure-dispersion without --step uses tools.orbit.dispersionStep', async () => {
    const f = facility({ dataDir: 'data', orbit: STEPS });
    const r = await runCli(['-f', f, 'orbit', 'measure-dispersion', '--no-plots']);
    expect(r.code, r.stderr).toBe(0);
    const [name] = readdirSync(join(dirname(f), 'data'));
    expect(name).toMatch(/^dispersion-\d{8}T\d{6}Z\.h5$/);
    expect((await readMeasurement(join(dirname(f), 'data', name))).attributes.rfStep).toBe(40);
    const none = await runCli(['-f', facility({}), 'orbit', 'measure-dispersion', '--no-plots']);
    expect(none.stderr).toMatch(/give --step \(e\.g\. --step 100Hz\), or the facility's RF step \(.*: tools\.orbit\.dispersionStep/);
  });

  it('correct steers to the golden orbit by default; --target zero to zero', async () => {
    // A golden orbit the correctors can reach: the model's closed orbit with the first HCM at 0.1 mrad.
    const f = facility({ dataDir: 'data', orbit: { golden: 'golden.yaml' } }, {}, { 'golden.yaml': 'unit: m\nfamilies: {}\n' });
    const hcm = thomxRef().correctors.index[0] as number;
    const m = await runCli(['-f', f, '--json', 'model', 'orbit', '--kick', `${hcm}:1e-4,0`]);
    expect(m.code, m.stderr).toBe(0);
    const model = JSON.parse(m.stdout) as { bpms: { index: number }[]; closedOrbit: number[][] };
    const golden = Object.fromEntries(model.bpms.map((b, i) => [`E${b.index}`, model.closedOrbit[i][0]]));
    writeFileSync(join(dirname(f), 'golden.yaml'), stringify({ unit: 'm', families: { BPMx: golden } }));
    const goldenRms = Math.sqrt(Object.values(golden).reduce((s, v) => s + v * v, 0) / model.bpms.length);
    expect(goldenRms).toBeGreaterThan(1e-5);
    const r = await runCli(['-f', f, '--json', 'orbit', 'correct', '-u', 'physics', '--no-plots']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { rmsInitial: { x: number }; rmsFinal: { x: number }; target: string };
    expect(s.target).toBe(`golden (${join(dirname(f), 'golden.yaml')})`);
    expect(s.rmsInitial.x).toBeCloseTo(goldenRms, 12);
    expect(s.rmsFinal.x).toBeLessThan(0.05 * goldenRms);
    expect(readdirSync(join(dirname(f), 'data'))).toEqual([expect.stringMatching(/^correction-\d{8}T\d{6}Z\.h5$/)]);
    const zero = await runCli(['-f', f, '--json', 'orbit', 'correct', '-u', 'physics', '--target', 'zero', '--no-plots']);
    expect(JSON.parse(zero.stdout).rmsInitial.x).toBe(0);
  });

  it('correct subtracts the facility BPM offsets (reading - offset - target) unless --no-offsets', async () => {
    const names = (thomxRef().optics_at_bpms.index as number[]).map((e) => `E${e}`);
    const offsets = stringify({ unit: 'um', families: { BPMy: Object.fromEntries(names.map((n) => [n, 50])) } });
    const f = facility({ dataDir: 'data', orbit: { offsets: 'offsets.yaml' } }, {}, { 'offsets.yaml': offsets });
    const dry = await runCli(['-f', f, '--json', 'orbit', 'correct', '-u', 'physics', '--dry-run', '--no-plots']);
    expect(dry.code, dry.stderr).toBe(0);
    // The twin's orbit is zero: the error is the offsets, 50 um in y.
    const s = JSON.parse(dry.stdout) as { rmsInitial: { x: number; y: number } };
    expect(s.rmsInitial.x).toBe(0);
    expect(s.rmsInitial.y).toBeCloseTo(50e-6, 15);
    const off = await runCli(['-f', f, '--json', 'orbit', 'correct', '-u', 'physics', '--dry-run', '--no-offsets', '--no-plots']);
    expect(JSON.parse(off.stdout).rmsInitial.y).toBe(0);
    const bad = facility({ orbit: { offsets: 'offsets.yaml' } }, {}, { 'offsets.yaml': 'unit: um\nfamilies:\n  BPMy: { E999: 1 }\n' });
    const r = await runCli(['-f', bad, 'orbit', 'correct', '--dry-run', '--no-plots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/offsets\.yaml:3:11: families\.BPMy\.E999: no device of BPMy has this name \(got "E999"\)/);
  });

  it("correct uses the facility's measured response matrix (tools.orbit.responseMatrix) unless --orm", async () => {
    const f = facility({ dataDir: 'data', orbit: STEPS });
    const m = await runCli(['-f', f, 'orbit', 'measure-orm', '-o', join(dirname(f), 'orm.h5'), '--no-plots']);
    expect(m.code, m.stderr).toBe(0);
    const doc = parse(readFileSync(f, 'utf8')) as { tools: { orbit: Record<string, unknown> } };
    doc.tools.orbit.responseMatrix = 'orm.h5';
    writeFileSync(f, stringify(doc));
    const units = async (args: string[]): Promise<unknown> => {
      const r = await runCli(['-f', f, '--json', 'orbit', 'correct', '--dry-run', '--no-plots', '-o', join(dirname(f), 'c.h5'), '--force', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return (await readMeasurement(join(dirname(f), 'c.h5'))).attributes.units;
    };
    // The measured matrix is in hardware units (m/A), the model's in physics units (m/rad).
    expect(await units([])).toBe('hardware');
    expect(await units(['--orm', 'model'])).toBe('physics');
  });

  it('--target FILE.h5: a measured orbit (mlayer orbit show) as the target', async () => {
    const errors = 'magnets:\n  QUAD: { dx: { sigma: 100.0e-6, truncation: 2 }, dy: { sigma: 100.0e-6, truncation: 2 } }\n';
    const f = facility({ dataDir: 'data' }, { errors: 'errors.yaml', seed: 3 }, { 'errors.yaml': errors });
    const ref = join(dirname(f), 'reference.h5');
    const shown = await runCli(['-f', f, 'orbit', 'show', '-o', ref, '--no-plots']);
    expect(shown.code, shown.stderr).toBe(0);
    const correct = async (target: string) => {
      const r = await runCli(['-f', f, '--json', 'orbit', 'correct', '-u', 'physics', '--dry-run', '--target', target, '--no-plots']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { rmsInitial: { x: number; y: number }; target: string };
    };
    const zero = await correct('zero');
    expect(zero.rmsInitial.x).toBeGreaterThan(1e-5);
    // The same machine read again: at the reference (the orbit file is in hardware units, m here).
    const same = await correct(ref);
    expect(same.target).toBe(ref);
    expect(same.rmsInitial.x).toBeLessThan(1e-12);
    expect(same.rmsInitial.y).toBeLessThan(1e-12);
  });
});
