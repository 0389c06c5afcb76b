/**
 * The figures of merit of a seed after a stage. What a real machine shows (the BPM
 * readings) is read through the families; what only the twin knows (the true
 * closed orbit, the beam's offsets from the quadrupole centres, the optics against
 * design, tunes and chromaticity) comes from the twin's machine model through core's
 * DigitalTwin port. A machine without a closed orbit gives beam_stored 0 and NaN
 * for the figures that need one; a live machine gives the readings only (the rest NaN).
 */
import { type Accelerator, type DynamicApertureRequest, type LatticeModel, MlayerError, isDigitalTwin, isFamilyOfClass } from '@mlayer/core';
import { resolveOrbitFamilies } from '@mlayer/orbit';
import { rms } from '@mlayer/tuning-common';
import { CommissioningError } from './errors.js';
import { FIGURE_NAMES, type Figures } from './figure-names.js';

export interface FigureTargets {
  readonly tunes: readonly [number, number];
  readonly chromaticity: readonly [number, number];
}

const frac = (q: number): number => q - Math.floor(q);

/** |a - b| on the unit circle of fractional tunes. */
export function tuneDistance(a: number, b: number): number {
  const d = Math.abs(frac(a) - frac(b));
  return Math.min(d, 1 - d);
}

/** BPM and quadrupole elements of the facility, and the BPM families per plane. */
export interface FigureElements {
  readonly bpmFamilies: { readonly x: string; readonly y: string };
  readonly bpms: readonly number[];
  readonly quads: readonly number[];
}

export function figureElements(acc: Accelerator): FigureElements {
  const model = acc.model;
  if (!model) throw new CommissioningError(`${acc.name}: no lattice model; the figures of merit are computed on the model's elements`);
  const bpms = resolveOrbitFamilies(acc, {}, ['x', 'y'], { bpms: true }).bpms;
  if (!bpms.x || !bpms.y) throw new CommissioningError(`${acc.facility.file}: a BPM family per plane is required for the figures of merit`);
  const quadFamilies = acc.familyNames().filter((n) => isFamilyOfClass(acc.family(n), 'quadrupole'));
  const quads = [...new Set(quadFamilies.flatMap((n) => acc.family(n).latticeElements(model)))].sort((a, b) => a - b);
  return { bpmFamilies: { x: bpms.x.name, y: bpms.y.name }, bpms: bpms.x.latticeElements(model), quads };
}

/** Mean offset of the closed orbit from a thick quadrupole's magnetic centre over its length (∫(x − c) ds / L). */
function quadOffset(model: LatticeModel, element: number, o: ArrayLike<number>, p: 0 | 1): number {
  let centre = 0;
  try {
    centre = -model.getParameter({ element, field: 'T1', index: 2 * p });
  } catch {
    centre = 0;
  }
  if (!Number.isFinite(centre)) centre = 0;
  const k1 = model.getParameter({ element, field: 'PolynomB', index: 1 });
  const K = p === 0 ? k1 : -k1;
  const L = model.element(element).length;
  const u = o[2 * p] - centre;
  const up = o[2 * p + 1];
  if (L === 0) return u;
  if (Math.abs(K) < 1e-12) return u + (up * L) / 2;
  const r = Math.sqrt(Math.abs(K));
  const phi = r * L;
  const integral = K > 0 ? (u * Math.sin(phi)) / r + (up * (1 - Math.cos(phi))) / K : (u * Math.sinh(phi)) / r + (up * (Math.cosh(phi) - 1)) / -K;
  return integral / L;
}

