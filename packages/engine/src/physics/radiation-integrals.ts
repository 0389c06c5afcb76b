/**
 * Synchrotron radiation integrals of the 4D lattice at dp = 0 (pyAT get_radiation_integrals,
 * radiation_parameters of the 4D ring): per dipole, closed forms from the optics at its entrance
 * (beta0, alpha0, eta0, eta'0) and the dispersion at its exit (eta3, eta'3), with rho = L/theta,
 * k2 = K + 1/rho^2, eps1,2 = tan(edge angle)/rho:
 *   alpha1 = alpha0 - beta0 eps1, gamma1 = (1 + alpha1^2)/beta0, eta'1 = eta'0 + eta0 eps1,
 *   eta'2 = eta'3 - eta3 eps2, H0 = gamma1 eta0^2 + 2 alpha1 eta0 eta'1 + beta0 eta'1^2
 *   k2 != 0: <eta> = (theta - (eta'2 - eta'1)) / (k2 L), <H> from the focusing solution (sin/sinh)
 *   k2 == 0: <eta> = (eta0 + eta3)/2 - L^2/(12 rho), <H> by its Taylor expansion
 *   dI1 = <eta> L / rho, dI2 = L / rho^2, dI3 = L / |rho|^3,
 *   dI4 = <eta> L (2K + 1/rho^2)/rho - (eta0 eps1 + eta3 eps2)/rho, dI5 = <H> L / |rho|^3
 * Ring values x periodicity. Derived (textbook): alpha_c = I1/C, eta = 1/gamma^2 - alpha_c,
 * J = (1 - I4/I2, 1, 2 + I4/I2), U0 = C_gamma/2pi E^4 I2, tau_i = 2 E T0 / (J_i U0),
 * eps0 = C_q gamma^2 I5 / (Jx I2), sigma_delta^2 = C_q gamma^2 I3 / (Je I2),
 * Qs = sqrt(|eta| h V |cos phi_s| / 2 pi E) / beta (phi_s = pi - asin(U0/V)),
 * sigma_z = beta C |eta| sigma_delta / (2 pi Qs), with beta = sqrt(1 - 1/gamma^2), T0 = C / beta c
 * (pyAT's radiation_parameters uses the electron's beta even for its 'relativistic' particle).
 * Wigglers are not included (a radiating wiggler is rejected by the 6D model anyway).
 */
import type { Lattice } from '../lattice.js';
import { disable6d, hasCavity } from './enable-6d.js';
import { computeLinearState } from './linear-state.js';
import { ringOptics, getChrom } from './linear.js';
import { CGAMMA_M_PER_EV3 } from './orbit6.js';
import { compileLattice } from './tracking-api.js';

const C0 = 299792458;
/** Electron rest energy [eV], CODATA 2018 as pyAT's Python side (scipy). */
const ME_EV = 0.51099895e6;
/** C_q = 55 hbar c / (32 sqrt 3 m_e c^2) [m] (CODATA 2018, as scipy). */
const CQ = 3.831938640038657e-13;

export interface RadiationIntegrals {
  readonly I1: number;
  readonly I2: number;
  readonly I3: number;
  readonly I4: number;
  readonly I5: number;
  readonly U0: number;
  readonly momentumCompaction: number;
  readonly slipFactor: number;
  readonly dampingPartition: readonly [number, number, number];
  readonly dampingTimes: readonly [number, number, number];
  readonly naturalEmittance: number;
  readonly energySpread: number;
  readonly chromaticities: readonly [number, number];
  /** Only with an RF cavity: */
  readonly synchronousPhase: number | null;
  readonly QsAnalytic: number | null;
  readonly bunchLength: number | null;
}

function num(v: unknown, d = 0): number {
  return typeof v === 'number' ? v : d;
}

