/**
 * ORM.json and FIT.yaml: strict reading (errors name the file, the field and the
 * value), missing entries left out and stated, degenerate parameters cut and
 * stated, never a silent wrong fit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocoFileError, locoFit, parseFit, parseJsonWithNaN, parseOrm, readFitFile, readOrmFile } from '../../src/index.js';
import { hmbaModel, normals, syntheticOrm } from '../fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-loco-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid 3-BPM, 2+1-corrector ORM.json object. */
function small(): Record<string, any> {
  return {
    bpms: [{ name: 'B1', element: 3 }, { name: 'B2', element: 23 }, { name: 'B3', element: 33 }],
    correctors: { x: [{ name: 'H1', element: 21, kick: 1e-4 }, { name: 'H2', element: 27, kick: 1e-4 }], y: [{ name: 'V1', element: 21, kick: 1e-4 }] },
    orm: { xx: [[1, 2], [3, 4], [5, 6]], yy: [[1], [2], [3]] },
    noise: { x: [1e-6, 1e-6, 1e-6], y: [1e-6, 1e-6, 1e-6] },
  };
}

function thrown(f: () => unknown): LocoFileError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LocoFileError);
    return e as LocoFileError;
  }
  throw new Error('expected a LocoFileError');
}

describe('ORM.json', () => {
  it('reads a valid file, Python NaN tokens as missing entries (strings untouched)', () => {
    const text = JSON.stringify(small()).replace('[[1,2],[3,4]', '[[1,NaN],[Infinity,4]').replace('"B1"', '"NaN B1"');
    const file = join(dir, 'ORM.json');
    writeFileSync(file, text);
    const o = readOrmFile(file);
    expect(o.bpms[0].name).toBe('NaN B1');
    expect(o.missing).toEqual(['orm.xx[0][1]', 'orm.xx[1][0]']);
    expect(Number.isNaN(o.orm.xx![0][1])).toBe(true);
    expect(o.orm.xx![2][1]).toBe(6);
    expect(o.orm.xy).toBeUndefined();
    expect(parseJsonWithNaN('{"a": [-Infinity, "x\\"NaN"]}')).toEqual({ a: [null, 'x"NaN'] });
  });

  it('names the file, field and value of a bad entry', () => {
    const cases: [(o: Record<string, any>) => void, string][] = [
      [(o) => o.orm.xx.pop(), 'f.json: orm.xx: has 2 rows; expected 3, one per BPM'],
      [(o) => o.orm.yy[1].push(7), "f.json: orm.yy[1]: has 2 entries; expected 1, one per corrector of 'correctors.y'"],
      [(o) => (o.correctors.x[1].kick = 0), 'f.json: correctors.x[1].kick = 0: must be a finite corrector step'],
      [(o) => (o.orm.xz = []), 'f.json: orm.xz = []: unknown field'],
      [(o) => (o.noise.y[2] = -1), 'f.json: noise.y[2] = -1: must be a finite noise > 0'],
      [(o) => o.noise.x.pop(), 'f.json: noise.x: has 2 entries; expected 3'],
      [(o) => (o.bpms[2].name = 'B1'), 'f.json: bpms[2].name = "B1": repeats bpms[0].name'],
      [(o) => (o.bpms[1].element = 2.5), 'f.json: bpms[1].element = 2.5: must be an integer lattice index'],
      [(o) => (o.orm.xx[0][0] = 'x'), 'f.json: orm.xx[0][0] = "x"'],
      [(o) => (o.orm = {}), 'f.json: orm: holds no block'],
      [(o) => (o.dispersion = { x: [1, 2, 3], y: [1, 2], rfStep: 10 }), 'f.json: dispersion.y: has 2 entries; expected 3'],
    ];
    for (const [change, message] of cases) {
      const o = small();
      change(o);
      expect(thrown(() => parseOrm(o, 'f.json')).message).toContain(message);
    }
    expect(thrown(() => readOrmFile(join(dir, 'none.json'))).message).toContain('none.json: (top level): cannot be read');
  });
});

describe('FIT.yaml', () => {
  it('reads YAML with defaults and names bad fields', async () => {
    const file = join(dir, 'FIT.yaml');
    writeFileSync(file, 'method: gauss-newton\nfit:\n  quadrupoles: [{name: QF1, elements: [5, 117]}]\n  bpmGains: {weight: 100}\n');
    const f = await readFitFile(file);
    expect(f.iterations).toBe(10);
    expect(f.svThreshold).toBe(1e-6);
    expect(f.couplingBlocks).toBe(false);
    expect(f.fit.bpmGains).toEqual({ weight: 100 });
    expect(f.fit.correctorKicks).toBeUndefined();
    expect(f.orbitType).toBe('fixed-path-length');
    const cases: [unknown, string][] = [
      [{ method: 'newton', fit: {} }, 'F: method = "newton"'],
      [{ method: 'gauss-newton', fit: { quads: [] } }, 'F: fit.quads = []: unknown field'],
      [{ method: 'gauss-newton', iterations: 0, fit: {} }, 'F: iterations = 0: must be at least 1'],
      [{ method: 'gauss-newton', svThreshold: 2, fit: {} }, 'F: svThreshold = 2: must be a fraction in [0, 1)'],
      [{ method: 'gauss-newton', fit: { quadrupoles: [{ name: 'A', elements: [5] }, { name: 'B', elements: [9, 5] }] } }, "F: fit.quadrupoles[1].elements[1] = 5: is already in group 'A'"],
      [{ method: 'gauss-newton', fit: { quadrupoles: [{ name: 'A', elements: [] }] } }, 'F: fit.quadrupoles[0].elements = []: must list at least one element'],
      [{ method: 'gauss-newton', dispersion: { weightX: -1, weightY: 1 }, fit: {} }, 'F: dispersion.weightX = -1'],
    ];
    for (const [raw, message] of cases) expect(thrown(() => parseFit(raw, 'F')).message).toContain(message);
    writeFileSync(file, 'method: [gauss');
    await expect(readFitFile(file)).rejects.toThrow(/FIT\.yaml: \(top level\): is not YAML/);
  });
});

