/**
 * Radiation integrals on the 4D optics (pyAT radiation_parameters of the 4D ring, summary_6d.radint_4d_lattice)
 * and the values derived from them, all five reference lattices (dba has no cavity: no Qs, bunch length).
 */
import { describe, expect, it } from 'vitest';
import { radiationIntegrals } from '../../src/physics/radiation-integrals.js';
import { available, LATTICES, loadJson, loadLattice } from '../physics-fixtures.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('radiation integrals vs pyAT (4D lattice, dp = 0)', () => {
  for (const l of LATTICES) {
    it.skipIf(!available(l))(`${l.name}`, () => {
      const r = loadJson(l, '6d_ref').summary_6d.radint_4d_lattice;
      const p = radiationIntegrals(loadLattice(l));
      const err: Record<string, number> = {
        U0: rel(p.U0, r.U0_eV),
        I1: rel(p.I1, r.I1_m), I2: rel(p.I2, r.I2_per_m), I3: rel(p.I3, r.I3_per_m2), I4: rel(p.I4, r.I4_per_m), I5: rel(p.I5, r.I5_per_m),
        alphac: rel(p.momentumCompaction, r.momentum_compaction),
        J: Math.max(...[0, 1, 2].map((k) => rel(p.dampingPartition[k], r.damping_partition_numbers[k]))),
        tau: Math.max(...[0, 1, 2].map((k) => rel(p.dampingTimes[k], r.damping_times_s[k]))),
        eps0: rel(p.naturalEmittance, r.natural_emittance_m),
        sigd: rel(p.energySpread, r.energy_spread),
      };
      if (r.bunch_length_m != null) {
        err.sigz = rel(p.bunchLength!, r.bunch_length_m);
        err.Qs = Math.abs(p.QsAnalytic! - r.Qs_analytic);
      } else expect(p.bunchLength).toBeNull();
      console.log(l.name, JSON.stringify(err));
      expect(err.U0).toBeLessThan(1e-6);
      for (const k of ['I1', 'I2', 'I3', 'I4', 'I5', 'alphac', 'J', 'tau', 'eps0', 'sigd', 'sigz']) if (k in err) expect(err[k], k).toBeLessThan(1e-5);
      if ('Qs' in err) expect(err.Qs).toBeLessThan(1e-6);
    });
  }
});
