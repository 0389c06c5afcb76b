/** Setpoints of a whole machine (MML getmachineconfig), in hardware units. */
export interface Snapshot {
  /** Facility name. */
  readonly facility: string;
  /** SHA-256 (hex) of the facility file the snapshot was taken with (absent in older snapshots). */
  readonly facilitySha256?: string;
  /** Mode (control system) name. */
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

/** One setpoint that differs between two configurations (or between the machine and a configuration). */
export interface SetpointChange {
  readonly family: string;
  readonly device: readonly [number, number];
  readonly name: string;
  /** Value before (the first configuration, or the machine now); hardware units. */
  readonly old: number;
  /** Value after (the second configuration, or the restore target). */
  readonly new: number;
  /** new - old. */
  readonly change: number;
  readonly units: string;
}

/** What two snapshots differ in: changed setpoints, and devices found in only one of them. */
export interface SnapshotDiff {
  readonly changes: SetpointChange[];
  /** 'FAMILY' (the whole family) or 'FAMILY NAME' of devices only in the first snapshot. */
  readonly onlyInFirst: string[];
  /** The same for the second snapshot. */
  readonly onlyInSecond: string[];
  /** Setpoints compared and found equal. */
  readonly unchanged: number;
}

const key = (d: readonly [number, number]) => `${d[0]},${d[1]}`;

/**
 * The exact differences between two snapshots, device by device ([sector, index]),
 * families in the first snapshot's order, then those only in the second. Values are compared exactly.
 */
export function diffSnapshots(a: Snapshot, b: Snapshot): SnapshotDiff {
  const changes: SetpointChange[] = [];
  const onlyInFirst: string[] = [];
  const onlyInSecond: string[] = [];
  let unchanged = 0;
  for (const [family, fa] of Object.entries(a.families)) {
    const fb = b.families[family];
    if (!fb) {
      onlyInFirst.push(family);
      continue;
    }
    const inB = new Map(fb.devices.map((d, i) => [key(d), i]));
    const seen = new Set<string>();
    fa.devices.forEach((d, i) => {
      const j = inB.get(key(d));
      if (j === undefined) {
        onlyInFirst.push(`${family} ${fa.names[i]}`);
        return;
      }
      seen.add(key(d));
      const [o, n] = [fa.values[i], fb.values[j]];
      if (Object.is(o, n) || o === n) unchanged++;
      else changes.push({ family, device: [d[0], d[1]], name: fa.names[i], old: o, new: n, change: n - o, units: fb.units });
    });
    fb.devices.forEach((d, j) => {
      if (!seen.has(key(d))) onlyInSecond.push(`${family} ${fb.names[j]}`);
    });
  }
  for (const family of Object.keys(b.families)) if (!(family in a.families)) onlyInSecond.push(family);
  return { changes, onlyInFirst, onlyInSecond, unchanged };
}
