import type { Command } from 'commander';
import { MlayerError, type ElementSelector, type LatticeModel } from '@mlayer/core';
import { modelDefaults, familyElements } from './model-defaults.js';
import { createLatticeModel, loadLattice, readLattice, writeLattice, formatConversionLosses, latticeFormats, listFormats, track, particlesFromRows, coordsToRows, compileLattice, type ConversionLoss } from '@mlayer/engine';
import { formatQuantity, formatter } from '@mlayer/core';
import { formatTable } from '../format/table.js';

export interface ModelOptions {
  lattice?: string;
  use?: string;
  bpms?: string;
  correctors?: string;
  kick: string[];
  dk: string[];
  dp: string;
  turns: string;
  particle: string[];
  json?: boolean;
}

/** A selector: 'class:Monitor', 'pass:CorrectorPass', 'famname:REGEX', or indices '1,5,9'. */
export function parseSelector(text: string): ElementSelector {
  if (/^\d+(\s*,\s*\d+)*$/.test(text.trim())) return text.split(',').map((t) => Number(t.trim()));
  return text;
}

function numbers(text: string, n: number, what: string): number[] {
  const v = text.split(',').map((t) => Number(t.trim()));
  if (v.length !== n || v.some((x) => !Number.isFinite(x))) throw new MlayerError(`${what} '${text}': expected ${n} comma-separated numbers`);
  return v;
}

/** Applies --kick INDEX:THX,THY and --dk INDEX:DK to the model. */
function applyChanges(model: LatticeModel, o: ModelOptions): void {
  for (const k of o.kick) {
    const [i, rest] = k.split(':');
    const index = Number(i);
    if (!Number.isInteger(index) || rest === undefined) throw new MlayerError(`--kick '${k}': expected INDEX:THX,THY`);
    const [tx, ty] = numbers(rest, 2, '--kick');
    model.setParameter({ element: index, field: 'KickAngle', index: 0 }, tx);
    model.setParameter({ element: index, field: 'KickAngle', index: 1 }, ty);
  }
  for (const d of o.dk) {
    const [i, rest] = d.split(':');
    const index = Number(i);
    const dk = Number(rest);
    if (!Number.isInteger(index) || !Number.isFinite(dk)) throw new MlayerError(`--dk '${d}': expected INDEX:DK`);
    const ref = { element: index, field: 'PolynomB', index: 1 };
    model.setParameter(ref, model.getParameter(ref) + dk);
  }
}

const rows = (m: Float64Array[]) => m.map((r) => Array.from(r));

