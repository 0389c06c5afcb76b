/**
 * The tune diagram: the working point (fractional tunes of the tune monitor) on the
 * resonance lines m·qx + n·qy = p up to the order chosen (1 to 5), with the tune history
 * since the page opened.
 */
import { html, render } from 'lit';
import { type App, fmt } from './app.js';
import { chartElement, makeChart } from './charts.js';
import { resonanceLines } from './display.js';

const ORDER_COLOURS = ['#000000', '#c0392b', '#1f5fbf', '#2e8b57', '#b8860b'];

export async function mountTunePanel(app: App, el: HTMLElement): Promise<void> {
  const { optics, conn } = app;
  const devs = optics.roles.tune ? await app.devices(optics.roles.tune) : [];
  const pvs = devs.map((d) => d.channels.monitor ?? d.channels.readback);
  let maxOrder = 3;
  const history: [number, number][] = [];
  const tunes: [number, number] = [NaN, NaN];
  const head = document.createElement('div');
  const chartEl = chartElement('square', 'tune diagram: working point, resonance lines and tune history');
  el.append(head, chartEl);
  const chart = makeChart(chartEl);
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 30, bottom: 50 },
    xAxis: { type: 'value', min: 0, max: 1, name: 'qx (fractional)', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'qy (fractional)', nameLocation: 'middle', nameGap: 40 },
    dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'none' }, { type: 'inside', yAxisIndex: 0, filterMode: 'none' }],
    tooltip: { trigger: 'item' },
    legend: { top: 0 },
  });
  const frac = (q: number): number => q - Math.floor(q);
  const drawLines = (): void => {
    const series: Record<string, unknown>[] = [];
    for (let order = 1; order <= 5; order++) {
      series.push({
        id: `order-${order}`,
        name: `order ${order}`,
        type: 'lines',
        coordinateSystem: 'cartesian2d',
        silent: true,
        data: order <= maxOrder ? resonanceLines(order).map((coords) => ({ coords })) : [],
        lineStyle: { color: ORDER_COLOURS[order - 1], width: Math.max(0.5, 2.5 - order * 0.4), opacity: 0.7 },
      });
    }
    chart.setOption({ series, legend: { data: Array.from({ length: maxOrder }, (_, i) => `order ${i + 1}`).concat(['history', 'working point']) } });
  };
  const draw = (): void => {
    chart.setOption({
      series: [
        { id: 'history', name: 'history', type: 'scatter', data: history.map(([x, y]) => [frac(x), frac(y)]), symbolSize: 4, color: '#999', animation: false },
        { id: 'wp', name: 'working point', type: 'scatter', data: Number.isFinite(tunes[0]) ? [[frac(tunes[0]), frac(tunes[1])]] : [], symbolSize: 14, color: '#d00', animation: false },
      ],
    });
    render(
      html`<div class="controls">
          <label for="resonance-order">Resonance lines up to order</label>
          <select id="resonance-order" @change=${(e: Event) => ((maxOrder = Number((e.target as HTMLSelectElement).value)), drawLines())}>
            ${[1, 2, 3, 4, 5].map((o) => html`<option value=${o} ?selected=${o === maxOrder}>${o}</option>`)}
          </select>
          <button type="button" @click=${() => ((history.length = 0), draw())}>Clear history</button>
          <span>qx <strong id="tune-x">${fmt(tunes[0], 6)}</strong>, qy <strong id="tune-y">${fmt(tunes[1], 6)}</strong>; history ${history.length} points</span>
        </div>`,
      head,
    );
  };
  drawLines();
  draw();
  conn.subscribe(pvs, (pv, s) => {
    const k = pvs.indexOf(pv);
    if (k > 1 || typeof s.value !== 'number') return;
    tunes[k] = s.value;
    if (k === 1 && Number.isFinite(tunes[0])) {
      const lastPoint = history[history.length - 1];
      if (!lastPoint || lastPoint[0] !== tunes[0] || lastPoint[1] !== tunes[1]) history.push([tunes[0], tunes[1]]);
      if (history.length > 500) history.shift();
    }
    draw();
  });
}
