/**
 * Lattice data as AT keeps it: an ordered list of elements, each a plain record
 * of AT fields (FamName, PassMethod, Length, PolynomB, ...) with AT's spelling,
 * plus ring-level properties. Element data carry no tracking code: pass methods
 * are looked up by the PassMethod name at tracking time. Unknown fields are kept.
 *
 * Numeric vectors are number[]; matrices (R1, R2, M66) are number[][] row-major
 * (R[i][j] multiplies coordinate j into coordinate i, as AT's 6x6 matrices).
 */
export type FieldValue = number | string | number[] | number[][] | boolean | { [key: string]: FieldValue } | FieldValue[];

export interface AtElement {
  FamName: string;
  PassMethod: string;
  Length: number;
  /** AT class (Drift, Quadrupole, Sextupole, Dipole, Corrector, Monitor, Marker, RFCavity, Multipole, ...). */
  Class?: string;
  [field: string]: FieldValue | undefined;
}

export interface ParticleSpec {
  name: string;
  /** eV; 0 for pyAT's 'relativistic'. */
  rest_energy: number;
  charge: number;
}

export interface LatticeProperties {
  name: string;
  /** Total energy in eV. */
  energy: number;
  particle: ParticleSpec;
  periodicity: number;
  harmonic_number?: number;
  beam_current?: number;
  nbunch?: number;
  /** Any further ring parameters, kept verbatim. */
  [key: string]: FieldValue | ParticleSpec | undefined;
}

export interface Lattice {
  elements: AtElement[];
  properties: LatticeProperties;
}
