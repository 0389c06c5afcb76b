/**
 * Restoring a machine configuration (MML setmachineconfig), checked in full
 * before anything is written: the facility it was taken on, every family and
 * device of it, units, finite values, and the limits of every setpoint that differs
 * from the machine's; then only those are written.
 */
import { MlayerError, OutOfLimitsError } from '../errors.js';
import { sameUnits } from './build-family-data.js';
import type { Family } from './family.js';
import { didYouMean } from './name-suggestions.js';
import type { SetpointChange, Snapshot } from './snapshot.js';

/** What restore needs of the accelerator (a structural type: no import of the Accelerator class). */
export interface RestoreTarget {
  readonly facility: { readonly file: string; readonly sha256: string; readonly config: { readonly name: string } };
  familyNames(): string[];
  family(name: string): Family;
}

export interface RestoreOptions {
  /** Where the snapshot comes from, for messages (a file name); default 'snapshot'. */
  readonly source?: string;
  /** Restore although the facility file changed since the snapshot (its SHA-256 differs). */
  readonly allowFacilityChange?: boolean;
  readonly signal?: AbortSignal;
}

/** The writes a restore makes: every setpoint that differs (old: the machine now, new: the snapshot's). */
export interface RestorePlan {
  readonly changes: SetpointChange[];
  /** Setpoints already at the snapshot's value. */
  readonly unchanged: number;
  /** Families with setpoints the snapshot does not hold (left as they are). */
  readonly notInSnapshot: string[];
}

/** Checks a snapshot against the accelerator and reads what differs; throws (naming source, family, device, value) on anything wrong. */
export async function planRestore(acc: RestoreTarget, snapshot: Snapshot, options: RestoreOptions = {}): Promise<RestorePlan> {
  const src = options.source ?? 'snapshot';
  const fac = acc.facility;
  if (snapshot.facility !== fac.config.name) {
    throw new MlayerError(`${src}: taken on facility '${snapshot.facility}', not '${fac.config.name}' (${fac.file}); nothing was written`);
  }
  if (snapshot.facilitySha256 !== undefined && snapshot.facilitySha256 !== fac.sha256 && !options.allowFacilityChange) {
    throw new MlayerError(
      `${src}: taken with a different facility file (SHA-256 ${snapshot.facilitySha256.slice(0, 12)}…, ${fac.file} is now ${fac.sha256.slice(0, 12)}…): ` +
        'its families, devices, limits or conversions may have changed; check the differences and restore with --allow-facility-change (API: allowFacilityChange) to restore anyway; nothing was written',
    );
  }
  const known = acc.familyNames();
  const selections: { fam: Family; values: readonly number[] }[] = [];
  for (const [name, s] of Object.entries(snapshot.families)) {
    if (!known.includes(name)) throw new MlayerError(`${src}: family '${name}' is not in facility '${fac.config.name}'${didYouMean(name, known)}; nothing was written`);
    const whole = acc.family(name);
    if (!whole.fields.includes('setpoint')) throw new MlayerError(`${src}: family '${name}' has no setpoint field in ${fac.file}; nothing was written`);
    const n = s.devices.length;
    if (s.names.length !== n || s.values.length !== n) {
      throw new MlayerError(`${src}: family '${name}' holds ${n} devices, ${s.names.length} names and ${s.values.length} values; nothing was written`);
    }
    const units = whole.units('setpoint').hardware;
    if (!sameUnits(s.units, units)) throw new MlayerError(`${src}: family '${name}' setpoints are in '${s.units}' but ${fac.file} gives '${units}'; nothing was written`);
    const byDevice = new Map(whole.deviceList.map((d, i) => [`${d[0]},${d[1]}`, i]));
    const names = whole.names;
    s.devices.forEach((d, i) => {
      const k = byDevice.get(`${d[0]},${d[1]}`);
      const what = `${src}: family '${name}' device [${d[0]}, ${d[1]}] '${s.names[i]}' (value ${s.values[i]} ${s.units})`;
      if (k === undefined) throw new MlayerError(`${what} is not in the facility${didYouMean(s.names[i], names)}; nothing was written`);
      if (names[k] !== s.names[i]) throw new MlayerError(`${what}: the facility names that device '${names[k]}'; nothing was written`);
      if (!Number.isFinite(s.values[i])) throw new MlayerError(`${what}: the value is not finite; nothing was written`);
    });
    selections.push({ fam: whole.devices(s.devices), values: s.values });
  }
  const changes: SetpointChange[] = [];
  let unchanged = 0;
  for (const { fam, values } of selections) {
    const now = await fam.get({ field: 'setpoint', signal: options.signal });
    const units = fam.units('setpoint').hardware;
    const limits = fam.limits;
    const names = fam.names;
    fam.deviceList.forEach((d, i) => {
      if (now[i] === values[i]) {
        unchanged++;
        return;
      }
      // Only what would be written is checked against the limits (a setpoint left as it is is not set).
      const l = limits[i];
      if (l && (values[i] < l[0] || values[i] > l[1])) throw new OutOfLimitsError(`${src}: ${fam.name} ${names[i]} [${d[0]}, ${d[1]}]`, values[i], l);
      changes.push({ family: fam.name, device: d, name: names[i], old: now[i], new: values[i], change: values[i] - now[i], units });
    });
  }
  const notInSnapshot = known.filter((n) => !(n in snapshot.families) && acc.family(n).fields.includes('setpoint'));
  return { changes, unchanged, notInSnapshot };
}

/** Writes a plan's changes, family by family (each family's changed devices in one set, waiting for completion). */
export async function executeRestore(acc: RestoreTarget, plan: RestorePlan, options: { wait?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  const byFamily = new Map<string, SetpointChange[]>();
  for (const c of plan.changes) {
    const list = byFamily.get(c.family);
    if (list) list.push(c);
    else byFamily.set(c.family, [c]);
  }
  const done: string[] = [];
  for (const [name, cs] of byFamily) {
    try {
      await acc.family(name).devices(cs.map((c) => c.device)).set(cs.map((c) => c.new), { wait: options.wait, signal: options.signal });
    } catch (e) {
      // Say what is already restored: the machine is between the two configurations.
      if (done.length === 0) throw e;
      throw new MlayerError(`restore stopped at family ${name}: ${(e as Error).message}; already restored: ${done.join(', ')}`, { cause: e });
    }
    done.push(name);
  }
}
