/**
 * What a shell function returns for a family: an ordinary array of numbers (index it,
 * map it, pass it to setsp) that also says what it holds (family, field, units, devices),
 * so that the shell prints it with its units. Derived arrays (map, filter, slice) are
 * plain arrays: a value computed from a reading no longer claims its units.
 */
export class Reading extends Array<number> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  declare readonly family: string;
  declare readonly field: string;
  declare readonly units: string;
  declare readonly devices: readonly (readonly [number, number])[];
  declare readonly names: readonly string[];
}

/** A reading of a family's devices. */
export function makeReading(values: ArrayLike<number>, meta: { family: string; field: string; units: string; devices: readonly (readonly [number, number])[]; names: readonly string[] }): Reading {
  const r = new Reading();
  for (let i = 0; i < values.length; i++) r.push(values[i]);
  // Not enumerable: the REPL, JSON and spread see the numbers only.
  for (const [k, v] of Object.entries(meta)) Object.defineProperty(r, k, { value: v, enumerable: false });
  return r;
}

/** A single value with its units (getrf, getdcct): a number for arithmetic, printed with its units. */
export class Quantity {
  constructor(
    readonly value: number,
    readonly units: string,
    readonly what: string,
  ) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return `${this.value} ${this.units}`.trim();
  }
}

/** What a write did (setsp, stepsp, setrf, setmachineconfig): printed as one line per device. */
export class WriteReport {
  constructor(
    readonly family: string,
    readonly names: readonly string[],
    readonly before: readonly number[],
    readonly after: readonly number[],
    readonly units: string,
  ) {}
}

/** What setmachineconfig wrote: the changed setpoints (old -> new). */
export class RestoreReport {
  constructor(
    readonly source: string,
    readonly changes: readonly { readonly family: string; readonly name: string; readonly old: number; readonly new: number; readonly units: string }[],
    readonly unchanged: number,
  ) {}
}
