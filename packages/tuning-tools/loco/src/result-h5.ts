/**
 * A LOCO fit's result as an HDF5 measurement file (`mlayer loco fit --orm
 * orm.h5 --save FIT.h5`, dataType 'loco_fit'): its /meta is the provenance of
 * the orbit-tool measurement file it fitted (facility, lattice, mode, error
 * seed, setpoints); the root attributes name the input files with their SHA-256
 * and hold the FIT.yaml text, so the fit can be redone.
 *
 * ```
 * /data/quadrupoles/{delta, sigma, value, elements, elementCounts}   (skewQuadrupoles the same)
 * /data/bpms/{gainX, gainY, couplingX, couplingY} (+ ...Sigma where fitted)
 * /data/correctors/{kickX, kickY, couplingX, couplingY, energyShift} (+ ...Sigma where fitted)
 * /data/iterations/{iteration, chi2, dof, chi2PerDof, residualRms, lambda, singularValuesKept,
 *                   singularValues, outliersRemoved, betaBeatX, betaBeatY, dispersionBeatX, dispersionBeatY}
 * /data/parameters/{kind, name, plane, value [iteration, parameter], sigma [iteration, parameter]}
 * ```
 * Empty lists are left out; NaN stands for null (a group value, λ, a 1σ).
 */
import { readFileSync } from 'node:fs';
import { type DatasetRecord, MeasurementFile, type ProvenanceRead, readMeasurement, sha256File } from '@mlayer/data';
import { LocoFileError } from './errors.js';
import type { GroupResult, IterationRecord, LocoResult, ParameterValue } from './fit.js';
import type { ParameterKind } from './parameters.js';
import { FIT_RESULT_FORMAT, type FitResultInputs, readFitResult } from './result-file.js';

export const FIT_DATA_TYPE = 'loco_fit';

/** A saved fit as read back from either format (.json or .h5): the result without the fitted model and the residual matrix (the inputs give both). */
export interface SavedFit extends Omit<LocoResult, 'model' | 'residual'> {
  readonly format: typeof FIT_RESULT_FORMAT;
  readonly version: 1;
  readonly date?: string;
  readonly inputs?: FitResultInputs;
  /** HDF5 only: the provenance of the fitted ORM file, the inputs' SHA-256 and the FIT.yaml text. */
  readonly provenance?: ProvenanceRead;
  readonly inputsSha256?: FitResultInputs;
  readonly fitParameters?: string;
}

export const isH5Path = (path: string): boolean => /\.(h5|hdf5)$/i.test(path);

const nanOf = (v: number | null) => (v === null ? Number.NaN : v);
const nullOf = (v: number) => (Number.isNaN(v) ? null : v);

/**
 * Writes the result as a measurement file with the provenance of `inputs.orm`, which must be an
 * orbit-tool measurement file (HDF5): an ORM.json carries no machine provenance.
 */
