/**
 * The fit parameters a FIT.yaml switches on, in the order the normal equations
 * want them: gradient groups (dense), BPM gains and couplings (one row each),
 * corrector kicks, couplings, energy shifts and the RF step (one column each).
 */
import type { LocoOrm } from './orm-file.js';
import type { FitSpec, Switch } from './fit-file.js';
import type { FitState, Layout, Plane } from './model-matrix.js';

export type ParameterKind = 'quadrupole' | 'skewQuadrupole' | 'bpmGain' | 'bpmCoupling' | 'correctorKick' | 'correctorCoupling' | 'energyShift' | 'rf';

export interface FitParameter {
  readonly kind: ParameterKind;
  /** Group, BPM or corrector name ('RF' for the RF step). */
  readonly name: string;
  /** Reading plane (BPM parameters) or kick plane (corrector parameters). */
  readonly plane?: Plane;
  /** Index into the state array of its kind: group, row, or column. */
  readonly index: number;
  readonly structure: 'dense' | 'row' | 'column';
  /** Prior weight (1/σ of the pull towards the start value), when given. */
  readonly weight?: number;
}

export function fitParameters(orm: LocoOrm, spec: FitSpec, layout: Layout): FitParameter[] {
  const out: FitParameter[] = [];
  const w = (s: Switch | undefined) => (s?.weight !== undefined && s.weight > 0 ? { weight: s.weight } : {});
  spec.fit.quadrupoles.forEach((g, k) => out.push({ kind: 'quadrupole', name: g.name, index: k, structure: 'dense', ...w(g) }));
  const nq = spec.fit.quadrupoles.length;
  spec.fit.skewQuadrupoles.forEach((g, k) => out.push({ kind: 'skewQuadrupole', name: g.name, index: nq + k, structure: 'dense', ...w(g) }));
  const nb = layout.nb;
  const rows = (kind: ParameterKind, s: Switch | undefined) => {
    if (!s) return;
    for (const [p, o] of [['x', 0], ['y', nb]] as const) orm.bpms.forEach((b, i) => out.push({ kind, name: b.name, plane: p, index: o + i, structure: 'row', ...w(s) }));
  };
  rows('bpmGain', spec.fit.bpmGains);
  rows('bpmCoupling', spec.fit.bpmCouplings);
  const columns = (kind: ParameterKind, s: Switch | undefined, planes: readonly Plane[]) => {
    if (!s) return;
    for (const p of planes) {
      const o = p === 'x' ? 0 : layout.ncx;
      orm.correctors[p].forEach((c, j) => out.push({ kind, name: c.name, plane: p, index: o + j, structure: 'column', ...w(s) }));
    }
  };
  columns('correctorKick', spec.fit.correctorKicks, ['x', 'y']);
  columns('correctorCoupling', spec.fit.correctorCouplings, ['x', 'y']);
  columns('energyShift', spec.fit.energyShifts, ['x']);
  if (spec.fit.rf) out.push({ kind: 'rf', name: 'RF', index: layout.dispersionColumn, structure: 'column', ...w(spec.fit.rf) });
  return out;
}

/** The state array each kind of parameter lives in (the RF step is the state's one scalar). */
const ARRAY_OF: Record<Exclude<ParameterKind, 'rf'>, Exclude<keyof FitState, 'rfStep'>> = {
  quadrupole: 'dk',
  skewQuadrupole: 'dk',
  bpmGain: 'gain',
  bpmCoupling: 'coupling',
  correctorKick: 'kick',
  correctorCoupling: 'kickCoupling',
  energyShift: 'energy',
};

/** The value of a parameter in a state. */
export function valueOf(p: FitParameter, s: FitState): number {
  return p.kind === 'rf' ? s.rfStep : s[ARRAY_OF[p.kind]][p.index];
}

/** Adds `delta` to a parameter of a state. */
export function addTo(p: FitParameter, s: FitState, delta: number): void {
  if (p.kind === 'rf') s.rfStep += delta;
  else s[ARRAY_OF[p.kind]][p.index] += delta;
}

/** A short label for messages: 'QF1A', 'BPM_01 x gain', 'SD1A x kick'. */
export function labelOf(p: FitParameter): string {
  const what: Record<ParameterKind, string> = {
    quadrupole: 'ΔK',
    skewQuadrupole: 'skew ΔK',
    bpmGain: 'gain',
    bpmCoupling: 'coupling',
    correctorKick: 'kick',
    correctorCoupling: 'coupling',
    energyShift: 'energy shift',
    rf: 'step',
  };
  return `${p.name}${p.plane ? ` ${p.plane}` : ''} ${what[p.kind]}`;
}
