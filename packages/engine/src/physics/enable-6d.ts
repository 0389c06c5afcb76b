/**
 * The switch between 4D and 6D models (pyAT's enable_6d / disable_6d with their default choices):
 *
 *   enable_6d: RFCavity -> RFCavityPass; Dipole, Quadrupole, Wiggler -> their ...RadPass variant
 *              (X...Pass -> X...RadPass, kept when already radiating); M66 -> Matrix66RadPass.
 *              Sextupoles, octupoles, thin multipoles and correctors keep their pass methods.
 *   disable_6d: the reverse: RFCavity -> IdentityPass, ...RadPass -> ...Pass.
 *
 * Both return a new Lattice (elements copied shallowly, only PassMethod changed). A lattice
 * is 6D (isLattice6d) when a cavity or a radiating element is active; compile6d compiles it
 * with the cavities active (compileLattice's sixD).
 */
import type { AtElement, Lattice } from '../lattice.js';
import { compileLattice, type CompiledLattice } from './tracking-api.js';

const RADIATING_CLASSES = new Set(['Dipole', 'Bend', 'Quadrupole', 'Wiggler']);

function elementClass(e: AtElement): string {
  return typeof e.Class === 'string' ? e.Class : '';
}

/** An RF cavity: its class, or a cavity pass method. */
export function isCavity(e: AtElement): boolean {
  return elementClass(e) === 'RFCavity' || e.PassMethod === 'RFCavityPass' || e.PassMethod === 'CavityPass';
}

/** Pass method of an element in the 6D model (pyAT enable_6d defaults). */
export function passMethod6d(e: AtElement): string {
  const pm = String(e.PassMethod);
  if (isCavity(e)) return pm === 'CavityPass' || pm === 'RFCavityPass' ? pm : 'RFCavityPass';
  const cls = elementClass(e);
  if (cls === 'M66' || cls === 'Matrix66') return pm === 'Matrix66Pass' ? 'Matrix66RadPass' : pm;
  if (RADIATING_CLASSES.has(cls) && pm.endsWith('Pass') && !pm.endsWith('RadPass') && pm !== 'DriftPass' && pm !== 'IdentityPass') {
    return pm.replace(/Pass$/, 'RadPass');
  }
  return pm;
}

/** Pass method of an element in the 4D model (pyAT disable_6d defaults). */
export function passMethod4d(e: AtElement): string {
  const pm = String(e.PassMethod);
  if (isCavity(e)) return 'IdentityPass';
  if (pm.endsWith('RadPass')) return pm.replace(/RadPass$/, 'Pass');
  return pm;
}

function mapPass(lattice: Lattice, f: (e: AtElement) => string): Lattice {
  return {
    ...lattice,
    elements: lattice.elements.map((e) => {
      const pm = f(e);
      return pm === e.PassMethod ? e : { ...e, PassMethod: pm };
    }),
  };
}

/** pyAT enable_6d (copy): cavities and radiation on. */
export function enable6d(lattice: Lattice): Lattice {
  return mapPass(lattice, passMethod6d);
}

/** pyAT disable_6d (copy): cavities and radiation off. */
export function disable6d(lattice: Lattice): Lattice {
  return mapPass(lattice, passMethod4d);
}

/** Whether a lattice has an RF cavity (by class or pass method). */
export function hasCavity(lattice: Lattice): boolean {
  return lattice.elements.some(isCavity);
}

/** Whether the lattice is 6D as given: an active cavity or a radiating pass method. */
export function isLattice6d(lattice: Lattice): boolean {
  return lattice.elements.some((e) => e.PassMethod === 'RFCavityPass' || e.PassMethod === 'CavityPass' || String(e.PassMethod).endsWith('RadPass'));
}

/** The 6D model of a lattice, compiled with the cavities active. */
export function compile6d(lattice: Lattice): CompiledLattice {
  return compileLattice(enable6d(lattice), { sixD: true });
}
