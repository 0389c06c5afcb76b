/**
 * Plots of a LOCO fit (`mlayer loco fit --plot BASE`): χ²/DOF per iteration,
 * the fitted ΔK/K of each group against s, the BPM gains and corrector kicks
 * against s, and the beta-beat and dispersion change of the fitted model against
 * the design along the ring, and the residual matrix (each BASE-<what>.svg and .png).
 */
import type { LatticeModel } from '@mlayer/core';
import type { LocoOrm, LocoResult } from '@mlayer/loco';
import { writeChart, writeSpec } from '../plots.js';
import { alongSSpec } from '../plots/along-s.js';
import { latticeStrip } from '../plots/lattice-strip.js';

export async function writeLocoPlots(base: string, res: LocoResult, design: LatticeModel, orm: LocoOrm, title: string): Promise<string[]> {
  const files: string[] = [];
  const add = (f: { svg: string; png: string }) => files.push(f.svg, f.png);
  const it = res.iterations.map((r) => r.iteration);
  add(await writeChart(`${base}-chi2`, [{ name: 'χ²/DOF', x: it, y: res.iterations.map((r) => r.chi2PerDof) }], { title: `LOCO: χ²/DOF per iteration`, subtitle: title, xLabel: 'iteration (0: start)', yLabel: 'χ²/DOF', logY: true, integerX: true }));
  const bpmEls = orm.bpms.map((b) => b.element);
  const corEls = [...orm.correctors.x, ...orm.correctors.y].map((c) => c.element);
  const strip = latticeStrip(design, bpmEls, corEls);
  const sOf = (e: number) => (e < design.length ? design.element(e).s : design.circumference);
  const groupSeries = (list: LocoResult['quadrupoles'], name: string, relative: boolean) => ({
    name,
    s: list.map((g) => sOf(g.elements[0])),
    y: list.map((g) => (relative && g.value !== null && g.value - g.delta !== 0 ? g.delta / (g.value - g.delta) : g.delta)),
    mark: 'stem' as const,
  });
  if (res.quadrupoles.length > 0) add(await writeSpec(`${base}-dk`, alongSSpec([groupSeries(res.quadrupoles, 'ΔK/K (ΔK where the elements differ)', true)], { title: 'LOCO: fitted gradient change of each quadrupole group (at its first element)', subtitle: title, yLabel: 'ΔK/K', strip })));
  if (res.skewQuadrupoles.length > 0) add(await writeSpec(`${base}-skew`, alongSSpec([groupSeries(res.skewQuadrupoles, 'ΔKs (m⁻²)', false)], { title: 'LOCO: fitted skew gradient of each group', subtitle: title, yLabel: 'ΔKs (m⁻²)', strip })));
  const bpmS = bpmEls.map(sOf);
  const kick0 = [...orm.correctors.x, ...orm.correctors.y].map((c) => c.kick);
  const kicks = [...res.correctorKicks.x, ...res.correctorKicks.y];
  const corS = corEls.map(sOf);
  const nx = orm.correctors.x.length;
  add(
    await writeSpec(
      `${base}-gains`,
      alongSSpec(
        [
          { name: 'BPM gain x', s: bpmS, y: res.bpmGains.x, mark: 'point' },
          { name: 'BPM gain y', s: bpmS, y: res.bpmGains.y, mark: 'point' },
          { name: 'corrector kick / step, x', s: corS.slice(0, nx), y: kicks.slice(0, nx).map((k, j) => k / kick0[j]), mark: 'point' },
          { name: 'corrector kick / step, y', s: corS.slice(nx), y: kicks.slice(nx).map((k, j) => k / kick0[nx + j]), mark: 'point' },
        ],
        { title: 'LOCO: BPM gains and corrector kicks (relative to the step in the ORM file)', subtitle: title, yLabel: 'gain', strip },
      ),
    ),
  );
  const all = Array.from({ length: design.length }, (_v, i) => i);
  const d = design.optics(all);
  const f = res.model.optics(all);
  const s = d.map((e) => e.s);
  add(
    await writeSpec(
      `${base}-beta`,
      alongSSpec(
        [
          { name: 'Δβx/βx', s, y: f.map((e, i) => (e.beta[0] - d[i].beta[0]) / d[i].beta[0]), plain: true },
          { name: 'Δβy/βy', s, y: f.map((e, i) => (e.beta[1] - d[i].beta[1]) / d[i].beta[1]), plain: true },
          { name: 'ΔDx (m)', s, y: f.map((e, i) => e.dispersion[0] - d[i].dispersion[0]), plain: true },
        ],
        { title: 'LOCO: the fitted model against the design (beta-beat, dispersion change)', subtitle: title, yLabel: 'Δβ/β, ΔDx (m)', strip },
      ),
    ),
  );
  add(await writeSpec(`${base}-residual`, residualSpec(res, orm, title)));
  return files;
}

/** The residual matrix (measured − model, µm) as a heat map: BPM readings against corrector columns. */
function residualSpec(res: LocoResult, orm: LocoOrm, title: string) {
  const { rows, columns, values } = res.residual;
  const nb = orm.bpms.length;
  const cols = [...orm.correctors.x.map((c) => `${c.name} (x)`), ...orm.correctors.y.map((c) => `${c.name} (y)`), ...(columns > orm.correctors.x.length + orm.correctors.y.length ? ['dispersion'] : [])];
  const data: { bpm: string; corrector: string; r: number; c: number; um: number }[] = [];
  for (let j = 0; j < columns; j++) {
    for (let r = 0; r < rows; r++) {
      const v = values[j * rows + r];
      if (Number.isFinite(v)) data.push({ bpm: `${orm.bpms[r % nb].name} ${r < nb ? 'x' : 'y'}`, corrector: cols[j], r, c: j, um: v * 1e6 });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'LOCO: residual matrix, measured − model (µm), fitted entries', subtitle: title, anchor: 'start' as const },
    background: 'white',
    width: Math.min(900, Math.max(300, 6 * columns)),
    height: Math.min(900, Math.max(300, 4 * rows)),
    data: { values: data },
    mark: 'rect' as const,
    encoding: {
      x: { field: 'c', type: 'ordinal' as const, title: 'corrector column (x, then y, then dispersion)', axis: { labels: false, ticks: false } },
      y: { field: 'r', type: 'ordinal' as const, title: 'BPM reading (x, then y)', axis: { labels: false, ticks: false } },
      color: { field: 'um', type: 'quantitative' as const, title: 'µm', scale: { scheme: 'redblue', domainMid: 0, reverse: true } },
      tooltip: [{ field: 'bpm' }, { field: 'corrector' }, { field: 'um', format: '.3f' }],
    },
  } as unknown as import('vega-lite').TopLevelSpec;
}