/** `mlayer model optics|orbit|orm|track --lattice FILE ...`: the engine on a lattice file. */
export async function modelAction(what: 'optics' | 'orbit' | 'orm' | 'track', o: ModelOptions, cmd: Command): Promise<void> {
  const json = o.json || cmd.optsWithGlobals<{ json?: boolean }>().json;
  // Without --lattice: the facility's lattice, BPMs and correctors (model-defaults.ts).
  const fromFacility = o.lattice === undefined ? modelDefaults(cmd.optsWithGlobals<{ facility?: string }>().facility) : undefined;
  const latticeFile = o.lattice ?? fromFacility!.lattice;
  const lattice = loadLattice(latticeFile, { use: o.use });
  const m = createLatticeModel(lattice);
  applyChanges(m, o);
  const dp = Number(o.dp);
  if (!Number.isFinite(dp)) throw new MlayerError(`--dp '${o.dp}' is not a number`);
  const select = (given: string | undefined, families: readonly string[] | undefined, plain: string): number[] =>
    given !== undefined ? m.find(parseSelector(given)) : families ? familyElements(fromFacility!.facility.config, families, m) : m.find(plain);
  const bpms = select(o.bpms, fromFacility?.bpmFamilies, 'class:Monitor');
  const out: Record<string, unknown> = { lattice: latticeFile, ...(fromFacility ? { facility: fromFacility.facility.file, bpmFamilies: o.bpms === undefined ? fromFacility.bpmFamilies : undefined } : {}), elements: m.length, circumference: m.circumference, periodicity: m.periodicity, dp };
  if (what === 'track') {
    const turns = Number(o.turns);
    const initial = (o.particle.length > 0 ? o.particle : ['0.001,0,0.001,0,0,0']).map((p) => numbers(p, 6, '--particle'));
    const result = track(compileLattice(m.lattice()), particlesFromRows(initial), { turns });
    out.turns = turns;
    out.final = coordsToRows(result.coords, initial.length);
    out.lostTurn = Array.from(result.lostTurn, (t) => (t > 0 ? t - 1 : null));
    out.lostElement = Array.from(result.lostElement, (e) => (e >= 0 ? e : null));
  } else {
    const t = m.tunes({ dp });
    out.tunes = [t.qx, t.qy];
    out.chromaticity = m.chromaticity({ dp });
    out.momentumCompaction = m.momentumCompaction();
    const optics = m.optics(bpms, { dp });
    out.bpms = optics.map((b) => ({ index: b.index, name: m.element(b.index).famName, s: b.s, beta: b.beta, alpha: b.alpha, mu: b.mu, dispersion: b.dispersion }));
    out.closedOrbit = optics.map((b) => b.closedOrbit);
    if (what === 'orm') {
      const cors = select(o.correctors, fromFacility?.correctorFamilies, 'pass:CorrectorPass');
      const r = m.orbitResponse(bpms, cors, { dp });
      Object.assign(out, { correctors: cors, Rxx: rows(r.Rxx), Ryy: rows(r.Ryy), Rxy: rows(r.Rxy), Ryx: rows(r.Ryx) });
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say(`${latticeFile}: ${m.length} elements, circumference ${m.circumference.toFixed(6)} m, periodicity ${m.periodicity}, dp ${dp}`);
  if (what === 'track') {
    (out.final as number[][]).forEach((r, i) => say(`particle ${i}: ${r.map((v) => v.toExponential(6)).join(' ')}${(out.lostTurn as (number | null)[])[i] !== null ? ` LOST at turn ${(out.lostTurn as number[])[i]} element ${(out.lostElement as number[])[i]}` : ''}`));
    return;
  }
  const [qx, qy] = out.tunes as number[];
  const [cx, cy] = out.chromaticity as number[];
  say(`tunes ${qx.toFixed(6)} ${qy.toFixed(6)}   chromaticity ${cx.toFixed(4)} ${cy.toFixed(4)}   momentum compaction ${(out.momentumCompaction as number).toExponential(6)}`);
  if (what === 'optics' || what === 'orbit') {
    const bl = out.bpms as { index: number; name: string; s: number; beta: number[]; dispersion: number[] }[];
    const co = out.closedOrbit as number[][];
    // The closed orbit in the unit of its magnitude, one unit per column.
    const fx = formatter('m', co.map((c) => c[0]));
    const fy = formatter('m', co.map((c) => c[2]));
    const rows = bl.map((b, i) => [String(b.index), b.name, b.s.toFixed(3), b.beta[0].toFixed(3), b.beta[1].toFixed(3), b.dispersion[0].toFixed(4), fx.number(co[i][0]), fy.number(co[i][2])]);
    process.stdout.write(formatTable([{ header: 'index' }, { header: 'name', align: 'left' }, { header: 's (m)' }, { header: 'betax (m)' }, { header: 'betay (m)' }, { header: 'Dx (m)' }, { header: `x (${fx.unit})` }, { header: `y (${fy.unit})` }], rows));
  }
  if (what === 'orm') {
    const rxx = out.Rxx as number[][];
    say(`ORM: ${rxx.length} BPMs × ${(out.correctors as number[]).length} correctors; max |Rxx| ${formatQuantity(Math.max(...rxx.flat().map(Math.abs)), 'm/rad')}, max |Ryy| ${formatQuantity(Math.max(...(out.Ryy as number[][]).flat().map(Math.abs)), 'm/rad')}`);
  }
}

/** `mlayer model formats`. */
export function formatsAction(_o: unknown, cmd: Command): void {
  const formats = listFormats();
  if (cmd.optsWithGlobals<{ json?: boolean }>().json) process.stdout.write(`${JSON.stringify(formats)}\n`);
  else for (const f of formats) process.stdout.write(`${f.extension.padEnd(14)} ${f.canSave ? 'read/write' : 'read      '}  ${f.description}${f.namedLines ? ' [--use NAME]' : ''}\n`);
}

/** `mlayer model convert IN OUT [--use NAME]`: read, write, and print what could not be carried (nothing written when the read fails). */
export function convertAction(input: string, output: string, o: { use?: string; json?: boolean }, cmd: Command): void {
  const json = o.json || cmd.optsWithGlobals<{ json?: boolean }>().json;
  const read = readLattice(input, { use: o.use });
  // The line read keeps its name where the output format names lines (MAD-X, elegant).
  const outExt = latticeFormats.extensionOf(output);
  const named = listFormats().find((f) => f.extension === outExt)?.namedLines === true;
  const written = writeLattice(output, read.lattice, named && o.use !== undefined ? { use: o.use } : {});
  if (json) {
    process.stdout.write(`${JSON.stringify({ input, output, elements: read.lattice.elements.length, readLosses: read.losses, writeLosses: written.losses })}\n`);
    return;
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say(`${input} -> ${output}: ${read.lattice.elements.length} elements`);
  const report = (what: string, file: string, losses: readonly ConversionLoss[]) => {
    if (losses.length === 0) say(`${what} ${file}: nothing lost`);
    else {
      say(`${what} ${file}: ${losses.length} attribute(s) not carried:`);
      for (const line of formatConversionLosses(losses)) say(`  ${line}`);
    }
  };
  report('reading', input, read.losses);
  report('writing', output, written.losses);
}
