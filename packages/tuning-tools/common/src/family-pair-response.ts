/**
 * The response of a pair of quantities (two tunes, two chromaticities) to
 * families of magnets, as the tune and chromaticity tools hold it: a 2 x n
 * matrix d(pair)/dk per family for a step of every device of the family by one
 * physics unit, from the model (the LatticeModel's derivatives through each
 * family's model binding) or measured (each family stepped by ±step, the pair
 * read at each side: measurePairResponse). Also the choice of the response a
 * correction uses (given, or the model response of the named families).
 */
import type { Accelerator, CheckSummary, Family, LatticeModel, MlayerError, ParameterRef } from '@mlayer/core';
import { modelFamilyResponse } from './family-model.js';
import { type PairResponseOptions, measurePairResponse, pairResponseFamilies } from './pair-response.js';

export interface FamilyPairResponse {
  readonly families: readonly string[];
  /** d(first)/dk and d(second)/dk per family, for a step of every device of the family by 1 physics unit. */
  readonly matrix: readonly [Float64Array, Float64Array];
  /** Physics units of each family's setpoint. */
  readonly units: readonly string[];
  readonly source: 'model' | 'measured';
  /** Measured: half of the bipolar step of each family (physics units). */
  readonly steps?: Float64Array;
  /** Measured: the sanity checks of every column (symmetry, model), retries and flags. */
  readonly checks?: CheckSummary;
  /** Measured: warnings raised (settling defaults, checks skipped). */
  readonly warnings?: readonly string[];
}

/** The error class a tool raises (its own subclass of MlayerError). */
export type ToolErrorClass = new (message: string) => MlayerError;

export interface ModelPairResponseSpec {
  /** What responds, for messages ('tune', 'chromaticity'). */
  readonly quantity: string;
  /** The model's derivative of the pair per parameter group (e.g. model.tuneResponse). */
  readonly compute: (model: LatticeModel, groups: readonly (readonly ParameterRef[])[]) => Float64Array[];
  readonly error: ToolErrorClass;
}

const setpointUnits = (fams: readonly Family[]): string[] => fams.map((f) => f.units('setpoint').physics);

/** The response of the pair to the families in the accelerator's model. */
export function modelPairResponse(acc: Accelerator, families: readonly string[], spec: ModelPairResponseSpec): FamilyPairResponse {
  const fams = pairResponseFamilies(acc, families, spec.quantity);
  const model = acc.model;
  if (!model) throw new spec.error(`${acc.name}: no lattice model for a model ${spec.quantity} response (mode '${acc.mode}'); measure it instead`);
  const matrix = modelFamilyResponse(model, fams, (groups) => spec.compute(model, groups));
  return { families: [...families], matrix, units: setpointUnits(fams), source: 'model' };
}

export interface MeasureFamilyPairOptions extends Omit<PairResponseOptions, 'fresh'> {
  /** Families whose readings must be fresh after each step (tune monitors, ...), found once the families are checked. */
  readonly fresh?: () => readonly Family[];
}

/** Measures the response of the pair to the named families (two or more, distinct); every setpoint is restored. */
export async function measureFamilyPairResponse(acc: Accelerator, families: readonly string[], options: MeasureFamilyPairOptions): Promise<FamilyPairResponse> {
  const fams = pairResponseFamilies(acc, families, options.quantity);
  const { matrix, steps, checks, warnings } = await measurePairResponse(acc, fams, { ...options, fresh: options.fresh?.() });
  return { families: [...families], matrix, units: setpointUnits(fams), source: 'measured', steps, checks, warnings };
}

export interface ResponseChoice<R extends FamilyPairResponse> {
  /** Families to move; default: those of the response. */
  readonly families?: readonly string[];
  /** Response to use (default: the model response of the families). */
  readonly response?: R;
}

/**
 * The response a correction uses: the one given (its families must be the ones
 * named, when named), else the model response of the named families.
 * `kind` names the magnets in the message when neither is given ('quadrupole').
 */
export function chooseResponse<R extends FamilyPairResponse>(choice: ResponseChoice<R>, kind: string, model: (families: readonly string[]) => R, error: ToolErrorClass): R {
  if (choice.response) {
    if (choice.families && choice.families.join() !== choice.response.families.join()) {
      throw new error(`the response is for families ${choice.response.families.join(', ')}, not ${choice.families.join(', ')}`);
    }
    return choice.response;
  }
  if (!choice.families) throw new error(`give the ${kind} families (options.families) or a response`);
  return model(choice.families);
}
