import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, ScanDefinitionError, ScanLockedError, addAnalysis, checkScan, planScan, readManifest, readPointFile, runScan, summariseFile } from '../../src/index.js';
import { cleanupTempDirs, h5dump, h5py, tempDir } from '../fixtures/data-tools.js';
import { CHROMA, INTENSITY, tmciDefinition, tmciPointFn } from '../fixtures/scan-fixture.js';

afterAll(cleanupTempDirs);

function markerCounts(markers: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const name of readdirSync(markers)) {
    const i = Number(name.split('-')[0]);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

describe('grid scan in the openPMD scan format (seed document example)', () => {
  const dir = join(tempDir(), 'tmci_scan');
  const markers = join(dir, '..', 'markers');
  const FAIL = 7; // this point throws

  it('runs every point once, records the failure and goes on', async () => {
    const summary = await runScan(dir, tmciDefinition(), tmciPointFn(markers, 0, [FAIL]), { durable: false });
    const N = INTENSITY.numPoints * CHROMA.numPoints;
    expect(summary).toMatchObject({ totalPoints: N, completed: N - 1, failed: 1, computed: N, reused: 0 });
    const counts = markerCounts(markers);
    expect(counts.size).toBe(N);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(readdirSync(join(dir, 'outputs')).sort()).toEqual(Array.from({ length: N }, (_, i) => `point_${String(i).padStart(4, '0')}.h5`));
    expect(readdirSync(dir).sort()).toEqual(['outputs', JOURNAL_FILE, 'scan_config.h5', 'scan_manifest.h5'].sort());
  });

  it("answers the seed document's h5py analysis: a 2-D growth-rate map on its parameter axes", async () => {
    await addAnalysis(dir, [
      {
        name: 'tmci_threshold',
        method: 'growth_rate_interpolation',
        value: 3.2e10,
        uncertainty: 0.1e10,
        unit: '',
        attributes: { threshold_criterion: 'growth_rate = 0' },
      },
      {
        name: 'threshold_curve',
        method: 'growth_rate_interpolation',
        unit: '',
        data: { values: [2.7e10, 2.95e10, 3.2e10, 3.45e10, 3.7e10], description: 'threshold intensity per chromaticity' },
        attributes: { independent_parameter: 'chromaticity_x' },
      },
    ]);
    // The snippet of section 6.1 (without the plot), then the growth rate recomputed in Python from the axes.
    const r = h5py<Record<string, unknown>>(
      `
import hashlib, os
with h5py.File(args[0] + '/scan_manifest.h5', 'r') as f:
    intensity = f['parameter_space/parameter_001_values'][:]
    chroma = f['parameter_space/parameter_002_values'][:]
    growth = f['scan_results/growth_rate'][:]
    threshold = f['analysis/tmci_threshold'].attrs['value']
    nth = 3.2e10 + 0.05e10 * chroma[None, :]
    model = np.where(intensity[:, None] > nth, 1e3 * (intensity[:, None] - nth) / 1e10, 0.0)
    ok = ~np.isnan(growth)
    files = [s.decode() for s in f['references/output_files'][:]]
    sums = [s.decode() for s in f['references/checksums'][:]]
    actual = [hashlib.sha256(open(os.path.join(args[0], p), 'rb').read()).hexdigest() for p in files]
    g = f['scan_results/growth_rate']
    cs = f['scan_results/convergence_status']
    st = f['simulation_status']
    p1 = f['scan_parameters/parameter_001'].attrs
    out = {
        'root': {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()},
        'intensity': tolist(intensity), 'chroma': tolist(chroma),
        'growth_shape': list(growth.shape), 'growth_dtype': str(growth.dtype),
        'max_model_error': float(np.max(np.abs(growth[ok] - model[ok]))),
        'nan_at': [int(x) for x in np.argwhere(np.isnan(growth).ravel()).ravel()],
        'threshold': float(threshold),
        'threshold_attrs': {k: (float(v) if isinstance(v, (float, np.floating)) else (v if isinstance(v, str) else tolist(v))) for k, v in f['analysis/tmci_threshold'].attrs.items()},
        'curve': tolist(f['analysis/threshold_curve'][:]), 'curve_param': f['analysis/threshold_curve'].attrs['independent_parameter'],
        'growth_unitDimension': tolist(g.attrs['unitDimension']), 'growth_nan_on_failure': int(g.attrs['nan_on_failure']),
        'cs_dtype': str(cs.dtype), 'cs': tolist(cs[()]),
        'completed': tolist(st['completed'][()]), 'completed_shape': list(st['completed'].shape),
        'errors': tolist(st['error_messages'][()]),
        'ct_unitDimension': tolist(st['computation_time'].attrs['unitDimension']),
        'ct_finite': bool(np.all(np.isfinite(st['computation_time'][()]))),
        'start0': st['timestamps/start_time'][0, 0].decode(),
        'status_attrs': {k: int(v) for k, v in st.attrs.items()},
        'sp_attrs': {k: int(v) for k, v in f['scan_parameters'].attrs.items() if k != 'scanType'},
        'p1': {k: (v if isinstance(v, str) else (float(v) if np.ndim(v) == 0 else tolist(v))) for k, v in p1.items()},
        'p1_num_points_dtype': str(p1['num_points'].dtype),
        'encoding': f['parameter_space'].attrs['encoding'], 'ps_shape': tolist(f['parameter_space'].attrs['shape']),
        'map': f['references/point_to_file_map'][()].tolist(),
        'files': files, 'checksums_match': sums == actual,
        'refs': {k: v for k, v in f['references'].attrs.items()},
    }
with h5py.File(args[0] + '/outputs/point_0013.h5', 'r') as p:
    m = p['scan_metadata'].attrs
    out['point13'] = {
        'parameter_point': int(m['parameter_point']), 'scanCoordinates': tolist(m['scanCoordinates']),
        'parameter_values': tolist(m['parameter_values']), 'parameter_names': tolist(m['parameter_names']),
        'status': m['status'], 'growth_rate': float(p['scan_metadata/results'].attrs['growth_rate']),
        'scanManifest': p.attrs['scanManifest'], 'inputs_np': float(p['inputs/scan_parameters'].attrs['bunch_intensity']),
        'centroid_dtype': str(p['data/centroid_x'].dtype), 'centroid_unitSI': float(p['data/centroid_x'].attrs['unitSI']),
    }
with h5py.File(args[0] + '/outputs/point_0007.h5', 'r') as p:
    out['point7'] = {'status': p['scan_metadata'].attrs['status'], 'error': p['scan_metadata'].attrs['error_message']}
with h5py.File(args[0] + '/scan_config.h5', 'r') as c:
    out['config'] = {'dataType': c.attrs['dataType'], 'ext': c.attrs['openPMDextension'], 'num_turns': float(c['simulation_config'].attrs['num_turns']),
                     'tracking_method': c['simulation_config'].attrs['tracking_method'], 'collective_effects': int(c['simulation_config'].attrs['collective_effects'])}
print(json.dumps(out))
`,
      dir,
    );
    const N = 30;
    expect(r.root).toMatchObject({
      openPMD: '2.0.0',
      openPMDextension: 'XSuite_Scans;1',
      dataType: 'parameter_scan',
      scanName: 'tmci_intensity_scan',
      scanType: 'grid',
      scanPurpose: 'TMCI threshold study',
      author: 'Test Author <test@example.org>',
    });
    expect(r.intensity).toEqual([1e10, 1.8e10, 2.6e10, 3.4e10, 4.2e10, 5e10].map((x, i) => (i === 5 ? 5e10 : 1e10 + 0.8e10 * i)));
    expect(r.chroma).toEqual([-10, -5, 0, 5, 10]);
    expect(r.growth_shape).toEqual([6, 5]);
    expect(r.growth_dtype).toBe('float64');
    expect(r.max_model_error).toBeLessThan(1e-9);
    expect(r.nan_at).toEqual([FAIL]);
    expect(r.threshold).toBe(3.2e10);
    expect(r.threshold_attrs).toMatchObject({ method: 'growth_rate_interpolation', threshold_criterion: 'growth_rate = 0', value: 3.2e10, uncertainty: 0.1e10, unitSI: 1 });
    expect(r.curve).toEqual([2.7e10, 2.95e10, 3.2e10, 3.45e10, 3.7e10]);
    expect(r.curve_param).toBe('chromaticity_x');
    expect(r.growth_unitDimension).toEqual([0, 0, -1, 0, 0, 0, 0]);
    expect(r.growth_nan_on_failure).toBe(1);
    expect(r.cs_dtype).toBe('int32');
    expect((r.cs as number[])[FAIL]).toBe(2);
    expect((r.cs as number[]).filter((v) => v === 1).length).toBeGreaterThan(5);
    expect(r.completed_shape).toEqual([6, 5]);
    expect((r.completed as number[]).reduce((a, b) => a + b, 0)).toBe(N - 1);
    expect((r.completed as number[])[FAIL]).toBe(0);
    expect((r.errors as string[])[FAIL]).toBe(`Error: tracking diverged at point ${FAIL}`);
    expect((r.errors as string[]).filter((e) => e !== '')).toHaveLength(1);
    expect(r.ct_unitDimension).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(r.ct_finite).toBe(true);
    expect(Number.isNaN(Date.parse(r.start0 as string))).toBe(false);
    expect(r.status_attrs).toEqual({ totalPoints: N, completedPoints: N - 1, failedPoints: 1, pendingPoints: 0 });
    expect(r.sp_attrs).toEqual({ numParameters: 2, totalPoints: N, completedPoints: N - 1, failedPoints: 1 });
    expect(r.p1).toMatchObject({
      name: 'bunch_intensity',
      symbol: 'Np',
      description: 'Particles per bunch',
      units: '',
      unitSI: 1,
      unitDimension: [0, 0, 0, 0, 0, 0, 0],
      min_value: 1e10,
      max_value: 5e10,
      num_points: 6,
      scale: 'linear',
      reference_file: 'inputs/base_parameters.h5',
      reference_path: '/data/parameters/beam/particles_per_bunch',
    });
    expect(r.p1_num_points_dtype).toBe('int32');
    expect(r.encoding).toBe('grid');
    expect(r.ps_shape).toEqual([6, 5]);
    expect(r.map).toEqual(Array.from({ length: 6 }, (_, i) => Array.from({ length: 5 }, (_, j) => i * 5 + j)));
    expect((r.files as string[])[13]).toBe('outputs/point_0013.h5');
    expect(r.checksums_match).toBe(true);
    expect(r.refs).toMatchObject({ config_file: 'scan_config.h5' });
    // Point 13 = grid coordinates [2, 3]: Np = 2.6e10, ξ = 5.
    expect(r.point13).toEqual({
      parameter_point: 13,
      scanCoordinates: [2, 3],
      parameter_values: [2.6e10, 5],
      parameter_names: ['bunch_intensity', 'chromaticity_x'],
      status: 'completed',
      growth_rate: 0,
      scanManifest: '../scan_manifest.h5',
      inputs_np: 2.6e10,
      centroid_dtype: 'float64',
      centroid_unitSI: 1,
    });
    expect(r.point7).toEqual({ status: 'failed', error: `Error: tracking diverged at point ${FAIL}` });
    expect(r.config).toEqual({ dataType: 'scan_configuration', ext: 'XSuite_Scans;1', num_turns: 10000, tracking_method: 'mlayer-twin', collective_effects: 1 });
  });

  it('is read by h5dump with float64 results and the openPMD attributes', () => {
    const dump = h5dump('-m', '%.17g', '-d', '/scan_results/growth_rate', join(dir, 'scan_manifest.h5'));
    expect(dump).toContain('H5T_IEEE_F64LE');
    expect(dump).toContain('SIMPLE { ( 6, 5 ) / ( 6, 5 ) }');
    // Row 4 (Np = 4.2e10): growth 1e3 (4.2e10 - N_th(ξ)) / 1e10 for ξ = -10 … 10.
    expect(dump).toMatch(/\(4,0\): 1500,\s*\(4,1\): 1250,\s*\(4,2\): 1000,\s*\(4,3\): 750,\s*\(4,4\): 500/);
    expect(dump).toMatch(/\(1,2\): nan/i);
    const attrs = h5dump('-A', '-g', '/', join(dir, 'scan_manifest.h5'));
    expect(attrs).toMatch(/ATTRIBUTE "openPMDextension" \{[\s\S]*?"XSuite_Scans;1"/);
    expect(attrs).toMatch(/ATTRIBUTE "scanType" \{[\s\S]*?"grid"/);
    const header = h5dump('-H', join(dir, 'outputs', 'point_0003.h5'));
    expect(header).toContain('GROUP "scan_metadata"');
    expect(header).toContain('DATASET "centroid_x"');
  });

  it('reads back with readManifest / readPointFile and checks clean', async () => {
    const m = await readManifest(dir);
    expect(m.encoding).toBe('grid');
    expect(m.shape).toEqual([6, 5]);
    expect(m.results.growth_rate.values[4 * 5]).toBe(1500);
    expect(Number.isNaN(m.results.growth_rate.values[FAIL])).toBe(true);
    expect(m.analysis.tmci_threshold.attributes.value).toBe(3.2e10);
    const p = await readPointFile(join(dir, 'outputs', 'point_0020.h5'));
    expect(p).toMatchObject({ index: 20, coordinates: [4, 0], parameterValues: [4.2e10, -10], status: 'completed', results: { growth_rate: 1500 } });
    expect(p.datasets.map((d) => d.path)).toEqual(['centroid_x']);
    expect(p.datasets[0].axes[0]?.label).toBe('turn');
    const report = await checkScan(dir);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, totalPoints: 30, completed: 29, failed: 1, pending: 0 });
  });

  it('summarises the scan directory, the manifest and a point file', async () => {
    const s = await summariseFile(dir);
    expect(s).toContain('scan tmci_intensity_scan (grid, grid 6 × 5)');
    expect(s).toContain('30 total, 29 completed, 1 failed, 0 pending');
    expect(s).toMatch(/growth_rate float64 \[1\/s\]: 0 … 2300, 1 NaN/);
    expect(s).toContain(`${FAIL}: Error: tracking diverged at point ${FAIL}`);
    expect(s).toMatch(/tmci_threshold: growth_rate_interpolation = 3e\+10|tmci_threshold: growth_rate_interpolation = 32000000000/);
    const pm = await summariseFile(join(dir, 'outputs', 'point_0020.h5'));
    expect(pm).toContain('scan_point');
    expect(pm).toContain('point 20: ["bunch_intensity", "chromaticity_x"] = [42000000000, -10]');
    expect(pm).toMatch(/centroid_x {2}float64 \[16\] \[m\] \(L\^1\) axes \["turn"\]/);
    const mm = await summariseFile(join(dir, 'scan_manifest.h5'));
    expect(mm).toContain('scan tmci_intensity_scan');
    expect(mm).toContain('growth_rate  float64 [6 × 5]');
  });

  it('a second run reuses everything; analysis survives; a changed definition is refused', async () => {
    const again = await runScan(dir, tmciDefinition(), tmciPointFn(markers, 0, [FAIL]), { durable: false });
    expect(again).toMatchObject({ computed: 0, reused: 30, recomputed: [], adopted: [] });
    expect([...markerCounts(markers).values()].every((c) => c === 1)).toBe(true);
    expect((await readManifest(dir)).analysis.threshold_curve.attributes.independent_parameter).toBe('chromaticity_x');
    const changed = { ...tmciDefinition(), purpose: 'something else' };
    await expect(runScan(dir, changed, tmciPointFn(markers))).rejects.toThrow(ScanDefinitionError);
    await expect(runScan(dir, changed, tmciPointFn(markers))).rejects.toThrow(/differs from the one stored in .*scan_config\.h5/);
    // retryFailed computes the failed point again (and only it).
    const retry = await runScan(dir, tmciDefinition(), tmciPointFn(markers), { durable: false, retryFailed: true });
    expect(retry).toMatchObject({ computed: 1, completed: 30, failed: 0 });
    expect(markerCounts(markers).get(FAIL)).toBe(2);
  });
});

describe('resume and corruption', () => {
  it('detects a corrupted point file, and recomputes exactly that point on resume', async () => {
    const dir = join(tempDir(), 'scan');
    const markers = join(dir, '..', 'markers');
    await runScan(dir, tmciDefinition(), tmciPointFn(markers), { durable: false });
    const victim = join(dir, 'outputs', 'point_0011.h5');
    const bytes = readFileSync(victim);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(victim, bytes);
    const report = await checkScan(dir);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ severity: 'error', kind: 'checksum-mismatch', index: 11, file: 'outputs/point_0011.h5' }),
    ]);
    const resumed = await runScan(dir, tmciDefinition(), tmciPointFn(markers), { durable: false });
    expect(resumed).toMatchObject({ computed: 1, reused: 29, recomputed: [11], completed: 30 });
    const counts = markerCounts(markers);
    expect(counts.get(11)).toBe(2);
    expect([...counts.entries()].filter(([i]) => i !== 11).every(([, c]) => c === 1)).toBe(true);
    expect((await checkScan(dir)).problems).toEqual([]);
  });

  it('adopts a point file written just before a kill (not in the journal) without recomputing it; a deleted file is recomputed', async () => {
    const dir = join(tempDir(), 'scan');
    const markers = join(dir, '..', 'markers');
    await runScan(dir, tmciDefinition(), tmciPointFn(markers), { durable: false });
    // Simulate a kill between the rename of the last two point files and their journal lines,
    // before any manifest was written, with a torn last journal line and a leftover temporary file.
    const lines = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, JOURNAL_FILE), `${lines.slice(0, -2).join('\n')}\n{"kind":"point","ind`);
    writeFileSync(join(dir, 'outputs', '.point_0003.h5.tmp-1-deadbeef'), 'partial');
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'scan_manifest.h5'));
    rmSync(join(dir, 'outputs', 'point_0005.h5'));
    const resumed = await runScan(dir, tmciDefinition(), tmciPointFn(markers), { durable: false });
    expect(resumed.adopted).toEqual([28, 29]);
    expect(resumed.recomputed).toEqual([5]);
    expect(resumed).toMatchObject({ computed: 1, completed: 30 });
    const counts = markerCounts(markers);
    expect(counts.get(5)).toBe(2);
    expect([...counts.entries()].filter(([i]) => i !== 5).every(([, c]) => c === 1)).toBe(true);
    expect(existsSync(join(dir, 'outputs', '.point_0003.h5.tmp-1-deadbeef'))).toBe(false);
    const report = await checkScan(dir);
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ severity: 'warning', kind: 'journal' })]);
  });

  it('refuses to run while another live process holds the lock', async () => {
    const dir = join(tempDir(), 'scan');
    mkdirSync(dir);
    writeFileSync(join(dir, 'scan.lock'), `${process.ppid}\n`);
    await expect(runScan(dir, tmciDefinition(), tmciPointFn(join(dir, '..', 'm')))).rejects.toThrow(ScanLockedError);
    // A lock left by a dead process is taken over.
    writeFileSync(join(dir, 'scan.lock'), '999999999\n');
    const s = await runScan(dir, tmciDefinition(), tmciPointFn(join(dir, '..', 'm')), { durable: false });
    expect(s.completed).toBe(30);
    expect(existsSync(join(dir, 'scan.lock'))).toBe(false);
  });

  it('checkScan reports missing files and inconsistent status', async () => {
    const dir = join(tempDir(), 'scan');
    await runScan(dir, tmciDefinition(), tmciPointFn(join(dir, '..', 'm')), { durable: false });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'outputs', 'point_0002.h5'));
    const r = await checkScan(dir);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'missing-file', index: 2 })]);
    const missing = await checkScan(join(dir, 'nope'));
    expect(missing.ok).toBe(false);
    rmSync(join(dir, 'scan_manifest.h5'));
    expect((await checkScan(dir)).problems).toEqual([expect.objectContaining({ kind: 'missing-file', file: 'scan_manifest.h5' })]);
  });
});

