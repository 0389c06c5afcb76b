import type { LatticeModel } from '../model/lattice-model.js';

/**
 * Gives the design model of the machine, built on first use (loading a lattice
 * costs time a command that needs no model should not pay); undefined when there
 * is none, and then a digital twin's own design model is used. Bound in the
 * accelerator's container (TOKENS.LatticeModelProvider).
 */
export type LatticeModelProvider = () => LatticeModel | undefined;

/** A provider for a model or a model factory (called once, on first use); no model: a provider of none. */
export function latticeModelProvider(model?: LatticeModel | (() => LatticeModel)): LatticeModelProvider {
  if (typeof model !== 'function') return () => model;
  let built: LatticeModel | undefined;
  return () => (built ??= model());
}
