/**
 * MML's combined LOCO input file (issue 20 item 7), as buildlocoinput saves it:
 * one .mat with LocoMeasData, BPMData, CMData, LocoFlags, FitParameters (and
 * LocoModel, RINGData, not read). Units are LOCO's: LocoMeasData.M is the
 * orbit change in mm for each corrector's step ([xx xy; yx yy], rows the
 * horizontal then the vertical BPMs), BPMSTD the noise of an entry in mm (the
 * √2 of a difference orbit included), Eta the orbit change in mm for the RF
 * step DeltaRF in Hz, CMData.HCMKicks/VCMKicks the steps in mrad. BPMs and
 * correctors are placed by their AT (1-based) lattice indices:
 * BPMData.BPMIndex(HBPMIndex / VBPMIndex), CMData.HCMIndex / VCMIndex; no
 * facility is needed. Where a variable is a struct array (a LOCO output file
 * with one entry per iteration), its first entry (the input) is read.
 *
 * LocoFlags give the fit settings: ClosedOrbitType (or
 * ResponseMatrixCalculatorFlag2) FixedPathLength / FixedMomentum, Dispersion
 * with Horizontal/VerticalDispersionWeight, Coupling (the xy and yx blocks),
 * SVmethod (a fraction: the singular-value threshold). FitParameters.Params{i}
 * become FIT groups where each is a plain gradient: FieldName 'K' or
 * 'PolynomB' with FieldIndex {1, 2} (a quadrupole group), 'PolynomA' with
 * {1, 2} (a skew group), with Function x (mkparamgroup's inline('x'), read as
 * a struct) and no Args; its ElemIndex over the entries of a struct array are
 * one parameter (a power supply; mkparamgroup's K and PolynomB entries of one
 * element count once). Anything else is refused with its index.
 */
import { readFileSync } from 'node:fs';
import { MlayerError } from '@mlayer/core';
import { type MatValue, readMat5 } from '@mlayer/engine/io';
import { type FitSpec, type GradientGroup, type LocoOrm, type OrbitType, parseOrm } from '@mlayer/loco';

type Rec = Readonly<Record<string, MatValue>>;

export interface LocoInputFlags {
  readonly orbitType?: OrbitType;
  /** null: LocoFlags.Dispersion 'No'. */
  readonly dispersion?: { readonly weightX: number; readonly weightY: number } | null;
  readonly couplingBlocks?: boolean;
  readonly svThreshold?: number;
}

export interface LocoInput {
  readonly orm: LocoOrm;
  readonly flags: LocoInputFlags;
  /** Absent: the file has no FitParameters. */
  readonly groups?: { readonly quadrupoles: GradientGroup[]; readonly skewQuadrupoles: GradientGroup[] };
}

const text = (v: MatValue | undefined): string | undefined => (v?.kind === 'char' ? v.text.trim() : undefined);
const nums = (v: MatValue | undefined): Float64Array | undefined => (v?.kind === 'numeric' ? v.data : undefined);
const yes = (v: MatValue | undefined): boolean | undefined => {
  const t = text(v)?.toLowerCase();
  if (t !== undefined) return t === 'yes';
  const n = nums(v);
  return n && n.length > 0 ? n[0] !== 0 : undefined;
};

/** True when the file holds buildlocoinput's variables (LocoMeasData, BPMData, CMData). */
export function isLocoInputFile(vars: ReadonlyMap<string, MatValue>): boolean {
  return vars.has('LocoMeasData') && vars.has('BPMData') && vars.has('CMData');
}

function first(vars: ReadonlyMap<string, MatValue>, name: string, file: string): Rec {
  const v = vars.get(name);
  if (v?.kind !== 'struct' || v.data.length === 0) throw new MlayerError(`${file}: ${name} is not a struct (MML's buildlocoinput writes one)`);
  return v.data[0];
}

function need(rec: Rec, field: string, file: string, where: string): Float64Array {
  const v = nums(rec[field]);
  if (!v) throw new MlayerError(`${file}: ${where}.${field} is missing or not numeric`);
  return v;
}

