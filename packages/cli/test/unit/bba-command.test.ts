import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFacility, readBpmReference } from '@mlayer/core';
import { runCli } from '../in-process-cli.js';
import { bbaFacilityFile, errorSpec } from '../../../tuning-tools/bba/test/twin-fixture.js';

describe('mlayer bba plan | measure | show | apply-offsets (ThomX twin with BPM offsets and quadrupole misalignments)', () => {
  it('plans, measures two BPMs, shows the file and writes an offsets file the orbit tool reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-bba-cli-'));
    const errors = join(dir, 'errors.json');
    writeFileSync(errors, JSON.stringify(errorSpec(0)));
    const facility = bbaFacilityFile({ errors, seed: 5 });
    const f = ['-f', facility];
    const plan = await runCli([...f, 'bba', 'plan', '--bpms', 'E3,E35', '--planes', 'x', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const p = JSON.parse(plan.stdout);
    expect(p.pairs.map((q: { bpm: { name: string }; quad: { name: string } }) => `${q.bpm.name}/${q.quad.name}`)).toEqual(['E3/E6', 'E35/E33']);
    expect(p.unpaired).toEqual([]);

    const dry = await runCli([...f, 'bba', 'measure', '--bpms', 'E3', '--planes', 'x', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/1 pairs, 5 corrector steps each, 10 set-and-read steps/);

    const par = await runCli([...f, 'bba', 'measure', '--planes', 'y', '--parallel', '3', '--dry-run']);
    expect(par.code, par.stderr).toBe(0);
    expect(par.stdout).toMatch(/^group 1 \(y, separation [\d.]+, tune shift /m);
    expect(par.stdout).toMatch(/groups for 24 pairs, two passes of 2 \+ 3 corrector steps \(.*\): \d+ set-and-read steps \(serial: 240\); largest orbit change expected at a BPM .*m, largest quadrupole change/);

    const out = join(dir, 'bba.json');
    const m = await runCli([...f, 'bba', 'measure', '--bpms', 'E3,E35', '--planes', 'x', '--steps', '3', '-o', out, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const measured = JSON.parse(m.stdout);
    expect(measured.setReadSteps).toBe(12);
    expect(measured.offsets.map((o: { bpm: string }) => o.bpm)).toEqual(['E3', 'E35']);
    for (const o of measured.offsets) expect(Math.abs(o.offset)).toBeLessThan(1e-3);

    const show = await runCli(['bba', 'show', out, '--plot', join(dir, 'bba')]);
    expect(show.code, show.stderr).toBe(0);
    for (const w of ['offsets', 'fits']) for (const ext of ['svg', 'png']) expect(show.stdout).toContain(join(dir, `bba-${w}.${ext}`));
    expect(readFileSync(join(dir, 'bba-fits.svg'), 'utf8')).toMatch(/x E3 fit, zero at -?\d+\.\d ± \d+\.\d µm/);
    expect(show.stdout).toMatch(/x E3 .*E6 .*HCM|x E3 .*E6/);

    const offsets = join(dir, 'offsets.yaml');
    const a = await runCli(['bba', 'apply-offsets', out, '-o', offsets]);
    expect(a.code, a.stderr).toBe(0);
    const ref = readBpmReference(offsets, loadFacility(facility).config, 'BPM offsets');
    for (const o of measured.offsets) expect(ref.families.get('BPMx')!.get(o.bpm)).toBeCloseTo(o.offset, 9);
    // Never over a file without --force.
    const again = await runCli(['bba', 'apply-offsets', out, '-o', offsets]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/exists/);
    expect(readFileSync(offsets, 'utf8')).toContain('"unit": "um"');

    // --rounds: y then x, twice, the beam steered through the centres after each; the file holds the last round's both planes.
    const rounds = join(dir, 'rounds.json');
    const r = await runCli([...f, 'bba', 'measure', '--bpms', 'E3,E35', '--steps', '3', '--rounds', '2', '-o', rounds, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rr = JSON.parse(r.stdout);
    // 2 rounds x 2 planes x 2 BPMs x 3 steps x 2 orbits.
    expect(rr.setReadSteps).toBe(48);
    expect(rr.offsets.map((o: { plane: string; bpm: string }) => `${o.plane} ${o.bpm}`)).toEqual(['y E3', 'y E35', 'x E3', 'x E35']);
    const both = await runCli([...f, 'bba', 'measure', '--rounds', '2', '--parallel', '4', '--dry-run']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('give one of them');
  });
});
