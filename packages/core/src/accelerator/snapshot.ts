/** Setpoints of a whole machine (MML getmachineconfig), in hardware units. */
export interface Snapshot {
  readonly facility: string;
  readonly mode: string;
  /** ISO 8601. */
  readonly date: string;
  readonly families: Readonly<Record<string, FamilySnapshot>>;
}

export interface FamilySnapshot {
  readonly devices: readonly (readonly [number, number])[];
  readonly names: readonly string[];
  readonly channels: readonly string[];
  readonly values: readonly number[];
  readonly units: string;
}
