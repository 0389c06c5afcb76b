/**
 * The orbit panel: x and y at every BPM against s, over the lattice's synoptic strip; a
 * reference (zero, the golden orbit, or a snapshot saved from the page) drawn beside the
 * orbit or subtracted from it; rms and max per plane; disabled BPMs (grey squares) and BPMs
 * reading NaN (red triangles on the axis) marked. All BPMs are read at once every publishing
 * period (100 ms: the server's throttle) and the chart redrawn on the next animation frame.
 */
import { html, render } from 'lit';
import { type App, fmt, watchVisible } from './app.js';
import { type Chart, makeChart, makeStrip, plotWithStrip, stripKey, twoPlaneLayout, zoomFields } from './charts.js';
import { orbitStats } from './display.js';

type Reference = 'zero' | 'golden' | 'snapshot';

interface Plane {
  family: string;
  label: string;
  pvs: string[];
  s: (number | null)[];
  enabled: boolean[];
  values: Float64Array;
  units: string;
  golden: number[];
  snapshot: Float64Array | undefined;
}

export async function mountOrbitPanel(app: App, el: HTMLElement): Promise<void> {
  const { optics, conn } = app;
  const planes: Plane[] = [];
  for (const [k, family] of optics.roles.bpm.slice(0, 2).entries()) {
    const devs = await app.devices(family);
    const pos = optics.devices[family];
    planes.push({
      family,
      label: k === 0 ? 'x' : 'y',
      pvs: devs.map((d) => d.channels.monitor ?? d.channels.readback),
      s: pos?.s ?? devs.map(() => null),
      enabled: pos?.enabled ?? devs.map(() => true),
      values: new Float64Array(devs.length).fill(NaN),
      units: '',
      golden: optics.golden[family] ?? devs.map(() => 0),
      snapshot: undefined,
    });
  }
  let reference: Reference = 'zero';
  let difference = false;
  let updated = 0;
  const refOf = (p: Plane): ArrayLike<number> | undefined => (reference === 'golden' ? p.golden : reference === 'snapshot' ? p.snapshot : undefined);
  const shown = (p: Plane): Float64Array => {
    const ref = refOf(p);
    if (!difference || !ref) return p.values;
    return p.values.map((v, i) => v - ref[i]);
  };

  const controls = (): unknown => html`
    <div class="controls">
      <fieldset>
        <legend>Reference</legend>
        ${(['zero', 'golden', 'snapshot'] as const).map(
          (r) => html`<label><input type="radio" name="orbit-ref" value=${r} .checked=${reference === r} ?disabled=${r === 'snapshot' && !planes[0]?.snapshot} @change=${() => ((reference = r), refresh())} />
            ${r === 'zero' ? 'zero' : r === 'golden' ? 'golden orbit' : 'saved snapshot'}</label>`,
        )}
      </fieldset>
      <button id="orbit-snapshot" type="button" @click=${saveSnapshot}>Save snapshot as reference</button>
      <label><input id="orbit-difference" type="checkbox" .checked=${difference} @change=${(e: Event) => ((difference = (e.target as HTMLInputElement).checked), refresh())} /> Difference (orbit − reference)</label>
      ${zoomFields('orbit-zoom', chart, optics.circumference)}
    </div>
    <table class="stats" aria-label="orbit statistics">
      <thead><tr><th scope="col">plane</th><th scope="col">BPMs</th><th scope="col">rms</th><th scope="col">max</th><th scope="col">disabled</th><th scope="col">NaN</th></tr></thead>
      <tbody>
        ${planes.map((p) => {
          const st = orbitStats(shown(p), p.enabled);
          const nan = p.values.filter((v) => !Number.isFinite(v)).length;
          return html`<tr>
            <th scope="row">${p.label} (${p.family})</th>
            <td id="orbit-${p.label}-count">${p.values.length}</td>
            <td id="orbit-${p.label}-rms">${fmt(st.rms, 4)} ${p.units}</td>
            <td id="orbit-${p.label}-max">${fmt(st.max, 4)} ${p.units}</td>
            <td>${p.enabled.filter((e) => !e).length}</td>
            <td id="orbit-${p.label}-nan">${nan}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    <p class="muted">Redraws: <span id="orbit-renders">${app.orbitRenders}</span>; readings: <span id="orbit-updates">${updated}</span> (every ${app.orbitPeriodMs} ms). Strip: ${unsafeKey}</p>`;
  const unsafeKey = html`<span .innerHTML=${stripKey()}></span>`;

  const head = document.createElement('div');
  el.append(head);
  const { plotEl, stripEl } = plotWithStrip(el, 'horizontal and vertical orbit against s', true);
  const chart: Chart = makeChart(plotEl);
  chart.setOption({
    ...twoPlaneLayout(optics.circumference),
    yAxis: [
      { type: 'value', gridIndex: 0, name: `x`, scale: true },
      { type: 'value', gridIndex: 1, name: `y`, scale: true },
    ],
    tooltip: { trigger: 'item' },
    legend: { top: 0, data: ['orbit', 'reference', 'disabled', 'NaN'] },
  });
  makeStrip(stripEl, optics.elements, optics.circumference, chart, 'orbit');

  const draw = (): void => {
    const series: Record<string, unknown>[] = [];
    planes.forEach((p, k) => {
      const v = shown(p);
      const good: (number | string)[][] = [];
      const disabled: (number | string)[][] = [];
      const nan: (number | string)[][] = [];
      p.s.forEach((s, i) => {
        if (s === null) return;
        if (!Number.isFinite(v[i])) nan.push([s, 0, p.pvs[i]]);
        else if (!p.enabled[i]) disabled.push([s, v[i], p.pvs[i]]);
        else good.push([s, v[i], p.pvs[i]]);
      });
      const ref = refOf(p);
      series.push(
        { id: `orbit-${k}`, name: 'orbit', type: 'line', xAxisIndex: k, yAxisIndex: k, data: good, symbolSize: 4, lineStyle: { width: 1.5 }, color: '#1f5fbf', animation: false },
        { id: `ref-${k}`, name: 'reference', type: 'line', xAxisIndex: k, yAxisIndex: k, data: !difference && ref ? p.s.map((s, i) => [s, ref[i]]).filter((d) => d[0] !== null) : [], showSymbol: false, lineStyle: { type: 'dashed', width: 1 }, color: '#888', animation: false },
        { id: `disabled-${k}`, name: 'disabled', type: 'scatter', xAxisIndex: k, yAxisIndex: k, data: disabled, symbol: 'rect', symbolSize: 8, color: '#999', animation: false },
        { id: `nan-${k}`, name: 'NaN', type: 'scatter', xAxisIndex: k, yAxisIndex: k, data: nan, symbol: 'triangle', symbolSize: 10, color: '#d00', animation: false },
      );
    });
    chart.setOption({ yAxis: planes.map((p) => ({ name: `${p.label}${difference && reference !== 'zero' ? ' − ref' : ''} (${p.units})` })), series }, { lazyUpdate: false });
    app.orbitRenders++;
    // The table and controls: at most twice a second (the chart at every redraw).
    if (performance.now() - tableDrawn > 500 || forceTable) {
      forceTable = false;
      tableDrawn = performance.now();
      render(controls(), head);
    }
  };
  let tableDrawn = -1e9;
  let forceTable = true;
  let dirty = true;
  const refresh = (): void => {
    dirty = true;
    forceTable = true;
  };
  const saveSnapshot = (): void => {
    for (const p of planes) p.snapshot = Float64Array.from(p.values);
    reference = 'snapshot';
    refresh();
  };
  // At most one redraw per publishing period (the server's 100 ms throttle), on an animation frame.
  let last = 0;
  const view = watchVisible(el);
  const frame = (now: number): void => {
    if (dirty && view.visible && now - last >= 80) {
      dirty = false;
      last = now;
      draw();
    }
    requestAnimationFrame(frame);
  };
  // The readings: every BPM of both planes in one `read` per publishing period, the next asked
  // when the last has arrived (a slow page or network reads less often, never falls behind).
  const all = planes.flatMap((p) => p.pvs);
  const units = await Promise.all(planes.map((p) => conn.request({ type: 'get', family: p.family, field: 'monitor' }).then((r) => String(r.units)).catch(() => '')));
  planes.forEach((p, k) => (p.units = units[k]));
  const poll = async (): Promise<void> => {
    const states = await conn.read(all);
    let j = 0;
    for (const p of planes)
      for (let i = 0; i < p.pvs.length; i++, j++) {
        const v = states[j].value;
        p.values[i] = typeof v === 'number' ? v : NaN;
      }
    updated++;
    dirty = true;
  };
  const loop = async (): Promise<void> => {
    for (;;) {
      const t = performance.now();
      if (conn.status === 'open' && !document.hidden) await poll().catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.max(10, app.orbitPeriodMs - (performance.now() - t))));
    }
  };
  await poll();
  void loop();
  requestAnimationFrame(frame);
}
