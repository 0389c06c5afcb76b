/**
 * The truth of beam-based alignment, for tests (never for the tool): where a BPM
 * reads when the beam passes through a quadrupole's magnetic centre, the orbit
 * moved by a given corrector (as a BBA measurement moves it). "Through the centre"
 * means the beam's offset from the magnetic axis integrates to zero over the
 * (thick, hard-edge) quadrupole: then a change of its gradient kicks nothing.
 */
import { MlayerError, type LatticeModel, type ParameterRef } from '@mlayer/core';
import type { AppliedErrors } from './error-model.js';

export interface BbaTruthQuery {
  /** BPM family (its plane is the plane of the truth) and the device's index in the facility's family. */
  readonly bpmFamily: string;
  readonly bpmIndex: number;
  /** Lattice element of that BPM. */
  readonly bpmElement: number;
  readonly plane: 'x' | 'y';
  /** Lattice element of the quadrupole. */
  readonly quadElement: number;
  /** The corrector's model parameter (element, KickAngle, index) that moves the orbit. */
  readonly corrector: ParameterRef;
}

/** What the twin holds that the truth needs (TwinControlSystem's machineModel and appliedErrors). */
export interface BbaTruthSource {
  readonly machineModel: LatticeModel;
  readonly appliedErrors: AppliedErrors | undefined;
}

/** ∫(x − centre) ds over a thick quadrupole from the orbit (x, x') at its entrance, with K the focusing strength in this plane. */
function quadIntegral(x: number, xp: number, centre: number, K: number, L: number): number {
  const u = x - centre;
  if (Math.abs(K) < 1e-12) return u * L + (xp * L * L) / 2;
  const r = Math.sqrt(Math.abs(K));
  const phi = r * L;
  if (K > 0) return (u * Math.sin(phi)) / r + (xp * (1 - Math.cos(phi))) / K;
  return (u * Math.sinh(phi)) / r + (xp * (Math.cosh(phi) - 1)) / -K;
}

/** A quadrupole's magnetic centre in plane p (m, from its T1 misalignment) and its focusing strength K in that plane. */
function quadCentre(model: LatticeModel, element: number, p: 0 | 1): { centre: number; K: number } {
  let centre = 0;
  try {
    centre = -model.getParameter({ element, field: 'T1', index: 2 * p });
  } catch {
    // No T1: the quadrupole is on the axis.
  }
  if (!Number.isFinite(centre)) centre = 0;
  const k1 = model.getParameter({ element, field: 'PolynomB', index: 1 });
  return { centre, K: p === 0 ? k1 : -k1 };
}

/**
 * The BPM reading (m, noise-free; offset and gain of the twin's error set, no
 * rotation) when the orbit, moved by the corrector from where it is now, passes
 * through the quadrupole's magnetic centre. Two Newton steps on a copy of the machine model.
 */
export function bbaTruth(twin: BbaTruthSource, q: BbaTruthQuery): number {
  const model = twin.machineModel.clone();
  const p = q.plane === 'x' ? 0 : 1;
  const el = model.element(q.quadElement);
  const { centre, K } = quadCentre(model, q.quadElement, p);
  const at = (): { f: number; xb: number } => {
    const [cq, cb] = model.closedOrbit([q.quadElement, q.bpmElement]);
    const order = q.quadElement <= q.bpmElement;
    const oq = order ? cq : cb;
    const ob = q.quadElement === q.bpmElement ? cq : order ? cb : cq;
    return { f: quadIntegral(oq[2 * p], oq[2 * p + 1], centre, K, el.length), xb: ob[2 * p] };
  };
  const theta0 = model.getParameter(q.corrector);
  let theta = theta0;
  let now = at();
  const h = 1e-5;
  for (let iter = 0; iter < 3; iter++) {
    model.setParameter(q.corrector, theta + h);
    const moved = at();
    const dfdt = (moved.f - now.f) / h;
    if (dfdt === 0) throw new MlayerError(`bbaTruth: the corrector at element ${q.corrector.element} does not move the beam in quadrupole ${q.quadElement} (${q.plane})`);
    theta -= now.f / dfdt;
    model.setParameter(q.corrector, theta);
    now = at();
  }
  const bpm = twin.appliedErrors?.bpms[q.bpmFamily];
  if (bpm && bpm.rotation[q.bpmIndex]) throw new MlayerError(`bbaTruth: ${q.bpmFamily} device ${q.bpmIndex} has a rotation error; the truth handles offsets and gains only`);
  const offset = bpm?.offset[q.bpmIndex] ?? 0;
  const gain = bpm?.gain[q.bpmIndex] ?? 0;
  return (1 + gain) * (now.xb - offset);
}

/**
 * Where the beam passes through a quadrupole now, from its magnetic centre (m): the
 * offset averaged over the quadrupole's length (∫(x − centre) ds / L on the machine's closed orbit).
 */
export function quadBeamOffset(twin: BbaTruthSource, quadElement: number, plane: 'x' | 'y'): number {
  const model = twin.machineModel;
  const p = plane === 'x' ? 0 : 1;
  const { centre, K } = quadCentre(model, quadElement, p);
  const L = model.element(quadElement).length;
  const [o] = model.closedOrbit([quadElement]);
  return quadIntegral(o[2 * p], o[2 * p + 1], centre, K, L) / L;
}
