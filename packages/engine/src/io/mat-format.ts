/**
 * AT lattices in MATLAB v5 .mat files: a cell array of element structs in a
 * variable (RING, else THERING, else the only variable, or the one named by the
 * caller). Values are cleaned as pyAT does: 1x1 arrays become numbers, char
 * arrays strings, 1x1 structs records, other arrays lose their singleton
 * dimensions (a 1xN or Nx1 array is a flat vector, an MxN one a list of rows);
 * then the known fields get their AT shapes (R1 6x6, T1 6, PolynomB flat...).
 *
 * Saving writes a (1, N+1) cell array RING whose first cell is a RingParam
 * element with the ring properties, like pyAT's save_mat.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AtElement, FieldValue, Lattice } from '../lattice.js';
import { elementFromRecord, fileClassName } from './element-classes.js';
import { ElementDataError, LatticeFileError } from './errors.js';
import { assembleLattice } from './lattice-assembly.js';
import { MatFormatError, readMat5, writeMat5, type MatValue } from './mat-v5.js';

export interface MatLoadOptions {
  /** Name of the variable holding the lattice (default: RING, else THERING, else the only variable). */
  readonly variable?: string;
}

function squeezeDims(dims: readonly number[]): number[] {
  return dims.filter((d) => d !== 1);
}

/** Column-major data reshaped to nested row-major lists over the given dims. */
function nest<T>(get: (linear: number) => T, dims: readonly number[], fullDims: readonly number[]): (T | unknown[])[] | T[] {
  // Strides of the original column-major layout, restricted to non-singleton dims.
  const strides: number[] = [];
  let s = 1;
  for (const d of fullDims) {
    if (d !== 1) strides.push(s);
    s *= d;
  }
  const build = (level: number, offset: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < dims[level]; i++) {
      const off = offset + i * strides[level];
      out.push(level === dims.length - 1 ? get(off) : build(level + 1, off));
    }
    return out;
  };
  return build(0, 0) as T[];
}

/** pyAT's `mclean`: a MAT value as a field value. */
export function matToField(v: MatValue): FieldValue {
  switch (v.kind) {
    case 'char':
      return v.text.split('\n')[0] ?? '';
    case 'numeric': {
      if (v.data.length === 1) return v.data[0];
      const dims = squeezeDims(v.dims);
      if (dims.length === 0) return [];
      if (dims.length === 1) return Array.from(v.data);
      return nest((i) => v.data[i], dims, v.dims) as FieldValue;
    }
    case 'struct': {
      const recs = v.data.map((r) => {
        const o: Record<string, FieldValue> = {};
        for (const f of v.fields) o[f] = matToField(r[f]);
        return o;
      });
      return recs.length === 1 ? recs[0] : recs;
    }
    case 'cell':
      return v.data.map(matToField);
  }
}

function pickVariable(vars: Map<string, MatValue>, file: string, wanted?: string): MatValue {
  const names = [...vars.keys()];
  const name = wanted ?? (vars.has('RING') ? 'RING' : vars.has('THERING') ? 'THERING' : names.length === 1 ? names[0] : undefined);
  if (name === undefined || !vars.has(name)) {
    throw new LatticeFileError(
      file,
      `${wanted ? `variable '${wanted}' not found` : 'no RING or THERING variable and more than one variable'}; variables: ${names.join(', ') || '(none)'}`,
    );
  }
  return vars.get(name) as MatValue;
}

/** Parses the contents of a .mat file into a Lattice. */
export function parseMatLattice(buf: Buffer, file: string, options: MatLoadOptions = {}): Lattice {
  let vars: Map<string, MatValue>;
  try {
    vars = readMat5(buf);
  } catch (e) {
    if (e instanceof MatFormatError) throw new LatticeFileError(file, e.message, {}, { cause: e });
    throw e;
  }
  const ring = pickVariable(vars, file, options.variable);
  let cells: readonly MatValue[];
  if (ring.kind === 'cell') cells = ring.data;
  else if (ring.kind === 'struct' && ring.data.length > 0) {
    cells = ring.data.map((d) => ({ kind: 'struct', dims: [1, 1], fields: ring.fields, data: [d] }) as MatValue);
  } else throw new LatticeFileError(file, `the lattice variable is a ${ring.kind} array, not a cell array of element structs`);

  const loaded: AtElement[] = cells.map((c, i) => {
    if (c.kind !== 'struct' || c.data.length !== 1) {
      throw new LatticeFileError(file, `expected a 1x1 element struct, got a ${c.kind} array of size ${c.dims.join('x')}`, { element: i });
    }
    const rec = matToField(c) as Record<string, FieldValue>;
    return recordToElement(rec, file, i);
  });
  return assembleLattice(loaded, { file });
}

