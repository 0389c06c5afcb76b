import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One series of a line or bar chart. */
export interface Series {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

export interface ChartOptions {
  readonly title: string;
  /** A second title line (facility, mode, time). */
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly mark?: 'line' | 'point' | 'bar';
  readonly logY?: boolean;
  /** x takes integer values only (iterations, indices): ticks on integers. */
  readonly integerX?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/** A vega-lite spec for series on common axes (one colour per series). */
export function chartSpec(series: readonly Series[], o: ChartOptions): TopLevelSpec {
  const values = series.flatMap((s) => Array.from(s.x, (x, i) => ({ series: s.name, x, y: s.y[i] })).filter((p) => Number.isFinite(p.y) && (!o.logY || p.y > 0)));
  const mark = o.mark ?? 'line';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.subtitle ? { text: o.title, subtitle: o.subtitle, anchor: 'start' } : o.title,
    width: o.width ?? 720,
    height: o.height ?? 280,
    background: 'white',
    data: { values },
    mark: mark === 'line' ? { type: 'line', point: values.length <= 400 } : { type: mark },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xLabel, ...(o.integerX ? { axis: { tickMinStep: 1, format: 'd' } } : {}) },
      y: { field: 'y', type: 'quantitative', title: o.yLabel, scale: o.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 360 } },
    },
  };
}

/** Renders a vega-lite spec to SVG text (vega's headless renderer). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<base>.svg` and `<base>.png` of a vega-lite spec; returns the two paths. */
export async function writeSpec(base: string, spec: TopLevelSpec): Promise<{ svg: string; png: string }> {
  const svg = await renderSvg(spec);
  const svgPath = `${base}.svg`;
  const pngPath = `${base}.png`;
  writeFileSync(svgPath, svg);
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  writeFileSync(pngPath, png);
  return { svg: svgPath, png: pngPath };
}

/** Writes `<base>.svg` and `<base>.png` for a chart; returns the two paths. */
export async function writeChart(base: string, series: readonly Series[], options: ChartOptions): Promise<{ svg: string; png: string }> {
  return writeSpec(base, chartSpec(series, options));
}
