/**
 * Physical apertures against pyAT: the particles of ../shared/lattices/apertures/
 * (EApertures [0.020, 0.008] on every element with Length > 0 and a drift or
 * multipole pass method; hmba 20 turns, australian_synchrotron 5 turns, 200 particles)
 * are lost at the same turn and element, and the survivors end at the same coordinates.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLattice, particlesFromRows, track, type Lattice } from '../../src/index.js';
import { LATTICES, SHARED, available, loadLattice, type Json } from '../physics-fixtures.js';

const REF_FILE = join(SHARED, 'lattices/apertures/aperture_losses_ref.json');
const APERTURE_PASSES = new Set(['DriftPass', 'StrMPoleSymplectic4Pass', 'BndMPoleSymplectic4Pass', 'BndMPoleSymplectic4E2Pass']);

/** The reference's rule: EApertures = [0.020, 0.008] on every element with Length > 0 of those pass methods. */
export function withEllipticalApertures(lattice: Lattice): { lattice: Lattice; count: number } {
  let count = 0;
  const elements = lattice.elements.map((e) => {
    if (!APERTURE_PASSES.has(e.PassMethod) || !(e.Length > 0)) return e;
    count++;
    return { ...e, EApertures: [0.02, 0.008] };
  });
  return { lattice: { ...lattice, elements }, count };
}

// Python's json writes the lost particles' coordinates as NaN (not JSON): read as null.
const ref: Json = existsSync(REF_FILE) ? JSON.parse(readFileSync(REF_FILE, 'utf8').replace(/\bNaN\b/g, 'null')) : undefined;

for (const name of ['hmba', 'australian_synchrotron']) {
  const lat = LATTICES.find((l) => l.name === name)!;
  describe.skipIf(!ref || !available(lat))(`apertures vs pyAT: ${name}`, () => {
    it('same particles lost, at the same turn and element; survivors at the same coordinates (1e-10)', () => {
      const r = ref[name];
      const { lattice } = withEllipticalApertures(loadLattice(lat));
      const compiled = compileLattice(lattice);
      const p = particlesFromRows(r.initial);
      const res = track(compiled, p, { turns: r.nturns });
      const n = r.initial.length;
      let lost = 0;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const isLost = res.lostTurn[i] !== 0;
        expect(isLost, `particle ${i} lost`).toBe(r.islost[i]);
        if (isLost) {
          lost++;
          expect(res.lostTurn[i] - 1, `particle ${i} turn of loss`).toBe(r.loss_turn[i]);
          expect(res.lostElement[i], `particle ${i} element of loss`).toBe(r.loss_element[i]);
        } else {
          for (let k = 0; k < 6; k++) worst = Math.max(worst, Math.abs(res.coords[k * n + i] - r.final_survivors[i][k]));
        }
      }
      expect(lost).toBe(r.islost.filter(Boolean).length);
      expect(lost).toBeGreaterThan(0);
      expect(lost).toBeLessThan(n);
      expect(worst).toBeLessThan(1e-10);
    });
  });
}
