#!/usr/bin/env node
// EPICS adapter benchmark against a real softIoc on loopback (needs `npx tsc -b packages/adapters-epics` first):
//  1. 1000 distinct PVs read concurrently: the adapter vs raw epics-tca vs one `caget` with 1000 names
//     (cold = connect + read; warm = read over connected channels, median of 5);
//  2. monitors on 500 PVs updating at 10 Hz for 5 s: updates/s and the CPU time of this process,
//     the adapter vs raw epics-tca.
// Prints the figures and the adapter/raw ratios (target: adapter overhead within 20%).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Context, Channel_STATES } from 'epics-tca';
import { EpicsControlSystem, SoftIoc, ensureEpicsBase, epicsExecutable } from '@mlayer/adapters-epics';

const N_READ = Number(process.env.BENCH_EPICS_READ ?? 1000);
const N_MON = Number(process.env.BENCH_EPICS_MONITOR ?? 500);
const MON_SECONDS = Number(process.env.BENCH_EPICS_MONITOR_SECONDS ?? 5);
const run = promisify(execFile);
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const base = await ensureEpicsBase();
const readNames = Array.from({ length: N_READ }, (_, i) => `B:R${String(i).padStart(4, '0')}`);
const monNames = Array.from({ length: N_MON }, (_, i) => `B:M${String(i).padStart(4, '0')}`);
const ioc = await SoftIoc.start({
  epicsBase: base,
  channels: readNames.map((name, i) => ({ name, type: 'double', initial: i + 0.5 })),
  dbText: monNames.map((n) => `record(calc, "${n}") { field(SCAN, ".1 second") field(INPA, "${n} NPP") field(CALC, "A+1") }`).join('\n'),
  startupTimeoutMs: 60000,
});
const env = {
  EPICS_CA_ADDR_LIST: '127.0.0.1',
  EPICS_CA_AUTO_ADDR_LIST: 'NO',
  EPICS_CA_SERVER_PORT: String(ioc.ports.ca),
  EPICS_CA_REPEATER_PORT: String(ioc.ports.caRepeater),
  EPICS_PVA_ADDR_LIST: '127.0.0.1',
  EPICS_PVA_AUTO_ADDR_LIST: 'NO',
  EPICS_PVA_SERVER_PORT: String(ioc.ports.pva),
  EPICS_PVA_BROADCAST_PORT: String(ioc.ports.pvaBroadcast),
};
const settings = {
  addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ioc.ports.ca, repeaterPort: ioc.ports.caRepeater,
  pva: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ioc.ports.pva, broadcastPort: ioc.ports.pvaBroadcast },
  timeout: 20000,
};

function checkValues(values, label) {
  values.forEach((v, i) => {
    if (v !== i + 0.5) throw new Error(`${label}: ${readNames[i]} read ${v}, expected ${i + 0.5}`);
  });
}

async function rawContext() {
  const ctx = new Context(env, 5);
  await ctx.initialize();
  return ctx;
}

/** Cold: a new client connects the 1000 channels and reads them once. */
async function coldAdapter() {
  const cs = await EpicsControlSystem.create('bench', settings);
  const t = now();
  checkValues((await cs.read(readNames)).map((s) => s.value), 'adapter cold');
  const ms = now() - t;
  await cs.close();
  return ms;
}

async function coldRaw() {
  const ctx = await rawContext();
  const t = now();
  const channels = await Promise.all(readNames.map((n) => ctx.createChannel(n, 'ca', 20)));
  checkValues((await Promise.all(channels.map((ch) => ch.get(20, ch.getDbrType() + 14, 1)))).map((d) => d.value), 'raw cold');
  const ms = now() - t;
  ctx.destroyHard();
  return ms;
}

/** Warm: both clients connected at once, batches alternated so that both see the same machine load. */
async function warmPairs(pairs) {
  const cs = await EpicsControlSystem.create('bench', settings);
  await cs.read(readNames);
  const ctx = await rawContext();
  const channels = await Promise.all(readNames.map((n) => ctx.createChannel(n, 'ca', 20)));
  const a = [];
  const r = [];
  for (let k = 0; k < pairs; k++) {
    let t = now();
    checkValues((await cs.read(readNames)).map((s) => s.value), 'adapter warm');
    a.push(now() - t);
    t = now();
    checkValues((await Promise.all(channels.map((ch) => ch.get(20, ch.getDbrType() + 14, 1)))).map((d) => d.value), 'raw warm');
    r.push(now() - t);
  }
  await cs.close();
  ctx.destroyHard();
  return { adapter: median(a), raw: median(r) };
}

