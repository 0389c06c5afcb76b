/**
 * Plots of a commissioning study (`mlayer commission report`): the fraction of
 * seeds reaching each stage, and the cumulative distribution of each figure of
 * merit after the last stage (orbit and quadrupole offsets, beta-beat, tune and
 * chromaticity errors), as .svg and .png.
 */
import type { StudyAggregate } from '@mlayer/commissioning';
import { writeChart } from '../plots.js';

export async function writeCommissionPlots(dir: string, name: string, agg: StudyAggregate): Promise<string[]> {
  const { mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const add = (p: { svg: string; png: string }) => files.push(p.svg, p.png);
  const subtitle = `study ${name}, ${agg.seeds} seeds`;
  add(
    await writeChart(join(dir, 'stages'), [{ name: 'fraction of seeds', x: agg.stages.map((s) => s.index), y: agg.stages.map((s) => s.reachedFraction) }], {
      title: `Seeds reaching each stage: ${agg.stages.map((s) => `${s.index} ${s.name}`).join(', ')}`,
      subtitle,
      xLabel: 'stage',
      yLabel: 'fraction of seeds',
      mark: 'bar',
      integerX: true,
    }),
  );
  const um = 1e6;
  const cdf = (label: string, names: readonly (keyof StudyAggregate['distributions'])[], scale: number) =>
    names.map((n) => ({ name: `${n}${label}`, x: agg.distributions[n].values.map((v) => v * scale), y: agg.distributions[n].fractions }));
  add(await writeChart(join(dir, 'cdf-orbit'), [...cdf('', ['orbit_true_rms_x', 'orbit_true_rms_y', 'quad_offset_rms_x', 'quad_offset_rms_y'], um)], { title: 'True orbit and beam-to-quadrupole offsets after the last stage (cumulative over seeds)', subtitle, xLabel: 'rms (µm)', yLabel: 'fraction of seeds', mark: 'line' }));
  add(await writeChart(join(dir, 'cdf-beta-beat'), cdf('', ['beta_beat_x', 'beta_beat_y'], 100), { title: 'Beta-beat after the last stage (cumulative over seeds)', subtitle, xLabel: 'rms beta-beat (%)', yLabel: 'fraction of seeds', mark: 'line' }));
  add(await writeChart(join(dir, 'cdf-tunes'), cdf('', ['tune_error_x', 'tune_error_y'], 1), { title: 'Tune errors after the last stage (cumulative over seeds)', subtitle, xLabel: '|tune - target|', yLabel: 'fraction of seeds', mark: 'line' }));
  add(await writeChart(join(dir, 'cdf-chromaticity'), cdf('', ['chromaticity_error_x', 'chromaticity_error_y'], 1), { title: 'Chromaticity errors after the last stage (cumulative over seeds)', subtitle, xLabel: '|chromaticity - target|', yLabel: 'fraction of seeds', mark: 'line' }));
  return files;
}
