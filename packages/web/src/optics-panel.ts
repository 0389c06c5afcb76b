/**
 * The optics navigator (MML's plotbeta, pyAT's plot_beta): beta, dispersion or phase
 * advance against s from the server's lattice model, with the synoptic strip and zoom; in
 * twin mode the machine's optics (errors and setpoints) dashed beside the design.
 */
import { html, render } from 'lit';
import { type App, type OpticsCurves, type OpticsView, fmt } from './app.js';
import { makeChart, makeStrip, plotWithStrip, zoomFields } from './charts.js';

type Quantity = 'beta' | 'dispersion' | 'phase';

const CURVES: Record<Quantity, { keys: [keyof OpticsCurves, keyof OpticsCurves]; labels: [string, string]; unit: string }> = {
  beta: { keys: ['betax', 'betay'], labels: ['βx', 'βy'], unit: 'm' },
  dispersion: { keys: ['dispx', 'dispy'], labels: ['ηx', 'ηy'], unit: 'm' },
  phase: { keys: ['mux', 'muy'], labels: ['μx/2π', 'μy/2π'], unit: '' },
};

export function mountOpticsPanel(app: App, el: HTMLElement): void {
  let view: OpticsView = app.optics;
  let quantity: Quantity = 'beta';
  let status = '';
  const head = document.createElement('div');
  el.append(head);
  const { plotEl, stripEl } = plotWithStrip(el, 'model optics against s', true);
  const chart = makeChart(plotEl);
  chart.setOption({
    animation: false,
    grid: { left: 70, right: 20, top: 30, bottom: 10 },
    xAxis: { type: 'value', min: 0, max: view.circumference, axisLabel: { show: false } },
    yAxis: { type: 'value', scale: true },
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', xAxisIndex: 0, show: false }],
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
  });
  makeStrip(stripEl, view.elements, view.circumference, chart, 'optics');
  const draw = (): void => {
    const c = CURVES[quantity];
    const series: Record<string, unknown>[] = [];
    const colours = ['#1f5fbf', '#c0392b'];
    const sets: [string, OpticsCurves | null, string][] = [
      ['design', view.design, 'solid'],
      ['machine', view.machine, 'dashed'],
    ];
    for (const [name, curves, dash] of sets)
      c.keys.forEach((k, i) => {
        series.push({
          id: `${name}-${i}`,
          name: `${c.labels[i]} ${name}`,
          type: 'line',
          xAxisIndex: 0,
          yAxisIndex: 0,
          showSymbol: false,
          data: curves ? curves.s.map((s, j) => [s, (curves[k] as number[])[j]]) : [],
          lineStyle: { type: dash, width: name === 'design' ? 1.5 : 1.2 },
          color: colours[i],
        });
      });
    chart.setOption({ yAxis: { name: `${c.labels.join(', ')}${c.unit ? ` (${c.unit})` : ''}` }, series });
    const t = (x: OpticsCurves | null): string => (x ? `${fmt(x.tunes[0], 6)} / ${fmt(x.tunes[1], 6)}` : '—');
    render(
      html`<div class="controls">
          <label for="optics-quantity">Show</label>
          <select id="optics-quantity" @change=${(e: Event) => ((quantity = (e.target as HTMLSelectElement).value as Quantity), draw())}>
            <option value="beta" ?selected=${quantity === 'beta'}>beta functions</option>
            <option value="dispersion" ?selected=${quantity === 'dispersion'}>dispersion</option>
            <option value="phase" ?selected=${quantity === 'phase'}>phase advance</option>
          </select>
          <button id="optics-refresh" type="button" @click=${refresh}>Recompute (machine now)</button>
          ${zoomFields('optics-zoom', chart, view.circumference)}
          <span>model tunes: design <strong id="optics-design-tunes">${t(view.design)}</strong>, machine <strong id="optics-machine-tunes">${t(view.machine)}</strong>${view.machineError ? ` (${view.machineError})` : ''}</span>
          <span class="muted">${status}</span>
        </div>`,
      head,
    );
  };
  const refresh = async (): Promise<void> => {
    status = 'computing…';
    draw();
    try {
      view = (await app.conn.request({ type: 'optics' }, 60000)) as unknown as OpticsView;
      status = `computed ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      status = (e as Error).message;
    }
    draw();
  };
  draw();
}
