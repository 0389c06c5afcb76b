/**
 * The chromaticity scan as measured and fitted: tune against δ per plane (one panel each,
 * the fractional tunes of the planes being far apart), the points measured and the
 * fitted polynomial drawn through them.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface ChromPlane {
  readonly plane: 'x' | 'y';
  /** Tunes measured at each δ. */
  readonly tunes: ArrayLike<number>;
  /** Fit coefficients of 1, δ, δ² (fractional tune, ξ, ξ2). */
  readonly coefficients: ArrayLike<number>;
  /** Standard error of ξ. */
  readonly xiError: number;
}

export interface ChromFitOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** δ of each point. */
  readonly dp: ArrayLike<number>;
  readonly planes: readonly ChromPlane[];
}

const poly = (c: ArrayLike<number>, x: number): number => {
  let v = 0;
  for (let k = c.length - 1; k >= 0; k--) v = v * x + c[k];
  return v;
};

/** Tune against δ (in 10⁻³), measured points and the fitted curve, one panel per plane. */
export function chromFitSpec(o: ChromFitOptions): TopLevelSpec {
  const dp = Array.from(o.dp);
  const lo = Math.min(...dp);
  const hi = Math.max(...dp);
  const panels = o.planes.map((p) => {
    const xi = p.coefficients[1];
    const fitName = `fit: ξ${p.plane} = ${xi.toFixed(3)} ± ${p.xiError.toFixed(3)}${p.coefficients.length > 2 ? `, ξ2 = ${p.coefficients[2].toFixed(1)}` : ''}`;
    const measured = dp.map((d, i) => ({ dp: d * 1e3, q: p.tunes[i], series: `measured q${p.plane}` }));
    const fit = Array.from({ length: 41 }, (_v, k) => lo + ((hi - lo) * k) / 40).map((d) => ({ dp: d * 1e3, q: poly(p.coefficients, d), series: fitName }));
    const color = { field: 'series', type: 'nominal', title: null, scale: { domain: [`measured q${p.plane}`, fitName], range: ['#1f77b4', '#d62728'] }, legend: { orient: 'right', labelLimit: 320 } };
    const x = { field: 'dp', type: 'quantitative', title: 'δ = Δp/p (10⁻³)' };
    const y = { field: 'q', type: 'quantitative', title: `q${p.plane} (fractional tune)`, scale: { zero: false } };
    return {
      width: 600,
      height: 200,
      layer: [
        { data: { values: fit }, mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color } },
        { data: { values: measured }, mark: { type: 'point', filled: true, size: 50 }, encoding: { x, y, color } },
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: o.title, subtitle: o.subtitle, anchor: 'start' },
    background: 'white',
    vconcat: panels,
    resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
  } as TopLevelSpec;
}
