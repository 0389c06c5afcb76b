// TANGO adapter benchmark: reads per second (50 concurrent) and event
// throughput of @mlayer/adapters-tango, compared with PyTango (Debian's
// /usr/bin/python3) on the same devices of a private TANGO system on loopback.
// Build first: npx tsc -b packages/adapters-tango && node packages/adapters-tango/scripts/build-addon.mjs --require
// Then: node bench/tango-read.mjs [seconds per measurement=4] [BPM acquisition rate Hz=500]
// Prints: reads/s of one attribute with 50 reads in flight (mlayer vs PyTango asyncio, and PyTango
// synchronous), channels/s of a 50-channel batched read, and events/s received from a BPM pushing
// change events (mlayer and PyTango subscribed at the same time) with the events lost (counter gaps).
import { TangoControlSystem } from '../packages/adapters-tango/dist/index.js';
import { registerAcceleratorServer, startAcceleratorServer, startTangoSystem } from '../packages/adapters-tango/dist/testing/index.js';

const SECONDS = Number(process.argv[2] ?? 4);
const RATE = Number(process.argv[3] ?? 500);
const CONCURRENCY = 50;
const ATTR = 'sys/tg_test/1/double_scalar';

const PYTANGO_READS = `
import asyncio, json, sys, time
import tango, tango.asyncio
seconds, concurrency, dev_name, attr = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]

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
    names = [attr] * concurrency
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        d.read_attributes(names); n += 1
    return n * concurrency / (time.perf_counter() - t0)

print(json.dumps({"sync": sync_reads(), "concurrent": asyncio.run(concurrent_reads()), "batched": batched_reads()}))
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
  const channels = Array.from({ length: CONCURRENCY }, () => ATTR);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await cs.read(channels);
    n++;
  }
  return (n * CONCURRENCY) / ((performance.now() - t0) / 1000);
}

const system = await startTangoSystem();
try {
  await system.startTangoTest();
  await registerAcceleratorServer(system, { instance: 'bench', bpms: [{ name: 'sr/bpm/bench', properties: { AcquisitionRate: RATE } }] });
  await startAcceleratorServer(system, 'bench');
  const cs = new TangoControlSystem({ tangoHost: system.tangoHost, timeout: 10_000 });
  console.log(`TANGO read/event benchmark (cppTango ${cs.tangoVersion}, ${SECONDS} s per figure, loopback, TangoTest ${ATTR})`);

  const mlSeq = await mlayerSequentialReads(cs);
  const mlConc = await mlayerConcurrentReads(cs);
  const mlBatch = await mlayerBatchedReads(cs);
  const py = JSON.parse((await system.python(PYTANGO_READS, [String(SECONDS), String(CONCURRENCY), 'sys/tg_test/1', 'double_scalar'])).trim().split('\n').pop());
  console.log(`reads/s, 1 at a time:                 mlayer ${fmt(mlSeq).padStart(8)}   PyTango (sync)    ${fmt(py.sync).padStart(8)}`);
  console.log(`reads/s, ${CONCURRENCY} in flight:                mlayer ${fmt(mlConc).padStart(8)}   PyTango (asyncio) ${fmt(py.concurrent).padStart(8)}`);
  console.log(`channels/s, ${CONCURRENCY}-channel batched read:  mlayer ${fmt(mlBatch).padStart(8)}   PyTango (read_attributes) ${fmt(py.batched).padStart(8)}`);

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
