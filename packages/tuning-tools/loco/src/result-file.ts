/**
 * A LOCO fit's result as a JSON file (`mlayer loco fit --save`): the inputs it
 * came from, every iteration record, every fitted value with its 1σ error and
 * the stated handling; `mlayer loco correct` reads the gradient groups back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { LocoFileError } from './errors.js';
import type { FittedGroup } from './correct-optics.js';
import type { LocoResult } from './fit.js';
import { issueError } from './zod-issues.js';

export const FIT_RESULT_FORMAT = 'mlayer-loco-fit';

export interface FitResultInputs {
  readonly lattice: string;
  readonly orm: string;
  readonly parameters: string;
}

/** Writes the result (not the fitted model, which the lattice and the groups' ΔK give, nor the residual matrix, which the inputs give). */
export function saveFitResult(path: string, res: LocoResult, inputs: FitResultInputs): void {
  const { model: _model, residual: _residual, ...rest } = res;
  const doc = { format: FIT_RESULT_FORMAT, version: 1, date: new Date().toISOString(), inputs, ...rest };
  writeFileSync(path, `${JSON.stringify(doc, null, 1)}\n`);
}

const group = z.object({ name: z.string().min(1), elements: z.array(z.number().int().min(0)).min(1), delta: z.number() });
const ResultSchema = z.object({
  format: z.literal(FIT_RESULT_FORMAT),
  version: z.literal(1),
  quadrupoles: z.array(group),
  skewQuadrupoles: z.array(group),
});

/** The gradient groups of a saved result. */
export function readFitResult(path: string): { readonly quadrupoles: FittedGroup[]; readonly skewQuadrupoles: FittedGroup[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LocoFileError(path, '', `cannot be read as JSON (${(e as Error).message})`);
  }
  const r = ResultSchema.safeParse(raw);
  if (!r.success) throw issueError(path, raw, r.error);
  return { quadrupoles: r.data.quadrupoles, skewQuadrupoles: r.data.skewQuadrupoles };
}
