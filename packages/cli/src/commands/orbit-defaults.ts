/**
 * What the orbit commands take from the facility when an option is left out (the
 * facility's `tools` section): the response-matrix step per corrector family, the RF
 * step of the dispersion, the measured response matrix, the golden orbit and the
 * offsets, and where the measurement files go.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { MlayerError, facilityTools, type Accelerator, type Units } from '@mlayer/core';
import { loadOrm, resolveOrbitFamilies, type OrbitResponseMatrix } from '@mlayer/orbit';
import { dataDirOf, measurementTarget, type MeasurementTarget } from '../measurement-files.js';
import { parseQuantity, quantityIn, requireUnitsFor, stepsIn } from '../step-size.js';

/** True when `-u` was given on the command line (not its default). */
export const unitsGiven = (cmd: Command): boolean => cmd.getOptionValueSource('units') === 'cli';

/**
 * The half-amplitude of the response-matrix step per corrector, in the measurement's units:
 * `--kick` with its unit (or a bare number with `-u`), else the facility's tools.orbit.ormStep
 * of each corrector family (physics units), converted per corrector at its present setpoint.
 */
export async function ormKicks(acc: Accelerator, kick: string | undefined, units: Units, cmd: Command): Promise<{ x: Float64Array; y: Float64Array; source: string }> {
  const fams = resolveOrbitFamilies(acc, {}, ['x', 'y'], { correctors: true }).correctors;
  const tools = facilityTools(acc.facility);
  const q = kick !== undefined ? parseQuantity(kick, '--kick') : undefined;
  const out: Record<'x' | 'y', Float64Array> = { x: new Float64Array(0), y: new Float64Array(0) };
  for (const p of ['x', 'y'] as const) {
    const f = fams[p]!;
    let value: number;
    let in_: Units;
    if (q) {
      if (f.units('setpoint').hardware !== f.units('setpoint').physics) requireUnitsFor(q, '--kick', unitsGiven(cmd), `--kick 10urad or --kick 0.05${f.units('setpoint').hardware || 'A'}`);
      ({ value, units: in_ } = quantityIn(q, f, units, '--kick'));
    } else {
      const step = tools.ormStep[f.name];
      if (step === undefined) {
        throw new MlayerError(`orbit measure-orm: give --kick (e.g. --kick 10urad), or name the step of ${f.name} in the facility (${acc.facility.file}: tools.orbit.ormStep.${f.name}, physics units); nothing was changed`);
      }
      value = step;
      in_ = 'physics';
    }
    if (!(value > 0)) throw new MlayerError(`--kick ${kick}: the step must be > 0`);
    out[p] = stepsIn(f, await f.get({ field: 'setpoint' }), value, in_, units);
  }
  return { ...out, source: q ? `--kick ${kick}` : `facility tools.orbit.ormStep (${Object.entries(tools.ormStep).map(([k, v]) => `${k} ${v}`).join(', ')}, physics units)` };
}

/** The RF step of measure-dispersion (and measure-orm's --rf-step) in the measurement's units: the option (a unit may be given), else the facility's tools.orbit.dispersionStep (physics units). */
export async function dispersionStep(acc: Accelerator, step: string | undefined, units: Units, option = '--step'): Promise<number> {
  const rf = resolveOrbitFamilies(acc, {}, [], { rf: true }).rf!;
  let value: number;
  let in_: Units;
  if (step !== undefined) ({ value, units: in_ } = quantityIn(parseQuantity(step, option), rf, units, option));
  else {
    const d = facilityTools(acc.facility).dispersionStep;
    if (d === undefined) throw new MlayerError(`orbit measure-dispersion: give --step (e.g. --step 100Hz), or the facility's RF step (${acc.facility.file}: tools.orbit.dispersionStep, physics units); nothing was changed`);
    value = d;
    in_ = 'physics';
  }
  if (!(value > 0)) throw new MlayerError(`${option} ${step}: the step must be > 0`);
  return stepsIn(rf, await rf.get({ field: 'setpoint' }), value, in_, units)[0];
}

/** `--orm`: a file, 'model', or (left out) the facility's measured response matrix (tools.orbit.responseMatrix), else the model. */
export async function ormOf(acc: Accelerator, orm: string | undefined): Promise<OrbitResponseMatrix | 'model'> {
  if (orm === 'model') return 'model';
  if (orm !== undefined) return loadOrm(orm);
  const file = facilityTools(acc.facility).responseMatrix;
  if (file === undefined) return 'model';
  if (!existsSync(file)) throw new MlayerError(`${acc.facility.file}: tools.orbit.responseMatrix: ${file} not found (give --orm FILE or --orm model)`);
  return loadOrm(file);
}

/** The file a measurement of `kind` is written to (see measurement-files.ts): `-o` or the facility's data folder. */
export function targetOf(acc: Accelerator, kind: string, o: { out?: string; force?: boolean }): MeasurementTarget {
  return measurementTarget(kind, { out: o.out, force: o.force, dataDir: dataDirOf(acc.facility) });
}