export async function saveFitResultH5(path: string, res: LocoResult, inputs: FitResultInputs, options: { author?: string } = {}): Promise<string> {
  if (!isH5Path(inputs.orm)) {
    throw new LocoFileError(path, '', `an HDF5 result needs the machine provenance of an orbit-tool measurement file, and the ORM ${inputs.orm} has none; write JSON with --save FILE.json`);
  }
  const orm = await readMeasurement(inputs.orm);
  const fitText = readFileSync(inputs.parameters, 'utf8');
  const setpoints = orm.setpoints.map((s) => ({ family: s.family, devices: s.devices, names: s.names, values: s.values, unit: s.unit, ...(s.channels ? { channels: s.channels } : {}) }));
  const attributes: Record<string, string | number | string[]> = {
    fitFormat: FIT_RESULT_FORMAT,
    fitVersion: 1,
    inputLattice: inputs.lattice,
    inputLatticeSha256: sha256File(inputs.lattice),
    inputOrm: inputs.orm,
    inputOrmSha256: sha256File(inputs.orm),
    inputParameters: inputs.parameters,
    inputParametersSha256: sha256File(inputs.parameters),
    fitParameters: fitText,
    residualRms: res.residualRms,
    chi2PerDof: res.chi2PerDof,
    rfStep: nanOf(res.rfStep),
  };
  if (res.notes.length > 0) attributes.notes = [...res.notes];
  const f = await MeasurementFile.create(
    path,
    {
      dataType: FIT_DATA_TYPE,
      author: options.author ?? orm.author,
      description: `LOCO fit of ${inputs.orm} on ${inputs.lattice} with ${inputs.parameters}`,
      facility: orm.facility,
      lattice: orm.lattice,
      mode: orm.mode,
      ...(orm.errorSeed !== undefined ? { errorSeed: orm.errorSeed } : {}),
      setpoints,
      attributes,
    },
    { overwrite: true }, // the CLI refuses an existing file unless --force; an API caller names its file
  );
  try {
    const put = (p: string, v: readonly number[], unit: string, description?: string, dtype?: 'int32') => {
      if (v.length > 0) f.writeDataset(p, v, { unit, ...(description ? { description } : {}), ...(dtype ? { dtype } : {}) });
    };
    for (const [key, unit] of [['quadrupoles', '1/m^2'], ['skewQuadrupoles', '1/m^2']] as const) {
      const g = res[key];
      if (g.length === 0) continue;
      const axis = { label: key, names: g.map((q) => q.name) };
      for (const [field, get, what] of [['delta', (q: GroupResult) => q.delta, 'fitted ΔK'], ['sigma', (q: GroupResult) => q.sigma, '1σ of ΔK'], ['value', (q: GroupResult) => nanOf(q.value), 'design + ΔK (NaN where the elements differ)']] as const) {
        f.writeDataset(`${key}/${field}`, g.map(get), { unit, description: what, axes: [axis] });
      }
      put(`${key}/elements`, g.flatMap((q) => [...q.elements]), '', 'lattice elements of the groups, concatenated', 'int32');
      put(`${key}/elementCounts`, g.map((q) => q.elements.length), '', 'elements per group', 'int32');
    }
    const last = res.iterations[res.iterations.length - 1];
    const sigmas = (kind: ParameterKind, plane: 'x' | 'y') => last.parameters.filter((p) => p.kind === kind && p.plane === plane).map((p) => p.sigma);
    const planes = (base: string, v: { x: number[]; y: number[] }, unit: string, kind: ParameterKind) => {
      for (const p of ['x', 'y'] as const) {
        const P = p.toUpperCase();
        put(`${base}${P}`, v[p], unit);
        const s = sigmas(kind, p);
        if (s.length === v[p].length) put(`${base}${P}Sigma`, s, unit, '1σ');
      }
    };
    planes('bpms/gain', res.bpmGains, '', 'bpmGain');
    planes('bpms/coupling', res.bpmCouplings, '', 'bpmCoupling');
    planes('correctors/kick', res.correctorKicks, 'rad', 'correctorKick');
    planes('correctors/coupling', res.correctorCouplings, '', 'correctorCoupling');
    put('correctors/energyShift', res.energyShifts, '', 'δ per step of the x correctors');
    const its = res.iterations;
    const col = (p: string, get: (r: IterationRecord) => number, unit = '', dtype?: 'int32') => put(`iterations/${p}`, its.map(get), unit, undefined, dtype);
    col('iteration', (r) => r.iteration, '', 'int32');
    col('chi2', (r) => r.chi2);
    col('dof', (r) => r.dof, '', 'int32');
    col('chi2PerDof', (r) => r.chi2PerDof);
    col('residualRms', (r) => r.residualRms, 'm');
    col('lambda', (r) => nanOf(r.lambda));
    col('singularValuesKept', (r) => r.singularValuesKept, '', 'int32');
    col('singularValues', (r) => r.singularValues, '', 'int32');
    col('outliersRemoved', (r) => r.outliersRemoved, '', 'int32');
    col('betaBeatX', (r) => r.betaBeat.x);
    col('betaBeatY', (r) => r.betaBeat.y);
    col('dispersionBeatX', (r) => r.dispersionBeat.x, 'm');
    col('dispersionBeatY', (r) => r.dispersionBeat.y, 'm');
    const params = last.parameters;
    if (params.length > 0) {
      if (its.some((r) => r.parameters.length !== params.length)) throw new LocoFileError(path, 'iterations', 'records differ in their parameter lists; cannot be tabulated');
      f.writeStrings('parameters/kind', params.map((p) => p.kind));
      f.writeStrings('parameters/name', params.map((p) => p.name));
      f.writeStrings('parameters/plane', params.map((p) => p.plane ?? ''));
      const shape = [its.length, params.length];
      const what = 'per iteration and parameter (units by kind: quadrupole 1/m^2, correctorKick rad, others 1)';
      f.writeDataset('parameters/value', Float64Array.from(its.flatMap((r) => r.parameters.map((p) => p.value))), { unit: '', shape, description: what });
      f.writeDataset('parameters/sigma', Float64Array.from(its.flatMap((r) => r.parameters.map((p) => p.sigma))), { unit: '', shape, description: `1σ ${what}` });
    }
  } catch (e) {
    f.abort();
    throw e;
  }
  return f.close();
}