describe('bad input in the fit', () => {
  const design = hmbaModel();
  const bpms = design.find('class:Monitor');
  const correctors = design.find('class:Sextupole');
  const quads = design.find('class:Quadrupole');
  const normal = normals(11);
  const truth = design.clone();
  const trueDk = quads.map((q) => {
    const ref = { element: q, field: 'PolynomB', index: 1 };
    const dk = 0.001 * design.getParameter(ref) * normal();
    truth.setParameter(ref, design.getParameter(ref) + dk);
    return dk;
  });
  const ones = (n: number) => new Array(n).fill(1);
  const raw = syntheticOrm(truth, { bpms, correctors, kick: 1e-4, bpmGains: { x: ones(10), y: ones(10) }, correctorGains: { x: ones(6), y: ones(6) }, noise: 1e-9, normal });
  const spec = (fit: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseFit({ method: 'gauss-newton', iterations: 3, fit, ...extra }, 'FIT.yaml');
  const allQuads = { quadrupoles: quads.map((q) => ({ name: `Q${q}`, elements: [q] })) };

  it('leaves NaN entries and a gross outlier out, says so, and still finds the errors', () => {
    const o = structuredClone(raw) as { orm: Record<string, (number | null)[][]> };
    o.orm.xx[2][3] = null;
    o.orm.yy[5][1] = null;
    o.orm.xx[7][0] = (o.orm.xx[7][0] as number) + 1e-5; // 10 000 σ
    const orm = parseOrm(o, 'ORM.json');
    const res = locoFit(design, orm, spec(allQuads));
    expect(res.notes[0]).toContain('ORM.json: 2 missing entries (null, NaN or infinite) left out of the fit: orm.xx[2][3], orm.yy[5][1]');
    expect(res.notes.some((n) => /iteration 2: 1 data entry rejected as outliers/.test(n))).toBe(true);
    expect(res.iterations[2].outliersRemoved).toBe(1);
    const err = Math.max(...res.quadrupoles.map((q, i) => Math.abs(q.delta - trueDk[i])));
    expect(err).toBeLessThan(0.02 * Math.max(...trueDk.map(Math.abs)));
    expect(res.iterations[res.iterations.length - 1].chi2PerDof).toBeLessThan(1.5);
  });

  it('states parameters no datum depends on, and cuts and states degenerate directions', () => {
    const orm = parseOrm(raw, 'ORM.json');
    // BPM couplings without the coupling blocks, on an uncoupled lattice: nothing fitted depends on them.
    const ref = locoFit(design, orm, spec({ ...allQuads, bpmCouplings: true }));
    expect(ref.notes.some((n) => n.startsWith('parameter BPM1 x coupling: no fitted datum depends on it'))).toBe(true);
    expect(ref.bpmCouplings.x.every((c) => c === 0)).toBe(true);
    // BPM gains and corrector kicks together: the gain scale of each plane (gains up, kicks down) is degenerate.
    const res = locoFit(design, orm, spec({ ...allQuads, bpmGains: true, correctorKicks: true }));
    expect(res.notes.some((n) => /iteration 1: 2 of \d+ directions cut \(singular value ≤ 0\.000001 × the largest\): the weakest mixes .*(gain|kick)/.test(n))).toBe(true);
    expect(res.iterations[1].singularValues - res.iterations[1].singularValuesKept).toBe(2);
    expect(Math.max(...res.quadrupoles.map((q, i) => Math.abs(q.delta - trueDk[i])))).toBeLessThan(0.05 * Math.max(...trueDk.map(Math.abs)));
  });

  it('refuses parameters the lattice or the files cannot support, naming file and field', () => {
    const orm = parseOrm(raw, 'ORM.json');
    expect(() => locoFit(design, orm, spec({ quadrupoles: [{ name: 'D', elements: [2] }] }))).toThrow(/FIT\.yaml: fit\.quadrupoles\[0\]\.elements\[0\] = 2: element 2 \(.*, DriftPass\) is not a magnet whose PolynomB\[1\] acts on the beam/);
    expect(() => locoFit(design, orm, spec({ quadrupoles: [{ name: 'D', elements: [5000] }] }))).toThrow(/FIT\.yaml: fit\.quadrupoles\[0\]\.elements\[0\] = 5000: is outside the lattice/);
    expect(() => locoFit(design, orm, spec(allQuads, { dispersion: { weightX: 1, weightY: 1 } }))).toThrow("FIT.yaml: dispersion = {\"weightX\":1,\"weightY\":1}: asks for the dispersion column, but ORM.json has no 'dispersion'");
    const noCoupling = parseOrm({ ...raw, orm: { xx: (raw.orm as Record<string, unknown>).xx, yy: (raw.orm as Record<string, unknown>).yy } }, 'ORM.json');
    expect(() => locoFit(design, noCoupling, spec(allQuads, { couplingBlocks: true }))).toThrow('FIT.yaml: couplingBlocks = true: is true, but ORM.json holds neither orm.xy nor orm.yx');
    expect(() => locoFit(design, orm, spec({}))).toThrow('FIT.yaml: fit = {}: switches on no parameter');
    const far = structuredClone(raw) as { bpms: { element: number }[] };
    far.bpms[4].element = 999;
    expect(() => locoFit(design, parseOrm(far, 'ORM.json'), spec(allQuads))).toThrow(/ORM\.json: bpms\[4\]\.element = 999: is outside the lattice/);
  });
});