/** Checks the mandatory fields of an element record and builds the element; errors name the element index. */
export function recordToElement(rec: Record<string, FieldValue>, file: string, index: number): AtElement {
  if (typeof rec.FamName !== 'string') {
    throw new LatticeFileError(file, `element has no FamName string (fields: ${Object.keys(rec).join(', ')})`, { element: index });
  }
  if (typeof rec.PassMethod !== 'string') {
    throw new LatticeFileError(file, `element '${rec.FamName}' has no PassMethod`, { element: index });
  }
  try {
    return elementFromRecord(rec);
  } catch (e) {
    if (e instanceof ElementDataError) throw new LatticeFileError(file, e.message, { element: index }, { cause: e });
    throw e;
  }
}

export function loadMatLattice(path: string, options: MatLoadOptions = {}): Lattice {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new LatticeFileError(path, `cannot read: ${(e as Error).message}`, {}, { cause: e });
  }
  return parseMatLattice(buf, path, options);
}

// ---------------------------------------------------------------- writing

function isNumberArray(v: readonly unknown[]): v is number[] {
  return v.every((x) => typeof x === 'number');
}

function isMatrix(v: readonly unknown[]): v is number[][] {
  return v.length > 0 && v.every((r) => Array.isArray(r) && isNumberArray(r)) && v.every((r) => (r as number[]).length === (v[0] as number[]).length);
}

/** A field value as a MAT value (numbers as doubles, vectors as 1xN rows). */
export function fieldToMat(v: FieldValue | undefined): MatValue {
  if (v === undefined) return { kind: 'numeric', dims: [0, 0], data: new Float64Array(0), logical: false };
  if (typeof v === 'number') return { kind: 'numeric', dims: [1, 1], data: Float64Array.of(v), logical: false };
  if (typeof v === 'boolean') return { kind: 'numeric', dims: [1, 1], data: Float64Array.of(v ? 1 : 0), logical: true };
  if (typeof v === 'string') return { kind: 'char', dims: [1, v.length], text: v };
  if (Array.isArray(v)) {
    if (isNumberArray(v)) return { kind: 'numeric', dims: [1, v.length], data: Float64Array.from(v), logical: false };
    if (isMatrix(v)) {
      const m = v.length;
      const n = v[0].length;
      const data = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) data[i + j * m] = v[i][j];
      return { kind: 'numeric', dims: [m, n], data, logical: false };
    }
    return { kind: 'cell', dims: [1, v.length], data: v.map((x) => fieldToMat(x)) };
  }
  const rec = v as Record<string, FieldValue>;
  const fields = Object.keys(rec);
  const data: Record<string, MatValue> = {};
  for (const f of fields) data[f] = fieldToMat(rec[f]);
  return { kind: 'struct', dims: [1, 1], fields, data: [data] };
}

function structOf(rec: Record<string, FieldValue | undefined>): MatValue {
  const fields = Object.keys(rec).filter((k) => rec[k] !== undefined);
  const data: Record<string, MatValue> = {};
  for (const f of fields) data[f] = fieldToMat(rec[f]);
  return { kind: 'struct', dims: [1, 1], fields, data: [data] };
}

/** The RingParam element pyAT writes in front of the elements. */
export function ringParamRecord(lattice: Lattice): Record<string, FieldValue> {
  const p = lattice.properties;
  const rec: Record<string, FieldValue> = {
    FamName: p.name,
    Length: 0,
    PassMethod: 'IdentityPass',
    Energy: p.energy,
    Periodicity: p.periodicity,
    Particle: { name: p.particle.name, rest_energy: p.particle.rest_energy, charge: p.particle.charge },
    beam_current: p.beam_current ?? 0,
  };
  if (p.harmonic_number !== undefined) rec.cell_harmnumber = p.harmonic_number / p.periodicity;
  for (const [k, v] of Object.entries(p)) {
    if (['name', 'energy', 'periodicity', 'particle', 'harmonic_number', 'beam_current', 'nbunch'].includes(k)) continue;
    if (v !== undefined) rec[k] = v as FieldValue;
  }
  rec.Class = 'RingParam';
  return rec;
}

export function elementRecordForFile(el: AtElement): Record<string, FieldValue> {
  const rec: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(el)) if (v !== undefined && k !== 'Class') rec[k] = v;
  if (el.Class !== undefined) rec.Class = fileClassName(el.Class);
  return rec;
}

/** Serialises a lattice to a .mat file image (variable RING). */
export function formatMatLattice(lattice: Lattice, variable = 'RING'): Buffer {
  const cells: MatValue[] = [structOf(ringParamRecord(lattice)), ...lattice.elements.map((el) => structOf(elementRecordForFile(el)))];
  return writeMat5(new Map([[variable, { kind: 'cell', dims: [1, cells.length], data: cells }]]));
}

export function saveMatLattice(path: string, lattice: Lattice): void {
  writeFileSync(path, formatMatLattice(lattice));
}
