/**
 * ECharts, with only the parts the page uses (tree-shaken): line, scatter, bar and custom
 * series, grids, axes, zoom, tooltips, legends, mark lines; canvas renderer. The lattice's
 * synoptic strip is a custom series of one grid (a rectangle per magnet, a tick per BPM and
 * corrector), drawn by ECharts like every other series.
 */
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, LineChart, LinesChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, AriaComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { html, type TemplateResult } from 'lit';

echarts.use([LineChart, LinesChart, ScatterChart, BarChart, CustomChart, GridComponent, DataZoomComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, AriaComponent, CanvasRenderer]);

export type { EChartsCoreOption };
export type Chart = echarts.ECharts;

export function makeChart(el: HTMLElement): Chart {
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  new ResizeObserver(() => chart.resize()).observe(el);
  return chart;
}

/** What the strip shows: the optics message's elements. */
export interface Elements {
  s: number[];
  length: number[];
  kind: string[];
  name: string[];
}

/** Row (0 top .. 1 bottom) and colour of each kind on the strip; magnets above and below the axis as in MML's drawlattice. */
export const STRIP_STYLE: Record<string, { colour: string; top: number; bottom: number; label: string }> = {
  dipole: { colour: '#1f5fbf', top: 0.25, bottom: 0.75, label: 'dipole' },
  quadrupole: { colour: '#c0392b', top: 0.05, bottom: 0.5, label: 'quadrupole' },
  sextupole: { colour: '#2e8b57', top: 0.5, bottom: 0.95, label: 'sextupole' },
  multipole: { colour: '#8e44ad', top: 0.3, bottom: 0.7, label: 'multipole' },
  rf: { colour: '#d35400', top: 0.1, bottom: 0.9, label: 'RF cavity' },
  bpm: { colour: '#222222', top: 0.0, bottom: 0.2, label: 'BPM' },
  corrector: { colour: '#b8860b', top: 0.8, bottom: 1.0, label: 'corrector' },
};

/** The strip's data: [s start, s end, kind index, name]. */
export function stripData(e: Elements): (string | number)[][] {
  const kinds = Object.keys(STRIP_STYLE);
  return e.s.map((s, i) => [s, s + e.length[i], kinds.indexOf(e.kind[i]), e.name[i]]);
}

/** The strip as a custom series on grid/axes `axis` (its y axis runs 0..1). */
export function stripSeries(e: Elements, axis: number): Record<string, unknown> {
  const kinds = Object.keys(STRIP_STYLE);
  return {
    type: 'custom',
    id: `strip-${axis}`,
    name: 'lattice',
    xAxisIndex: axis,
    yAxisIndex: axis,
    silent: false,
    animation: false,
    encode: { x: [0, 1], tooltip: 3 },
    data: stripData(e),
    renderItem: (_params: unknown, api: { value(i: number): number; coord(p: [number, number]): [number, number]; size(p: [number, number]): [number, number] }) => {
      const st = STRIP_STYLE[kinds[api.value(2)]];
      if (!st) return null;
      const [x0, yTop] = api.coord([api.value(0), 1 - st.top]);
      const [x1, yBottom] = api.coord([api.value(1), 1 - st.bottom]);
      return { type: 'rect', shape: { x: x0, y: yTop, width: Math.max(1, x1 - x0), height: yBottom - yTop }, style: { fill: st.colour } };
    },
  };
}

/**
 * The strip in its own chart below a plot (its canvas is not repainted when the plot's data
 * change), its zoom tied to the plot's: both in `group` (echarts.connect). The plot's zoom
 * components must be, as the strip's, [inside, slider].
 */
export function makeStrip(el: HTMLElement, e: Elements, circumference: number, plot: Chart, group: string): Chart {
  const strip = makeChart(el);
  strip.setOption({
    animation: false,
    grid: { left: 70, right: 20, top: 2, bottom: 40 },
    xAxis: { type: 'value', min: 0, max: circumference, name: 's (m)', nameLocation: 'middle', nameGap: 20 },
    yAxis: { type: 'value', min: 0, max: 1, show: false },
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', xAxisIndex: 0, bottom: 0, height: 14 }],
    tooltip: { trigger: 'item', formatter: (p: { value: (string | number)[] }) => `${p.value[3]} (s ${Number(p.value[0]).toFixed(3)} m)` },
    series: [stripSeries(e, 0)],
  });
  plot.group = group;
  strip.group = group;
  echarts.connect(group);
  return strip;
}

/** A chart's element: class `chart` plus `size` ('tall', 'square', 'strip' or none), an image to assistive technology with `label`. */
export function chartElement(size: string, label: string): HTMLElement {
  const el = document.createElement('div');
  el.className = size ? `chart ${size}` : 'chart';
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  return el;
}

/**
 * Layout of a plot of both planes against s (x above, y below), zoomed together as its strip:
 * grids, x axes over the ring and the [inside, slider] zoom that makeStrip needs.
 */
export function twoPlaneLayout(circumference: number): Record<string, unknown> {
  const axis = { type: 'value', min: 0, max: circumference, axisLabel: { show: false } };
  return {
    animation: false,
    grid: [
      { left: 70, right: 20, top: 30, height: '40%' },
      { left: 70, right: 20, top: '55%', height: '40%' },
    ],
    xAxis: [{ ...axis, gridIndex: 0 }, { ...axis, gridIndex: 1 }],
    dataZoom: [{ type: 'inside', xAxisIndex: [0, 1] }, { type: 'slider', xAxisIndex: [0, 1], show: false }],
  };
}

/** A plot's element with its strip below it. */
export function plotWithStrip(parent: HTMLElement, label: string, tall: boolean): { plotEl: HTMLElement; stripEl: HTMLElement } {
  const plotEl = chartElement(tall ? 'tall' : '', label);
  const stripEl = chartElement('strip', 'lattice synoptic strip: dipoles, quadrupoles, sextupoles, BPMs, correctors along s');
  parent.append(plotEl, stripEl);
  return { plotEl, stripEl };
}

/**
 * Zoom from the keyboard: s from/to fields (labelled) that zoom the plot (and its strip, by
 * their group) as the mouse wheel and the slider do.
 */
export function zoomFields(id: string, chart: Chart, circumference: number): TemplateResult {
  const apply = (ev: Event): void => {
    const form = (ev.target as HTMLElement).closest('.zoom')!;
    const from = Number(form.querySelector<HTMLInputElement>(`#${id}-from`)!.value);
    const to = Number(form.querySelector<HTMLInputElement>(`#${id}-to`)!.value);
    if (Number.isFinite(from) && Number.isFinite(to) && to > from) chart.dispatchAction({ type: 'dataZoom', dataZoomIndex: 0, startValue: from, endValue: to });
  };
  return html`<span class="zoom">
    <label for="${id}-from">s from (m)</label><input id="${id}-from" type="number" step="any" size="6" value="0" @change=${apply} />
    <label for="${id}-to">to (m)</label><input id="${id}-to" type="number" step="any" size="6" value=${String(circumference)} @change=${apply} />
  </span>`;
}

/** The strip's legend (HTML: a key of the colours). */
export function stripKey(): string {
  return Object.values(STRIP_STYLE)
    .map((st) => `<span class="key"><span class="swatch" style="background:${st.colour}"></span>${st.label}</span>`)
    .join(' ');
}
