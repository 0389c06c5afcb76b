/**
 * The banner, always visible: facility and mode (TWIN, LIVE or REPLAY in colours that cannot
 * be missed), connection state, age of the newest data (greyed past the stale time), beam
 * current, tunes, RF frequency, and the write token field.
 */
import { html, render } from 'lit';
import { type App, fmt } from './app.js';
import type { ChannelState } from './connection.js';
import { modeLabel } from './display.js';

export async function mountBanner(app: App, el: HTMLElement): Promise<void> {
  const { info, optics, conn } = app;
  const label = modeLabel(info.mode, info.online);
  el.className = `banner mode-${label.toLowerCase()}`;
  const scalar = async (family: string | null, field: string): Promise<string[]> => {
    if (!family) return [];
    const devs = await app.devices(family);
    return devs.map((d) => d.channels[field] ?? d.channels.monitor ?? d.channels.readback).filter((c): c is string => !!c);
  };
  const [currentPv] = await scalar(optics.roles.current, 'monitor');
  const tunePvs = await scalar(optics.roles.tune, 'monitor');
  const [rfPv] = await scalar(optics.roles.rf, 'readback');
  let writeState = info.writes ? 'writes need the token' : 'writes off (server without --allow-writes)';
  const value = (pv: string | undefined): number | undefined => {
    const s: ChannelState | undefined = pv ? conn.channel(pv) : undefined;
    return typeof s?.value === 'number' ? s.value : undefined;
  };
  const onToken = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    const input = el.querySelector<HTMLInputElement>('#token')!;
    const ok = await app.conn.authenticate(input.value.trim());
    writeState = ok ? 'writes authenticated' : 'wrong write token';
    draw();
  };
  const onStale = (ev: Event): void => {
    const v = Number((ev.target as HTMLInputElement).value);
    if (v > 0) app.staleAfter = v;
  };
  const draw = (): void => {
    const age = conn.newest > 0 ? Date.now() / 1000 - conn.newest : undefined;
    const stale = age === undefined || age > app.staleAfter;
    document.body.classList.toggle('stale', stale || conn.status !== 'open');
    const rf = value(rfPv);
    render(
      html`<div class="mode-badge" id="mode" role="status" aria-label="mode ${label}">${label}</div>
        <h1 class="facility"><span class="label">facility</span> <strong id="facility">${info.facility}</strong> <span class="muted">(${info.mode})</span></h1>
        <div><span class="label">connection</span> <strong id="connection" class="conn-${conn.status}">${conn.status}</strong></div>
        <div class=${stale ? 'stale-value' : ''}><span class="label">data age</span> <strong id="data-age">${age === undefined ? '—' : `${age.toFixed(1)} s`}</strong></div>
        <div><span class="label">current</span> <strong id="current">${fmt(value(currentPv), 5)}</strong> ${currentPv ? conn.channel(currentPv)?.units ?? '' : ''}</div>
        <div><span class="label">tunes</span> <strong id="tunes">${tunePvs.map((p) => fmt(value(p), 6)).join(' / ')}</strong></div>
        <div><span class="label">RF</span> <strong id="rf">${fmt(rf, 10)}</strong> ${rfPv ? conn.channel(rfPv)?.units ?? '' : ''}</div>
        <form class="token" @submit=${onToken}>
          <label for="token">Write token</label>
          <input id="token" type="password" autocomplete="off" size="12" ?disabled=${!info.writes} />
          <button type="submit" ?disabled=${!info.writes}>Authenticate</button>
          <span id="write-state" class="muted">${writeState}</span>
        </form>
        <div class="stale-setting">
          <label for="stale-after">Stale after (s)</label>
          <input id="stale-after" type="number" min="0.5" step="0.5" .value=${String(app.staleAfter)} @change=${onStale} />
        </div>`,
      el,
    );
  };
  conn.subscribe([currentPv, ...tunePvs, rfPv].filter((p): p is string => !!p), () => undefined);
  conn.onStatus(draw);
  draw();
  setInterval(draw, 500);
}
