/**
 * MML's control-room vocabulary over one accelerator, for `mlayer shell`: getam, getsp,
 * setsp, stepsp, getx, gety, gettune, steptune, getrf, setrf, steprf, getmachineconfig,
 * setmachineconfig, family2dev, getfamilylist, getspos, ... Each function is async (the
 * shell awaits it) and checks its arguments, naming the function and the value; writes
 * go through core (limits checked before anything is written) and, on an online control
 * system, only with --yes.
 */
import { type Accelerator, type Family, type Snapshot, type Units, MlayerError, facilityTools } from '@mlayer/core';
import { resolveOrbitFamilies } from '@mlayer/orbit';
import { measureTunes, stepTunes } from '@mlayer/tune';
import { refuseOnlineWrites } from '../context.js';
import type { GlobalOptions } from '../global-options.js';
import { Quantity, type Reading, RestoreReport, WriteReport, makeReading } from './reading.js';

/** One function of the shell: how it is called and what it does (help()). */
export interface ShellFunctionHelp {
  readonly usage: string;
  readonly about: string;
}

export type ShellFunction = (...args: unknown[]) => Promise<unknown>;

/** The functions and their help, in the order help() lists them. */
export interface ShellVocabulary {
  readonly functions: Readonly<Record<string, ShellFunction>>;
  readonly help: Readonly<Record<string, ShellFunctionHelp>>;
}

type DeviceId = readonly [number, number];

/** What the refusal of an online write suggests. */
const ONLINE = 'start mlayer shell with --yes to allow them';

const describe = (v: unknown): string => {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

const isPair = (v: unknown): v is DeviceId => Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x));

function unitsOf(v: unknown): Units | undefined {
  if (typeof v !== 'string') return undefined;
  const u = v.toLowerCase();
  return u === 'physics' || u === 'hardware' ? u : undefined;
}

/**
 * The devices and units after a family: a device list [[s, i], ...] or one device [s, i],
 * a common name or a list of them, and 'physics' or 'hardware' (MML's 'Physics'/'Hardware'),
 * in any order.
 */
function selection(fn: string, fam: Family, rest: readonly unknown[]): { fam: Family; units: Units } {
  let units: Units | undefined;
  let selected: Family | undefined;
  for (const arg of rest) {
    if (arg === undefined || arg === null) continue;
    const u = unitsOf(arg);
    if (u) {
      if (units) throw new MlayerError(`${fn}: units given twice ('${units}' and ${describe(arg)})`);
      units = u;
      continue;
    }
    if (selected) throw new MlayerError(`${fn}: one device selection only (got ${describe(arg)} after one); give a list [[s, i], ...] or a list of names`);
    if (typeof arg === 'string') selected = fam.byName(arg);
    else if (isPair(arg)) selected = fam.devices([arg]);
    else if (Array.isArray(arg) && arg.length > 0 && arg.every(isPair)) selected = fam.devices(arg as DeviceId[]);
    else if (Array.isArray(arg) && arg.length > 0 && arg.every((a) => typeof a === 'string')) selected = fam.byName(...(arg as string[]));
    else throw new MlayerError(`${fn}: ${describe(arg)} is neither a device list ([[sector, index], ...]), a device name nor 'physics'/'hardware'`);
  }
  return { fam: selected ?? fam, units: units ?? 'hardware' };
}

function familyArg(fn: string, acc: Accelerator, name: unknown): Family {
  if (typeof name !== 'string') throw new MlayerError(`${fn}: the first argument is a family name such as 'BPMx' (got ${describe(name)}); getfamilylist() lists them`);
  return acc.family(name);
}

function numbersArg(fn: string, what: string, v: unknown, size: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(size).fill(v) : Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<unknown>) : undefined;
  if (!list) throw new MlayerError(`${fn}: ${what} must be a number or an array of numbers (got ${describe(v)})`);
  list.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new MlayerError(`${fn}: ${what}${list.length > 1 ? ` ${i + 1}` : ''} is ${describe(x)}, not a finite number; nothing was written`);
  });
  if (list.length !== size) throw new MlayerError(`${fn}: ${list.length} values for ${size} device(s): give one value or one per device; nothing was written`);
  return list as number[];
}

