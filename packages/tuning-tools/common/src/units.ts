/** unitSI and unitDimension of composite unit strings ('m/A', 'mm/mrad', 'm^-3', 'm/Hz') for measurement files. */
import { type UnitDimension, lookupUnit } from '@mlayer/core';
import { TuningError } from './errors.js';

export interface UnitInfo {
  readonly unit: string;
  readonly unitSI: number;
  readonly unitDimension: UnitDimension;
}

function factor(token: string, unit: string): { si: number; dim: number[] } {
  const direct = lookupUnit(token);
  if (direct) return { si: direct.unitSI, dim: [...direct.unitDimension] };
  const m = /^([^\^]+?)\^?(-?\d+)$/.exec(token);
  if (m) {
    const base = lookupUnit(m[1]);
    if (base) {
      const p = Number(m[2]);
      return { si: base.unitSI ** p, dim: base.unitDimension.map((d) => d * p) };
    }
  }
  throw new TuningError(`unit '${unit}': '${token}' is not a known unit symbol; cannot store it with unitSI and unitDimension`);
}

/** Parses 'a/b', 'a*b', 'a.b', 'x^n', '1/x' over the units the data module knows. */
export function unitInfo(unit: string): UnitInfo {
  const known = lookupUnit(unit);
  if (known) return { unit, unitSI: known.unitSI, unitDimension: known.unitDimension };
  const [num, ...dens] = unit.split('/');
  let si = 1;
  const dim = [0, 0, 0, 0, 0, 0, 0];
  const apply = (part: string, sign: 1 | -1): void => {
    for (const tok of part.split(/[*·]/).map((t) => t.trim())) {
      if (tok === '' || tok === '1') continue;
      const f = factor(tok, unit);
      si *= f.si ** sign;
      f.dim.forEach((d, i) => (dim[i] += sign * d));
    }
  };
  apply(num, 1);
  for (const d of dens) apply(d, -1);
  return { unit, unitSI: si, unitDimension: dim as unknown as UnitDimension };
}

/** The unit of a ratio a/b ('' parts are dimensionless). */
export function ratioUnit(a: string, b: string): UnitInfo {
  const ua = unitInfo(a);
  const ub = unitInfo(b);
  const name = b === '' ? a : `${a === '' ? '1' : a}/${b}`;
  return { unit: name, unitSI: ua.unitSI / ub.unitSI, unitDimension: ua.unitDimension.map((d, i) => d - ub.unitDimension[i]) as unknown as UnitDimension };
}

/** The unit options of a dataset of measurement files (unit, unitSI, unitDimension). */
export function datasetUnit(u: UnitInfo): { unit: string; unitSI: number; unitDimension: UnitDimension } {
  return { unit: u.unit, unitSI: u.unitSI, unitDimension: u.unitDimension };
}
