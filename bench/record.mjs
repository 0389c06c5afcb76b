#!/usr/bin/env node
/**
 * The recorder's cost on monitor updates (issue 24 item 4): updates per second delivered
 * to subscribers of every BPM of the demo facility's twin (BPMx and BPMy, 173 each),
 * without the recorder and with it, side by side in the same run:
 *
 *   node bench/record.mjs [rounds] [ticks]     (default 7 rounds of 200 ticks; build first: npx tsc -b)
 *
 * The twin publishes its monitors on a timer (settings.updateRate, 10 Hz in the demo): to
 * measure what the process can deliver rather than the rate it is asked for, each round
 * drives the twin's update step (its private tick: advance the noise, one sample per
 * subscribed channel) `ticks` times in a loop and counts the samples the subscribers get.
 * Rows, interleaved round by round so that the load of a shared machine falls on all alike:
 *   - twin: the twin's monitors subscribed directly;
 *   - recorder -> file: the same through @mlayer/adapters-replay's recorder writing JSON
 *     lines to a file in the temporary folder (what `mlayer record` does);
 *   - recorder -> nothing: the recorder with a sink that drops the lines (the cost of
 *     encoding alone).
 * Each figure: the median over the rounds of updates per second (CPU-bound), the recording's
 * size per update, and the recorder's cost per update as a share of one core at the rate the
 * twin publishes on its own (updateRate x BPMs). Where the time goes: turning the sample's
 * numbers into text (the time is printed from whole microseconds, cheaper than a double), and
 * the file's write system calls (lines encoded into a 1 MB buffer as they come).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/cli/dist/index.js');
if (!existsSync(CLI) || !existsSync(join(ROOT, 'packages/adapters-replay/dist/index.js'))) {
  console.error('build first: npx tsc -b');
  process.exit(1);
}
const ROUNDS = Number(process.argv[2] ?? 7);
const TICKS = Number(process.argv[3] ?? 200);
const { loadAccelerator } = await import(CLI);
const { facilityChannels } = await import(join(ROOT, 'packages/core/dist/index.js'));
const { recordControlSystem, RecordingFile } = await import(join(ROOT, 'packages/adapters-replay/dist/index.js'));

const acc = await loadAccelerator(join(ROOT, 'facilities/diamond-i04'), { mode: 'twin' });
const twin = acc.controlSystem;
const bpms = facilityChannels(acc.facility, acc.mode).filter((c) => (c.family === 'BPMx' || c.family === 'BPMy') && c.field === 'monitor').map((c) => c.channel);
const dir = mkdtempSync(join(tmpdir(), 'mlayer-bench-record-'));
const header = { facility: { name: acc.name, sha256: acc.facility.sha256 }, mode: acc.mode, software: { node: process.version } };

/** Subscribes every BPM through `cs`, drives TICKS updates of the twin; returns updates per second. */
function run(cs) {
  let updates = 0;
  const subs = bpms.map((ch) => cs.monitor(ch).subscribe(() => updates++));
  const first = updates; // the value each subscription gets at once
  const t0 = performance.now();
  for (let i = 0; i < TICKS; i++) twin.tick();
  const s = (performance.now() - t0) / 1000;
  for (const sub of subs) sub.unsubscribe();
  return (updates - first) / s;
}

const rows = { twin: [], 'recorder -> file': [], 'recorder -> nothing': [] };
let bytes = 0;
let recorded = 0;
run(twin); // warm-up (orbit computed, code optimised)
for (let r = 0; r < ROUNDS; r++) {
  rows.twin.push(run(twin));
  const file = join(dir, `rec-${r}.jsonl`);
  const sink = new RecordingFile(file);
  const rec = recordControlSystem(twin, sink, header);
  rows['recorder -> file'].push(run(rec));
  rec.stopRecording();
  bytes += statSync(file).size;
  recorded += rec.recordingCounts.updates;
  const none = recordControlSystem(twin, { append() {}, close() {} }, header);
  rows['recorder -> nothing'].push(run(none));
}
await acc.close();
rmSync(dir, { recursive: true, force: true });

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = median(rows.twin);
console.log(`monitor updates per second, ${bpms.length} BPM channels of ${acc.name} (twin), ${TICKS} updates of each per round, median of ${ROUNDS} rounds (node ${process.version})`);
for (const [name, v] of Object.entries(rows)) {
  const m = median(v);
  console.log(`  ${name.padEnd(22)} ${Math.round(m).toLocaleString('en').padStart(10)} updates/s   ${(m / base).toFixed(2)} x twin   (min ${Math.round(Math.min(...v)).toLocaleString('en')}, max ${Math.round(Math.max(...v)).toLocaleString('en')})`);
}
console.log(`  recording size: ${(bytes / recorded).toFixed(0)} bytes per update (JSON line)`);
// What that costs at the rate the twin publishes (its settings.updateRate for every BPM).
const rate = (twin.settings?.updateRate ?? 10) * bpms.length;
const extra = 1e6 / median(rows['recorder -> file']) - 1e6 / base;
console.log(`  recorder cost: ${extra.toFixed(2)} µs per update; at the twin's own rate (${rate.toLocaleString('en')} updates/s: ${bpms.length} BPMs at ${rate / bpms.length} Hz) ${((extra * rate) / 1e4).toFixed(1)} % of one core`);
