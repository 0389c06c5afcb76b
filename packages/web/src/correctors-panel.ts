/**
 * The correctors panel: setpoint of every corrector against s (bars), its limits (dashes
 * above and below) and the ones near saturation (past the fraction of their limit chosen,
 * 90 % by default) in red and listed. Setpoints are read twice a second while on screen.
 */
import { html, render } from 'lit';
import { type App, fmt, watchVisible } from './app.js';
import { makeChart, makeStrip, plotWithStrip, twoPlaneLayout } from './charts.js';
import { nearSaturation } from './display.js';

interface Plane {
  family: string;
  names: string[];
  s: (number | null)[];
  limits: ([number, number] | null)[];
  values: Float64Array;
  units: string;
}

export async function mountCorrectorsPanel(app: App, el: HTMLElement): Promise<void> {
  const { optics, conn } = app;
  const planes: Plane[] = [];
  for (const family of optics.roles.corrector.slice(0, 2)) {
    const devs = await app.devices(family);
    planes.push({
      family,
      names: devs.map((d) => d.name),
      s: optics.devices[family]?.s ?? devs.map(() => null),
      limits: devs.map((d) => d.limits),
      values: new Float64Array(devs.length).fill(NaN),
      units: '',
    });
  }
  let fraction = 0.9;
  const head = document.createElement('div');
  el.append(head);
  const { plotEl, stripEl } = plotWithStrip(el, 'corrector setpoints against s with their limits', true);
  const chart = makeChart(plotEl);
  chart.setOption({
    ...twoPlaneLayout(optics.circumference),
    yAxis: [{ type: 'value', gridIndex: 0, name: planes[0]?.family }, { type: 'value', gridIndex: 1, name: planes[1]?.family }],
    tooltip: { trigger: 'item' },
    legend: { top: 0, data: ['setpoint', 'near saturation', 'limits'] },
  });
  makeStrip(stripEl, optics.elements, optics.circumference, chart, 'correctors');
  const draw = (): void => {
    const series: Record<string, unknown>[] = [];
    const saturated: string[][] = planes.map(() => []);
    planes.forEach((p, k) => {
      const ok: (number | string)[][] = [];
      const hot: (number | string)[][] = [];
      const lim: (number | string)[][] = [];
      p.s.forEach((s, i) => {
        if (s === null) return;
        const v = p.values[i];
        const near = nearSaturation(v, p.limits[i], fraction);
        (near ? hot : ok).push([s, v, p.names[i]]);
        if (near) saturated[k].push(p.names[i]);
        if (p.limits[i]) lim.push([s, p.limits[i]![0], p.names[i]], [s, p.limits[i]![1], p.names[i]]);
      });
      series.push(
        { id: `sp-${k}`, name: 'setpoint', type: 'bar', xAxisIndex: k, yAxisIndex: k, data: ok, barWidth: 2, color: '#1f5fbf', animation: false },
        { id: `hot-${k}`, name: 'near saturation', type: 'bar', xAxisIndex: k, yAxisIndex: k, data: hot, barWidth: 3, color: '#d00', animation: false },
        { id: `lim-${k}`, name: 'limits', type: 'scatter', xAxisIndex: k, yAxisIndex: k, data: lim, symbol: 'rect', symbolSize: [6, 1.5], color: '#555', animation: false },
      );
    });
    chart.setOption({ yAxis: planes.map((p) => ({ name: `${p.family} (${p.units})` })), series });
    render(
      html`<div class="controls">
          <label for="saturation">Near saturation past (% of the limit)</label>
          <input id="saturation" type="number" min="10" max="100" step="5" .value=${String(fraction * 100)} @change=${(e: Event) => ((fraction = Number((e.target as HTMLInputElement).value) / 100), (dirty = true))} />
        </div>
        <table class="stats" aria-label="corrector statistics">
          <thead><tr><th scope="col">family</th><th scope="col">correctors</th><th scope="col">max |setpoint|</th><th scope="col">near saturation</th></tr></thead>
          <tbody>
            ${planes.map(
              (p, k) => html`<tr>
                <th scope="row">${p.family}</th>
                <td>${p.values.length}</td>
                <td>${fmt(Math.max(...Array.from(p.values, (v) => (Number.isFinite(v) ? Math.abs(v) : 0))), 4)} ${p.units}</td>
                <td id="saturated-${k}">${saturated[k].length}${saturated[k].length ? `: ${saturated[k].slice(0, 8).join(', ')}${saturated[k].length > 8 ? ', …' : ''}` : ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>`,
      head,
    );
  };
  let dirty = true;
  let last = 0;
  const frame = (now: number): void => {
    if (dirty && now - last >= 200) {
      dirty = false;
      last = now;
      draw();
    }
    requestAnimationFrame(frame);
  };
  // Setpoints change only when written: one `get` per family twice a second (not 10 Hz channel updates of every corrector).
  const poll = async (): Promise<void> => {
    for (const p of planes) {
      const r = await conn.request({ type: 'get', family: p.family, field: 'setpoint', units: 'hardware' });
      (r.values as (number | null)[]).forEach((v, i) => (p.values[i] = v ?? NaN));
      p.units = String(r.units);
    }
    dirty = true;
  };
  await poll();
  const view = watchVisible(el, () => void poll().catch(() => undefined));
  setInterval(() => {
    if (view.visible && !document.hidden && conn.status === 'open') poll().catch(() => undefined);
  }, 500);
  requestAnimationFrame(frame);
}
