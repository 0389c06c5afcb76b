/**
 * A monotonic hardware → physics curve without context (no beam dependence).
 * Curves are the building blocks of the conversions: linear, polynomial, table.
 */
export interface Curve {
  /** How the curve is named in errors, e.g. `table uc_id=4 in pytac/uc_pchip_data.csv`. */
  readonly label: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  /** Hardware interval on which the curve may be evaluated (±Infinity when unbounded). */
  readonly domain: readonly [number, number];
  /** +1 when physics increases with hardware, -1 when it decreases. */
  readonly direction: 1 | -1;
  toPhysics(hardware: number): number;
  toHardware(physics: number): number;
  /** d(physics)/d(hardware). */
  slope(hardware: number): number;
}
