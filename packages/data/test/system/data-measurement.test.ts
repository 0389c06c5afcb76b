import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileError, DataValueError, MEASUREMENT_EXTENSION, MeasurementFile, type MeasurementHeader, readMeasurement, sha256Of } from '../../src/index.js';
import { cleanupTempDirs, h5dump, h5py, tempDir } from '../fixtures/data-tools.js';

afterAll(cleanupTempDirs);

const CONFIG_SHA = sha256Of('facility: diamond-i04\n');
const LATTICE_SHA = sha256Of('lattice bytes');

function header(over: Partial<MeasurementHeader> = {}): MeasurementHeader {
  return {
    dataType: 'orbit_response_matrix',
    author: 'Ada Lovelace <ada@example.org>',
    date: '2025-11-12T10:00:00.000Z',
    description: 'ORM test',
    facility: { name: 'diamond-i04', configSha256: CONFIG_SHA },
    lattice: { sha256: LATTICE_SHA, file: 'lattices/i04.mat' },
    mode: 'twin',
    errorSeed: 4242,
    setpoints: [
      {
        family: 'HCM',
        devices: [
          [1, 1],
          [1, 2],
        ],
        names: ['SR01C-HCM-01', 'SR01C-HCM-02'],
        values: [0.125, -0.5],
        unit: 'A',
      },
      {
        family: 'QUAD',
        devices: [[2, 1]],
        names: ['SR02Q-01'],
        values: [1.2345678901234567],
        unit: '1/m^2',
      },
    ],
    ...over,
  };
}

const BPMS = { label: 'bpm', devices: [[1, 1], [1, 2], [2, 1]] as const, names: ['BPM-1-1', 'BPM-1-2', 'BPM-2-1'] };
const HCMS = { label: 'hcm', devices: [[1, 1], [1, 2]] as const, names: ['SR01C-HCM-01', 'SR01C-HCM-02'] };
// Values chosen so that float32 storage would visibly lose digits.
const ORM = [
  [1.0000000001, -2.5e-7, 3.141592653589793],
  [0.1, 1e-300, -7.25],
].map((row) => row.slice());
const ORM_3x2 = [
  [ORM[0][0], ORM[1][0]],
  [ORM[0][1], ORM[1][1]],
  [ORM[0][2], ORM[1][2]],
];

async function writeSample(path: string): Promise<void> {
  const f = await MeasurementFile.create(path, header());
  f.writeDataset('orm', ORM_3x2, {
    unit: 'm/rad',
    unitSI: 1,
    unitDimension: [1, 0, 0, 0, 0, 0, 0],
    description: 'orbit response',
    axes: [BPMS, HCMS],
  });
  f.writeDataset('orbit/x', new Float32Array([0.5, 0.25, 0.125]), { unit: 'mm', axes: [BPMS] });
  f.writeDataset('counts', [3, 4, 5], { unit: '', dtype: 'int32', axes: [BPMS] });
  f.writeDataset('time', [0.001, 0.002], { unit: 's', axes: [{ label: 'step', values: [0, 1], unit: '' }] });
  f.close();
}

