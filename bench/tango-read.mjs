// TANGO adapter benchmark: reads per second (50 concurrent) and event
// throughput of @mlayer/adapters-tango, compared with PyTango (Debian's
// /usr/bin/python3) on the same devices of a private TANGO system on loopback.
// Build first: npx tsc -b packages/adapters-tango && node packages/adapters-tango/scripts/build-addon.mjs --require
// Then: node bench/tango-read.mjs [seconds per measurement=2] [BPM acquisition rate Hz=500] [rounds=3]
// Prints: reads/s of one attribute with 50 reads in flight (mlayer vs PyTango asyncio, and PyTango
// synchronous), channels/s of a batched read of 21 attributes, and events/s received from a BPM pushing
// change events (mlayer and PyTango subscribed at the same time) with the events lost (counter gaps).
import { cpus, loadavg } from 'node:os';
import { TangoControlSystem } from '@mlayer/adapters-tango';
import { registerAcceleratorServer, startAcceleratorServer, startTangoSystem } from '@mlayer/adapters-tango/testing';

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[4] ?? 3);
const RATE = Number(process.argv[3] ?? 500);
const CONCURRENCY = 50;
const ATTR = 'sys/tg_test/1/double_scalar';
// Distinct attributes for the batched read (TANGO refuses duplicates in one read_attributes).
const BATCH = ['ampli', 'boolean_scalar', 'double_scalar', 'double_scalar_rww', 'double_scalar_w', 'float_scalar', 'long64_scalar', 'long_scalar',
  'long_scalar_rww', 'long_scalar_w', 'short_scalar', 'short_scalar_ro', 'short_scalar_rww', 'short_scalar_w', 'string_scalar', 'uchar_scalar',
  'ulong64_scalar', 'ushort_scalar', 'ulong_scalar', 'State', 'Status'];

const PYTANGO_READS = `
import asyncio, json, sys, time
import tango, tango.asyncio
kind, seconds, concurrency, dev_name, attr, batch = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6].split(',')

def sync_reads():
    d = tango.DeviceProxy(dev_name)
    d.read_attribute(attr)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        d.read_attribute(attr); n += 1
    return n / (time.perf_counter() - t0)

async def concurrent_reads():
    d = await tango.asyncio.DeviceProxy(dev_name)
    await d.read_attribute(attr)
    n, t0 = 0, time.perf_counter()
    async def worker():
        nonlocal n
        while time.perf_counter() - t0 < seconds:
            await d.read_attribute(attr); n += 1
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return n / (time.perf_counter() - t0)

def batched_reads():
    d = tango.DeviceProxy(dev_name)
    d.read_attributes(batch)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        d.read_attributes(batch); n += 1
    return n * len(batch) / (time.perf_counter() - t0)

run = {"sync": sync_reads, "concurrent": lambda: asyncio.run(concurrent_reads()), "batched": batched_reads}[kind]
print(json.dumps(run()))
`;

const PYTANGO_EVENTS = `
import json, sys, time, threading
import tango
seconds, dev_name = float(sys.argv[1]), sys.argv[2]
d = tango.DeviceProxy(dev_name)
values, lock = [], threading.Lock()
def cb(ev):
    if not ev.err:
        with lock: values.append(int(ev.attr_value.value))
eid = d.subscribe_event('Counter', tango.EventType.CHANGE_EVENT, cb)
print('subscribed', flush=True)
time.sleep(0.5)
with lock: start = len(values)
t0 = time.perf_counter()
time.sleep(seconds)
with lock: window = values[start:]
elapsed = time.perf_counter() - t0
d.unsubscribe_event(eid)
gaps = sum(b - a - 1 for a, b in zip(window, window[1:]) if b - a > 1)
print(json.dumps({"events": len(window) / elapsed, "lost": gaps, "span": (window[-1] - window[0] + 1) if window else 0}))
`;

function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

