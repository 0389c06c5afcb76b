/**
 * Model-dependent BBA analysis (issue 21 item 4, as ESRF's): the induced orbit change
 * D = orbit(+Δk) − orbit(−Δk) of each step is projected on the model's orbit response to a
 * dipole kick at the quadrupole (all BPMs of the plane, least squares: θ = R·D / R·R, weighted
 * by the readings' standard errors where the measurement averaged several), which gives the
 * kick the modulation produced; the kick against the paired BPM's reading is a line whose zero
 * crossing is the offset, with the 1σ propagated from that fit. Where the serial analysis weighs
 * each BPM by its measured slope, this one needs no slope per BPM (two or three steps suffice),
 * and it fails where the model response is wrong. The modulation is bipolar (±Δk about the
 * operating point), so the tunes at the two states straddle the nominal ones and the projection
 * uses the nominal model's response.
 */
import type { Accelerator, LatticeModel } from '@mlayer/core';
import { fitLine, inducedOrbits, type PairResult, zeroCrossing } from './analyse.js';
import { BbaError } from './errors.js';
import type { BbaData } from './measure.js';

export interface ModelAnalyseOptions {
  readonly model?: LatticeModel;
}

export function analyseBbaModel(acc: Accelerator, data: BbaData, options: ModelAnalyseOptions = {}): { pairs: PairResult[] } {
  const model = options.model ?? acc.model;
  if (!model) throw new BbaError(`${acc.name}: no lattice model; the model-dependent analysis projects on the model's kick response`);
  const pairs = data.pairs.map((d) => {
    const p = d.pair;
    const bpmEls = acc.family(p.bpm.family).enabled().latticeElements(model);
    if (bpmEls.length !== d.bpmNames.length) throw new BbaError(`${p.bpm.family}: ${d.bpmNames.length} BPMs were read, ${bpmEls.length} are enabled now`);
    const r = model.orbitResponse(bpmEls, [p.quad.element]);
    const blk = p.plane === 'x' ? r.Rxx : r.Ryy;
    const row = new Map(r.bpms.map((e, i) => [e, i]));
    const R = bpmEls.map((e) => blk[row.get(e)!][0]);
    const x = d.plus.map((v, i) => (v[d.bpmIndex] + d.minus[i][d.bpmIndex]) / 2);
    const induced = inducedOrbits(d);
    const kick = d.plus.map((v, i) => {
      let num = 0;
      let den = 0;
      v.forEach((_a, j) => {
        const D = induced[i][j];
        if (!Number.isFinite(D)) return;
        const e2 = (d.plusErr[i]?.[j] ?? Number.NaN) ** 2 + (d.minusErr[i]?.[j] ?? Number.NaN) ** 2;
        const w = Number.isFinite(e2) && e2 > 0 ? 1 / e2 : 1;
        num += w * R[j] * D;
        den += w * R[j] * R[j];
      });
      return num / den;
    });
    const fit = fitLine(x, kick);
    const z = zeroCrossing(fit);
    return { plane: p.plane, bpmFamily: p.bpm.family, bpm: p.bpm.name, quad: p.quad.name, corrector: p.corrector.name, offset: z.centre, sigma: z.sigma, used: R.length, bpms: [], x, y: kick, fit, ...(p.extra ? { extra: true } : {}) } satisfies PairResult;
  });
  return { pairs };
}
