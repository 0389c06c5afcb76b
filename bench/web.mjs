#!/usr/bin/env node
/**
 * The web control room's update rate (issue 19), beside a baseline in the same run:
 *
 *   node bench/web.mjs [seconds]        (default 10; build first: npm run build; needs /usr/bin/chromium)
 *
 * - the page: `mlayer server --web` on the demo facility's twin, the page in Debian's headless
 *   Chromium (playwright-core): orbit readings per second (all 346 BPM channels in one `read`,
 *   the next asked when the last arrived, every 100 ms at most), orbit chart redraws per second,
 *   and the data age the banner shows (median, max of one sample per 100 ms);
 * - baseline: a Node WebSocket client running the same read loop against the same server
 *   (what the protocol and the server allow, without a browser).
 * The machine's load average is printed beside them: the figures depend on it.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const SECONDS = Number(process.argv[2] ?? 10);

const server = spawn(process.execPath, [BIN, '--json', 'server', '--web', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
  });
  server.once('exit', (c) => reject(new Error(`server exited ${c}`)));
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function baseline() {
  const ws = new WebSocket(info.url);
  await new Promise((r) => ws.once('open', r));
  let id = 0;
  const pending = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  const request = (msg) => new Promise((r) => pending.set(String(++id), r) && ws.send(JSON.stringify({ ...msg, id: String(id) })));
  const pvs = [];
  for (const family of ['BPMx', 'BPMy']) pvs.push(...(await request({ type: 'devices', family })).devices.map((d) => d.channels.monitor));
  let reads = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await request({ type: 'read', pvs });
    reads++;
    await new Promise((r) => setTimeout(r, Math.max(10, 100 - (performance.now() - t))));
  }
  ws.close();
  return reads / SECONDS;
}

try {
  const base = await baseline();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const t0 = performance.now();
  await page.goto(`http://127.0.0.1:${info.port}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120000 });
  const ready = (performance.now() - t0) / 1000;
  const counts = () => page.evaluate(() => ({ reads: Number(document.getElementById('orbit-updates').textContent), renders: window.mlayer.orbitRenders }));
  const c0 = await counts();
  const ages = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    ages.push(Number((await page.locator('#data-age').innerText()).split(' ')[0]));
    await page.waitForTimeout(100);
  }
  const c1 = await counts();
  await browser.close();
  const load = loadavg()[0].toFixed(1);
  console.log(`web control room, demo twin, ${SECONDS} s, load average ${load} on ${cpus().length} cores`);
  console.log(`  page ready (page load, optics, panels): ${ready.toFixed(1)} s`);
  console.log(`  page: orbit readings ${((c1.reads - c0.reads) / SECONDS).toFixed(1)}/s (346 BPM values each), redraws ${((c1.renders - c0.renders) / SECONDS).toFixed(1)}/s, data age median ${median(ages).toFixed(1)} s, max ${Math.max(...ages).toFixed(1)} s`);
  console.log(`  baseline (Node client, same read loop): ${base.toFixed(1)} readings/s`);
} finally {
  server.kill('SIGTERM');
}
