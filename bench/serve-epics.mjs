#!/usr/bin/env node
// mlayer serve --protocol epics on the demo facility (Diamond I04, ~3900 PVs in one softIoc),
// with the demo error set (BPM noise: every BPM PV changes at every twin update).
// Needs `npx tsc -b packages/cli` first. Prints:
//  1. start-up: twin + IOC + bridge (every PV connected and copied), ms;
//  2. steady state for BENCH_SECONDS (default 10): PVs written to the IOC per second, CPU of this
//     process (twin + bridge) and of the IOC, ms per second;
//  3. latency: a client's set-point write with put-callback (completes after the settle time,
//     2 twin update periods + 50 ms = 250 ms at Diamond's 10 Hz) until the client sees the IOC's
//     readback reach it (the bridge writes BPMs before readbacks), median of 7 writes; and the
//     put-callback alone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EpicsControlSystem } from '@mlayer/adapters-epics';
import { serveEpics } from '@mlayer/cli';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const facility = fileURLToPath(new URL('../facilities/diamond-i04/facility.yaml', import.meta.url));
const errors = fileURLToPath(new URL('../examples/demo-errors.yaml', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (1/100 s)
};

const t0 = performance.now();
const served = await serveEpics({ facility, errors, seed: 1 });
const tStart = performance.now() - t0;
try {
  await sleep(2000);
  const s0 = served.bridge.stats;
  const cpu0 = process.cpuUsage();
  const ioc0 = ticks(served.ioc.pid);
  const w0 = performance.now();
  await sleep(SECONDS * 1000);
  const wall = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const iocMs = (ticks(served.ioc.pid) - ioc0) * 10;
  const s1 = served.bridge.stats;

  const client = await EpicsControlSystem.create('client', {
    addressList: ['127.0.0.1'],
    autoAddressList: false,
    serverPort: served.ports.ca,
    repeaterPort: served.ports.caRepeater,
    pva: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: served.ports.pva, broadcastPort: served.ports.pvaBroadcast },
  });
  const sp = served.channels.find((c) => c.family === 'HSTR' && c.field === 'setpoint');
  const rb = served.channels.find((c) => c.family === 'HSTR' && c.field === 'readback' && c.deviceIndex === sp.deviceIndex);
  const [v0] = await client.read([sp.served]);
  const latencies = [];
  const puts = [];
  for (let k = 1; k <= 7; k++) {
    const target = v0.value + (k % 2 ? 0.5 : -0.5);
    const a = performance.now();
    await client.write([{ channel: sp.served, value: target }], { wait: true });
    puts.push(performance.now() - a);
    for (;;) {
      const [r] = await client.read([rb.served]);
      if (r.value === target) break;
      await sleep(2);
    }
    latencies.push(performance.now() - a);
  }
  await client.write([{ channel: sp.served, value: v0.value }], { wait: true });
  await client.close();

  const f = (x) => x.toFixed(0);
  console.log(`mlayer serve --protocol epics, ${served.channels.length} PVs (Diamond I04, demo error set with BPM noise)`);
  console.log(`  start-up (twin with errors, IOC, every PV connected and copied): ${f(tStart)} ms`);
  console.log(`  steady state over ${wall.toFixed(1)} s: ${f((s1.toSink - s0.toSink) / wall)} PV writes/s to the IOC, ${f((s1.unchanged - s0.unchanged) / wall)} unchanged samples/s dropped`);
  console.log(`  CPU: twin + bridge ${f((cpu.user + cpu.system) / 1000 / wall)} ms/s, IOC ${f(iocMs / wall)} ms/s (1000 ms/s = one core)`);
  console.log(`  set point put-callback: median ${f(median(puts))} ms; set point -> readback on the IOC: median ${f(median(latencies))} ms (min ${f(Math.min(...latencies))}, max ${f(Math.max(...latencies))}) over 7 writes`);
  console.log(`load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (2-core shared machine)`);
} finally {
  await served.stop();
}
