import { MlayerError, didYouMean } from '@mlayer/core';
import type { Lattice } from '@mlayer/engine';
import type { Distribution, ErrorSpec } from './error-spec.js';
import { Random, deriveSeed } from './random.js';
import type { TwinDevices } from './twin-devices.js';

/** The draws of an error set, per family and device, in SI units. */
export interface AppliedErrors {
  readonly seed: number;
  readonly magnets: Record<string, { dx: number[]; dy: number[]; roll: number[]; field: number[] }>;
  readonly bpms: Record<string, { offset: number[]; gain: number[]; rotation: number[] }>;
  readonly rfOffset: number;
  /** Static error [x, px, y, py] of the injected beam (m, rad). */
  readonly injection: readonly [number, number, number, number];
}

function draw(d: Distribution | undefined, rng: Random, n: number): number[] {
  if (!d) return new Array<number>(n).fill(0);
  return Array.from({ length: n }, () => (d.distribution === 'uniform' ? d.sigma * (2 * rng.uniform() - 1) : d.sigma * rng.truncatedGaussian(d.truncation)));
}

/**
 * Applies an error set to a copy of the design lattice (misalignments as AT's
 * T1/T2 and R1/R2) and to the twin's devices (field/calibration factors, BPM
 * offsets, gains, rotations, noise). Each family and quantity draws from its own
 * stream derived from the seed, so adding a family does not change the others.
 */
export function applyErrorSpec(spec: ErrorSpec, seed: number, lattice: Lattice, devices: TwinDevices, rfFrequency: number | undefined): AppliedErrors {
  const magnets: AppliedErrors['magnets'] = {};
  const bpms: AppliedErrors['bpms'] = {};
  for (const a of devices.actuators) a.calibration = 1;
  for (const b of devices.bpms.values()) {
    b.offset = [0, 0];
    b.gain = [0, 0];
    b.rotation = 0;
    b.noise = undefined;
  }
  for (const [family, e] of Object.entries(spec.magnets)) {
    const group = devices.byFamily.get(family);
    if (!group) throw new MlayerError(`error specification: magnets.${family}: no such family or group${didYouMean(family, devices.byFamily.keys())} (families: ${[...devices.byFamily.keys()].join(', ')})`);
    const acts = group.actuators.filter((a) => a.role === 'magnet');
    if (acts.length === 0) throw new MlayerError(`error specification: magnets.${family}: the family has no magnets bound to the lattice`);
    const n = acts.length;
    const r = (q: string) => new Random(deriveSeed(seed, `${family}/${q}`));
    const dx = draw(e.dx, r('dx'), n);
    const dy = draw(e.dy, r('dy'), n);
    const roll = draw(e.roll, r('roll'), n);
    const field = draw(e.field, r('field'), n);
    acts.forEach((a, i) => {
      a.calibration = 1 + field[i];
      if (e.dx || e.dy) shift(lattice, a.ref!.element, dx[i], dy[i]);
      if (e.roll) tilt(lattice, a.ref!.element, roll[i]);
    });
    magnets[family] = { dx, dy, roll, field };
  }
  for (const [family, e] of Object.entries(spec.bpms)) {
    const group = devices.byFamily.get(family);
    if (!group || group.bpms.length === 0) throw new MlayerError(`error specification: bpms.${family}: no BPM family of that name${didYouMean(family, [...devices.byFamily].filter(([, g]) => g.bpms.length > 0).map(([n]) => n))}`);
    const plane = family.toLowerCase().endsWith('y') ? 1 : 0;
    const n = group.bpms.length;
    const r = (q: string) => new Random(deriveSeed(seed, `${family}/${q}`));
    const offset = draw(e.offset, r('offset'), n);
    const gain = draw(e.gain, r('gain'), n);
    const rotation = draw(e.rotation, r('rotation'), n);
    group.bpms.forEach((b, i) => {
      b.offset[plane] = offset[i];
      b.gain[plane] = gain[i];
      if (e.rotation) b.rotation = rotation[i];
      if (e.noise !== undefined) {
        const noise = b.noise ?? [Number.NaN, Number.NaN];
        noise[plane] = e.noise;
        b.noise = noise;
      }
    });
    bpms[family] = { offset, gain, rotation };
  }
  for (const b of devices.bpms.values()) {
    if (b.noise) b.noise = [Number.isNaN(b.noise[0]) ? b.noise[1] : b.noise[0], Number.isNaN(b.noise[1]) ? b.noise[0] : b.noise[1]];
  }
  let rfOffset = 0;
  if (spec.rf?.frequency) {
    if (rfFrequency === undefined) throw new MlayerError('error specification: rf.frequency given but the facility has no RF family');
    rfOffset = draw(spec.rf.frequency, new Random(deriveSeed(seed, 'rf/frequency')), 1)[0];
  }
  const inj = (q: 'x' | 'px' | 'y' | 'py'): number => draw(spec.injection?.[q], new Random(deriveSeed(seed, `injection/${q}`)), 1)[0];
  return { seed, magnets, bpms, rfOffset, injection: [inj('x'), inj('px'), inj('y'), inj('py')] };
}

/** Transverse shift as AT's atshiftelem: T1 = -[dx 0 dy 0 0 0], T2 = -T1. */
function shift(lattice: Lattice, index: number, dx: number, dy: number): void {
  const el = lattice.elements[index];
  const t1 = Array.isArray(el.T1) ? (el.T1 as number[]).slice() : [0, 0, 0, 0, 0, 0];
  const t2 = Array.isArray(el.T2) ? (el.T2 as number[]).slice() : [0, 0, 0, 0, 0, 0];
  t1[0] -= dx;
  t1[2] -= dy;
  t2[0] += dx;
  t2[2] += dy;
  el.T1 = t1;
  el.T2 = t2;
}

/** Roll about s as AT's atsetroll: R1 = rotation by psi, R2 = its transpose. */
function tilt(lattice: Lattice, index: number, psi: number): void {
  const el = lattice.elements[index];
  const c = Math.cos(psi);
  const s = Math.sin(psi);
  const r1 = [
    [c, 0, s, 0, 0, 0],
    [0, c, 0, s, 0, 0],
    [-s, 0, c, 0, 0, 0],
    [0, -s, 0, c, 0, 0],
    [0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 1],
  ];
  el.R1 = r1;
  el.R2 = r1[0].map((_v, j) => r1.map((row) => row[j]));
}
