/**
 * Charts against s (m): the quantity per BPM in one panel, the lattice's synoptic strip
 * above it on the same s axis (vega-lite, rendered by plots.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { LatticeStrip, StripKind } from './lattice-strip.js';

/** One series of a chart against s. */
export interface SSeries {
  readonly name: string;
  readonly s: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** 'line' (with points, default), 'point' (no line), or 'stem' (a bar from zero to each value: corrector changes). */
  readonly mark?: 'line' | 'point' | 'stem';
  /** A line through the values without a dot at each (a model sampled at every element). */
  readonly plain?: boolean;
}

export interface AlongSOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** Title of the y axis, with its unit. */
  readonly yLabel: string;
  readonly strip?: LatticeStrip;
  /** s range (default: the strip's circumference, else the data). */
  readonly sRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

/** Shape of each kind on the strip: band (y from, y to) and colour. */
const SHAPES: Readonly<Record<StripKind, { y: number; y2: number; color: string }>> = {
  // Magnets on the beam line, correctors above it, BPMs below it.
  dipole: { y: -0.3, y2: 0.3, color: '#1f77b4' },
  quadrupole: { y: -0.55, y2: 0.55, color: '#d62728' },
  sextupole: { y: -0.42, y2: 0.42, color: '#2ca02c' },
  corrector: { y: 0.6, y2: 1, color: '#ff7f0e' },
  BPM: { y: -1, y2: -0.6, color: '#9467bd' },
};
const KINDS = Object.keys(SHAPES) as StripKind[];

/** The strip panel: a beam line and one rectangle per element (zero-length ones get a visible width). */
function stripPanel(strip: LatticeStrip, width: number, domain: readonly [number, number]): Record<string, unknown> {
  const minWidth = (domain[1] - domain[0]) / 1500;
  const values = strip.elements
    .filter((e) => e.s + e.length >= domain[0] && e.s <= domain[1])
    .map((e) => ({ kind: e.kind, name: e.name, s: e.s, s2: e.s + Math.max(e.length, minWidth), y: SHAPES[e.kind].y, y2: SHAPES[e.kind].y2 }));
  const x = { field: 's', type: 'quantitative', scale: { domain, nice: false, zero: false }, axis: null };
  const y = { field: 'y', type: 'quantitative', scale: { domain: [-1, 1] }, axis: null };
  return {
    width,
    height: 50,
    layer: [
      { data: { values: [{ s: domain[0], s2: domain[1] }] }, mark: { type: 'rule', color: '#888', strokeWidth: 1 }, encoding: { x, x2: { field: 's2' }, y: { datum: 0, scale: { domain: [-1, 1] }, axis: null } } },
      {
        data: { values },
        mark: { type: 'rect' },
        encoding: {
          x,
          x2: { field: 's2' },
          y,
          y2: { field: 'y2' },
          color: { field: 'kind', type: 'nominal', title: null, scale: { domain: KINDS, range: KINDS.map((k) => SHAPES[k].color) }, legend: { orient: 'right', columns: 2, symbolType: 'square', rowPadding: 1, labelFontSize: 10 } },
          tooltip: [{ field: 'name' }, { field: 'kind' }, { field: 's', format: '.3f' }],
        },
      },
    ],
  };
}

/** A chart of series against s with the lattice strip above it (when given). */
export function alongSSpec(series: readonly SSeries[], o: AlongSOptions): TopLevelSpec {
  const width = o.width ?? 760;
  const values = series.flatMap((sr) => Array.from(sr.s, (s, i) => ({ series: sr.name, s, y: sr.y[i] })).filter((p) => Number.isFinite(p.y) && Number.isFinite(p.s)));
  const allS = values.map((v) => v.s);
  const domain: readonly [number, number] = o.sRange ?? (o.strip ? [0, o.strip.circumference] : [Math.min(...allS), Math.max(...allS)]);
  const names = series.map((s) => s.name);
  const encoding = {
    x: { field: 's', type: 'quantitative', title: 's (m)', scale: { domain, nice: false, zero: false } },
    y: { field: 'y', type: 'quantitative', title: o.yLabel, scale: { zero: false } },
    color: { field: 'series', type: 'nominal', title: null, scale: { domain: names }, legend: { orient: 'right', labelLimit: 320 } },
  };
  const lines = series.filter((s) => (s.mark ?? 'line') === 'line' && !s.plain).map((s) => s.name);
  const plain = series.filter((s) => (s.mark ?? 'line') === 'line' && s.plain).map((s) => s.name);
  const points = series.filter((s) => s.mark === 'point').map((s) => s.name);
  const layers: Record<string, unknown>[] = [];
  if (lines.length > 0) layers.push({ transform: [{ filter: { field: 'series', oneOf: lines } }], mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.2 }, encoding });
  if (plain.length > 0) layers.push({ transform: [{ filter: { field: 'series', oneOf: plain } }], mark: { type: 'line', strokeWidth: 1.2 }, encoding });
  const stems = series.filter((s) => s.mark === 'stem').map((s) => s.name);
  if (stems.length > 0) {
    const only = { filter: { field: 'series', oneOf: stems } };
    layers.push({ transform: [only], mark: { type: 'rule', strokeWidth: 2 }, encoding: { ...encoding, y2: { datum: 0 } } });
    layers.push({ transform: [only], mark: { type: 'point', filled: true, size: 20 }, encoding });
  }
  if (points.length > 0) layers.push({ transform: [{ filter: { field: 'series', oneOf: points } }], mark: { type: 'point', filled: true, size: 18 }, encoding });
  const main = { width, height: o.height ?? 260, data: { values }, layer: layers };
  const title = { text: o.title, subtitle: o.subtitle, anchor: 'start' as const };
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title, background: 'white', config: { concat: { spacing: 4 } } };
  const spacing = { spacing: 6 };
  if (!o.strip) return { ...base, ...main } as unknown as TopLevelSpec;
  return { ...base, ...spacing, vconcat: [stripPanel(o.strip, width, domain), main], resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } } } as unknown as TopLevelSpec;
}