describe('runner options and provenance', () => {
  it('runs points concurrently, each once; abort stops early and the scan resumes', async () => {
    const dir = join(tempDir(), 'conc');
    const markers = join(dir, '..', 'markers');
    let inFlight = 0;
    let maxInFlight = 0;
    const controller = new AbortController();
    const inner = tmciPointFn(markers, 20);
    const fn: typeof inner = async (p, ctx) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await inner(p, ctx);
      } finally {
        inFlight--;
        if (p.index === 10) controller.abort();
      }
    };
    await expect(runScan(dir, tmciDefinition(), fn, { durable: false, concurrency: 4, signal: controller.signal })).rejects.toThrow(/aborted with \d+ points left; run it again to resume/);
    const partial = await checkScan(dir);
    expect(partial.ok).toBe(true);
    expect(partial.pending).toBeGreaterThan(0);
    expect(partial.problems).toEqual([expect.objectContaining({ severity: 'warning', kind: 'incomplete' })]);
    const s = await runScan(dir, tmciDefinition(), fn, { durable: false, concurrency: 4 });
    expect(s.completed).toBe(30);
    expect(maxInFlight).toBe(4);
    const counts = markerCounts(markers);
    expect(counts.size).toBe(30);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect((await checkScan(dir)).problems).toEqual([]);
  });

  it('stores the provenance of a twin scan (facility, lattice, mode, error seed, setpoints) in scan_config.h5', async () => {
    const dir = join(tempDir(), 'prov');
    const def = {
      ...tmciDefinition('prov'),
      provenance: {
        facility: { name: 'diamond-i04', configSha256: 'a'.repeat(64) },
        lattice: { sha256: 'b'.repeat(64), file: 'i04.mat' },
        mode: 'twin' as const,
        errorSeed: 11,
        setpoints: { HCM: { devices: [[1, 1]] as const, names: ['H1'], values: [0.25], units: 'A' } },
      },
    };
    await runScan(dir, def, tmciPointFn(join(dir, '..', 'm')), { durable: false });
    const r = h5py<Record<string, unknown>>(
      "f = h5py.File(args[0], 'r'); m = f['meta'].attrs; print(json.dumps({'mode': m['mode'], 'seed': int(m['errorSeed']), 'facility': m['facility'], 'hcm': tolist(f['meta/setpoints/HCM/values'][()])}))",
      join(dir, 'scan_config.h5'),
    );
    expect(r).toEqual({ mode: 'twin', seed: 11, facility: 'diamond-i04', hcm: [0.25] });
    const bad = { ...def, name: 'bad', provenance: { ...def.provenance, errorSeed: undefined } };
    const badDir = join(tempDir(), 'bad');
    await expect(runScan(badDir, bad, tmciPointFn(join(dir, '..', 'm2')))).rejects.toThrow(/scan_config\.h5: header\.errorSeed: an integer error seed is required on the twin/);
    expect(existsSync(badDir)).toBe(false);
  });
});

