/**
 * The model orbit a corrector family moves: per physics unit of each enabled corrector, at chosen
 * lattice elements (one ORM computation of the model), and in a quadrupole (entrance and exit
 * averaged). Used by the parallel plan's bumps and by the centring after BBA.
 */
import type { Family, LatticeModel } from '@mlayer/core';
import type { Plane } from './configure.js';

export interface CorrectorOrbit {
  /** Orbit at lattice element `el` (one of those asked for) per physics unit of each corrector. */
  rowAt(el: number): Float64Array;
  /** Orbit in the quadrupole at element `q` (the mean of elements q and q + 1, both asked for). */
  quadRow(q: number): Float64Array;
}

/** `cor`: the family's enabled devices; `elements`: the lattice elements rowAt and quadRow will be asked about. */
export function correctorOrbit(model: LatticeModel, cor: Family, plane: Plane, elements: readonly number[]): CorrectorOrbit {
  const corEls = cor.latticeElements(model);
  const scale = cor.modelParameters(model).map((s) => s.scale);
  const orm = model.orbitResponse([...new Set(elements)].sort((a, b) => a - b), [...new Set(corEls)].sort((a, b) => a - b));
  const blk = plane === 'x' ? orm.Rxx : orm.Ryy;
  const rowOf = new Map(orm.bpms.map((e, i) => [e, i]));
  const colOf = new Map(orm.correctors.map((e, i) => [e, i]));
  const rowAt = (el: number) => Float64Array.from(corEls, (c, j) => blk[rowOf.get(el)!][colOf.get(c)!] * scale[j]);
  const quadRow = (q: number) => {
    const [a, b] = [rowAt(q), rowAt(q + 1)];
    return a.map((v, j) => (v + b[j]) / 2);
  };
  return { rowAt, quadRow };
}
