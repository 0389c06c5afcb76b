/** Compiling a lattice: every element's fields are read and checked once, pass methods resolved. */
import type { Lattice } from '../lattice.js';
import { ElementFieldError, TrackingArgumentError, UnknownPassMethodError } from './errors.js';
import { CAVITY_PASS_METHODS, getPassMethod } from './registry.js';
import { IdentityPass } from './passes/simple.js';
import type { CompiledElement, CompiledLattice, RingContext } from './types.js';

export interface CompileOptions {
  /** Track RF cavities (pyAT's enable_6d). Default false: CavityPass/RFCavityPass act as IdentityPass (disable_6d). */
  readonly sixD?: boolean;
}

const SPEED_OF_LIGHT = 299792458;

/** Ring-level context: energy, rest energy, revolution period of the whole ring. */
export function ringContext(lattice: Lattice, sixD: boolean): RingContext {
  const props = lattice.properties;
  const energy = props?.energy;
  if (typeof energy !== 'number' || !Number.isFinite(energy) || energy < 0) {
    throw new TrackingArgumentError(`lattice properties: energy ${String(energy)} is not a non-negative number of eV`);
  }
  const rest = props.particle?.rest_energy ?? 0;
  const periodicity = props.periodicity ?? 1;
  if (!Number.isInteger(periodicity) || periodicity < 1) {
    throw new TrackingArgumentError(`lattice properties: periodicity ${String(periodicity)} is not a positive integer`);
  }
  let length = 0;
  for (const e of lattice.elements) length += typeof e.Length === 'number' && Number.isFinite(e.Length) ? e.Length : 0;
  const gamma = rest > 0 ? energy / rest : Infinity;
  const beta = rest > 0 ? Math.sqrt(1 - 1 / (gamma * gamma)) : 1;
  return { energy, restEnergy: rest, T0: (length * periodicity) / (beta * SPEED_OF_LIGHT), sixD };
}

/** Reads all elements once; throws UnknownPassMethodError / ElementFieldError naming the element. */
export function compileLattice(lattice: Lattice, options: CompileOptions = {}): CompiledLattice {
  const sixD = options.sixD ?? false;
  const ring = ringContext(lattice, sixD);
  const elements: CompiledElement[] = lattice.elements.map((element, index) => {
    const famName = typeof element.FamName === 'string' ? element.FamName : String(element.FamName);
    const name = element.PassMethod;
    if (typeof name !== 'string') {
      throw new ElementFieldError(index, famName, String(name), 'PassMethod', name, 'a pass method name');
    }
    const length = element.Length;
    if (typeof length !== 'number' || !Number.isFinite(length)) {
      throw new ElementFieldError(index, famName, name, 'Length', length, 'a finite number');
    }
    let method = getPassMethod(name);
    if (!method) throw new UnknownPassMethodError(index, famName, name);
    if (!sixD && CAVITY_PASS_METHODS.has(name)) method = IdentityPass as typeof method;
    const params = method.compile(element, index, ring);
    const identity = method.isIdentity ? method.isIdentity(params) : false;
    return { index, element, method, params, identity };
  });
  return { lattice, elements, ring };
}
