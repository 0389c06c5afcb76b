/**
 * Aperture charts: the dynamic aperture grid in x-y (points that survived and that were lost,
 * the boundary per angle joined by a line) and the momentum acceptance scan (survival against
 * δ, the boundary on each side marked).
 */
import type { TopLevelSpec } from 'vega-lite';

export interface DynamicApertureChart {
  readonly title: string;
  readonly subtitle?: string;
  /** Grid points [x, y] (m) and whether each survived. */
  readonly grid: readonly (readonly [number, number])[];
  readonly survived: readonly boolean[];
  /** Boundary point [x, y] (m) per angle, in angle order. */
  readonly boundary: readonly (readonly [number, number])[];
}

export interface MomentumAcceptanceChart {
  readonly title: string;
  readonly subtitle?: string;
  readonly dp: readonly number[];
  readonly survived: readonly boolean[];
  /** [negative, positive] acceptance. */
  readonly boundary: readonly [number, number];
}

const SURVIVED = 'survived';
const LOST = 'lost';
const COLORS = { domain: [SURVIVED, LOST, 'boundary'], range: ['#2ca02c', '#d62728', '#1f77b4'] };

/** A titled chart, 600 wide, of the given layers. */
function layered(o: { readonly title: string; readonly subtitle?: string }, height: number, layer: readonly object[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: o.title, subtitle: o.subtitle, anchor: 'start' },
    background: 'white',
    width: 600,
    height,
    layer,
  } as TopLevelSpec;
}

/** The DA grid (mm): survivors and lost points, and the boundary line. */
export function dynamicApertureSpec(o: DynamicApertureChart): TopLevelSpec {
  const points = o.grid.map(([x, y], i) => ({ x: x * 1e3, y: y * 1e3, series: o.survived[i] ? SURVIVED : LOST }));
  const boundary = o.boundary.map(([x, y], i) => ({ x: x * 1e3, y: y * 1e3, order: i, series: 'boundary' }));
  const x = { field: 'x', type: 'quantitative', title: 'x (mm)' };
  const y = { field: 'y', type: 'quantitative', title: 'y (mm)' };
  const color = { field: 'series', type: 'nominal', title: null, scale: COLORS };
  return layered(o, 320, [
    { data: { values: points }, mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y, color } },
    { data: { values: boundary }, mark: { type: 'line', strokeWidth: 2, point: true }, encoding: { x, y, color, order: { field: 'order' } } },
  ]);
}

/** Survival against δ (%) with the acceptance on each side as vertical rules. */
export function momentumAcceptanceSpec(o: MomentumAcceptanceChart): TopLevelSpec {
  const points = o.dp.map((d, i) => ({ dp: d * 100, s: o.survived[i] ? 1 : 0, series: o.survived[i] ? SURVIVED : LOST }));
  const rules = o.boundary.map((d) => ({ dp: d * 100, series: 'boundary', label: `${(d * 100).toFixed(2)} %` }));
  const x = { field: 'dp', type: 'quantitative', title: 'δ = Δp/p (%)' };
  const color = { field: 'series', type: 'nominal', title: null, scale: COLORS };
  return layered(o, 160, [
    { data: { values: points }, mark: { type: 'point', filled: true, size: 40 }, encoding: { x, y: { field: 's', type: 'quantitative', title: 'survived', scale: { domain: [-0.2, 1.2] }, axis: { values: [0, 1], format: 'd' } }, color } },
    { data: { values: rules }, mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, color } },
    { data: { values: rules }, mark: { type: 'text', dy: -70, dx: 4, align: 'left' }, encoding: { x, text: { field: 'label' } } },
  ]);
}