describe('scan types and definitions', () => {
  const base = { author: 'A <a@b.c>', metrics: [{ name: 'y', unit: 'm' }] };
  const sum = (p: { vector: readonly number[] }) => ({ y: p.vector.reduce((a, b) => a + b, 0) });

  it('line scans move all parameters together; list encoding with column names', async () => {
    const dir = join(tempDir(), 'line');
    const def = {
      ...base,
      name: 'line',
      type: 'line' as const,
      parameters: [
        { name: 'qx', unit: '', values: [0.1, 0.2, 0.3] },
        { name: 'qy', unit: '', values: [0.15, 0.25, 0.35] },
      ],
    };
    await runScan(dir, def, sum, { durable: false });
    const m = await readManifest(dir);
    expect(m.encoding).toBe('list');
    expect(m.shape).toEqual([3]);
    expect(Array.from(m.pointParameters!.values)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    expect(m.pointParameters!.columns).toEqual(['qx', 'qy']);
    expect(Array.from(m.results.y.values)).toEqual([0.1 + 0.15, 0.2 + 0.25, 0.3 + 0.35]);
    expect(m.results.y.attributes.unitDimension).toEqual([1, 0, 0, 0, 0, 0, 0]);
  });

  it('random scans are reproducible from their seed and respect the ranges (log scale too)', () => {
    const def = {
      ...base,
      name: 'mc',
      type: 'random' as const,
      random: { numPoints: 200, seed: 7 },
      parameters: [
        { name: 'a', unit: 'mm', min: -1, max: 1 },
        { name: 'b', unit: '', min: 1e-3, max: 1e3, scale: 'log' as const },
      ],
    };
    const p1 = planScan(def);
    const p2 = planScan(def);
    expect(p1.points).toEqual(p2.points);
    expect(p1.points.every(([a, b]) => a >= -1 && a <= 1 && b >= 1e-3 && b <= 1e3)).toBe(true);
    // Log-uniform: about a sixth of the points per decade.
    const below1 = p1.points.filter(([, b]) => b < 1).length;
    expect(below1).toBeGreaterThan(70);
    expect(below1).toBeLessThan(130);
    expect(planScan({ ...def, random: { numPoints: 200, seed: 8 } }).points).not.toEqual(p1.points);
    expect(p1.parameters[0].unitSI).toBe(1e-3);
  });

  it('adaptive scans add generations through refine, and resume with them', async () => {
    const dir = join(tempDir(), 'adaptive');
    const def = { ...base, name: 'refine', type: 'adaptive' as const, parameters: [{ name: 'x', unit: '' }], points: [[0], [1]] };
    let calls = 0;
    const s = await runScan(dir, def, (p) => (calls++, { y: p.vector[0] ** 2 }), {
      durable: false,
      refine: (records, plan, gen) => (gen <= 2 ? [[plan.points[plan.points.length - 1][0] + 0.5]] : []),
    });
    expect(s).toMatchObject({ totalPoints: 4, completed: 4 });
    expect(calls).toBe(4);
    const m = await readManifest(dir);
    expect(Array.from(m.pointParameters!.values)).toEqual([0, 1, 1.5, 2]);
    expect(Array.from(m.results.y.values)).toEqual([0, 1, 2.25, 4]);
    const gen = h5py<number[]>("f = h5py.File(args[0], 'r'); print(json.dumps(tolist(f['parameter_space/generation'][()])))", join(dir, 'scan_manifest.h5'));
    expect(gen).toEqual([0, 0, 1, 2]);
    const again = await runScan(dir, def, () => (calls++, { y: 0 }), { durable: false });
    expect(again).toMatchObject({ totalPoints: 4, computed: 0, reused: 4 });
    expect(calls).toBe(4);
  });

  it('optimization scans store their configuration', async () => {
    const dir = join(tempDir(), 'opt');
    const def = {
      ...base,
      name: 'opt',
      type: 'optimization' as const,
      parameters: [{ name: 'k1', unit: '1/m^2' }, { name: 'k2', unit: '1/m^2' }],
      points: [
        [1, 2],
        [2, 1],
      ],
      optimization: { algorithm: 'genetic_algorithm', population_size: 100, generations: 50, objective_function: 'weighted_sum' },
    };
    await runScan(dir, def, sum, { durable: false });
    const r = h5py<Record<string, unknown>>(
      "f = h5py.File(args[0], 'r'); a = f['scan_parameters/optimization_config'].attrs; print(json.dumps({'algorithm': a['algorithm'], 'population_size': float(a['population_size']), 'scanType': f.attrs['scanType'], 'k1_dim': tolist(f['scan_parameters/parameter_001'].attrs['unitDimension'])}))",
      join(dir, 'scan_manifest.h5'),
    );
    expect(r).toEqual({ algorithm: 'genetic_algorithm', population_size: 100, scanType: 'optimization', k1_dim: [-2, 0, 0, 0, 0, 0, 0] });
  });

  it('a result that does not match the metrics fails the point with a clear message', async () => {
    const dir = join(tempDir(), 'bad');
    const def = {
      author: 'A <a@b.c>',
      name: 'bad',
      type: 'grid' as const,
      parameters: [{ name: 'x', unit: '', values: [1, 2, 3, 4] }],
      metrics: [
        { name: 'y', unit: '' },
        { name: 'n', unit: '', dtype: 'int32' as const, failValue: -1 },
      ],
    };
    const s = await runScan(
      dir,
      def,
      (p) => [{ y: 1, n: 1 }, { y: 1 }, { y: 1, n: 1.5 }, { y: 1, n: 1, z: 3 }][p.index] as Record<string, number>,
      { durable: false },
    );
    expect(s).toMatchObject({ completed: 1, failed: 3 });
    const m = await readManifest(dir);
    expect(m.status.errorMessages).toEqual([
      '',
      "invalid result: metric 'n' is missing or not a number (got undefined)",
      "invalid result: metric 'n' must be an int32 integer (got 1.5)",
      "invalid result: unknown metric 'z' (metrics: y, n)",
    ]);
    expect(Array.from(m.results.n.values)).toEqual([1, -1, -1, -1]);
    expect(m.results.n.dtype).toBe('int32');
    expect((await checkScan(dir)).ok).toBe(true);
  });

  it('rejects bad definitions and bad directories with clear errors', async () => {
    const grid = { ...base, name: 'g', type: 'grid' as const, parameters: [{ name: 'x', unit: '', values: [1, 2] }] };
    expect(() => planScan({ ...grid, type: 'spiral' as never })).toThrow(/type: one of grid, line, random, adaptive, optimization/);
    expect(() => planScan({ ...grid, metrics: [{ name: 'n', unit: '', dtype: 'int32' }] })).toThrow(/failValue.*NaN cannot be stored in an integer/);
    expect(() => planScan({ ...grid, parameters: [{ name: 'x', unit: '', values: [1, NaN] }] })).toThrow(/parameters\[0\]\.values\[1\]: a finite number is required/);
    expect(() => planScan({ ...grid, parameters: [{ name: 'x', unit: 'parsec' }] })).toThrow(/unknown unit/);
    expect(() => planScan({ ...grid, parameters: [{ name: 'x', unit: '', min: 0, max: 1, numPoints: 2.5 }] })).toThrow(/numPoints: a positive integer/);
    expect(() => planScan({ ...grid, parameters: [{ name: 'x', unit: '', values: [1] }, { name: 'x', unit: '', values: [1] }] })).toThrow(/unique/);
    expect(() => planScan({ ...grid, type: 'line', parameters: [{ name: 'a', unit: '', values: [1, 2] }, { name: 'b', unit: '', values: [1] }] })).toThrow(/same number of values/);
    expect(() => planScan({ ...grid, type: 'adaptive', points: [[1, 2]] })).toThrow(/points\[0\]: 1 parameter values are required/);
    expect(() => planScan({ ...grid, name: 'a/b' })).toThrow(/name: a name of letters/);
    await expect(runScan(join(tempDir(), 'missing', 'scan'), grid, sum)).rejects.toThrow(/cannot create the scan directory: '.*missing' does not exist/);
    const withInput = { ...grid, config: { inputFiles: { lattice: 'inputs/lattice.h5' } } };
    await expect(runScan(join(tempDir(), 'scan'), withInput, sum)).rejects.toThrow(/input file 'lattice' does not exist/);
  });

  it('checksums input files and reports when they change', async () => {
    const dir = join(tempDir(), 'scan');
    mkdirSync(join(dir, 'inputs'), { recursive: true });
    writeFileSync(join(dir, 'inputs', 'lattice.h5'), 'lattice v1');
    const def = { ...base, name: 'inp', type: 'grid' as const, parameters: [{ name: 'x', unit: '', values: [1, 2] }], config: { inputFiles: { lattice: 'inputs/lattice.h5' } } };
    await runScan(dir, def, sum, { durable: false });
    expect((await checkScan(dir)).ok).toBe(true);
    const refs = h5py<Record<string, string>>(
      "f = h5py.File(args[0] + '/scan_config.h5', 'r'); m = h5py.File(args[0] + '/scan_manifest.h5', 'r'); a = f['input_file_references'].attrs; print(json.dumps({'lattice': a['lattice'], 'sum': a['lattice_checksum'], 'manifest': m['references'].attrs['lattice_file']}))",
      dir,
    );
    expect(refs.lattice).toBe('inputs/lattice.h5');
    expect(refs.sum).toMatch(/^SHA256:[0-9a-f]{64}$/);
    expect(refs.manifest).toBe('inputs/lattice.h5');
    writeFileSync(join(dir, 'inputs', 'lattice.h5'), 'lattice v2');
    expect((await checkScan(dir)).problems).toEqual([expect.objectContaining({ kind: 'input-checksum', file: 'inputs/lattice.h5' })]);
  });
});
