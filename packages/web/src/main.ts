/** The web control room: connects to the server that serves the page, then mounts every panel. */
import { App, type FamilyInfo, type Info, type OpticsView } from './app.js';
import { mountBanner } from './banner.js';
import { Connection } from './connection.js';
import { mountCorrectorsPanel } from './correctors-panel.js';
import { mountFamiliesPanel } from './families-panel.js';
import { mountOpticsPanel } from './optics-panel.js';
import { mountOrbitPanel } from './orbit-panel.js';
import { mountToolsPanel } from './tools-panel.js';
import { mountTunePanel } from './tune-panel.js';

const byId = (id: string): HTMLElement => document.getElementById(id)!;

async function start(): Promise<void> {
  const conn = Connection.forPage();
  const banner = byId('banner');
  banner.textContent = 'connecting…';
  const mark = (what: string): void => void performance.mark(`mlayer:${what}`);
  await conn.open();
  mark('open');
  const [info, optics, families] = await Promise.all([
    conn.request({ type: 'info' }) as Promise<unknown> as Promise<Info>,
    conn.request({ type: 'optics' }, 60000) as Promise<unknown> as Promise<OpticsView>,
    conn.request({ type: 'families' }).then((m) => m.families as FamilyInfo[]),
  ]);
  mark('loaded');
  const app = new App(conn, info, optics, families);
  const query = new URLSearchParams(location.search);
  const stale = Number(query.get('stale'));
  if (stale > 0) app.staleAfter = stale;
  const period = Number(query.get('period'));
  if (period >= 20) app.orbitPeriodMs = period;
  (window as unknown as { mlayer: App }).mlayer = app;
  banner.textContent = '';
  await mountBanner(app, banner);
  mark('banner');
  const timed = async (what: string, p: Promise<void>): Promise<void> => {
    await p;
    mark(what);
  };
  await Promise.all([
    timed('orbit', mountOrbitPanel(app, byId('orbit-panel'))),
    timed('correctors', mountCorrectorsPanel(app, byId('correctors-panel'))),
    timed('tune', mountTunePanel(app, byId('tune-panel'))),
    timed('families', mountFamiliesPanel(app, byId('families-panel'))),
    timed('tools', mountToolsPanel(app, byId('tools-panel'))),
  ]);
  mark('panels');
  mountOpticsPanel(app, byId('optics-panel'));
  mark('optics');
  document.body.dataset.ready = 'true';
}

start().catch((e: unknown) => {
  const banner = byId('banner');
  banner.textContent = `mlayer: ${(e as Error).message}`;
  banner.setAttribute('role', 'alert');
});