/** Radiation integrals and the values derived from them, on the 4D optics of `lattice` at dp = 0. */
export function radiationIntegrals(lattice: Lattice): RadiationIntegrals {
  const c4 = compileLattice(disable6d(lattice));
  const state = computeLinearState(c4, { dispersion: true });
  const { table } = ringOptics(state);
  const disp = state.dispersion!;
  const P = num(lattice.properties.periodicity, 1) || 1;
  const I = [0, 0, 0, 0, 0];
  let cell = 0;
  lattice.elements.forEach((e, i) => {
    cell += e.Length;
    const theta = num(e.BendingAngle);
    if (theta === 0 || !(e.Length > 0)) return;
    const beta0 = table.beta[2 * i], alpha0 = table.alpha[2 * i];
    const eta0 = disp[4 * i], etap0 = disp[4 * i + 1];
    const eta3 = disp[4 * (i + 1)], etap3 = disp[4 * (i + 1) + 1];
    const ll = e.Length;
    const K = Array.isArray(e.PolynomB) ? num((e.PolynomB as number[])[1]) : 0;
    const rho = ll / theta, rho2 = rho * rho;
    const k2 = K + 1 / rho2;
    const eps1 = Math.tan(num(e.EntranceAngle)) / rho, eps2 = Math.tan(num(e.ExitAngle)) / rho;
    const alpha1 = alpha0 - beta0 * eps1;
    const gamma1 = (1 + alpha1 * alpha1) / beta0;
    const etap1 = etap0 + eta0 * eps1;
    const etap2 = etap3 - eta3 * eps2;
    const h0 = gamma1 * eta0 * eta0 + 2 * alpha1 * eta0 * etap1 + beta0 * etap1 * etap1;
    let etaAve: number, hAve: number;
    if (k2 !== 0) {
      let ss: number, cc: number;
      if (k2 > 0) { const kl = ll * Math.sqrt(k2); ss = Math.sin(kl) / kl; cc = Math.cos(kl); }
      else { const kl = ll * Math.sqrt(-k2); ss = Math.sinh(kl) / kl; cc = Math.cosh(kl); }
      etaAve = (theta - (etap2 - etap1)) / k2 / ll;
      const bb = 2 * (alpha1 * eta0 + beta0 * etap1) * rho;
      const aa = -2 * (alpha1 * etap1 + gamma1 * eta0) * rho;
      hAve = h0 + (aa * (1 - ss) + (bb * (1 - cc)) / ll + (gamma1 * (3 - 4 * ss + ss * cc)) / 2 / k2
        - (alpha1 * (1 - cc) ** 2) / k2 / ll + (beta0 * (1 - ss * cc)) / 2) / k2 / rho2;
    } else {
      etaAve = 0.5 * (eta0 + eta3) - (ll * ll) / 12 / rho;
      const hp0 = (2 * (alpha1 * eta0 + beta0 * etap1)) / rho;
      const h2p0 = (2 * (-alpha1 * etap1 + beta0 / rho - gamma1 * eta0)) / rho;
      hAve = h0 + (hp0 * ll) / 2 + (h2p0 * ll * ll) / 6 - (alpha1 * ll ** 3) / 4 / rho2 + (gamma1 * ll ** 4) / 20 / rho2;
    }
    I[0] += (etaAve * ll) / rho;
    I[1] += ll / rho2;
    I[2] += ll / Math.abs(rho) / rho2;
    I[3] += (etaAve * ll * (2 * K + 1 / rho2)) / rho - (eta0 * eps1 + eta3 * eps2) / rho;
    I[4] += (hAve * ll) / Math.abs(rho) / rho2;
  });
  const [I1, I2, I3, I4, I5] = I.map((v) => v * P);
  const E = lattice.properties.energy;
  const gamma = E / ME_EV;
  const C = cell * P;
  // pyAT's radiation_parameters: beta = sqrt(1 - 1/gamma^2) with the electron mass, also for 'relativistic'
  const beta = Math.sqrt(1 - 1 / (gamma * gamma));
  const T0 = C / (beta * C0);
  const U0 = (CGAMMA_M_PER_EV3 / (2 * Math.PI)) * E ** 4 * I2;
  const alphac = I1 / C;
  const eta = 1 / (gamma * gamma) - alphac;
  const J: [number, number, number] = [1 - I4 / I2, 1, 2 + I4 / I2];
  const tau = J.map((j) => (2 * E * T0) / (j * U0)) as [number, number, number];
  const energySpread = Math.sqrt((CQ * gamma * gamma * I3) / (J[2] * I2));
  let synchronousPhase: number | null = null, QsAnalytic: number | null = null, bunchLength: number | null = null;
  if (hasCavity(lattice)) {
    let V = 0, f = 0;
    for (const e of lattice.elements) if (e.Class === 'RFCavity' || /CavityPass$/.test(String(e.PassMethod))) { V += num(e.Voltage); f = f || num(e.Frequency); }
    V *= P;
    const h = Math.round((f * C) / C0);
    synchronousPhase = Math.PI - Math.asin(U0 / V);
    QsAnalytic = Math.sqrt((Math.abs(eta) * h * V * Math.abs(Math.cos(synchronousPhase))) / (2 * Math.PI * E)) / beta;
    bunchLength = (beta * C * Math.abs(eta) * energySpread) / (2 * Math.PI * QsAnalytic);
  }
  return {
    I1, I2, I3, I4, I5, U0,
    momentumCompaction: alphac,
    slipFactor: eta,
    dampingPartition: J,
    dampingTimes: tau,
    naturalEmittance: (CQ * gamma * gamma * I5) / (J[0] * I2),
    energySpread,
    chromaticities: getChrom(c4),
    synchronousPhase, QsAnalytic, bunchLength,
  };
}