/** The gradient groups of FitParameters.Params; a parameter that is not a plain gradient is refused. */
function fitGroups(fp: Rec, file: string): LocoInput['groups'] {
  const params = fp.Params;
  if (!params) return undefined;
  const cells = params.kind === 'cell' ? params.data : [params];
  const out = { quadrupoles: [] as GradientGroup[], skewQuadrupoles: [] as GradientGroup[] };
  cells.forEach((c, i) => {
    const where = `FitParameters.Params{${i + 1}}`;
    if (c.kind !== 'struct' || c.data.length === 0) throw new MlayerError(`${file}: ${where} is not a parameter struct (ElemIndex, FieldName, FieldIndex)`);
    let kind: 'normal' | 'skew' | undefined;
    const elements = new Set<number>();
    for (const e of c.data) {
      const field = text(e.FieldName);
      const fi = e.FieldIndex;
      const index = fi?.kind === 'cell' ? fi.data.map((x) => nums(x)?.[0]) : fi?.kind === 'numeric' ? Array.from(fi.data) : [];
      const gradient = index.length === 2 && index[0] === 1 && index[1] === 2;
      const k: typeof kind = field === 'K' ? 'normal' : field === 'PolynomB' && gradient ? 'normal' : field === 'PolynomA' && gradient ? 'skew' : undefined;
      if (!k || (kind && k !== kind)) {
        throw new MlayerError(`${file}: ${where}: FieldName '${field ?? '?'}' FieldIndex {${index.join(', ')}} is not a quadrupole gradient (K, PolynomB{1,2}) nor a skew gradient (PolynomA{1,2}); mlayer fits only those from a LOCO input file: give the others in FIT.yaml`);
      }
      kind = k;
      // mkparamgroup's Function is inline('x') (read as a struct with expr) and Args {}: anything else scales the elements.
      const fn = e.Function;
      const expr = fn?.kind === 'struct' ? text(fn.data[0]?.expr) : text(fn);
      const args = e.Args;
      if ((expr !== undefined && expr.replace(/\s/g, '') !== 'x') || (args !== undefined && args.kind !== 'char' && args.data.length > 0)) {
        throw new MlayerError(`${file}: ${where}: Function '${expr ?? '?'}' with Args scales its elements; mlayer fits only plain gradient groups (Function x, no Args) from a LOCO input file`);
      }
      const el = nums(e.ElemIndex);
      if (!el || el.length === 0) throw new MlayerError(`${file}: ${where}.ElemIndex is missing`);
      // mkparamgroup lists each element twice (K and PolynomB{1,2}): one element, one entry.
      for (const x of el) elements.add(x - 1);
    }
    (kind === 'skew' ? out.skewQuadrupoles : out.quadrupoles).push({ name: `Params{${i + 1}}`, elements: [...elements] });
  });
  return out;
}

/** Reads buildlocoinput's file (vars: its variables, as readMat5 gives them). */
export function locoInputFromMat(vars: ReadonlyMap<string, MatValue>, file: string): LocoInput {
  const meas = first(vars, 'LocoMeasData', file);
  const bpm = first(vars, 'BPMData', file);
  const cm = first(vars, 'CMData', file);
  const bpmIndex = need(bpm, 'BPMIndex', file, 'BPMData');
  const hb = Array.from(need(bpm, 'HBPMIndex', file, 'BPMData'), (k) => bpmIndex[k - 1]);
  const vb = Array.from(need(bpm, 'VBPMIndex', file, 'BPMData'), (k) => bpmIndex[k - 1]);
  if (hb.some((v) => v === undefined) || vb.some((v) => v === undefined)) throw new MlayerError(`${file}: BPMData.HBPMIndex / VBPMIndex point past BPMData.BPMIndex (${bpmIndex.length} BPMs)`);
  if (hb.length !== vb.length || hb.some((v, k) => v !== vb[k])) {
    throw new MlayerError(`${file}: BPMData has ${hb.length} horizontal and ${vb.length} vertical BPMs at different elements; mlayer's LOCO needs one BPM list for both planes`);
  }
  const hcm = need(cm, 'HCMIndex', file, 'CMData');
  const vcm = need(cm, 'VCMIndex', file, 'CMData');
  const kicks = (field: string, n: number) => {
    const k = need(cm, field, file, 'CMData');
    if (k.length !== n && k.length !== 1) throw new MlayerError(`${file}: CMData.${field} has ${k.length} kicks for ${n} correctors`);
    return Array.from({ length: n }, (_v, j) => (k.length === 1 ? k[0] : k[j]) / 1000);
  };
  const hk = kicks('HCMKicks', hcm.length);
  const vk = kicks('VCMKicks', vcm.length);
  const m = meas.M;
  const nb = hb.length, nh = hcm.length, nv = vcm.length;
  if (m?.kind !== 'numeric' || m.dims.length !== 2 || m.dims[0] !== 2 * nb || m.dims[1] !== nh + nv) {
    throw new MlayerError(`${file}: LocoMeasData.M is ${m?.kind === 'numeric' ? m.dims.join(' x ') : 'missing'}; expected ${2 * nb} x ${nh + nv} (2 x ${nb} BPMs, ${nh} + ${nv} correctors)`);
  }
  const rows = 2 * nb;
  const block = (r0: number, c0: number, nc: number) =>
    Array.from({ length: nb }, (_r, i) => Array.from({ length: nc }, (_c, j) => {
      const v = m.data[r0 + i + (c0 + j) * rows] / 1000;
      return Number.isFinite(v) ? v : null;
    }));
  const raw: Record<string, unknown> = {
    bpms: hb.map((e) => ({ name: `BPM(${e})`, element: e - 1 })),
    correctors: { x: Array.from(hcm, (e, j) => ({ name: `HCM(${e})`, element: e - 1, kick: hk[j] })), y: Array.from(vcm, (e, j) => ({ name: `VCM(${e})`, element: e - 1, kick: vk[j] })) },
    orm: { xx: block(0, 0, nh), xy: block(0, nh, nv), yx: block(nb, 0, nh), yy: block(nb, nh, nv) },
  };
  const std = nums(meas.BPMSTD);
  if (std && std.length > 0) {
    if (std.length !== rows) throw new MlayerError(`${file}: LocoMeasData.BPMSTD has ${std.length} values for 2 x ${nb} BPMs`);
    raw.noise = { x: Array.from(std.subarray(0, nb), (v) => v / 1000), y: Array.from(std.subarray(nb), (v) => v / 1000) };
  }
  const eta = nums(meas.Eta);
  const dRf = nums(meas.DeltaRF)?.[0];
  if (eta && eta.length > 0) {
    if (eta.length !== rows || dRf === undefined || !(Number.isFinite(dRf) && dRf !== 0)) throw new MlayerError(`${file}: LocoMeasData.Eta has ${eta.length} values for 2 x ${nb} BPMs, DeltaRF ${dRf}`);
    const col = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? v / 1000 : null));
    raw.dispersion = { x: col(eta.subarray(0, nb)), y: col(eta.subarray(nb)), rfStep: dRf };
  }
  const orm = parseOrm(raw, file);
  const flagsVar = vars.get('LocoFlags');
  const f: Rec = flagsVar?.kind === 'struct' && flagsVar.data.length > 0 ? flagsVar.data[0] : {};
  const cot = (text(f.ClosedOrbitType) ?? text(f.ResponseMatrixCalculatorFlag2))?.toLowerCase();
  if (cot !== undefined && cot !== 'fixedpathlength' && cot !== 'fixedmomentum') throw new MlayerError(`${file}: LocoFlags closed-orbit type '${cot}'; expected FixedPathLength or FixedMomentum`);
  const disp = yes(f.Dispersion);
  const sv = nums(f.SVmethod)?.[0];
  const flags: LocoInputFlags = {
    orbitType: cot === undefined ? undefined : cot === 'fixedmomentum' ? 'fixed-momentum' : 'fixed-path-length',
    dispersion: disp === undefined ? undefined : disp ? { weightX: nums(f.HorizontalDispersionWeight)?.[0] ?? 1, weightY: nums(f.VerticalDispersionWeight)?.[0] ?? 1 } : null,
    couplingBlocks: yes(f.Coupling),
    svThreshold: sv !== undefined && sv > 0 && sv < 1 ? sv : undefined,
  };
  const fp = vars.get('FitParameters');
  const groups = fp?.kind === 'struct' && fp.data.length > 0 ? fitGroups(fp.data[0], file) : undefined;
  return { orm, flags, groups };
}

