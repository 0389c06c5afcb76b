/**
 * What a lattice conversion could not carry, per element: a reader that drops
 * or approximates a file attribute, or a writer whose format has no place for
 * an AT field, records one `ConversionLoss` per element and attribute instead
 * of dropping it silently. `mlayer model convert` prints the report.
 */

/** One attribute (or a whole element) a read or a write could not carry. */
export interface ConversionLoss {
  /** Element name: the file's name when reading, the AT FamName when writing. */
  readonly element: string;
  /** 0-based index of the element in the lattice read or written, where there is one. */
  readonly index?: number;
  /** The attribute or AT field ('' when the whole element is concerned). */
  readonly attribute: string;
  /** Why it was not carried, and what was done instead ('dropped', 'read as a Drift', ...). */
  readonly reason: string;
  /** 1-based line in the file read, where known. */
  readonly line?: number;
}

/** Collects the losses of one conversion. */
export class ConversionLossLog {
  private readonly items: ConversionLoss[] = [];

  add(loss: ConversionLoss): void {
    this.items.push(loss);
  }

  get losses(): readonly ConversionLoss[] {
    return this.items;
  }
}

/** Losses with the same element name, attribute and reason, counted (for printing). */
export interface ConversionLossGroup {
  readonly element: string;
  readonly attribute: string;
  readonly reason: string;
  /** Number of elements (occurrences) concerned. */
  readonly count: number;
  /** Their indices, where given. */
  readonly indices: readonly number[];
}

/** Groups losses by element name, attribute and reason, in the order of first occurrence. */
export function groupConversionLosses(losses: readonly ConversionLoss[]): ConversionLossGroup[] {
  const groups = new Map<string, { element: string; attribute: string; reason: string; count: number; indices: number[] }>();
  for (const l of losses) {
    const key = `${l.element}\u0000${l.attribute}\u0000${l.reason}`;
    let g = groups.get(key);
    if (!g) {
      g = { element: l.element, attribute: l.attribute, reason: l.reason, count: 0, indices: [] };
      groups.set(key, g);
    }
    g.count += 1;
    if (l.index !== undefined) g.indices.push(l.index);
  }
  return [...groups.values()];
}

/** Lines of text for a report: `element QF (32×): FringeQuadEntrance: reason`. */
export function formatConversionLosses(losses: readonly ConversionLoss[]): string[] {
  return groupConversionLosses(losses).map(
    (g) => `element ${g.element}${g.count > 1 ? ` (${g.count}×)` : ''}${g.attribute ? `: ${g.attribute}` : ''}: ${g.reason}`,
  );
}
