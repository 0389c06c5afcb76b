/**
 * Ring parameters of the 6D model (pyAT conventions; ring values of a periodic lattice from one cell):
 *
 *   U0 = C_gamma / 2pi E^4 I2 x periodicity (pyAT get_energy_loss, INTEGRAL), I2 = sum angle^2 / L
 *   6D one-turn matrix M66 at the 6D closed orbit (central differences), eigenvalues l_k:
 *     cell tune of mode k = arg(l_k) / 2pi (x and y modes chosen by nearness to the 4D tunes,
 *     q or 1 - q likewise; the remaining pair is the synchrotron mode), damping rate a_k = -ln|l_k|
 *   ring tunes = (integer part of the 4D cell tune + 6D fractional cell tune) x periodicity, Qs = qs x P
 *   damping times tau_k = T0 / (P a_k), T0 = P L_cell / c; partition numbers J_k = 4 a_k / sum a
 *   synchronous phase pi - asin(U0 / V_ring), synchrotron frequency Qs / T0.
 *   Ohmi envelope (envelope.ts): R at element 0, sigma_delta, sigma_ct, mode emittances.
 * The radiation integrals I1, I4, I5 (and their emittance, energy spread, bunch length) are not computed yet.
 */
import type { RingEquilibrium } from '@mlayer/core';
import type { Lattice } from '../lattice.js';
import { compile6d, disable6d, hasCavity } from './enable-6d.js';
import { eigenvalues6 } from './eig6.js';
import { cumulativeDiffusion, modeEmittance, solveLyapunov6 } from './envelope.js';
import { optics6, type Optics6Point } from './optics6.js';
import { computeLinearState } from './linear-state.js';
import { cellEnergyLoss, cellI2, findM66, findOrbit6, NoCavityError, rfSummary } from './orbit6.js';
import { ringOptics } from './linear.js';
import { compileLattice, trackRange, type CompiledLattice } from './tracking-api.js';

const C0 = 299792458;

export interface RingParameters6 {
  readonly periodicity: number;
  readonly circumference: number;
  readonly revolutionPeriod: number;
  readonly energy: number;
  /** Energy loss per turn of the ring [eV] (radiation integral I2). */
  readonly U0: number;
  /** I2 of the ring [1/m]. */
  readonly I2: number;
  readonly rfVoltage: number;
  readonly harmonicNumber: number;
  /** 6D closed orbit at element 0. */
  readonly closedOrbit: Float64Array;
  /** 6x6 one-turn matrix of one cell (row-major). */
  readonly m66: Float64Array;
  /** Ring tunes [Qx, Qy] with integer part. */
  readonly tunes: readonly [number, number];
  /** Fractional ring tunes [qx, qy, Qs]. */
  readonly fractionalTunes: readonly [number, number, number];
  readonly Qs: number;
  /** Damping rates per cell [x, y, z] (-ln|lambda|). */
  readonly dampingRates: readonly [number, number, number];
  readonly dampingTimes: readonly [number, number, number];
  readonly dampingPartition: readonly [number, number, number];
  readonly synchronousPhase: number;
  readonly synchrotronFrequency: number;
  /** Ohmi's equilibrium envelope at element 0. */
  readonly envelope: EnvelopeValues;
  /** 6D optics (linopt6) at options.refpts, in the order given. */
  readonly optics: Optics6Point[];
}

export interface EnvelopeValues {
  /** Beam matrix (6x6 row-major) at element 0. */
  readonly R66: Float64Array;
  /** Mode emittances [x, y, z] (z in m: sigma_ct x sigma_delta units). */
  readonly emittances: readonly [number, number, number];
  readonly energySpread: number;
  readonly bunchLength: number;
}

function frac(x: number): number {
  return x - Math.floor(x);
}

/** U0 [eV] of the ring from the radiation integral I2 (works without a cavity). */
export function energyLossPerTurn(lattice: Lattice): number {
  const c = compileLattice(disable6d(lattice));
  return cellEnergyLoss(c) * periodicity(c);
}

function periodicity(c: CompiledLattice): number {
  const p = c.lattice.properties.periodicity;
  return typeof p === 'number' && p > 0 ? p : 1;
}

