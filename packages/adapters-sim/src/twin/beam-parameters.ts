/**
 * Beam-parameter monitors of the twin: read-only families computed from the 6D equilibrium
 * (LatticeModel.ringEquilibrium: radiation and RF cavities on, Ohmi envelope) of the present
 * machine model (design lattice + errors + setpoints).
 *
 * A family is one when its element class or its model field says so:
 *
 *   elementClass        model.field       value (physics units)
 *   Emittance           Emittance         mode emittance [m]: index 0 / 1 / 2, or the device's
 *                                         (else the family's) plane x / y (a pinhole camera)
 *   EnergySpread        EnergySpread      sigma_delta
 *   BunchLength         BunchLength       sigma_ct [m]
 *   SynchrotronTune     SynchrotronTune   Qs
 *   EnergyLoss          EnergyLoss        U0 [eV per turn]
 *
 * The equilibrium is computed when such a channel is first read after the model changed
 * (diamond-i04, 2190 elements: 50-75 ms warm, ~0.3 s the first time with the JIT warm-up, against
 * 8-13 ms for the 4D tunes; node bench/twin-beam-parameters.mjs) and kept until the next change.
 * Monitors (subscriptions, emitted at the twin's update rate) recompute it at most once per the
 * family's monitor updatePeriod (1 s when not stated) and emit the last value in between, so a
 * model changing at every write does not cost a 6D computation per tick; a read is always of the
 * present model. No noise is added. A lattice without an RF cavity has no equilibrium: the read fails with
 * an MlayerError naming the family, the channel and the reason.
 */
import { ConfigError, MlayerError, type FamilyConfig, type LatticeModel, type RingEquilibrium } from '@mlayer/core';

export type BeamQuantity = 'emittanceX' | 'emittanceY' | 'emittanceZ' | 'energySpread' | 'bunchLength' | 'synchrotronTune' | 'energyLoss';

/** Model fields of the beam-parameter families, by lower-case element class. */
const BEAM_CLASSES: Readonly<Record<string, string>> = {
  emittance: 'Emittance',
  energyspread: 'EnergySpread',
  bunchlength: 'BunchLength',
  synchrotrontune: 'SynchrotronTune',
  energyloss: 'EnergyLoss',
};
const BEAM_FIELDS = new Set(Object.values(BEAM_CLASSES));

/** The model field of a beam-parameter family ('Emittance', ...), undefined for any other family. */
export function beamField(fam: FamilyConfig): string | undefined {
  const field = fam.model?.field;
  if (field !== undefined && BEAM_FIELDS.has(field)) return field;
  return BEAM_CLASSES[fam.elementClass.toLowerCase()];
}

/** The quantity a device of a beam-parameter family reads. */
export function beamQuantity(fam: FamilyConfig, devicePlane: 'x' | 'y' | undefined, file: string, path: string): BeamQuantity {
  const field = beamField(fam)!;
  switch (field) {
    case 'EnergySpread':
      return 'energySpread';
    case 'BunchLength':
      return 'bunchLength';
    case 'SynchrotronTune':
      return 'synchrotronTune';
    case 'EnergyLoss':
      return 'energyLoss';
  }
  const index = fam.model?.field === 'Emittance' ? fam.model.index : undefined;
  if (index !== undefined) {
    if (index > 2) throw new ConfigError(file, `${path}.model.index`, index, 'an emittance index is 0 (x), 1 (y) or 2 (longitudinal)');
    return (['emittanceX', 'emittanceY', 'emittanceZ'] as const)[index];
  }
  const plane = devicePlane ?? fam.plane;
  if (plane === undefined) throw new ConfigError(file, `${path}.plane`, undefined, 'an emittance family needs a plane (x or y) or model: { field: Emittance, index }');
  return plane === 'y' ? 'emittanceY' : 'emittanceX';
}

/** The value of a quantity in physics units. */
export function beamValue(eq: RingEquilibrium, q: BeamQuantity): number {
  switch (q) {
    case 'emittanceX':
      return eq.emittances[0];
    case 'emittanceY':
      return eq.emittances[1];
    case 'emittanceZ':
      return eq.emittances[2];
    case 'energySpread':
      return eq.energySpread;
    case 'bunchLength':
      return eq.bunchLength;
    case 'synchrotronTune':
      return eq.Qs;
    case 'energyLoss':
      return eq.U0;
  }
}

/** The equilibrium of a model at one version, computed once (a failure is kept too: it fails the same way). */
export class EquilibriumCache {
  private entry: { model: LatticeModel; version: number; result: RingEquilibrium | Error; at: number } | undefined;
  /** How many times the equilibrium was computed (tests: cached until the model changes). */
  computations = 0;

  /**
   * The equilibrium of `model` at `version`; `family` and `channel` name the read in the error.
   * `staleMs`: the last one computed is returned, whatever the version, when it is younger (monitors).
   */
  get(model: LatticeModel, version: number, family: string, channel: string, staleMs = 0): RingEquilibrium {
    const fresh = this.entry !== undefined && Date.now() - this.entry.at < staleMs;
    if (!fresh && (this.entry?.model !== model || this.entry.version !== version)) {
      let result: RingEquilibrium | Error;
      this.computations++;
      try {
        result = model.ringEquilibrium();
      } catch (e) {
        result = e instanceof Error ? e : new Error(String(e));
      }
      this.entry = { model, version, result, at: Date.now() };
    }
    const r = this.entry!.result;
    if (r instanceof Error) {
      throw new MlayerError(`twin: ${family} (${channel}) is computed from the 6D equilibrium of the model, which has none: ${r.message}`, { cause: r });
    }
    return r;
  }
}
