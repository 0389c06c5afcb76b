/**
 * Steering the beam through the paired quadrupoles' centres after BBA (issue 21): an offset
 * is the BPM reading when the beam passes through the quadrupole's centre with the orbit
 * moved by the pair's own corrector. Steering every BPM to its offset with the ORM gives
 * the orbit another shape near each quadrupole (the BPM is not at the quadrupole's centre:
 * up to 1.5 m away on the demo), and the beam misses the centres by the BPM-to-quadrupole
 * distance times the difference of slopes. Here the target is the quadrupoles themselves:
 * the beam's present offset in quadrupole m is −(x*_m − x_m)·A_m/H_m (x*: offset, x:
 * present reading, A and H: the own corrector's model orbit in the quadrupole, entrance and
 * exit averaged, and at the BPM), and the correctors move the model orbit in every paired
 * quadrupole by minus that (least squares on the model ORM at the quadrupoles). Nothing is
 * written: the caller sets the changes (the orbit is the one the BBA started from, or read anew).
 */
import { type Accelerator, type LatticeModel, Measurement } from '@mlayer/core';
import { lstsq } from '@mlayer/tuning-common';
import type { BbaResult } from './analyse.js';
import type { BbaPlan, Plane } from './configure.js';
import { correctorOrbit } from './corrector-orbit.js';
import { BbaError } from './errors.js';

export interface CentringOptions {
  /** Singular values kept in the least squares, relative to the largest (default 1e-5: on the demo with every second BPM paired, 1e-3 leaves 9 µm rms in the model and 11.1 µm on the twin, 1e-5 0 and 7.5 µm). */
  readonly rcond?: number;
  readonly model?: LatticeModel;
  /** Readings averaged per BPM (default 1): the centring starts from the present orbit, read this many times. */
  readonly average?: number;
}

export interface CentringPlan {
  /** Per corrector family (enabled devices): the change of each setpoint, physics units. */
  readonly correctors: readonly { family: string; plane: Plane; names: readonly string[]; change: Float64Array }[];
  /** Per paired quadrupole and plane: the beam's present offset from its centre (m) estimated from the BBA, and the model offset after the change. */
  readonly quads: readonly { plane: Plane; quad: string; element: number; offset: number; after: number }[];
}

/** The corrector changes that steer the beam through the paired quadrupoles' centres (model ORM at the quadrupoles). */
export async function planCentring(acc: Accelerator, plan: BbaPlan, result: { readonly pairs: readonly Pick<BbaResult['pairs'][number], 'offset'>[] }, options: CentringOptions = {}): Promise<CentringPlan> {
  const model = options.model ?? acc.model;
  if (!model) throw new BbaError(`${acc.name}: no lattice model; centring steers with the model ORM at the quadrupoles`);
  const rcond = options.rcond ?? 1e-5;
  const n = options.average ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new BbaError(`average must be a positive integer (got ${options.average})`);
  const correctors: CentringPlan['correctors'][number][] = [];
  const quads: CentringPlan['quads'][number][] = [];
  for (const plane of ['x', 'y'] as const) {
    const pairs = plan.pairs.flatMap((p, i) => (p.plane === plane && Number.isFinite(result.pairs[i]?.offset) ? [{ p, r: result.pairs[i] }] : []));
    if (pairs.length === 0) continue;
    const cor = acc.family(pairs[0].p.corrector.family).enabled();
    const { rowAt, quadRow } = correctorOrbit(model, cor, plane, pairs.flatMap(({ p }) => [p.quad.element, p.quad.element + 1, p.bpm.element]));
    const readings = new Map<string, number>();
    for (const fam of new Set(pairs.map(({ p }) => p.bpm.family))) {
      const f = acc.family(fam).enabled();
      // Averaged readings are fresh ones (core's Measurement, driving nothing).
      const v = n === 1 ? await f.get({ units: 'physics' }) : await new Measurement(acc, { name: 'bba-centring-read', drives: [] }).run(async (m) => (await m.average(f, n, { units: 'physics' })).mean);
      f.names.forEach((n, i) => readings.set(`${fam}/${n}`, v[i]));
    }
    // Offset of the beam in each quadrupole now; BPMs sharing a quadrupole averaged.
    const byQuad = new Map<number, { name: string; sum: number; n: number }>();
    for (const { p, r } of pairs) {
      const j = cor.names.indexOf(p.corrector.name);
      if (j < 0) throw new BbaError(`${p.bpm.name}: its corrector ${p.corrector.name} is not an enabled device of ${cor.name}`);
      const A = quadRow(p.quad.element)[j];
      const H = rowAt(p.bpm.element)[j];
      const x = readings.get(`${p.bpm.family}/${p.bpm.name}`);
      if (x === undefined || !Number.isFinite(x)) throw new BbaError(`${p.bpm.family} ${p.bpm.name}: no reading to steer from`);
      const u = -((r.offset - x) * A) / H;
      const e = byQuad.get(p.quad.element) ?? { name: p.quad.name, sum: 0, n: 0 };
      byQuad.set(p.quad.element, { name: e.name, sum: e.sum + u, n: e.n + 1 });
    }
    const els = [...byQuad.keys()];
    const rows = els.map(quadRow);
    const offsets = els.map((q) => byQuad.get(q)!.sum / byQuad.get(q)!.n);
    const change = lstsq(rows, offsets.map((u) => -u), rcond);
    correctors.push({ family: cor.name, plane, names: cor.names, change });
    els.forEach((q, i) => quads.push({ plane, quad: byQuad.get(q)!.name, element: q, offset: offsets[i], after: offsets[i] + rows[i].reduce((s, v, j) => s + v * change[j], 0) }));
  }
  return { correctors, quads };
}