/** The ring parameters of the 6D model of `lattice` (any 4D or 6D lattice; it is switched to 6D). */
export function ringParameters6(lattice: Lattice, options: { refpts?: readonly number[] } = {}): RingParameters6 {
  if (!hasCavity(lattice)) throw new NoCavityError('ring parameters (6D)');
  const c6 = compile6d(lattice);
  const c4 = compileLattice(disable6d(lattice));
  const P = periodicity(c6);
  const rf = rfSummary(c6, 'ring parameters (6D)');
  const energy = c6.ring!.energy;
  const orbit = findOrbit6(c6);
  const m66 = findM66(c6, orbit);
  const { re, im } = eigenvalues6(m66);

  // One 4D linear state for both the fractional 4D tunes (mode identification) and their integer parts.
  const state4 = computeLinearState(c4, { dispersion: false });
  const { tunes: t4, table: table4 } = ringOptics(state4);
  const N4 = state4.nElements;
  const total4 = [table4.mu[2 * N4] / (2 * Math.PI), table4.mu[2 * N4 + 1] / (2 * Math.PI)];
  // The three eigenvalues with Im >= 0 (one per conjugate pair).
  const idx = [0, 1, 2, 3, 4, 5].sort((a, b) => im[b] - im[a]).slice(0, 3);
  const modes = idx.map((k) => ({ k, t: Math.atan2(im[k], re[k]) / (2 * Math.PI), rate: -Math.log(Math.hypot(re[k], im[k])) }));
  const dist = (t: number, q: number) => Math.min(Math.abs(t - q), Math.abs(1 - t - q));
  const pick = (q: number, from: typeof modes) => from.reduce((best, m) => (dist(m.t, q) < dist(best.t, q) ? m : best));
  const mx = pick(t4[0], modes);
  const my = pick(t4[1], modes.filter((m) => m !== mx));
  const ms = modes.find((m) => m !== mx && m !== my)!;
  const qOf = (m: { t: number }, q4: number) => (Math.abs(m.t - q4) <= Math.abs(1 - m.t - q4) ? m.t : 1 - m.t);
  const qx = qOf(mx, t4[0]), qy = qOf(my, t4[1]), qs = ms.t;
  const whole = (total: number, q: number) => {
    let w = Math.floor(total) + q;
    if (w - total > 0.5) w -= 1;
    else if (total - w > 0.5) w += 1;
    return w;
  };
  const tunes: [number, number] = [whole(total4[0], qx) * P, whole(total4[1], qy) * P];
  const Qs = qs * P;

  const circumference = rf.cellLength * P;
  const T0 = circumference / C0;
  const rates: [number, number, number] = [mx.rate, my.rate, ms.rate];
  const sum = rates[0] + rates[1] + rates[2];
  const U0 = cellEnergyLoss(c6) * P;
  const V = rf.voltage * P;
  const R = solveLyapunov6(m66, cumulativeDiffusion(c6, orbit));
  const emittances: [number, number, number] = [mx, my, ms].map((m) => modeEmittance(m66, R, re[m.k], im[m.k])) as [number, number, number];
  return {
    periodicity: P,
    circumference,
    revolutionPeriod: T0,
    energy,
    U0,
    I2: cellI2(c6) * P,
    rfVoltage: V,
    harmonicNumber: rf.harmonic * P,
    closedOrbit: orbit,
    m66,
    tunes,
    fractionalTunes: [frac(tunes[0]), frac(tunes[1]), Qs],
    Qs,
    dampingRates: rates,
    dampingTimes: [T0 / (P * rates[0]), T0 / (P * rates[1]), T0 / (P * rates[2])],
    dampingPartition: [(4 * rates[0]) / sum, (4 * rates[1]) / sum, (4 * rates[2]) / sum],
    synchronousPhase: Math.PI - Math.asin(U0 / V),
    synchrotronFrequency: Qs / T0,
    envelope: { R66: R, emittances, energySpread: Math.sqrt(R[28]), bunchLength: Math.sqrt(R[35]) },
    optics: options.refpts?.length
      ? optics6(c6, orbit, m66, [mx, my, ms].map((m) => [re[m.k], im[m.k]] as const), options.refpts)
      : [],
  };
}

/** The port's RingEquilibrium (LatticeModel.ringEquilibrium) of a lattice. */
export function ringEquilibrium(lattice: Lattice): RingEquilibrium {
  const p = ringParameters6(lattice);
  return {
    U0: p.U0,
    Qs: p.Qs,
    tunes: p.tunes,
    emittances: p.envelope.emittances,
    energySpread: p.envelope.energySpread,
    bunchLength: p.envelope.bunchLength,
    dampingTimes: p.dampingTimes,
  };
}

/**
 * U0 [eV] by tracking (pyAT ELossMethod.TRACKING): a particle at 0 through each radiating
 * element alone, the energy lost summed over the cell, times the periodicity.
 */
export function energyLossTracking(lattice: Lattice): number {
  const c = compile6d(lattice);
  let loss = 0;
  c.elements.forEach((e, i) => {
    if (!e.method.name.endsWith('RadPass')) return;
    const r = new Float64Array(6);
    trackRange(c, r, 1, i, i + 1, new Uint8Array(1).fill(1));
    loss -= r[4];
  });
  return loss * c.ring!.energy * periodicity(c);
}
