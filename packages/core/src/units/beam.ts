/** Particle species known to mlayer (rest energy in eV, charge in units of e). */
export const PARTICLES = {
  electron: { restEnergy: 0.51099895e6, charge: -1 },
  positron: { restEnergy: 0.51099895e6, charge: 1 },
  proton: { restEnergy: 938.27208816e6, charge: 1 },
} as const;
export type Particle = keyof typeof PARTICLES;

const SPEED_OF_LIGHT = 299792458;

/** Beam state that conversions depend on; the energy may change at run time (ramps). */
export interface BeamState {
  /** Total energy in eV. */
  readonly energy: number;
  readonly particle: Particle;
}

/** Magnetic rigidity B·rho in T·m for a total energy in eV. */
export function rigidity(beam: BeamState): number {
  const p = PARTICLES[beam.particle];
  const pc = Math.sqrt(beam.energy * beam.energy - p.restEnergy * p.restEnergy);
  return pc / (SPEED_OF_LIGHT * Math.abs(p.charge));
}
