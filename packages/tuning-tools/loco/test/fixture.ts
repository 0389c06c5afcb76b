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
  /** BPM couplings: the share of the other plane's orbit in a reading (default 0). */
  readonly bpmCouplings?: { readonly x: readonly number[]; readonly y: readonly number[] };
  /** Corrector couplings: the share of a corrector's kick in the other plane (default 0). */
  readonly correctorCouplings?: { readonly x: readonly number[]; readonly y: readonly number[] };
  /** Energy shift δ per step of each x corrector (adds δ·η to its column; default none). */
  readonly energyShifts?: readonly number[];
  /** The RF step actually made, when it differs from the one written in the file (default: the same). */
  readonly trueRfStep?: number;
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
  const zero = { x: new Array(nb).fill(0), y: new Array(nb).fill(0) };
  const bc = o.bpmCouplings ?? zero;
  const cc = o.correctorCouplings ?? { x: new Array(nc).fill(0), y: new Array(nc).fill(0) };
  // Orbit (plane a) at BPM i for corrector j of plane b: its kick plus the coupled share in the other plane.
  const R = { xx: r.Rxx, xy: r.Rxy, yx: r.Ryx, yy: r.Ryy } as Record<string, Float64Array[]>;
  const other = (p: 'x' | 'y') => (p === 'x' ? 'y' : 'x');
  const eta = o.energyShifts ? truth.dispersion(o.bpms) : [];
  const shift = (a: 'x' | 'y', b: 'x' | 'y', i: number, j: number) => (o.energyShifts && b === 'x' ? o.energyShifts[j] * eta[i][a === 'x' ? 0 : 1] : 0);
  const orbit = (a: 'x' | 'y', b: 'x' | 'y', i: number, j: number) => o.kick * o.correctorGains[b][j] * (R[`${a}${b}`][i][j] + cc[b][j] * R[`${a}${other(b)}`][i][j]) + shift(a, b, i, j);
  const block = (a: 'x' | 'y', b: 'x' | 'y') =>
    Array.from({ length: nb }, (_v, i) =>
      Array.from({ length: nc }, (_w, j) => o.bpmGains[a][i] * orbit(a, b, i, j) + bc[a][i] * orbit(other(a), b, i, j) + o.noise * o.normal()),
    );
  const names = (p: string, els: readonly number[]) => els.map((e, i) => ({ name: `${p}${i + 1}`, element: e }));
  const out: Record<string, unknown> = {
    bpms: names('BPM', o.bpms),
    correctors: { x: names('HC', o.correctors).map((c) => ({ ...c, kick: o.kick })), y: names('VC', o.correctors).map((c) => ({ ...c, kick: o.kick })) },
    orm: { xx: block('x', 'x'), xy: block('x', 'y'), yx: block('y', 'x'), yy: block('y', 'y') },
    noise: { x: new Array(nb).fill(o.noise), y: new Array(nb).fill(o.noise) },
  };
  if (o.rf) {
    const delta = -(o.trueRfStep ?? o.rf.step) / (truth.momentumCompaction() * o.rf.frequency);
    const d = truth.dispersion(o.bpms);
    out.dispersion = {
      x: d.map((v, i) => (o.bpmGains.x[i] * v[0] + bc.x[i] * v[1]) * delta + o.noise * o.normal()),
      y: d.map((v, i) => (o.bpmGains.y[i] * v[1] + bc.y[i] * v[0]) * delta + o.noise * o.normal()),
      rfStep: o.rf.step,
    };
  }
  return out;
}
