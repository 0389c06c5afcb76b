/** The pass-method registry: PassMethod name -> implementation. */
import { BndMPoleSymplectic4E2Pass } from './passes/bend-e2.js';
import { BndMPoleSymplectic4Pass } from './passes/bend-multipole.js';
import { CavityPass, RFCavityPass } from './passes/cavity.js';
import { AperturePass, CorrectorPass, DriftPass, IdentityPass, Matrix66Pass } from './passes/simple.js';
import { SolenoidLinearPass } from './passes/solenoid.js';
import { StrMPoleSymplectic4Pass } from './passes/str-multipole.js';
import { ThinMPolePass } from './passes/thin-multipole.js';
import { GWigSymplecticPass } from './passes/wiggler.js';
import {
  BndMPoleSymplectic4E2RadPass,
  BndMPoleSymplectic4RadPass,
  GWigSymplecticRadPass,
  Matrix66RadPass,
  StrMPoleSymplectic4RadPass,
} from './passes/radiation.js';
import type { PassMethod } from './types.js';

const registry = new Map<string, PassMethod>();

/** Registers (or replaces) a pass method under its name. */
export function registerPassMethod<P>(method: PassMethod<P>): void {
  registry.set(method.name, method as PassMethod);
}

/** The pass method registered under `name`, or undefined. */
export function getPassMethod(name: string): PassMethod | undefined {
  return registry.get(name);
}

/** Names of all registered pass methods, sorted. */
export function passMethodNames(): string[] {
  return [...registry.keys()].sort();
}

/** Pass methods whose physics is RF acceleration: identity unless the lattice is compiled 6D. */
export const CAVITY_PASS_METHODS: ReadonlySet<string> = new Set(['CavityPass', 'RFCavityPass']);

for (const m of [
  DriftPass,
  IdentityPass,
  AperturePass,
  Matrix66Pass,
  CorrectorPass,
  ThinMPolePass,
  StrMPoleSymplectic4Pass,
  BndMPoleSymplectic4Pass,
  BndMPoleSymplectic4E2Pass,
  CavityPass,
  RFCavityPass,
  GWigSymplecticPass,
  SolenoidLinearPass,
  StrMPoleSymplectic4RadPass,
  BndMPoleSymplectic4RadPass,
  BndMPoleSymplectic4E2RadPass,
  Matrix66RadPass,
  GWigSymplecticRadPass,
] as PassMethod[]) {
  registerPassMethod(m);
}
