/**
 * `mlayer loco fit --lattice FILE --orm ORM.json --parameters FIT.yaml --json` in
 * process, on the hmba cell: the ORM is made from a model with known errors on
 * the quadrupole families (one group each), BPM gains and corrector gains, and
 * 1 nm noise (with the hmba cell's 6 correctors per plane, 0.1 µm leaves the
 * family errors known to some 10 %: recovery at realistic noise is
 * packages/tuning-tools/loco's test); the --json object must have exactly the
 * fields of issue 20 and hold the errors.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFitResult } from '@mlayer/loco';
import { HMBA, hmbaModel, normals, syntheticOrm } from '../../../tuning-tools/loco/test/fixture.js';
import { QUAD_GAIN, quadFacilityFile, thomxQuads } from '../../../tuning-tools/loco/test/twin-fixture.js';
import { runCli } from '../in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-loco-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlayer loco fit', () => {
  const design = hmbaModel();
  const quads = design.find('class:Quadrupole');
  // Families by name: QF1A/QF1E -> QF1, ...
  const families = new Map<string, number[]>();
  for (const q of quads) {
    const f = design.element(q).famName.slice(0, 3);
    families.set(f, [...(families.get(f) ?? []), q]);
  }
  const normal = normals(7);
  const truth = design.clone();
  const trueDelta = new Map<string, number>();
  for (const [f, els] of families) {
    const k = design.getParameter({ element: els[0], field: 'PolynomB', index: 1 });
    const dk = 0.005 * k * normal();
    trueDelta.set(f, dk);
    for (const e of els) truth.setParameter({ element: e, field: 'PolynomB', index: 1 }, k + dk);
  }
  const bpms = design.find('class:Monitor');
  const correctors = design.find('class:Sextupole');
  const gains = (n: number) => Array.from({ length: n }, () => 1 + 0.01 * normal());
  const raw = syntheticOrm(truth, { bpms, correctors, kick: 1e-4, bpmGains: { x: gains(bpms.length), y: gains(bpms.length) }, correctorGains: { x: gains(6), y: gains(6) }, noise: 1e-9, normal });
  const ormFile = join(dir, 'ORM.json');
  writeFileSync(ormFile, JSON.stringify(raw));
  const fitFile = join(dir, 'FIT.yaml');
  writeFileSync(
    fitFile,
    [
      'method: levenberg-marquardt',
      'iterations: 4',
      'svThreshold: 1.0e-6',
      'fit:',
      '  quadrupoles:',
      ...[...families].map(([f, els]) => `    - {name: ${f}, elements: [${els.join(', ')}]}`),
      '  bpmGains: true',
      '  correctorKicks: true',
      '',
    ].join('\n'),
  );

  it('prints the fit as the JSON object of issue 20, the family errors found', async () => {
    const saved = join(dir, 'fit-result.json');
    const plot = join(dir, 'fit');
    const r = await runCli(['loco', 'fit', '--lattice', HMBA, '--orm', ormFile, '--parameters', fitFile, '--json', '--save', saved, '--plot', plot]);
    expect(r.code, r.stderr).toBe(0);
    for (const what of ['chi2', 'dk', 'gains', 'beta', 'residual']) for (const ext of ['svg', 'png']) expect(existsSync(`${plot}-${what}.${ext}`), `${what}.${ext}`).toBe(true);
    expect(existsSync(`${plot}-skew.svg`)).toBe(false);
    expect(readFileSync(`${plot}-dk.svg`, 'utf8')).toContain('fitted gradient change of each quadrupole group');
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['bpmCouplings', 'bpmGains', 'correctorKicks', 'iterations', 'quadrupoles', 'residualRms', 'skewQuadrupoles'].sort());
    expect(Object.keys(out.iterations[0]).sort()).toEqual(['chi2PerDof', 'residualRms']);
    // A progress line per iteration (and the start) on stderr.
    expect(r.stderr.match(/^loco: (start|iteration)/gm)?.length).toBe(out.iterations.length);
    const last = out.iterations[out.iterations.length - 1];
    expect(last.chi2PerDof).toBeLessThan(1.5);
    expect(out.iterations[0].chi2PerDof).toBeGreaterThan(100);
    expect(out.residualRms).toBeCloseTo(last.residualRms, 15);
    expect(out.residualRms).toBeLessThan(1.5e-9);
    expect(out.quadrupoles).toHaveLength(families.size);
    for (const q of out.quadrupoles) {
      const k = design.getParameter({ element: families.get(q.name)![0], field: 'PolynomB', index: 1 });
      expect(Math.abs(q.delta - trueDelta.get(q.name)!)).toBeLessThan(0.02 * Math.abs(trueDelta.get(q.name)!) + 1e-6);
      expect(q.value).toBeCloseTo(k + q.delta, 12);
    }
    expect(out.skewQuadrupoles).toEqual([]);
    expect(out.bpmGains.x).toHaveLength(bpms.length);
    expect(out.correctorKicks.y).toHaveLength(6);
    expect(out.bpmCouplings).toEqual({ x: new Array(bpms.length).fill(0), y: new Array(bpms.length).fill(0) });
    // --save: the groups read back for loco correct, with their elements.
    const back = readFitResult(saved);
    expect(back.quadrupoles.map((q) => [q.name, q.elements, q.delta])).toEqual(out.quadrupoles.map((q: { name: string; delta: number }) => [q.name, families.get(q.name), q.delta]));
    const show = await runCli(['loco', 'show', saved]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`LOCO fit of ${ormFile} on ${HMBA}`);
    expect(show.stdout.match(/^ {2}(start|iteration)/gm)?.length).toBe(out.iterations.length);
    expect(show.stdout).toContain(`  QF1 `);
    // A saved fit is never written over: a second fit into the same file is refused before fitting, --force replaces it.
    const before = readFileSync(saved, 'utf8');
    const again = await runCli(['loco', 'fit', '--lattice', HMBA, '--orm', ormFile, '--parameters', fitFile, '--save', saved]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the file exists and a saved fit is never written over.*--force.*nothing was fitted/);
    expect(readFileSync(saved, 'utf8')).toBe(before);
    const forced = await runCli(['loco', 'fit', '--lattice', HMBA, '--orm', ormFile, '--parameters', fitFile, '--save', saved, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFitResult(saved).quadrupoles.length).toBe(out.quadrupoles.length);
  });

  it('stops with one line naming the file, field and value when a matrix does not match the BPM list', async () => {
    const bad = structuredClone(raw) as { orm: { xx: number[][] } };
    bad.orm.xx.pop();
    const badFile = join(dir, 'bad-ORM.json');
    writeFileSync(badFile, JSON.stringify(bad));
    const r = await runCli(['loco', 'fit', '--lattice', HMBA, '--orm', badFile, '--parameters', fitFile, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${badFile}: orm.xx`);
    expect(r.stderr).toContain(`has ${bpms.length - 1} rows; expected ${bpms.length}`);
  });

  it('loco correct plans and writes −fraction·ΔK through the facility, a dry run writing nothing', async () => {
    const q = thomxQuads();
    const facility = quadFacilityFile(1000);
    const result = join(dir, 'thomx-result.json');
    writeFileSync(result, JSON.stringify({ format: 'mlayer-loco-fit', version: 1, quadrupoles: [{ name: 'QFpair', elements: [q.QF[0], q.QF[1]], delta: 0.02 }], skewQuadrupoles: [] }));
    const dry = await runCli(['-f', facility, 'loco', 'correct', result, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout);
    expect(d.dryRun).toBe(true);
    expect(d.changes.map((c: { family: string; physics: number }) => [c.family, c.physics])).toEqual([['QF', -0.02], ['QF', -0.02]]);
    const run = await runCli(['-f', facility, 'loco', 'correct', result, '--fraction', '0.5', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const w = JSON.parse(run.stdout).writes[0];
    expect(w.family).toBe('QF');
    w.target.forEach((t: number, k: number) => expect(t - w.current[k]).toBeCloseTo(-0.01 / QUAD_GAIN, 9));
    const bad = await runCli(['-f', facility, 'loco', 'correct', result, '--fraction', '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--fraction '2': expected a number in (0, 1]");
  });
});
