/**
 * The families panel: a table per family (device, name, setpoint, readback, limits) in
 * hardware or physics units (the server converts), refreshed every second while on screen; a write goes
 * through a confirmation that shows the old and new values, and a refusal shows the
 * server's message.
 */
import { html, render } from 'lit';
import { type App, type Device, fmt, watchVisible } from './app.js';
import { confirmWrite } from './confirm.js';

type Units = 'hardware' | 'physics';

interface Values {
  setpoint?: (number | null)[];
  read?: (number | null)[];
  setUnits?: string;
  readUnits?: string;
  readField?: string;
}

export async function mountFamiliesPanel(app: App, el: HTMLElement): Promise<void> {
  const { conn, families } = app;
  let family = app.optics.roles.corrector[0] ?? families[0]?.name ?? '';
  let units: Units = 'hardware';
  let devices: Device[] = [];
  let values: Values = {};
  let message: { text: string; kind: 'error' | 'ok' } | undefined;
  const host = document.createElement('div');
  el.append(host);

  const load = async (): Promise<void> => {
    const f = families.find((x) => x.name === family);
    if (!f) return;
    devices = await app.devices(family);
    const next: Values = {};
    const readField = f.fields.includes('readback') ? 'readback' : f.fields.includes('monitor') ? 'monitor' : undefined;
    try {
      if (f.fields.includes('setpoint')) {
        const r = await conn.request({ type: 'get', family, field: 'setpoint', units });
        next.setpoint = r.values as (number | null)[];
        next.setUnits = String(r.units);
      }
      if (readField) {
        const r = await conn.request({ type: 'get', family, field: readField, units });
        next.read = r.values as (number | null)[];
        next.readUnits = String(r.units);
        next.readField = readField;
      }
    } catch (e) {
      message = { text: (e as Error).message, kind: 'error' };
    }
    values = next;
    draw();
  };

  const write = async (i: number): Promise<void> => {
    const input = host.querySelector<HTMLInputElement>(`#new-${i}`)!;
    const text = input.value.trim();
    const v = Number(text);
    const d = devices[i];
    if (text === '' || !Number.isFinite(v)) {
      message = { text: `${family} ${d.name}: '${text}' is not a number; nothing was written`, kind: 'error' };
      return draw();
    }
    const old = values.setpoint?.[i];
    const ok = await confirmWrite(`Write ${family} ${d.name}?`, [{ what: `${d.name} setpoint`, old: `${fmt(old, 8)} ${values.setUnits ?? ''}`, next: `${v} ${values.setUnits ?? ''}` }]);
    if (!ok) {
      message = { text: `${family} ${d.name}: write cancelled; nothing was written`, kind: 'ok' };
      return draw();
    }
    try {
      await conn.request({ type: 'set', family, devices: [d.device], values: [v], units, tool: 'mlayer web' });
      message = { text: `${family} ${d.name}: ${fmt(old, 8)} → ${v} ${values.setUnits ?? ''} written`, kind: 'ok' };
      input.value = '';
    } catch (e) {
      message = { text: (e as Error).message, kind: 'error' };
    }
    await load();
  };

  const draw = (): void => {
    const f = families.find((x) => x.name === family);
    const writable = !!f?.fields.includes('setpoint');
    render(
      html`<div class="controls">
          <label for="family-select">Family</label>
          <select id="family-select" @change=${(e: Event) => ((family = (e.target as HTMLSelectElement).value), (values = {}), (message = undefined), void load())}>
            ${families.map((x) => html`<option value=${x.name} ?selected=${x.name === family}>${x.name} (${x.elementClass}, ${x.size})</option>`)}
          </select>
          <fieldset>
            <legend>Units</legend>
            ${(['hardware', 'physics'] as const).map((u) => html`<label><input type="radio" name="family-units" value=${u} .checked=${units === u} @change=${() => ((units = u), void load())} /> ${u}</label>`)}
          </fieldset>
        </div>
        <div id="families-message" role="alert" class=${message ? `message ${message.kind}` : 'message'}>${message?.text ?? ''}</div>
        <div class="table-scroll" tabindex="0" role="region" aria-label="devices of ${family}">
          <table class="devices" id="family-table">
            <caption>${family}: setpoints ${values.setUnits ? `(${values.setUnits})` : ''}, ${values.readField ?? 'readings'} ${values.readUnits ? `(${values.readUnits})` : ''}, limits (hardware units)</caption>
            <thead><tr><th scope="col">device</th><th scope="col">name</th><th scope="col">setpoint</th><th scope="col">${values.readField ?? 'reading'}</th><th scope="col">limits</th>${writable ? html`<th scope="col">new setpoint</th><th scope="col">write</th>` : ''}</tr></thead>
            <tbody>
              ${devices.map(
                (d, i) => html`<tr>
                  <td>${d.device.join(',')}</td>
                  <td>${d.name}</td>
                  <td class="num">${fmt(values.setpoint?.[i], 8)}</td>
                  <td class="num">${fmt(values.read?.[i], 8)}</td>
                  <td>${d.limits ? `${d.limits[0]} … ${d.limits[1]}` : '—'}</td>
                  ${writable
                    ? html`<td><input id="new-${i}" class="new-value" type="text" inputmode="decimal" size="10" aria-label="new setpoint of ${d.name} (${units} units)" @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && void write(i)} /></td>
                        <td><button type="button" id="set-${i}" @click=${() => void write(i)} aria-label="Set ${d.name}">Set</button></td>`
                    : ''}
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`,
      host,
    );
  };
  draw();
  await load();
  const view = watchVisible(el, () => void load());
  setInterval(() => {
    if (view.visible && !document.hidden && conn.status === 'open') void load();
  }, 1000);
}
