/**
 * CavityPass and RFCavityPass (6D only; with sixD off they compile as IdentityPass).
 * Constants as AT's C code (TWOPI truncated to 6.28318530717959, C0 = 2.99792458e8).
 */
import { FieldReader } from '../fields.js';
import type { PassMethod, RingContext } from '../types.js';
import { driftKernel } from './simple.js';

export const TWOPI = 6.28318530717959;
export const C0 = 2.99792458e8;

export interface CavityParams {
  readonly length: number;
  /** Voltage / Energy */
  readonly nv: number;
  readonly frequency: number;
  readonly timeLag: number;
  readonly phi0: number;
  /** RFCavityPass only: harmonic number round(f T0) and T0; 0 for CavityPass. */
  readonly harmonic: number;
  readonly T0: number;
}

function readCavity(element: Parameters<PassMethod['compile']>[0], index: number, ring: RingContext | undefined, rf: boolean): CavityParams {
  const f = new FieldReader(element, index);
  if (!ring) return f.fail('Energy', f.raw('Energy'), 'a ring context (compile with compileLattice)');
  const energy = f.number('Energy', ring.energy);
  if (!(energy > 0)) f.fail('Energy', f.raw('Energy') ?? energy, 'a positive energy in eV (element field or ring energy)');
  const frequency = f.number('Frequency');
  if (!(frequency > 0)) f.fail('Frequency', f.raw('Frequency'), 'a positive frequency in Hz');
  return {
    length: f.number('Length'),
    nv: f.number('Voltage') / energy,
    frequency,
    timeLag: f.number('TimeLag', 0),
    phi0: rf ? f.number('Phi0', 0) : 0,
    harmonic: rf ? Math.round(frequency * ring.T0) : 0,
    T0: rf ? ring.T0 : 0,
  };
}

function cavityKernel(c: Float64Array, n: number, p: CavityParams, alive: Uint8Array, turn: number): void {
  const { nv, frequency: freq, timeLag: lag, phi0, harmonic: h, T0 } = p;
  const half = { length: p.length / 2, frame: undefined };
  const o4 = 4 * n, o5 = 5 * n;
  const phase = h === 0 ? 0 : (h / freq - T0) * turn;
  if (p.length !== 0) driftKernel(c, n, half, alive);
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    c[o4 + i] += h === 0 && phi0 === 0
      ? -nv * Math.sin((TWOPI * freq * (c[o5 + i] - lag)) / C0)
      : -nv * Math.sin(TWOPI * freq * ((c[o5 + i] - lag) / C0 - phase) + phi0);
  }
  if (p.length !== 0) driftKernel(c, n, half, alive);
}

export const CavityPass: PassMethod<CavityParams> = {
  name: 'CavityPass',
  compile: (element, index, ring) => readCavity(element, index, ring, false),
  track: (c, n, p, alive) => cavityKernel(c, n, p, alive, 0),
};

export const RFCavityPass: PassMethod<CavityParams> = {
  name: 'RFCavityPass',
  compile: (element, index, ring) => readCavity(element, index, ring, true),
  track: (c, n, p, alive, ctx) => cavityKernel(c, n, p, alive, ctx?.turn ?? 0),
};