async function mlayerConcurrentReads(cs) {
  await cs.read([ATTR]);
  let n = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() - t0 < SECONDS * 1000) {
      await cs.read([ATTR]);
      n++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function mlayerSequentialReads(cs) {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await cs.read([ATTR]);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function mlayerBatchedReads(cs) {
  const channels = BATCH.map((a) => `sys/tg_test/1/${a}`);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await cs.read(channels);
    n++;
  }
  return (n * BATCH.length) / ((performance.now() - t0) / 1000);
}

const system = await startTangoSystem();
try {
  await system.startTangoTest();
  await registerAcceleratorServer(system, { instance: 'bench', bpms: [{ name: 'sr/bpm/bench', properties: { AcquisitionRate: RATE } }] });
  await startAcceleratorServer(system, 'bench');
  const cs = new TangoControlSystem({ tangoHost: system.tangoHost, timeout: 10_000 });
  console.log(`TANGO read/event benchmark (cppTango ${cs.tangoVersion}, best of ${ROUNDS} rounds of ${SECONDS} s, loopback, TangoTest ${ATTR}, load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs)`);

  // The machine is shared: mlayer and PyTango alternate, ROUNDS times, and the best round of each is printed.
  const best = { mlSeq: 0, mlConc: 0, mlBatch: 0, pySync: 0, pyConc: 0, pyBatch: 0 };
  const py = async (kind) =>
    JSON.parse((await system.python(PYTANGO_READS, [kind, String(SECONDS), String(CONCURRENCY), 'sys/tg_test/1', 'double_scalar', BATCH.join(',')])).trim().split('\n').pop());
  for (let round = 0; round < ROUNDS; round++) {
    best.mlSeq = Math.max(best.mlSeq, await mlayerSequentialReads(cs));
    best.pySync = Math.max(best.pySync, await py('sync'));
    best.mlConc = Math.max(best.mlConc, await mlayerConcurrentReads(cs));
    best.pyConc = Math.max(best.pyConc, await py('concurrent'));
    best.mlBatch = Math.max(best.mlBatch, await mlayerBatchedReads(cs));
    best.pyBatch = Math.max(best.pyBatch, await py('batched'));
  }
  console.log(`reads/s, 1 at a time:                 mlayer ${fmt(best.mlSeq).padStart(8)}   PyTango (sync)            ${fmt(best.pySync).padStart(8)}`);
  console.log(`reads/s, ${CONCURRENCY} in flight:                mlayer ${fmt(best.mlConc).padStart(8)}   PyTango (asyncio)         ${fmt(best.pyConc).padStart(8)}`);
  console.log(`channels/s, ${BATCH.length}-channel batched read:  mlayer ${fmt(best.mlBatch).padStart(8)}   PyTango (read_attributes) ${fmt(best.pyBatch).padStart(8)}`);

  // Events: both clients subscribed to the same BPM counter over the same window.
  const counters = [];
  const sub = cs.monitor('sr/bpm/bench/Counter').subscribe((s) => {
    if (s.connected !== false) counters.push(s.value);
  });
  const pyEvents = system.python(PYTANGO_EVENTS, [String(SECONDS), 'sr/bpm/bench']);
  await new Promise((r) => setTimeout(r, 1500)); // PyTango starts and subscribes (about 1 s), then waits 0.5 s
  const start = counters.length;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const window = counters.slice(start);
  const elapsed = (performance.now() - t0) / 1000;
  const pyResult = JSON.parse((await pyEvents).trim().split('\n').pop());
  sub.unsubscribe();
  let lost = 0;
  for (let i = 1; i < window.length; i++) if (window[i] - window[i - 1] > 1) lost += window[i] - window[i - 1] - 1;
  const produced = window.length ? window[window.length - 1] - window[0] + 1 : 0;
  console.log(
    `events/s (BPM Counter change events, server set to ${RATE} Hz, produced ${fmt(produced / elapsed)}/s): ` +
      `mlayer ${fmt(window.length / elapsed)} (lost ${lost})   PyTango ${fmt(pyResult.events)} (lost ${pyResult.lost})`,
  );
  await cs.close();
} finally {
  await system.stop();
}
