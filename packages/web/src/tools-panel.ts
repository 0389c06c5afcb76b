/**
 * The tool panels: orbit correction (a preview is the server's dry run: singular values and
 * the predicted orbit; then apply), orbit response measurement with a progress bar and an
 * abort that restores, tune and chromaticity set, and the measurement files to download.
 * Every tool runs on the server (`run` messages); the page shows what it reports.
 */
import { html, render } from 'lit';
import { type App, fmt } from './app.js';
import type { Message } from './connection.js';
import { chartElement, makeChart } from './charts.js';

interface RunState {
  tool: string;
  runId?: number;
  fraction: number;
  message: string;
  running: boolean;
}

interface PlaneSummary {
  names: string[];
  unit: string;
  error: (number | null)[];
  predicted: (number | null)[];
  rmsBefore: number;
  rmsPredicted: number;
}

interface Correction {
  orbit: Record<string, PlaneSummary>;
  singularValues: { planes: string[]; values: number[]; used: number }[];
}

export async function mountToolsPanel(app: App, el: HTMLElement): Promise<void> {
  const { conn } = app;
  const bpmS = new Map<string, number>();
  for (const fam of app.optics.roles.bpm) {
    const devs = await app.devices(fam);
    const s = app.optics.devices[fam]?.s ?? [];
    devs.forEach((d, i) => s[i] !== null && s[i] !== undefined && bpmS.set(d.name, s[i]!));
  }
  let singular = '';
  let iterations = '1';
  let preview: Correction | undefined;
  let correctMessage = '';
  let ormMessage = '';
  let knobMessage = '';
  let files: { name: string; size: number; modified: string }[] = [];
  const run: RunState = { tool: '', fraction: 0, message: '', running: false };

  const host = document.createElement('div');
  const previewEl = chartElement('tall', 'orbit correction preview: orbit now and predicted, and the singular values kept');
  el.append(host, previewEl);
  const chart = makeChart(previewEl);
  chart.setOption({
    animation: false,
    title: { text: 'Preview: press Preview correction', top: 0, left: 'center', textStyle: { fontSize: 13 } },
    grid: [
      { left: 70, right: 20, top: 70, height: '26%' },
      { left: 70, right: 20, top: '45%', height: '24%' },
      { left: 70, right: 20, top: '80%', height: '14%' },
    ],
    xAxis: [
      { type: 'value', gridIndex: 0, min: 0, max: app.optics.circumference, axisLabel: { show: false } },
      { type: 'value', gridIndex: 1, min: 0, max: app.optics.circumference, name: 's (m)', nameLocation: 'middle', nameGap: 22 },
      { type: 'category', gridIndex: 2, name: 'singular value', nameLocation: 'middle', nameGap: 22, axisLabel: { show: false } },
    ],
    yAxis: [
      { type: 'value', gridIndex: 0, name: 'x', scale: true },
      { type: 'value', gridIndex: 1, name: 'y', scale: true },
      { type: 'log', gridIndex: 2, name: 's.v.' },
    ],
    tooltip: { trigger: 'item' },
    legend: { top: 24, data: ['orbit now', 'predicted', 'kept', 'dropped'] },
  });

  const showPreview = (c: Correction): void => {
    const series: Record<string, unknown>[] = [];
    (['x', 'y'] as const).forEach((p, k) => {
      const o = c.orbit[p];
      if (!o) return;
      const pts = (v: (number | null)[]): (number | null)[][] => o.names.map((n, i) => [bpmS.get(n) ?? null, v[i]]).filter((d) => d[0] !== null && d[1] !== null);
      series.push(
        { id: `now-${p}`, name: 'orbit now', type: 'line', xAxisIndex: k, yAxisIndex: k, data: pts(o.error), showSymbol: false, color: '#888' },
        { id: `pred-${p}`, name: 'predicted', type: 'line', xAxisIndex: k, yAxisIndex: k, data: pts(o.predicted), showSymbol: false, color: '#1f5fbf' },
      );
    });
    const kept: (number | string)[][] = [];
    const dropped: (number | string)[][] = [];
    c.singularValues.forEach((sys) =>
      sys.values.forEach((v, i) => {
        (i < sys.used ? kept : dropped).push([`${sys.planes.join('')}${i + 1}`, v]);
      }),
    );
    series.push(
      { id: 'kept', name: 'kept', type: 'bar', xAxisIndex: 2, yAxisIndex: 2, data: kept, color: '#2e8b57', barGap: '-100%' },
      { id: 'dropped', name: 'dropped', type: 'bar', xAxisIndex: 2, yAxisIndex: 2, data: dropped, color: '#ccc', barGap: '-100%' },
    );
    const unit = c.orbit.x?.unit ?? '';
    chart.setOption({
      title: { text: `Preview: rms x ${fmt(c.orbit.x?.rmsBefore, 4)} → ${fmt(c.orbit.x?.rmsPredicted, 4)} ${unit}, y ${fmt(c.orbit.y?.rmsBefore, 4)} → ${fmt(c.orbit.y?.rmsPredicted, 4)} ${unit}` },
      xAxis: [{}, {}, { data: [...kept, ...dropped].map((d) => d[0]) }],
      yAxis: [{ name: `x (${unit})` }, { name: `y (${unit})` }, {}],
      series,
    });
  };

  const method = (): Message => {
    const n = Number(singular);
    return singular.trim() !== '' && Number.isInteger(n) && n > 0 ? { type: 'svd', singularValues: n } : { type: 'svd', threshold: 1e-3 };
  };

  /** Sends a run and waits for its result; the panel shows its progress meanwhile. */
  const start = async (tool: string, body: Message): Promise<Message> => {
    Object.assign(run, { tool, runId: undefined, fraction: 0, message: 'starting', running: true });
    draw();
    try {
      const r = await conn.request({ type: 'run', run: { tool, ...body } }, 600000);
      run.message = `${String(r.status)}: ${String(r.message)}`;
      run.fraction = r.status === 'done' ? 1 : run.fraction;
      return r;
    } catch (e) {
      run.message = (e as Error).message;
      throw e;
    } finally {
      run.running = false;
      draw();
      void loadFiles();
    }
  };

  const onPreview = async (): Promise<void> => {
    try {
      const r = await start('orbit-correct', { dryRun: true, method: method() });
      const result = r.result as { correction: Correction | null; message: string } | undefined;
      if (r.status === 'done' && result?.correction) {
        preview = result.correction;
        showPreview(preview);
        correctMessage = `preview: ${result.message}`;
      } else correctMessage = String(r.message);
    } catch (e) {
      correctMessage = (e as Error).message;
    }
    draw();
  };

  const onApply = async (): Promise<void> => {
    try {
      const it = Number(iterations);
      const r = await start('orbit-correct', { method: method(), iterations: Number.isInteger(it) && it > 0 ? it : 1 });
      const result = r.result as { rmsInitial?: Record<string, number>; rmsFinal?: Record<string, number>; units?: string; message?: string } | undefined;
      correctMessage =
        r.status === 'done' && result?.rmsFinal
          ? `applied: rms x ${fmt(result.rmsInitial?.x, 4)} → ${fmt(result.rmsFinal.x, 4)}, y ${fmt(result.rmsInitial?.y, 4)} → ${fmt(result.rmsFinal.y, 4)} ${preview?.orbit.x?.unit ?? ''}`
          : `${String(r.status)}: ${String(r.message)}`;
    } catch (e) {
      correctMessage = (e as Error).message;
    }
    draw();
  };

  const onMeasure = async (): Promise<void> => {
    try {
      const r = await start('orbit-measure-orm', {});
      ormMessage = `${String(r.status)}: ${String(r.message)}${r.restored ? ' (setpoints restored)' : ''}`;
    } catch (e) {
      ormMessage = (e as Error).message;
    }
    draw();
  };

  const onAbort = async (): Promise<void> => {
    try {
      await conn.request({ type: 'abort', ...(run.runId !== undefined ? { runId: run.runId } : {}) });
      run.message = 'abort asked: restoring';
    } catch (e) {
      run.message = (e as Error).message;
    }
    draw();
  };

  const onKnob = async (tool: 'tune-set' | 'chrom-set'): Promise<void> => {
    const a = Number(host.querySelector<HTMLInputElement>(`#${tool}-a`)!.value);
    const b = Number(host.querySelector<HTMLInputElement>(`#${tool}-b`)!.value);
    try {
      const r = await start(tool, { target: [a, b] });
      const res = r.result as { tunes?: number[]; chromaticity?: number[] } | undefined;
      const got = res?.tunes ?? res?.chromaticity;
      knobMessage = `${tool}: ${String(r.status)}: ${String(r.message)}${got ? ` (now ${got.map((v) => fmt(v, 6)).join(', ')})` : ''}`;
    } catch (e) {
      knobMessage = (e as Error).message;
    }
    draw();
  };

  const loadFiles = async (): Promise<void> => {
    try {
      const r = await conn.request({ type: 'files' });
      files = r.files as typeof files;
    } catch {
      // An older server lists them over HTTP only.
      const res = await fetch('files');
      files = ((await res.json()) as { files: typeof files }).files;
    }
    draw();
  };

  conn.onMessageOf((m) => {
    if (m.type === 'run-started' && typeof m.runId === 'number') run.runId = m.runId;
    else if (m.type === 'progress' && (run.runId === undefined || m.runId === run.runId)) {
      run.runId = m.runId as number;
      run.fraction = Number(m.fraction);
      run.message = String(m.message);
      draw();
    }
  });

  const draw = (): void => {
    const busy = run.running;
    render(
      html`<div class="tools">
        <section class="tool" aria-labelledby="tool-correct-h">
          <h3 id="tool-correct-h">Orbit correction</h3>
          <label for="singular-values">Singular values kept (blank: above 1e-3 of the largest)</label>
          <input id="singular-values" type="number" min="1" step="1" .value=${singular} @input=${(e: Event) => (singular = (e.target as HTMLInputElement).value)} />
          <label for="correct-iterations">Steps when applied</label>
          <input id="correct-iterations" type="number" min="1" max="50" step="1" .value=${iterations} @input=${(e: Event) => (iterations = (e.target as HTMLInputElement).value)} />
          <div class="buttons">
            <button id="correct-preview" type="button" ?disabled=${busy} @click=${onPreview}>Preview correction</button>
            <button id="correct-apply" type="button" ?disabled=${busy || !preview} @click=${onApply}>Apply correction</button>
          </div>
          <p id="correct-message" role="status">${correctMessage}</p>
        </section>
        <section class="tool" aria-labelledby="tool-orm-h">
          <h3 id="tool-orm-h">Orbit response measurement</h3>
          <div class="buttons">
            <button id="orm-measure" type="button" ?disabled=${busy} @click=${onMeasure}>Measure response matrix</button>
            <button id="run-abort" type="button" ?disabled=${!busy} @click=${onAbort}>Abort (restores)</button>
          </div>
          <label for="run-progress">Progress of ${run.tool || 'the run'}</label>
          <progress id="run-progress" max="1" .value=${run.fraction}></progress>
          <p id="run-message" role="status">${run.message}</p>
          <p id="orm-message">${ormMessage}</p>
        </section>
        <section class="tool" aria-labelledby="tool-knobs-h">
          <h3 id="tool-knobs-h">Tune and chromaticity</h3>
          <div class="pair">
            <label for="tune-set-a">qx (fractional)</label><input id="tune-set-a" type="number" step="0.001" min="0" max="1" value="0.19" />
            <label for="tune-set-b">qy (fractional)</label><input id="tune-set-b" type="number" step="0.001" min="0" max="1" value="0.28" />
            <button id="tune-set" type="button" ?disabled=${busy} @click=${() => onKnob('tune-set')}>Set tunes</button>
          </div>
          <div class="pair">
            <label for="chrom-set-a">ξx</label><input id="chrom-set-a" type="number" step="0.1" value="2" />
            <label for="chrom-set-b">ξy</label><input id="chrom-set-b" type="number" step="0.1" value="2" />
            <button id="chrom-set" type="button" ?disabled=${busy} @click=${() => onKnob('chrom-set')}>Set chromaticities</button>
          </div>
          <p id="knob-message" role="status">${knobMessage}</p>
        </section>
        <section class="tool" aria-labelledby="tool-files-h">
          <h3 id="tool-files-h">Measurement files</h3>
          <button id="files-refresh" type="button" @click=${loadFiles}>Refresh list</button>
          <ul id="files">
            ${files.length === 0 ? html`<li class="muted">none</li>` : ''}
            ${files.map((f) => html`<li><a href="files/${f.name.split('/').map(encodeURIComponent).join('/')}" download>${f.name}</a> <span class="muted">${(f.size / 1024).toFixed(1)} KiB, ${f.modified}</span></li>`)}
          </ul>
        </section>
      </div>`,
      host,
    );
  };
  draw();
  await loadFiles();
}
