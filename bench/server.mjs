#!/usr/bin/env node
/**
 * `mlayer server` under load (issue 18, the bench line), beside an in-process baseline of
 * the same run:
 *
 *   node bench/server.mjs [seconds]        (default 10; build first: npx tsc -b)
 *
 * - updates per second delivered to 10 WebSocket clients, each subscribed (PVWS subscribe)
 *   to every BPM channel of the demo facility (BPMx and BPMy: 346 channels, the twin
 *   publishing at 10 Hz), and the server process's CPU share meanwhile (CPU seconds of the
 *   server's PID from /proc over wall seconds); baseline: 10 consumers of the same channels'
 *   monitors of an accelerator opened in this process (@mlayer/cli's loadAccelerator);
 * - latency from a write to the first update that shows it (one corrector setpoint, PVWS
 *   write with the token, the update of its subscription), median and 99th percentile;
 *   baseline: the in-process control system's write and its monitor.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const FACILITY = join(ROOT, 'facilities/diamond-i04');
const SECONDS = Number(process.argv[2] ?? 10);
const CLIENTS = 10;
const WRITES = 60;
const HCM = 'SR01A-PC-HSTR-01:SETI';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-bench-server-'));
const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks of 10 ms
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(url) {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
function reply(ws, msg) {
  return new Promise((resolve) => {
    const on = (d) => {
      const m = JSON.parse(d.toString());
      if (m.id === msg.id) {
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify(msg));
  });
}

async function viaServer() {
  const child = spawn(process.execPath, [BIN, '--json', '-f', FACILITY, 'server', '--listen', '127.0.0.1:0', '--allow-writes', '--token-file', join(dir, 'token'), '--audit', join(dir, 'audit.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
  });
  const token = readFileSync(join(dir, 'token'), 'utf8').trim();
  try {
    const admin = await open(info.url);
    const channels = [];
    for (const family of ['BPMx', 'BPMy']) {
      const r = await reply(admin, { type: 'devices', family, id: family });
      for (const d of r.devices) channels.push(d.channels.monitor);
    }
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => open(info.url)));
    let updates = 0;
    for (const c of clients) {
      c.on('message', () => updates++);
      c.send(JSON.stringify({ type: 'subscribe', pvs: channels }));
    }
    await sleep(1500);
    const u0 = updates;
    const c0 = cpuOf(info.pid);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const wall = (performance.now() - t0) / 1000;
    const rate = (updates - u0) / wall;
    const cpu = (cpuOf(info.pid) - c0) / wall;
    for (const c of clients) c.close();
    // Write -> first update showing it.
    const w = await open(info.url);
    let waiting;
    w.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'update' && m.pv === HCM && waiting && m.value === waiting.value) {
        waiting.resolve(performance.now());
        waiting = undefined;
      }
    });
    w.send(JSON.stringify({ type: 'subscribe', pvs: [HCM] }));
    await sleep(500);
    const lat = [];
    for (let i = 1; i <= WRITES; i++) {
      const value = (i % 2 ? 1 : -1) * (0.001 * i);
      const seen = new Promise((resolve) => (waiting = { value, resolve }));
      const t = performance.now();
      w.send(JSON.stringify({ type: 'write', pv: HCM, value, token, tool: 'bench/server.mjs' }));
      lat.push((await seen) - t);
      await sleep(20);
    }
    w.close();
    admin.close();
    return { channels: channels.length, rate, cpu, lat };
  } finally {
    child.kill('SIGTERM');
  }
}

async function inProcess() {
  const { loadAccelerator } = await import(join(ROOT, 'packages/cli/dist/index.js'));
  const acc = await loadAccelerator(FACILITY, { mode: 'twin' });
  const cs = acc.controlSystem;
  const channels = [...acc.family('BPMx').channels('monitor'), ...acc.family('BPMy').channels('monitor')];
  let samples = 0;
  const subs = [];
  for (let c = 0; c < CLIENTS; c++) for (const ch of channels) subs.push(cs.monitor(ch).subscribe(() => samples++));
  await sleep(1500);
  const s0 = samples;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const rate = (samples - s0) / wall;
  const cpu = (cu.user + cu.system) / 1e6 / wall;
  for (const s of subs) s.unsubscribe();
  let waiting;
  const sub = cs.monitor(HCM).subscribe((s) => {
    if (waiting && s.value === waiting.value) {
      waiting.resolve(performance.now());
      waiting = undefined;
    }
  });
  const lat = [];
  for (let i = 1; i <= WRITES; i++) {
    const value = (i % 2 ? 1 : -1) * (0.001 * i);
    const seen = new Promise((resolve) => (waiting = { value, resolve }));
    const t = performance.now();
    await cs.write([{ channel: HCM, value }], { wait: true });
    lat.push((await seen) - t);
    await sleep(20);
  }
  sub.unsubscribe();
  await acc.close();
  return { channels: channels.length, rate, cpu, lat };
}

const server = await viaServer();
const local = await inProcess();
rmSync(dir, { recursive: true, force: true });
const row = (name, r) =>
  `${name.padEnd(34)} ${String(r.channels).padStart(8)} ${r.rate.toFixed(0).padStart(12)} ${(100 * r.cpu).toFixed(1).padStart(8)} % ${pct(r.lat, 50).toFixed(1).padStart(10)} ${pct(r.lat, 99).toFixed(1).padStart(10)}`;
console.log(`${CLIENTS} clients x all BPM channels, ${SECONDS} s; ${WRITES} writes (latency in ms, write -> first update showing it)`);
console.log(`${'path'.padEnd(34)} ${'channels'.padStart(8)} ${'updates/s'.padStart(12)} ${'CPU'.padStart(10)} ${'lat p50'.padStart(10)} ${'lat p99'.padStart(10)}`);
console.log(row('mlayer server (WebSocket, PVWS)', server));
console.log(row('in-process baseline (monitors)', local));
console.log(`expected at 10 Hz: ${CLIENTS} x ${server.channels} x 10 = ${CLIENTS * server.channels * 10} updates/s; CPU: the server process (server row), this process (baseline row)`);
process.exit(0);