/** Reads buildlocoinput's .mat file. */
export function readLocoInput(file: string): LocoInput {
  const vars = readMat5(readFileSync(file));
  if (!isLocoInputFile(vars)) throw new MlayerError(`${file}: not an MML LOCO input file (no LocoMeasData, BPMData and CMData); give a folder for BPMRespMat / BPMData / Disp files`);
  return locoInputFromMat(vars, file);
}

/**
 * The fit settings with the file's: its LocoFlags replace FIT.yaml's orbit type, dispersion,
 * coupling blocks and singular-value threshold; its FitParameters are the gradient groups where
 * FIT.yaml gives none. Each replacement is returned as a note.
 */
export function withLocoInput(spec: FitSpec, input: LocoInput, file: string): { spec: FitSpec; notes: string[] } {
  const notes: string[] = [];
  const f = input.flags;
  let s: FitSpec = spec;
  if (f.orbitType !== undefined) s = { ...s, orbitType: f.orbitType };
  if (f.dispersion !== undefined) s = { ...s, dispersion: f.dispersion ?? undefined };
  if (f.couplingBlocks !== undefined) s = { ...s, couplingBlocks: f.couplingBlocks };
  if (f.svThreshold !== undefined) s = { ...s, svThreshold: f.svThreshold };
  notes.push(`${file}: LocoFlags used: orbit type ${s.orbitType}, dispersion ${s.dispersion ? `weights ${s.dispersion.weightX} / ${s.dispersion.weightY}` : 'not fitted'}, coupling blocks ${s.couplingBlocks ? 'yes' : 'no'}, singular-value threshold ${s.svThreshold}`);
  if (input.groups && spec.fit.quadrupoles.length === 0 && spec.fit.skewQuadrupoles.length === 0) {
    s = { ...s, fit: { ...s.fit, quadrupoles: input.groups.quadrupoles, skewQuadrupoles: input.groups.skewQuadrupoles } };
    notes.push(`${file}: FitParameters used: ${input.groups.quadrupoles.length} quadrupole and ${input.groups.skewQuadrupoles.length} skew groups`);
  } else if (input.groups) {
    notes.push(`${file}: FitParameters ignored: ${spec.file} gives the gradient groups`);
  }
  return { spec: s, notes };
}
