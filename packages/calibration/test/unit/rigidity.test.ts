import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mlayer/core';
import { pytacPchipReference, withUnits } from '@mlayer/calibration';
import { beamContext, create, grid, makeRegistry, relErr } from '../helpers.js';

/*
 * Bρ computed independently (python: math.sqrt(E*E - m*m)/c, m = 0.51099895e6 eV,
 * c = 299792458 m/s): 3 GeV electrons 10.006922710777507 T·m, 1 GeV 3.3356405164803316 T·m,
 * 100 MeV 0.3335597401581144 T·m; 7 TeV protons (m = 938.27208816e6 eV) 23349.486454117316 T·m.
 */
const BRHO_3GEV = 10.006922710777507;
const BRHO_1GEV = 3.3356405164803316;
const BRHO_100MEV = 0.3335597401581144;

const quadCurve = { type: 'linear', gain: 0.02, hardwareUnits: 'A', physicsUnits: 'T' }; // ∫G dl = 0.02 T/A

describe('rigidity: integrated field → normalised strength with the live Bρ', () => {
  it('KL of a quadrupole: ∫G dl / Bρ', () => {
    const conv = create(makeRegistry(), 'QF1', { type: 'rigidity', order: 1, strength: 'KL', curve: quadCurve });
    expect(conv.hardwareUnits).toBe('A');
    expect(conv.physicsUnits).toBe('m^-1');
    expect(relErr(conv.toPhysics(100, beamContext(3e9)), 2 / BRHO_3GEV)).toBeLessThan(1e-15);
  });

  it('K needs the length: ∫G dl / (L Bρ)', () => {
    const conv = create(makeRegistry(), 'QF1', { type: 'rigidity', order: 1, strength: 'K', length: 0.4, curve: quadCurve });
    expect(conv.physicsUnits).toBe('m^-2');
    expect(relErr(conv.toPhysics(100, beamContext(3e9)), 2 / (0.4 * BRHO_3GEV))).toBeLessThan(1e-15);
    expect(() => create(makeRegistry(), 'QF1', { type: 'rigidity', order: 1, strength: 'K', curve: quadCurve })).toThrow(
      /unitConversions\.QF1\.length: unit conversion 'QF1': K from an integrated field needs the magnetic length/,
    );
  });

  it('kick angle of a corrector (order 0), and the factorial convention for sextupoles', () => {
    const kick = create(makeRegistry(), 'HCM1', {
      type: 'rigidity',
      order: 0,
      strength: 'kick',
      curve: { type: 'linear', gain: 1e-4, hardwareUnits: 'A', physicsUnits: 'T·m' },
    });
    expect(kick.physicsUnits).toBe('rad');
    expect(relErr(kick.toPhysics(5, beamContext(3e9)), 5e-4 / BRHO_3GEV)).toBeLessThan(1e-15);
    const sx = create(makeRegistry(), 'SX1', {
      type: 'rigidity',
      order: 2,
      strength: 'KL',
      factorial: true,
      curve: { type: 'linear', gain: 0.5, hardwareUnits: 'A', physicsUnits: 'T/m' },
    });
    expect(sx.physicsUnits).toBe('m^-2');
    expect(relErr(sx.toPhysics(10, beamContext(3e9)), 5 / 2 / BRHO_3GEV)).toBeLessThan(1e-15);
    expect(() => create(makeRegistry(), 'Q', { type: 'rigidity', order: 1, strength: 'kick', curve: quadCurve })).toThrow(/a kick angle is the strength of order 0/);
  });

  it('energy change: strengths scale with 1/Bρ at fixed current, and setpoints with Bρ', () => {
    const conv = create(makeRegistry(), 'QF1', { type: 'rigidity', order: 1, strength: 'KL', curve: quadCurve });
    const at = (e: number) => conv.toPhysics(80, beamContext(e));
    expect(relErr(at(3e9), 1.6 / BRHO_3GEV)).toBeLessThan(1e-15);
    expect(relErr(at(1e9), 1.6 / BRHO_1GEV)).toBeLessThan(1e-15);
    expect(relErr(at(100e6), 1.6 / BRHO_100MEV)).toBeLessThan(1e-15);
    expect(relErr(at(1e9) / at(3e9), BRHO_3GEV / BRHO_1GEV)).toBeLessThan(1e-15);
    // the current for a fixed strength follows the ramp
    expect(relErr(conv.toHardware(0.1, beamContext(3e9)) / conv.toHardware(0.1, beamContext(1e9)), BRHO_3GEV / BRHO_1GEV)).toBeLessThan(1e-14);
    // protons: 7 TeV
    expect(relErr(conv.toPhysics(80, beamContext(7e12, 'proton')), 1.6 / 23349.486454117316)).toBeLessThan(1e-14);
  });

  it('round trip through a pchip curve and the rigidity step', () => {
    const conv = create(makeRegistry(), 'Q1D', {
      type: 'rigidity',
      order: 1,
      field: 'local',
      strength: 'K',
      curve: withUnits(pytacPchipReference('pytac/uc_pchip_data.csv', 14), 'A', 'T/m'),
    });
    for (const e of [1e9, 3e9]) {
      const ctx = beamContext(e);
      for (const h of grid(1, 200, 100)) expect(relErr(conv.toHardware(conv.toPhysics(h, ctx), ctx), h)).toBeLessThan(1e-12);
    }
  });

  it('units that do not compose are rejected at creation, naming the conversion and the curve', () => {
    // a curve giving T·m (dipole) feeding a quadrupole step that expects T
    const spec = {
      type: 'rigidity',
      order: 1,
      strength: 'KL',
      curve: withUnits(pytacPchipReference('pytac/uc_pchip_data.csv', 4), 'A', 'T·m'),
    };
    expect(() => create(makeRegistry(), 'Q1D.b1', spec)).toThrow(ConfigError);
    expect(() => create(makeRegistry(), 'Q1D.b1', spec)).toThrow(
      "unitConversions.Q1D.b1.curve.physicsUnits: unit conversion 'Q1D.b1': units do not compose: curve table uc_id=4 in pytac/uc_pchip_data.csv " +
        "gives 'T·m' but the rigidity step (order 1, integrated field, KL) expects 'T'",
    );
    // equivalent spellings compose
    for (const u of ['T m', 'T*m', 'm·T', 'm T']) {
      expect(() => create(makeRegistry(), 'H', { type: 'rigidity', order: 0, strength: 'kick', curve: { ...quadCurve, physicsUnits: u } })).not.toThrow();
    }
    // a prefixed unit is not the same unit
    expect(() => create(makeRegistry(), 'H', { type: 'rigidity', order: 0, strength: 'kick', curve: { ...quadCurve, physicsUnits: 'mT·m' } })).toThrow(
      /units do not compose: curve linear curve at unitConversions\.H\.curve gives 'mT·m'/,
    );
    // declared physics units checked against the derived ones
    expect(() => create(makeRegistry(), 'Q', { type: 'rigidity', order: 1, strength: 'KL', physicsUnits: 'm^-2', curve: quadCurve })).toThrow(
      /unitConversions\.Q\.physicsUnits: .*declared physics units differ from those of KL of order 1 \('m\^-1'\)/,
    );
    // unreadable units
    expect(() => create(makeRegistry(), 'U', { type: 'linear', gain: 1, hardwareUnits: 'A', physicsUnits: 'T^^2' })).toThrow(
      /unitConversions\.U\.physicsUnits: unit conversion 'U': cannot read units "T\^\^2"/,
    );
  });
});