async function benchCaget() {
  const exe = epicsExecutable(base, 'caget');
  const times = [];
  for (let k = 0; k < 3; k++) {
    const t = now();
    const { stdout } = await run(exe, ['-w', '20', '-t', ...readNames], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    times.push(now() - t);
    checkValues(stdout.trim().split('\n').map(Number), 'caget');
  }
  return median(times);
}

async function measureMonitors(label, subscribeAll) {
  let count = 0;
  const stop = await subscribeAll(() => count++);
  await sleep(1500); // all subscribed and updating
  count = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await sleep(MON_SECONDS * 1000);
  const wall = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const received = count;
  await stop();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { label, rate: received / wall, cpuPerSecondMs: cpuMs / wall, cpuPerUpdateUs: (cpuMs * 1000) / Math.max(1, received) };
}

// The machine is shared and its load varies: alternate the clients and keep medians.
const cold = { adapter: [], raw: [] };
for (let r = 0; r < 5; r++) {
  cold.adapter.push(await coldAdapter());
  cold.raw.push(await coldRaw());
}
const warm = await warmPairs(21);
const adapterReads = { cold: median(cold.adapter), warm: warm.adapter };
const rawReads = { cold: median(cold.raw), warm: warm.raw };
const caget = await benchCaget();

const adapterMon = await measureMonitors('adapter', async (onUpdate) => {
  const cs = await EpicsControlSystem.create('bench-monitor', settings);
  const subs = monNames.map((n) => cs.monitor(n).subscribe(onUpdate));
  return async () => {
    subs.forEach((s) => s.unsubscribe());
    await cs.close();
  };
});
const rawMon = await measureMonitors('raw epics-tca', async (onUpdate) => {
  const ctx = await rawContext();
  const channels = await Promise.all(monNames.map((n) => ctx.createChannel(n, 'ca', 20)));
  if (channels.some((c) => !c || c.getState() !== Channel_STATES.CREATED)) throw new Error('raw: channel creation failed');
  // The raw listener decodes the same data the adapter turns into a Sample.
  await Promise.all(channels.map((ch) => ch.createMonitor(20, (m) => { m.getChannel().getDbrData(); onUpdate(); }, ch.getDbrType() + 14, 1)));
  return async () => ctx.destroyHard();
});
await ioc.stop();

const f = (x) => x.toFixed(1);
console.log(`load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (2-core shared machine)`);
console.log(`EPICS read benchmark: ${N_READ} distinct PVs read concurrently (softIoc on loopback, CA)`);
console.log(`  adapter       cold ${f(adapterReads.cold)} ms   warm ${f(adapterReads.warm)} ms (medians: cold of 5, warm of 21 alternated batches)`);
console.log(`  raw epics-tca cold ${f(rawReads.cold)} ms   warm ${f(rawReads.warm)} ms (medians: cold of 5, warm of 21 alternated batches)`);
console.log(`  caget (${N_READ} names, one process, connect + read) ${f(caget)} ms (median of 3)`);
console.log(`  adapter/raw ratio: cold ${(adapterReads.cold / rawReads.cold).toFixed(2)}, warm ${(adapterReads.warm / rawReads.warm).toFixed(2)}`);
console.log(`EPICS monitor benchmark: ${N_MON} PVs at 10 Hz for ${MON_SECONDS} s`);
for (const m of [adapterMon, rawMon]) {
  console.log(`  ${m.label.padEnd(13)} ${f(m.rate)} updates/s, CPU ${f(m.cpuPerSecondMs)} ms/s (${f(m.cpuPerSecondMs / 10)} % of a core), ${f(m.cpuPerUpdateUs)} us/update`);
}
console.log(`  adapter/raw ratio: CPU per update ${(adapterMon.cpuPerUpdateUs / rawMon.cpuPerUpdateUs).toFixed(2)}, rate ${(adapterMon.rate / rawMon.rate).toFixed(2)}`);
process.exit(0);