function reading(fam: Family, field: 'setpoint' | 'readback' | 'monitor', units: Units, values: ArrayLike<number>): Reading {
  return makeReading(values, { family: fam.name, field, units: fam.units(field)[units], devices: fam.deviceList, names: fam.names });
}

/** The vocabulary over an accelerator; `options` carries --yes (online writes). `signal` is the evaluation's abort signal (Ctrl-C). */
export function shellVocabulary(acc: Accelerator, options: GlobalOptions, signal: () => AbortSignal | undefined): ShellVocabulary {
  const readFamily = async (fn: string, family: Family, field: 'setpoint' | 'readback' | 'monitor' | undefined, rest: readonly unknown[]): Promise<Reading> => {
    const { fam, units } = selection(fn, family, rest);
    const f = field ?? fam.readField;
    return reading(fam, f, units, await fam.get({ field: f, units, signal: signal() }));
  };
  const read = (fn: string, name: unknown, field: 'setpoint' | 'readback' | 'monitor' | undefined, rest: readonly unknown[]): Promise<Reading> => readFamily(fn, familyArg(fn, acc, name), field, rest);

  const write = async (fn: string, fam: Family, units: Units, target: (before: Float64Array) => number[]): Promise<WriteReport> => {
    refuseOnlineWrites(acc, options, fn, ONLINE);
    const before = await fam.get({ field: 'setpoint', units, signal: signal() });
    const values = target(before);
    await fam.set(values, { units, wait: true, signal: signal() });
    const after = await fam.get({ field: 'setpoint', units, signal: signal() });
    return new WriteReport(fam.name, fam.names, Array.from(before), Array.from(after), fam.units('setpoint')[units]);
  };

  const setsp = async (name: unknown, values: unknown, ...rest: unknown[]) => {
    const { fam, units } = selection('setsp', familyArg('setsp', acc, name), rest);
    const v = numbersArg('setsp', 'the value', values, fam.size);
    return write('setsp', fam, units, () => v);
  };
  const stepsp = async (name: unknown, deltas: unknown, ...rest: unknown[]) => {
    const { fam, units } = selection('stepsp', familyArg('stepsp', acc, name), rest);
    const d = numbersArg('stepsp', 'the step', deltas, fam.size);
    return write('stepsp', fam, units, (before) => d.map((x, i) => before[i] + x));
  };

  /** The BPMs of a plane: a device selection picks from the whole family; without one, its enabled BPMs (MML's status). */
  const bpms = (fn: string, plane: 'x' | 'y', rest: readonly unknown[]): Promise<Reading> => {
    const enabled = resolveOrbitFamilies(acc, {}, [plane], { bpms: true }).bpms[plane]!;
    const hasSelection = rest.some((a) => a !== undefined && a !== null && unitsOf(a) === undefined);
    return readFamily(fn, hasSelection ? acc.family(enabled.name) : enabled, undefined, rest);
  };

  const rf = () => resolveOrbitFamilies(acc, {}, [], { rf: true }).rf!;
  const rfValue = async (rest: readonly unknown[]): Promise<Quantity> => {
    const fam = rf();
    const units = selection('getrf', fam, rest).units;
    const v = await fam.get({ units, signal: signal() });
    return new Quantity(v[0], fam.units()[units], `${fam.name} ${fam.readField}`);
  };

  const functions: Record<string, ShellFunction> = {
    getam: (name, ...rest) => read('getam', name, undefined, rest),
    getsp: (name, ...rest) => read('getsp', name, 'setpoint', rest),
    setsp,
    stepsp,
    getx: (...rest) => bpms('getx', 'x', rest),
    gety: (...rest) => bpms('gety', 'y', rest),
    gettune: async () => {
      const m = await measureTunes(acc, { method: 'auto', samples: 1, signal: signal() });
      return makeReading(m.tunes, { family: 'tune', field: m.method, units: '', devices: [], names: ['qx', 'qy'] });
    },
    steptune: async (dq, families) => {
      refuseOnlineWrites(acc, options, 'steptune', ONLINE);
      if (!Array.isArray(dq) || dq.length !== 2 || !dq.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new MlayerError(`steptune: the tune change is [dqx, dqy] (got ${describe(dq)}); nothing was written`);
      const fams = families === undefined ? facilityTools(acc.facility).tuneFamilies : Array.isArray(families) ? (families as unknown[]).map(String) : undefined;
      if (!fams) throw new MlayerError(`steptune: ${families === undefined ? `${acc.facility.file} names no tune knob families (tools.tune.families): give them, steptune([dqx, dqy], ['QF', 'QD'])` : `the families are a list of names (got ${describe(families)})`}; nothing was written`);
      const r = await stepTunes(acc, [dq[0] as number, dq[1] as number], { families: fams, signal: signal() });
      return { families: r.families, deltas: Array.from(r.deltas), steps: r.steps, predicted: r.predicted };
    },
    getrf: (...rest) => rfValue(rest),
    setrf: async (f, ...rest) => {
      const fam = rf();
      const { units } = selection('setrf', fam, rest);
      const v = numbersArg('setrf', 'the frequency', f, 1);
      return write('setrf', fam, units, () => v);
    },
    steprf: async (df, ...rest) => {
      const fam = rf();
      const { units } = selection('steprf', fam, rest);
      const d = numbersArg('steprf', 'the step', df, 1);
      return write('steprf', fam, units, (before) => [before[0] + d[0]]);
    },
    getdcct: async () => {
      const fam = acc.group('DCCT')[0];
      if (!fam) throw new MlayerError(`getdcct: ${acc.facility.file} has no DCCT family`);
      const v = await fam.get({ signal: signal() });
      return new Quantity(v[0], fam.units().hardware, `${fam.name} ${fam.readField}`);
    },
    getmachineconfig: async () => acc.snapshot({ signal: signal() }),
    setmachineconfig: async (config) => {
      refuseOnlineWrites(acc, options, 'setmachineconfig', ONLINE);
      let snapshot: Snapshot;
      let source = 'configuration';
      if (typeof config === 'string') {
        const { readMachineConfig } = await import('@mlayer/data');
        snapshot = (await readMachineConfig(config)).snapshot;
        source = config;
      } else if (config && typeof config === 'object' && 'families' in config) snapshot = config as Snapshot;
      else throw new MlayerError(`setmachineconfig: give what getmachineconfig() returned or a machine-configuration file (got ${describe(config)}); nothing was written`);
      const plan = await acc.restore(snapshot, { wait: true, source, signal: signal() });
      return new RestoreReport(source, plan.changes, plan.unchanged);
    },
    family2dev: async (name, all) => {
      const fam = familyArg('family2dev', acc, name);
      return (all === true || all === 0 ? fam : fam.enabled()).deviceList.map((d) => [d[0], d[1]]);
    },
    family2name: async (name, ...rest) => selection('family2name', familyArg('family2name', acc, name), rest).fam.names,
    family2channel: async (name, field, ...rest) => {
      const fam = familyArg('family2channel', acc, name);
      const f = field === undefined || field === null ? fam.readField : field;
      if (f !== 'setpoint' && f !== 'readback' && f !== 'monitor') throw new MlayerError(`family2channel: field ${describe(field)}: expected 'setpoint', 'readback' or 'monitor' (${fam.name} has ${fam.fields.join(', ')})`);
      return selection('family2channel', fam, rest).fam.channels(f);
    },
    getfamilylist: async () => acc.familyNames(),
    getunits: async (name, field) => {
      const fam = familyArg('getunits', acc, name);
      return fam.units((field as 'setpoint' | 'readback' | 'monitor' | undefined) ?? fam.readField);
    },
    minsp: async (name, ...rest) => limits('minsp', name, rest, 0),
    maxsp: async (name, ...rest) => limits('maxsp', name, rest, 1),
    getspos: async (name, ...rest) => {
      const { fam } = selection('getspos', familyArg('getspos', acc, name), rest);
      const model = acc.model;
      if (!model) throw new MlayerError(`getspos: mode '${acc.mode}' has no lattice model (the facility names no lattice)`);
      const s = fam.latticeElements(model).map((e) => model.element(e).s);
      return makeReading(s, { family: fam.name, field: 's', units: 'm', devices: fam.deviceList, names: fam.names });
    },
  };

  const limits = (fn: string, name: unknown, rest: readonly unknown[], k: 0 | 1) => {
    const { fam } = selection(fn, familyArg(fn, acc, name), rest);
    const v = fam.limits.map((l) => (l ? l[k] : k === 0 ? -Infinity : Infinity));
    return makeReading(v, { family: fam.name, field: 'setpoint limit', units: fam.units('setpoint').hardware, devices: fam.deviceList, names: fam.names });
  };

  // Every function answers with a promise, failures included (an argument refused before any I/O rejects too).
  const asyncFunctions = Object.fromEntries(Object.entries(functions).map(([k, f]) => [k, Object.defineProperty(async (...args: unknown[]) => f(...args), 'name', { value: k })]));
  return { functions: asyncFunctions, help: HELP };
}

/** The functions whose first argument is a family (completion offers family names there). */
export const FAMILY_FUNCTIONS: ReadonlySet<string> = new Set(['getam', 'getsp', 'setsp', 'stepsp', 'family2dev', 'family2name', 'family2channel', 'getunits', 'minsp', 'maxsp', 'getspos']);

/** help(): one line per function, MML's meaning first. */
export const HELP: Readonly<Record<string, ShellFunctionHelp>> = {
  getam: { usage: "getam('BPMx'[, devices][, 'physics'])", about: 'monitor (else readback) of a family; devices: [[s, i], ...], [s, i], a name or names' },
  getsp: { usage: "getsp('HSTR'[, devices][, 'physics'])", about: 'setpoints of a family' },
  setsp: { usage: "setsp('HSTR', value(s)[, devices][, 'physics'])", about: 'sets setpoints (one value, or one per device); limits checked first' },
  stepsp: { usage: "stepsp('HSTR', delta(s)[, devices][, 'physics'])", about: 'adds to the setpoints' },
  getx: { usage: "getx([devices][, 'physics'])", about: 'horizontal orbit (the enabled BPMs of plane x)' },
  gety: { usage: "gety([devices][, 'physics'])", about: 'vertical orbit' },
  gettune: { usage: 'gettune()', about: 'fractional tunes [qx, qy] (tune monitors, else turn-by-turn data)' },
  steptune: { usage: "steptune([dqx, dqy][, ['Q1D', 'Q2D']])", about: "steps the tunes with the facility's tune knob families (tools.tune.families) or those given" },
  getrf: { usage: "getrf(['physics'])", about: 'RF frequency' },
  setrf: { usage: 'setrf(f)', about: 'sets the RF frequency' },
  steprf: { usage: 'steprf(df)', about: 'steps the RF frequency' },
  getdcct: { usage: 'getdcct()', about: 'beam current' },
  getmachineconfig: { usage: 'cfg = getmachineconfig()', about: 'every setpoint of the machine (a snapshot)' },
  setmachineconfig: { usage: "setmachineconfig(cfg | 'file.h5')", about: 'writes a configuration back (checked in full first; only changed setpoints are written)' },
  family2dev: { usage: "family2dev('BPMx'[, all])", about: 'device list [[sector, index], ...] of the enabled devices (all: every device)' },
  family2name: { usage: "family2name('BPMx'[, devices])", about: 'common names' },
  family2channel: { usage: "family2channel('HSTR'[, 'setpoint'][, devices])", about: 'channel names in this mode' },
  getfamilylist: { usage: 'getfamilylist()', about: 'family names' },
  getunits: { usage: "getunits('HSTR'[, 'setpoint'])", about: 'hardware and physics units of a field' },
  minsp: { usage: "minsp('HSTR'[, devices])", about: 'lower setpoint limits (hardware units)' },
  maxsp: { usage: "maxsp('HSTR'[, devices])", about: 'upper setpoint limits (hardware units)' },
  getspos: { usage: "getspos('BPMx'[, devices])", about: 'position s along the ring (m), from the lattice model' },
};