describe('measurement files', () => {
  it('writes an atomically renamed file that h5dump reads with float64 types and openPMD attributes', async () => {
    const dir = tempDir();
    const path = join(dir, 'orm.h5');
    const f = await MeasurementFile.create(path, header());
    f.writeDataset('orm', ORM_3x2, { unit: 'm/rad', unitSI: 1, unitDimension: [1, 0, 0, 0, 0, 0, 0], axes: [BPMS, HCMS] });
    // Until close() only a temporary file exists, in the same directory.
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.orm.h5.tmp-'))).toHaveLength(1);
    f.close();
    expect(readdirSync(dir)).toEqual(['orm.h5']);

    const dump = h5dump('-A', path);
    expect(dump).toMatch(/ATTRIBUTE "openPMD" \{[\s\S]*?"2\.0\.0"/);
    expect(dump).toContain(`"${MEASUREMENT_EXTENSION}"`);
    expect(dump).toMatch(/ATTRIBUTE "mode" \{[\s\S]*?"twin"/);
    expect(dump).toMatch(/ATTRIBUTE "errorSeed" \{[\s\S]*?H5T_STD_I32LE[\s\S]*?4242/);
    const ds = h5dump('-m', '%.17g', '-d', '/data/orm', path);
    expect(ds).toContain('H5T_IEEE_F64LE');
    expect(ds).toContain('SIMPLE { ( 3, 2 ) / ( 3, 2 ) }');
    // Full double precision survives (float32 would give 1 and 3.1415927410125732).
    expect(ds).toMatch(/\(0,0\): 1\.0000000001,\s*\(0,1\): 0\.10000000000000001,/);
    expect(ds).toMatch(/\(1,1\): 1e-300,\s*\(2,0\): 3\.1415926535897931,\s*\(2,1\): -7\.25/);
    expect(ds).toMatch(/ATTRIBUTE "unitDimension" \{[\s\S]*?H5T_IEEE_F64LE[\s\S]*?SIMPLE \{ \( 7 \)/);
  });

  it('is read by h5py with values, units, axes and the setpoint snapshot', async () => {
    const dir = tempDir();
    const path = join(dir, 'm.h5');
    await writeSample(path);
    const r = h5py<Record<string, unknown>>(
      `
f = h5py.File(args[0], 'r')
orm = f['data/orm']
x = f['data/orbit/x']
out = {
  'root': {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()},
  'orm': tolist(orm[()]), 'orm_dtype': str(orm.dtype), 'orm_shape': list(orm.shape),
  'orm_unitSI': float(orm.attrs['unitSI']), 'orm_unitDimension': tolist(orm.attrs['unitDimension']),
  'orm_axisLabels': tolist(orm.attrs['axisLabels']),
  'orm_dims': [orm.dims[0].label, orm.dims[1].label],
  'orm_dim1_names': tolist(orm.dims[1][0][()]),
  'bpm_devices': f['axes/bpm/devices'][()].tolist(), 'bpm_devices_dtype': str(f['axes/bpm/devices'].dtype),
  'x': tolist(x[()]), 'x_dtype': str(x.dtype), 'x_unit': x.attrs['unit'], 'x_unitSI': float(x.attrs['unitSI']),
  'x_unitDimension': tolist(x.attrs['unitDimension']),
  'counts_dtype': str(f['data/counts'].dtype),
  'step_values': tolist(f['axes/step/values'][()]),
  'meta': {k: (v.decode() if isinstance(v, bytes) else (int(v) if isinstance(v, np.integer) else str(v))) for k, v in f['meta'].attrs.items()},
  'hcm_values': tolist(f['meta/setpoints/HCM/values'][()]), 'hcm_unit': f['meta/setpoints/HCM/values'].attrs['unit'],
  'hcm_names': tolist(f['meta/setpoints/HCM/names'][()]), 'hcm_devices': f['meta/setpoints/HCM/devices'][()].tolist(),
  'quad_values': tolist(f['meta/setpoints/QUAD/values'][()]),
  'quad_unitDimension': tolist(f['meta/setpoints/QUAD/values'].attrs['unitDimension']),
}
print(json.dumps(out))
`,
      path,
    );
    expect(r.root).toMatchObject({
      openPMD: '2.0.0',
      openPMDextension: MEASUREMENT_EXTENSION,
      dataType: 'orbit_response_matrix',
      date: '2025-11-12T10:00:00.000Z',
      author: 'Ada Lovelace <ada@example.org>',
      software: 'mlayer',
    });
    expect((r.root as Record<string, string>).softwareVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.orm_dtype).toBe('float64');
    expect(r.orm_shape).toEqual([3, 2]);
    expect(r.orm).toEqual(ORM_3x2.flat());
    expect(r.orm_unitSI).toBe(1);
    expect(r.orm_unitDimension).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(r.orm_axisLabels).toEqual(['bpm', 'hcm']);
    expect(r.orm_dims).toEqual(['bpm', 'hcm']);
    expect(r.orm_dim1_names).toEqual(HCMS.names);
    expect(r.bpm_devices).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
    ]);
    expect(r.bpm_devices_dtype).toBe('int32');
    // Float32Array input is widened to float64, never the other way round.
    expect(r.x_dtype).toBe('float64');
    expect(r.x).toEqual([0.5, 0.25, 0.125]);
    expect(r.x_unit).toBe('mm');
    expect(r.x_unitSI).toBe(1e-3);
    expect(r.x_unitDimension).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(r.counts_dtype).toBe('int32');
    expect(r.step_values).toEqual([0, 1]);
    expect(r.meta).toEqual({
      facility: 'diamond-i04',
      facilityConfigSha256: CONFIG_SHA,
      latticeSha256: LATTICE_SHA,
      latticeFile: 'lattices/i04.mat',
      mode: 'twin',
      errorSeed: 4242,
    });
    expect(r.hcm_values).toEqual([0.125, -0.5]);
    expect(r.hcm_unit).toBe('A');
    expect(r.hcm_names).toEqual(['SR01C-HCM-01', 'SR01C-HCM-02']);
    expect(r.hcm_devices).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(r.quad_values).toEqual([1.2345678901234567]);
    expect(r.quad_unitDimension).toEqual([-2, 0, 0, 0, 0, 0, 0]);
  });

  it('reads its own files back with readMeasurement', async () => {
    const dir = tempDir();
    const path = join(dir, 'm.h5');
    await writeSample(path);
    const m = await readMeasurement(path);
    expect(m.mode).toBe('twin');
    expect(m.errorSeed).toBe(4242);
    expect(m.facility).toEqual({ name: 'diamond-i04', configSha256: CONFIG_SHA });
    expect(m.lattice).toEqual({ sha256: LATTICE_SHA, file: 'lattices/i04.mat' });
    expect(m.setpoints.map((s) => s.family)).toEqual(['HCM', 'QUAD']);
    expect(Array.from(m.setpoints[0].values)).toEqual([0.125, -0.5]);
    expect(m.setpoints[0].devices).toEqual([
      [1, 1],
      [1, 2],
    ]);
    const orm = m.dataset('orm');
    expect(orm.dtype).toBe('float64');
    expect(orm.shape).toEqual([3, 2]);
    expect(Array.from(orm.value as Float64Array)).toEqual(ORM_3x2.flat());
    expect(orm.axes.map((a) => a?.label)).toEqual(['bpm', 'hcm']);
    expect(orm.axes[0]?.devices).toEqual(BPMS.devices);
    expect(orm.axes[1]?.names).toEqual(HCMS.names);
    expect(m.dataset('orbit/x').unitSI).toBe(1e-3);
    expect(m.dataset('counts').dtype).toBe('int32');
    expect(() => m.dataset('nope')).toThrow(/no dataset 'nope'/);
  });

  it('writes an online (epics) measurement without error seed, taking setpoints keyed by family', async () => {
    const path = join(tempDir(), 'e.h5');
    const families = {
      BPMX: { devices: [[3, 4]] as const, names: ['BPM-3-4'], channels: ['SR03C-DI-EBPM-04:X'], values: [0.01], units: 'mm' },
    };
    const f = await MeasurementFile.create(path, header({ mode: 'epics', errorSeed: undefined, setpoints: families }));
    f.close();
    const m = await readMeasurement(path);
    expect(m.mode).toBe('epics');
    expect(m.errorSeed).toBeUndefined();
    expect(m.setpoints).toHaveLength(1);
    expect(m.setpoints[0]).toMatchObject({ family: 'BPMX', devices: [[3, 4]], names: ['BPM-3-4'], channels: ['SR03C-DI-EBPM-04:X'], unit: 'mm', unitSI: 1e-3 });
  });

  it('raises clear errors on bad input, and writes nothing', async () => {
    const dir = tempDir();
    await expect(MeasurementFile.create(join(dir, 'missing', 'sub', 'x.h5'), header())).rejects.toThrow(DataFileError);
    await expect(MeasurementFile.create(join(dir, 'missing', 'x.h5'), header())).rejects.toThrow(/directory '.*missing' does not exist/);
    await expect(MeasurementFile.create(join(dir, 'a.h5'), header({ errorSeed: undefined }))).rejects.toThrow(/error seed is required on the twin/);
    await expect(MeasurementFile.create(join(dir, 'a.h5'), header({ mode: 'epics' }))).rejects.toThrow(/only applies to mode 'twin'/);
    await expect(MeasurementFile.create(join(dir, 'a.h5'), header({ mode: 'sim' as never }))).rejects.toThrow(/header\.mode.*one of twin, epics, tango/);
    await expect(MeasurementFile.create(join(dir, 'a.h5'), header({ lattice: { sha256: 'abc' } }))).rejects.toThrow(/lattice\.sha256.*SHA-256/);
    await expect(MeasurementFile.create(join(dir, 'a.h5'), header({ date: '12/11/2025' }))).rejects.toThrow(/ISO 8601/);
    await expect(
      MeasurementFile.create(join(dir, 'a.h5'), header({ setpoints: [{ family: 'Q', devices: [[1, 1]], names: ['q'], values: [1, 2], unit: 'A' }] })),
    ).rejects.toThrow(/same length/);
    await expect(
      MeasurementFile.create(join(dir, 'a.h5'), header({ setpoints: [{ family: 'Q', devices: [[1, 1]], names: ['q'], values: ['1' as never], unit: 'A' }] })),
    ).rejects.toThrow(/values\[0\]: a float64 value must be a number \(got "1"\)/);
    await expect(MeasurementFile.create(join(dir, 'a.h5'), header({ attributes: { bad: { x: 1 } as never } }))).rejects.toThrow(DataValueError);
    expect(readdirSync(dir)).toEqual([]);

    const path = join(dir, 'm.h5');
    const f = await MeasurementFile.create(path, header());
    expect(() => f.writeDataset('n', [1, NaN, 3], { unit: '', dtype: 'int32' })).toThrow(/\/data\/n\[1\]: NaN where an integer \(int32\) is required/);
    expect(() => f.writeDataset('n', [1, 2.5], { unit: '', dtype: 'int32' })).toThrow(/\[1\]: an integer \(int32\) is required/);
    expect(() => f.writeDataset('n', [3e9], { unit: '', dtype: 'int32' })).toThrow(/outside the int32 range/);
    expect(() => f.writeDataset('o', [{ a: 1 }] as never, { unit: '' })).toThrow(/\/data\/o\[0\]: a float64 value must be a number/);
    expect(() => f.writeDataset('s', ['x'] as never, { unit: '' })).toThrow(/a float64 value must be a number \(got "x"\)/);
    expect(() => f.writeDataset('b', [1n] as never, { unit: '' })).toThrow(/bigint can only be stored as int64/);
    expect(() => f.writeDataset('r', [[1, 2], [3]], { unit: '' })).toThrow(/\/data\/r\[1\]: ragged array/);
    expect(() => f.writeDataset('f', [1], { unit: '', dtype: 'float32' as never })).toThrow(/float32 is not offered/);
    expect(() => f.writeDataset('u', [1], { unit: 'furlong' })).toThrow(/unknown unit: pass unitSI and unitDimension/);
    expect(() => f.writeDataset('u', [1], { unit: 'x', unitSI: 1 })).toThrow(/both unitSI and unitDimension/);
    expect(() => f.writeDataset('u', [1], { unit: 'x', unitSI: 1, unitDimension: [1, 0] as never })).toThrow(/7 finite numbers/);
    expect(() => f.writeDataset('a', [1, 2], { unit: '', axes: [{ label: 'bpm', names: ['only-one'] }] })).toThrow(/needs 2 names/);
    expect(() => f.writeDataset('a', [1, 2], { unit: '', axes: [{ label: 'bpm', devices: [[1, 1.5], [1, 2]] }] })).toThrow(/\[sector, index\] with two integers/);
    expect(() => f.writeDataset('bad/../x', [1], { unit: '' })).not.toThrow(); // '..' is a legal HDF5 link name
    expect(() => f.writeDataset('a', [1, 2], { unit: '', shape: [3] })).toThrow(/shape holds 3 elements but the data has 2/);
    f.writeDataset('ok', [1, 2], { unit: '', axes: [{ label: 'pair', names: ['a', 'b'] }] });
    expect(() => f.writeDataset('ok', [1, 2], { unit: '' })).toThrow(/exists already/);
    expect(() => f.writeDataset('ok2', [1, 2], { unit: '', axes: [{ label: 'pair', names: ['a', 'c'] }] })).toThrow(/axis of this label exists with different/);
    // None of the refused writes left a dataset behind.
    f.close();
    const m = await readMeasurement(path);
    expect(m.datasets.map((d) => d.path).sort()).toEqual(['bad/../x', 'ok']);
    // Writing after close is refused; an existing file is not replaced unless asked.
    expect(() => f.writeDataset('late', [1], { unit: '' })).toThrow(/closed/);
    await expect(MeasurementFile.create(path, header())).rejects.toThrow(/exists already/);
    const g = await MeasurementFile.create(path, header({ dataType: 'replaced' }), { overwrite: true });
    g.close();
    expect((await readMeasurement(path)).dataType).toBe('replaced');
  });

  it('abort() leaves nothing behind, and reading a non-HDF5 file is a clear error', async () => {
    const dir = tempDir();
    const f = await MeasurementFile.create(join(dir, 'x.h5'), header());
    f.abort();
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, 'junk.h5'), 'not hdf5');
    await expect(readMeasurement(join(dir, 'junk.h5'))).rejects.toThrow(/not a readable HDF5 file/);
    await expect(readMeasurement(join(dir, 'none.h5'))).rejects.toThrow(/no such file/);
  });
});
