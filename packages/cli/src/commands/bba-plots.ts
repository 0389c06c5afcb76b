/**
 * Plots of a BBA measurement (`mlayer bba show FILE --plot BASE`): BASE-offsets (each
 * pair's offset with its ±1σ band, per plane, against the BPM's position in the file)
 * and BASE-fits (per pair, up to `maxPairs`: the combined induced orbit change against the
 * paired BPM's reading, with the fitted line and its zero crossing), as .svg and .png.
 */
import type { BbaFile, PairResult } from '@mlayer/bba';
import { writeChart } from '../plots.js';

export async function writeBbaPlots(base: string, f: BbaFile, fits: readonly PairResult[], maxPairs = 8): Promise<string[]> {
  const files: string[] = [];
  const um = (v: number) => v * 1e6;
  const series = (['x', 'y'] as const).flatMap((plane) => {
    const o = f.offsets.filter((r) => r.plane === plane);
    if (o.length === 0) return [];
    const idx = o.map((_r, i) => i);
    return [
      { name: `${plane} offset`, x: idx, y: o.map((r) => um(r.offset)) },
      { name: `${plane} offset - 1σ`, x: idx, y: o.map((r) => um(r.offset - r.sigma)) },
      { name: `${plane} offset + 1σ`, x: idx, y: o.map((r) => um(r.offset + r.sigma)) },
    ];
  });
  const a = await writeChart(`${base}-offsets`, series, { title: 'BBA: BPM reading with the beam through the quadrupole centre (±1σ)', subtitle: `${f.facility}, ${f.time}`, xLabel: 'pair (order of the file, per plane)', yLabel: 'offset (µm)', mark: 'point', integerX: true });
  files.push(a.svg, a.png);
  if (fits.length > 0) {
    const fitSeries = fits.slice(0, maxPairs).flatMap((r) => {
      const lo = Math.min(...r.x, r.offset);
      const hi = Math.max(...r.x, r.offset);
      return [
        { name: `${r.plane} ${r.bpm} (${r.quad}) measured`, x: r.x.map(um), y: r.y.map(um) },
        { name: `${r.plane} ${r.bpm} fit, zero at ${um(r.offset).toFixed(1)} ± ${um(r.sigma).toFixed(1)} µm`, x: [um(lo), um(hi)], y: [um(r.fit.a + r.fit.b * lo), um(r.fit.a + r.fit.b * hi)] },
      ];
    });
    const b = await writeChart(`${base}-fits`, fitSeries, { title: 'BBA: induced orbit change (slope-weighted over the BPMs) against the paired BPM reading', subtitle: `${f.facility}, ${f.time}${fits.length > maxPairs ? `; first ${maxPairs} of ${fits.length} pairs` : ''}`, xLabel: 'paired BPM reading (µm)', yLabel: 'induced orbit change (µm, combined)' });
    files.push(b.svg, b.png);
  }
  return files;
}
