/**
 * Diamond's cs-web-lib PVWS client in Node 20, as a process: `node cs-web-lib-client.cjs BUNDLE HOST:PORT PV...`.
 * BUNDLE is the published package's dist/cjs/index.js. Node 20 has no global WebSocket: `ws`
 * stands in; the bundle's plotting code needs a DOM when it loads: jsdom's. The library's own
 * redux store (store({PVWS_SOCKET})) opens its PvwsPlugin; each PV is subscribed as a widget
 * would, and every change of the store's value cache for them is printed as a JSON line.
 */
'use strict';
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
for (const k of Object.getOwnPropertyNames(dom.window)) {
  if (!(k in globalThis)) {
    try {
      globalThis[k] = dom.window[k];
    } catch {
      // read-only globals stay Node's
    }
  }
}
globalThis.self = globalThis;
globalThis.WebSocket = require('ws').WebSocket;
// The bundle reads import.meta.env (compiled to undefined) when this is unset.
process.env.VITE_PROFILER_ENABLED = 'false';
const [bundle, socket, ...pvs] = process.argv.slice(2);
const { store } = require(bundle);
const s = store({ PVWS_SOCKET: socket, PVWS_SSL: false, THROTTLE_PERIOD: 20 });
pvs.forEach((pvName, i) => s.dispatch({ type: 'subscribe', payload: { componentId: `c${i}`, pvName, type: { string: true, double: true } } }));
const last = new Map();
s.subscribe(() => {
  const cache = s.getState().valueCache;
  for (const pv of pvs) {
    const e = cache[pv];
    if (!e) continue;
    const line = JSON.stringify({ pv, connected: e.connected, value: e.value?.value?.doubleValue, units: e.value?.display?.units, quality: e.value?.alarm?.quality, time: e.value?.time?.datetime });
    if (last.get(pv) !== line) {
      last.set(pv, line);
      process.stdout.write(`${line}\n`);
    }
  }
});
process.stdout.write('{"ready":true}\n');