/** Reads a result written by {@link saveFitResultH5}. */
export async function readFitResultH5(path: string): Promise<SavedFit> {
  const m = await readMeasurement(path);
  if (m.dataType !== FIT_DATA_TYPE) throw new LocoFileError(path, 'dataType', `is not a LOCO fit (expected '${FIT_DATA_TYPE}')`, m.dataType);
  const has = new Set(m.datasets.map((d) => d.path));
  const num = (p: string): number[] => (has.has(p) ? Array.from(m.dataset(p).value as ArrayLike<number>, Number) : []);
  const strs = (p: string): string[] => (has.has(p) ? ((m.dataset(p) as DatasetRecord).value as string[]) : []);
  const a = m.attributes;
  const text = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : '');
  const groups = (key: string): GroupResult[] => {
    const names = has.has(`${key}/delta`) ? (m.dataset(`${key}/delta`).axes[0]?.names ?? []) : [];
    const delta = num(`${key}/delta`), sigma = num(`${key}/sigma`), value = num(`${key}/value`), elements = num(`${key}/elements`), counts = num(`${key}/elementCounts`);
    let at = 0;
    return names.map((name, i) => {
      const el = elements.slice(at, at + counts[i]);
      at += counts[i];
      return { name, elements: el, delta: delta[i], sigma: sigma[i], value: nullOf(value[i]) };
    });
  };
  const it = (p: string) => num(`iterations/${p}`);
  const kinds = strs('parameters/kind'), pnames = strs('parameters/name'), pplanes = strs('parameters/plane');
  const pv = num('parameters/value'), ps = num('parameters/sigma');
  const P = kinds.length;
  const [lambda, chi2, dof, chi2PerDof, rms, kept, svs, out, bx, by, dx, dy] = ['lambda', 'chi2', 'dof', 'chi2PerDof', 'residualRms', 'singularValuesKept', 'singularValues', 'outliersRemoved', 'betaBeatX', 'betaBeatY', 'dispersionBeatX', 'dispersionBeatY'].map(it);
  const iterations: IterationRecord[] = it('iteration').map((n, i) => ({
    iteration: n,
    chi2: chi2[i],
    dof: dof[i],
    chi2PerDof: chi2PerDof[i],
    residualRms: rms[i],
    lambda: nullOf(lambda[i]),
    singularValuesKept: kept[i],
    singularValues: svs[i],
    outliersRemoved: out[i],
    parameters: kinds.map((kind, k): ParameterValue => ({ kind: kind as ParameterKind, name: pnames[k], ...(pplanes[k] ? { plane: pplanes[k] as 'x' | 'y' } : {}), value: pv[i * P + k], sigma: ps[i * P + k] })),
    betaBeat: { x: bx[i], y: by[i] },
    dispersionBeat: { x: dx[i], y: dy[i] },
  }));
  const xy = (base: string) => ({ x: num(`${base}X`), y: num(`${base}Y`) });
  const rf = typeof a.rfStep === 'number' ? nullOf(a.rfStep) : null;
  const notes = Array.isArray(a.notes) ? (a.notes as string[]) : typeof a.notes === 'string' ? [a.notes] : [];
  return {
    format: FIT_RESULT_FORMAT,
    version: 1,
    date: m.date,
    inputs: { lattice: text('inputLattice'), orm: text('inputOrm'), parameters: text('inputParameters') },
    inputsSha256: { lattice: text('inputLatticeSha256'), orm: text('inputOrmSha256'), parameters: text('inputParametersSha256') },
    fitParameters: text('fitParameters'),
    provenance: { facility: m.facility, lattice: m.lattice, mode: m.mode, ...(m.errorSeed !== undefined ? { errorSeed: m.errorSeed } : {}), setpoints: m.setpoints },
    iterations,
    quadrupoles: groups('quadrupoles'),
    skewQuadrupoles: groups('skewQuadrupoles'),
    bpmGains: xy('bpms/gain'),
    bpmCouplings: xy('bpms/coupling'),
    correctorKicks: xy('correctors/kick'),
    correctorCouplings: xy('correctors/coupling'),
    energyShifts: num('correctors/energyShift'),
    rfStep: rf,
    residualRms: a.residualRms as number,
    chi2PerDof: a.chi2PerDof as number,
    notes,
  };
}

/** A saved fit from FILE.h5 or FILE.json (the JSON checked by readFitResult). */
export async function readSavedFit(path: string): Promise<SavedFit> {
  if (isH5Path(path)) return readFitResultH5(path);
  readFitResult(path); // checks the format and the groups
  return JSON.parse(readFileSync(path, 'utf8')) as SavedFit;
}
