/** Shared test fixtures: the hmba cell, a seeded normal generator, and a synthetic ORM.json made from a "true" model. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatticeModel } from '@mlayer/core';
import { createLatticeModel, loadLattice } from '@mlayer/engine';

export const SHARED = process.env.MLAYER_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared');
export const HMBA = join(SHARED, 'lattices/hmba/hmba_4d.atjson.json');

export function hmbaModel(): LatticeModel {
  return createLatticeModel(loadLattice(HMBA));
}

/**
 * The hmba cell with a thin two-plane corrector (CorrectorPass, Class Corrector)
 * right after each BPM, as pySC's LOCO test builds it: 10 BPMs, 10 correctors per plane.
 */
export function hmbaWithCorrectors(): LatticeModel {
  const lattice = loadLattice(HMBA);
  const elements = [];
  for (const e of lattice.elements) {
    elements.push(e);
    if (e.Class === 'Monitor') elements.push({ FamName: `CXY_${e.FamName}`, PassMethod: 'CorrectorPass', Class: 'Corrector', Length: 0, KickAngle: [0, 0] });
  }
  return createLatticeModel({ ...lattice, elements });
}

/** Seeded standard normal numbers (mulberry32 + Box–Muller). */
export function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export interface SyntheticOptions {
  readonly bpms: readonly number[];
  readonly correctors: readonly number[];
  /** Corrector step (rad). */
  readonly kick: number;
  readonly bpmGains: { readonly x: readonly number[]; readonly y: readonly number[] };
  readonly correctorGains: { readonly x: readonly number[]; readonly y: readonly number[] };
  /** 1σ BPM noise added to every entry (m). */
  readonly noise: number;
  readonly normal: () => number;
  readonly orbitType?: 'fixed-path-length' | 'fixed-momentum';
  /** RF step (Hz) of a dispersion column, if wanted; needs the RF frequency. */
  readonly rf?: { readonly step: number; readonly frequency: number };
}

/** An ORM.json object measured on `truth`: x and y correctors on the same elements, BPM and corrector gains, noise. */
export function syntheticOrm(truth: LatticeModel, o: SyntheticOptions): Record<string, unknown> {
  const r = truth.orbitResponse(o.bpms, o.correctors, { orbitType: o.orbitType ?? 'fixed-path-length' });
  const nb = o.bpms.length;
  const nc = o.correctors.length;
  const block = (m: Float64Array[], a: 'x' | 'y', b: 'x' | 'y') =>
    Array.from({ length: nb }, (_v, i) => Array.from({ length: nc }, (_w, j) => o.bpmGains[a][i] * m[i][j] * o.kick * o.correctorGains[b][j] + o.noise * o.normal()));
  const names = (p: string, els: readonly number[]) => els.map((e, i) => ({ name: `${p}${i + 1}`, element: e }));
  const out: Record<string, unknown> = {
    bpms: names('BPM', o.bpms),
    correctors: { x: names('HC', o.correctors).map((c) => ({ ...c, kick: o.kick })), y: names('VC', o.correctors).map((c) => ({ ...c, kick: o.kick })) },
    orm: { xx: block(r.Rxx, 'x', 'x'), xy: block(r.Rxy, 'x', 'y'), yx: block(r.Ryx, 'y', 'x'), yy: block(r.Ryy, 'y', 'y') },
    noise: { x: new Array(nb).fill(o.noise), y: new Array(nb).fill(o.noise) },
  };
  if (o.rf) {
    const delta = -o.rf.step / (truth.momentumCompaction() * o.rf.frequency);
    const d = truth.dispersion(o.bpms);
    out.dispersion = {
      x: d.map((v, i) => o.bpmGains.x[i] * v[0] * delta + o.noise * o.normal()),
      y: d.map((v, i) => o.bpmGains.y[i] * v[1] * delta + o.noise * o.normal()),
      rfStep: o.rf.step,
    };
  }
  return out;
}
