/**
 * Family names as users type them (MML): a family's own name, or a group it is a
 * member of (memberOf: HCM, VCM, QUAD, ...) when exactly one family is.
 */
import { MlayerError } from '../errors.js';
import { didYouMean } from './name-suggestions.js';

/** What name resolution needs of a family: its name and its groups. */
export interface NamedFamily {
  readonly name: string;
  readonly memberOf: readonly string[];
}

/** A name that is neither a family nor a group, or a group of several families. */
export class UnknownFamilyError extends MlayerError {}

/** Groups of the families (memberOf), each once, in order of first appearance. */
export function groupNames(families: Iterable<NamedFamily>): string[] {
  const out = new Set<string>();
  for (const f of families) for (const g of f.memberOf) out.add(g);
  return [...out];
}

/**
 * The family a name stands for: the family of that name, else the one family
 * of the group of that name. A group of several families, or an unknown name
 * (with the closest families and groups suggested), is an UnknownFamilyError.
 */
export function resolveFamilyName(name: string, families: readonly NamedFamily[]): string {
  if (families.some((f) => f.name === name)) return name;
  const members = families.filter((f) => f.memberOf.includes(name)).map((f) => f.name);
  if (members.length === 1) return members[0];
  if (members.length > 1) {
    throw new UnknownFamilyError(`'${name}' is a group of ${members.length} families (${members.join(', ')}); name one of them`);
  }
  const names = families.map((f) => f.name);
  const groups = groupNames(families);
  // With a suggestion the message stays one short line; without, it lists what there is.
  const hint = didYouMean(name, [...names, ...groups]);
  throw new UnknownFamilyError(`unknown family '${name}'${hint || `; families: ${names.join(', ')}; groups: ${groups.join(', ') || 'none'}`}`);
}