/** The figures of merit now; the dynamic aperture only when asked (a 'figures' stage's dynamicAperture: seconds of tracking). */
export async function measureFigures(acc: Accelerator, el: FigureElements, targets: FigureTargets, options: { dynamicAperture?: DynamicApertureRequest } = {}): Promise<Figures> {
  const f = Object.fromEntries(FIGURE_NAMES.map((n) => [n, Number.NaN])) as Figures;
  try {
    const [rx, ry] = await Promise.all([acc.family(el.bpmFamilies.x).get({ units: 'physics' }), acc.family(el.bpmFamilies.y).get({ units: 'physics' })]);
    f.orbit_read_rms_x = rms(rx);
    f.orbit_read_rms_y = rms(ry);
  } catch (e) {
    // A twin whose errored machine has no closed orbit cannot show a stored beam's orbit: no readings.
    if (!isDigitalTwin(acc.controlSystem) || !(e instanceof MlayerError)) throw e;
  }
  // A live machine shows its readings only: the other figures stay NaN.
  if (!isDigitalTwin(acc.controlSystem)) return f;
  const twin = acc.twin;
  const machine = twin.machineModel;
  const design = twin.designModel;
  let orbit: Float64Array[];
  try {
    orbit = machine.closedOrbit(el.bpms);
  } catch {
    f.beam_stored = 0;
    return f;
  }
  if (orbit.some((o) => !o.every(Number.isFinite))) {
    f.beam_stored = 0;
    return f;
  }
  // The twin's own beam when it has one (issue 22's beam states), else: a closed orbit exists.
  f.beam_stored = twin.beamState === undefined || twin.beamState === 'stored' ? 1 : 0;
  f.orbit_true_rms_x = rms(orbit.map((o) => o[0]));
  f.orbit_true_rms_y = rms(orbit.map((o) => o[2]));
  if (el.quads.length > 0) {
    const oq = machine.closedOrbit(el.quads);
    f.quad_offset_rms_x = rms(el.quads.map((q, i) => quadOffset(machine, q, oq[i], 0)));
    f.quad_offset_rms_y = rms(el.quads.map((q, i) => quadOffset(machine, q, oq[i], 1)));
  }
  try {
    const om = machine.optics(el.bpms);
    const od = design.optics(el.bpms);
    f.beta_beat_x = rms(om.map((o, i) => (o.beta[0] - od[i].beta[0]) / od[i].beta[0]));
    f.beta_beat_y = rms(om.map((o, i) => (o.beta[1] - od[i].beta[1]) / od[i].beta[1]));
    f.dispersion_beat_x = rms(om.map((o, i) => o.dispersion[0] - od[i].dispersion[0]));
    const q = machine.tunes();
    f.tune_x = frac(q.qx);
    f.tune_y = frac(q.qy);
    f.tune_error_x = tuneDistance(q.qx, targets.tunes[0]);
    f.tune_error_y = tuneDistance(q.qy, targets.tunes[1]);
    const xi = machine.chromaticity();
    f.chromaticity_x = xi[0];
    f.chromaticity_y = xi[1];
    f.chromaticity_error_x = Math.abs(xi[0] - targets.chromaticity[0]);
    f.chromaticity_error_y = Math.abs(xi[1] - targets.chromaticity[1]);
  } catch {
    // Unstable linear optics with a closed orbit: the optics figures stay NaN.
  }
  try {
    const eq = machine.ringEquilibrium();
    f.emittance_x = eq.emittances[0];
    f.emittance_y = eq.emittances[1];
    f.coupling = eq.emittances[1] / eq.emittances[0];
  } catch {
    // No RF cavity (no 6D equilibrium) or an unstable 6D motion: NaN.
  }
  if (options.dynamicAperture) {
    try {
      const { boundary } = machine.dynamicAperture(options.dynamicAperture);
      // Angles from π to 0: the first and last boundary points lie on the x axis, the middle one (an odd count) on the y axis.
      const n = boundary.length;
      f.dynamic_aperture_x = Math.min(Math.abs(boundary[0][0]), Math.abs(boundary[n - 1][0]));
      f.dynamic_aperture_y = n % 2 === 1 ? Math.abs(boundary[(n - 1) / 2][1]) : Number.NaN;
    } catch {
      // No closed orbit to track around: NaN.
    }
  }
  return f;
}

/** The targets of the figures: the sequence's, else the design's. */
export function figureTargets(acc: Accelerator, given: { tunes?: readonly [number, number]; chromaticity?: readonly [number, number] }): FigureTargets {
  const design = isDigitalTwin(acc.controlSystem) ? acc.twin.designModel : acc.model;
  if (!design) throw new CommissioningError(`${acc.name}: no lattice model for the design tunes and chromaticity`);
  const q = given.tunes ?? (() => {
    const t = design.tunes();
    return [frac(t.qx), frac(t.qy)] as const;
  })();
  const xi = given.chromaticity ?? (design.chromaticity() as readonly [number, number]);
  return { tunes: [q[0], q[1]], chromaticity: [xi[0], xi[1]] };
}
