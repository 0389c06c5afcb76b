/**
 * What the orbit commands print and draw (issue 17 items 4 and 6), on the ThomX twin with
 * quadrupole misalignments: a dry run prints a table (corrector, present, target, change)
 * and the rms predicted after the step; --json keeps typed arrays as arrays; orbit and
 * dispersion plots are against s with the lattice strip; measure-dispersion prints its result.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { thomxFacilityFile } from '../../../tuning-tools/orbit/test/fixture.js';

function facility(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-cli-output-'));
  const errors = join(dir, 'errors.yaml');
  writeFileSync(errors, 'magnets:\n  QUAD: { dx: { sigma: 100.0e-6, truncation: 2 }, dy: { sigma: 100.0e-6, truncation: 2 } }\n');
  return thomxFacilityFile({ settings: { errors, seed: 3 } });
}

/** The one file in `dir` whose name ends with `suffix`. */
const fileEnding = (dir: string, suffix: string): string => {
  const found = readdirSync(dir).filter((f) => f.endsWith(suffix));
  expect(found, `${suffix} in ${dir}`).toHaveLength(1);
  return join(dir, found[0]);
};

describe('orbit output', () => {
  const file = facility();

  it('a dry run prints the table and the predicted rms; --json has the same step with arrays', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mlayer-dry-'));
    const j = await runCli(['-f', file, '--json', 'orbit', 'correct', '--dry-run', '--sv', '8', '--no-plots', '-o', out]);
    expect(j.code, j.stderr).toBe(0);
    expect(j.stdout).not.toContain('"0":');
    const s = JSON.parse(j.stdout);
    expect(s.status).toBe('dry run');
    expect(Array.isArray(s.writes[0].current) && Array.isArray(s.writes[0].target)).toBe(true);
    expect(s.writes[0].target).toHaveLength(s.writes[0].names.length);
    expect(s.rmsPredicted.x).toBeLessThan(0.5 * s.rmsInitial.x);

    const plots = mkdtempSync(join(tmpdir(), 'mlayer-dry-plots-'));
    const t = await runCli(['-f', file, 'orbit', 'correct', '--dry-run', '--sv', '8', '-o', plots, '--units', 'hardware']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).not.toMatch(/would set|\{"/);
    const lines = t.stdout.split('\n');
    // One table per family, one row per corrector, in hardware units: --units is taken (the model's matrix is in physics units).
    for (const w of s.writes as { family: string; names: string[] }[]) {
      const at = lines.findIndex((l) => l.startsWith(`${w.family}: ${w.names.length} setpoints (hardware units)`));
      expect(at, t.stdout).toBeGreaterThanOrEqual(0);
      expect(lines[at + 1]).toMatch(/^\s+corrector\s+present \((m|µ)?A\)\s+target \((m|µ)?A\)\s+change \((m|µ)?A\)$/);
      const rows = lines.slice(at + 3, at + 3 + w.names.length);
      rows.forEach((r, i) => expect(r).toMatch(new RegExp(`^\\s+${w.names[i]}\\s+-?\\d+\\.\\d+\\s+-?\\d+\\.\\d+\\s+-?\\d+\\.\\d+$`)));
    }
    // The rms now and predicted after the step, each in the unit of its magnitude.
    expect(t.stdout).toMatch(/^rms x: \d+\.\d+ (mm|µm) now, \d+\.\d+ (mm|µm|nm) predicted after the step \(BPMx, \d+ BPMs\)$/m);
    // Singular values: one line per plane (x and y are not joined), the modes kept in the legend.
    const sv = readFileSync(fileEnding(plots, '-singular-values.svg'), 'utf8');
    expect(sv).toMatch(/>x: \d+ values, 8 kept</);
    expect(sv).toMatch(/>y: \d+ values, 8 kept</);
    // vega draws one line mark per series: two lines, not one through both spectra.
    expect(sv.match(/class="mark-line role-mark/g)).toHaveLength(2);
  });

  it('orbit show: text in units of the magnitude, plots against s with the lattice strip', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mlayer-show-'));
    const r = await runCli(['-f', file, 'orbit', 'show', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^BPMx: \d+ BPMs, rms \d+\.\d+ (mm|µm), max \|x\| \d+\.\d+ (mm|µm)$/m);
    const svg = readFileSync(fileEnding(out, '-x.svg'), 'utf8');
    expect(svg).toContain('>s (m)<');
    expect(svg).toMatch(/>x \((mm|µm)\)</);
    expect(svg).toMatch(/>orbit \(rms \d+\.\d+ (mm|µm)\)</);
    expect(svg).toContain('>thomx-orbit-test, mode twin, ');
    // The strip: its legend and one rectangle per element of each kind the lattice has.
    for (const kind of ['dipole', 'quadrupole', 'BPM']) expect(svg).toContain(`>${kind}<`);
    expect(svg).toContain('mark-rect role-mark');
    // The file it wrote, as JSON: every dataset's values as an array.
    const j = await runCli(['--json', 'data', 'show', fileEnding(out, '.h5')]);
    expect(j.code, j.stderr).toBe(0);
    const contents = JSON.parse(j.stdout);
    expect(contents.dataType).toBe('orbit');
    expect(contents.datasets.length).toBeGreaterThan(0);
    for (const d of contents.datasets) expect(Array.isArray(d.value), d.path).toBe(true);
  });

  it('measure-dispersion prints rms and max per plane beside the model, and plots against s', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mlayer-disp-'));
    const r = await runCli(['-f', file, 'orbit', 'measure-dispersion', '--step', '200', '-u', 'physics', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dispersion from an RF step of ±200\.00 Hz at \d+\.\d{8} MHz \(RF\), momentum compaction \d\.\d{4}e-\d+$/m);
    const row = r.stdout.split('\n').find((l) => l.trim().startsWith('ηx'))!;
    // plane, BPMs, rms, max, at, model rms, rms(meas - model)
    const m = row.trim().match(/^ηx\s+BPMx \((\d+)\)\s+(\d+\.\d+) (\S+)\s+(\d+\.\d+) (\S+)\s+E\d+\s+(\d+\.\d+) (\S+)\s+(\d+\.\d+) (\S+)$/);
    expect(m, row).not.toBeNull();
    const si = (v: string, u: string) => Number(v) * { m: 1, mm: 1e-3, µm: 1e-6 }[u]!;
    // ThomX: the measured dispersion is the model's (rms about 0.5 m), to a few percent.
    const measured = si(m![2], m![3]);
    const model = si(m![6], m![7]);
    expect(measured).toBeGreaterThan(0.1);
    expect(Math.abs(measured - model)).toBeLessThan(0.05 * model);
    expect(si(m![8], m![9])).toBeLessThan(0.05 * model);
    const svg = readFileSync(fileEnding(out, '-x.svg'), 'utf8');
    expect(svg).toContain('>s (m)<');
    expect(svg).toMatch(/>model \(rms /);
    expect(svg).toContain('>quadrupole<');
  });
});
