/**
 * From a list of loaded elements to a Lattice, as pyAT's loaders do it
 * (`ringparam_filter` and `params_filter`):
 *
 * - RingParam elements are removed; the first one gives name, energy,
 *   periodicity, particle, cell harmonic number, beam current and any further
 *   ring parameters (kept verbatim).
 * - energy: RingParam Energy, else the largest Energy of the RF cavities, else
 *   the largest Energy field of any element, else the fallback of the caller
 *   (e.g. GLOBVAL.E0 of a hand-written deck); otherwise an error.
 * - The Energy field is removed from every element that is not an RFCavity.
 * - periodicity: RingParam Periodicity, else round(2π / Σ BendingAngle of the
 *   dipoles), 1 when there is no bending.
 * - harmonic number of the cell: HarmNumber of the lowest-frequency cavity,
 *   else RingParam cell_harmnumber, else round(Frequency / f_rev) of that
 *   cavity; harmonic_number = cell value × periodicity.
 * - particle: RingParam Particle, else pyAT's default 'relativistic'.
 */
import type { AtElement, FieldValue, Lattice, LatticeProperties, ParticleSpec } from '../lattice.js';
import { LatticeFileError } from './errors.js';

const CLIGHT = 299792458;

/** Particles known by name (rest energy in eV, charge in e). */
export const KNOWN_PARTICLES: Readonly<Record<string, ParticleSpec>> = {
  relativistic: { name: 'relativistic', rest_energy: 0, charge: -1 },
  electron: { name: 'electron', rest_energy: 510998.95, charge: -1 },
  positron: { name: 'positron', rest_energy: 510998.95, charge: 1 },
  proton: { name: 'proton', rest_energy: 938272088.16, charge: 1 },
};

/** RingParam fields that are not ring parameters (ignored, as pyAT does). */
const RINGPARAM_IGNORED = new Set(['PassMethod', 'Length', 'cavpts', 'Mat_File', 'Mat_Key', 'Beam_Current', 'Nbunch', 'Class']);

export function particleFrom(value: FieldValue | ParticleSpec | undefined, file: string): ParticleSpec {
  if (value === undefined) return { ...KNOWN_PARTICLES.relativistic };
  if (typeof value === 'string') {
    const p = KNOWN_PARTICLES[value];
    if (!p) throw new LatticeFileError(file, `unknown particle '${value}' (known: ${Object.keys(KNOWN_PARTICLES).join(', ')})`);
    return { ...p };
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const rec = value as Record<string, unknown>;
    const name = rec.name;
    if (typeof name !== 'string') throw new LatticeFileError(file, `particle without a name: ${JSON.stringify(value)}`);
    const known = KNOWN_PARTICLES[name];
    const rest = typeof rec.rest_energy === 'number' ? rec.rest_energy : known?.rest_energy;
    const charge = typeof rec.charge === 'number' ? rec.charge : known?.charge;
    if (rest === undefined || charge === undefined) {
      throw new LatticeFileError(file, `particle '${name}' needs rest_energy and charge: ${JSON.stringify(value)}`);
    }
    return { name, rest_energy: rest, charge };
  }
  throw new LatticeFileError(file, `invalid particle: ${JSON.stringify(value)}`);
}

function num(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  return undefined;
}

export interface AssembleOptions {
  /** File name, for error messages. */
  readonly file: string;
  /** Energy in eV used when neither a RingParam nor any element gives one. */
  readonly fallbackEnergy?: number;
  /** Lattice name used when no RingParam gives one. */
  readonly fallbackName?: string;
}

/** Builds the Lattice from loaded elements (RingParam elements included), as described above. */
export function assembleLattice(loaded: readonly AtElement[], opts: AssembleOptions): Lattice {
  const ringParams: AtElement[] = [];
  const elements: AtElement[] = [];
  const cavities: AtElement[] = [];
  const cavityEnergies: number[] = [];
  const elementEnergies: number[] = [];
  let bending = 0;
  let cellLength = 0;
  for (const el of loaded) {
    if (el.Class === 'RingParam') {
      ringParams.push(el);
      continue;
    }
    if (el.Class === 'RFCavity') {
      cavities.push(el);
      const e = num(el.Energy);
      if (e !== undefined) cavityEnergies.push(e);
    } else if (el.Energy !== undefined) {
      const e = num(el.Energy);
      if (e !== undefined) elementEnergies.push(e);
      delete el.Energy;
    }
    if (el.Class === 'Dipole') bending += num(el.BendingAngle) ?? 0;
    cellLength += num(el.Length) ?? 0;
    elements.push(el);
  }

  const rp = ringParams[0];
  const extra: Record<string, FieldValue> = {};
  let name: string | undefined;
  let energy: number | undefined;
  let periodicity: number | undefined;
  let particle: ParticleSpec | undefined;
  let cellHarm: number | undefined;
  let beamCurrent: number | undefined;
  if (rp) {
    for (const [k, v] of Object.entries(rp)) {
      if (v === undefined || RINGPARAM_IGNORED.has(k)) continue;
      switch (k) {
        case 'FamName':
          name = String(v);
          break;
        case 'Energy': {
          const e = num(v);
          if (e !== undefined && Number.isFinite(e)) energy = e;
          break;
        }
        case 'Periodicity':
          periodicity = num(v);
          break;
        case 'Particle':
          particle = particleFrom(v, opts.file);
          break;
        case 'cell_harmnumber': {
          const h = num(v);
          if (h !== undefined && Number.isFinite(h)) cellHarm = h;
          break;
        }
        case 'beam_current':
          beamCurrent = num(v);
          break;
        default:
          extra[k] = v;
      }
    }
  }

  if (energy === undefined) {
    const list = cavityEnergies.length ? cavityEnergies : elementEnergies;
    if (list.length) energy = Math.max(...list);
  }
  energy ??= opts.fallbackEnergy;
  if (energy === undefined) {
    throw new LatticeFileError(
      opts.file,
      'lattice energy is not defined (no RingParam element, no Energy field on any element, no GLOBVAL.E0)',
    );
  }
  if (periodicity === undefined || periodicity === 0) {
    periodicity = bending === 0 ? 1 : Math.round((2 * Math.PI) / bending);
    if (!Number.isFinite(periodicity) || periodicity < 1) periodicity = 1;
  }
  particle ??= { ...KNOWN_PARTICLES.relativistic };

  if (cavities.length) {
    const c0 = [...cavities].sort((a, b) => (num(a.Frequency) ?? Infinity) - (num(b.Frequency) ?? Infinity))[0];
    const h = num(c0.HarmNumber);
    if (h !== undefined) cellHarm = h;
    else if (cellHarm === undefined) {
      const f = num(c0.Frequency);
      if (f !== undefined && cellLength > 0) {
        const gamma = particle.rest_energy > 0 ? energy / particle.rest_energy : Infinity;
        const beta = Number.isFinite(gamma) ? Math.sqrt(1 - 1 / (gamma * gamma)) : 1;
        cellHarm = Math.round(f / ((beta * CLIGHT) / cellLength));
      }
    }
  }

  const properties: LatticeProperties = {
    name: name ?? opts.fallbackName ?? '',
    energy,
    particle,
    periodicity,
    beam_current: beamCurrent ?? 0,
    nbunch: cellHarm !== undefined ? 1 : 0,
    ...extra,
  };
  if (cellHarm !== undefined) properties.harmonic_number = cellHarm * periodicity;
  return { elements, properties };
}
