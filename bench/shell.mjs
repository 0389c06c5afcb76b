#!/usr/bin/env node
/**
 * `mlayer shell` answers at once after the first load (issue 17 item 7: getam('BPMx') under
 * 50 ms), each figure beside its baselines of the same run:
 *
 *   node bench/shell.mjs [rounds]        (default 30; build first: npx tsc -b)
 *
 * The shell (packages/cli/dist/bin.js shell, the demo facility's twin) runs in a real
 * pseudo-terminal (node-pty, a dev dependency of @mlayer/cli); each figure is the wall time
 * from the line typed (Enter) to the next prompt on the terminal: what a person waits.
 * Rows, interleaved round by round so that the load of a shared machine falls on all alike:
 *   - `1+1`: the REPL round trip itself (pseudo-terminal, readline, eval, printing);
 *   - `getam('BPMx')`: 173 BPMs read from the twin and printed;
 *   - `stepsp('HSTR', 1e-3, [1, 1])` then `getam('BPMx')`: a steerer moved, so the twin
 *     recomputes its closed orbit before the read;
 *   - in-process baseline: `acc.family('BPMx').get()` on an accelerator opened in this
 *     process with @mlayer/cli's loadAccelerator (no terminal, no printing).
 * Also the shell's first load (spawn to first prompt) beside loadAccelerator in this process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const FACILITY = join(ROOT, 'facilities/diamond-i04');
const ROUNDS = Number(process.argv[2] ?? 30);
const PROMPT = 'diamond-i04:twin> ';
if (!existsSync(BIN)) {
  console.error(`${BIN} is missing: build first (npx tsc -b)`);
  process.exit(1);
}
const require = createRequire(join(ROOT, 'packages/cli/package.json'));
const pty = require('node-pty');
const { loadAccelerator } = await import(join(ROOT, 'packages/cli/dist/index.js'));

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (ms) => `${ms.toFixed(1).padStart(7)} ms`;

// The shell in a pseudo-terminal.
let out = '';
let waiter;
const t0 = performance.now();
const shell = pty.spawn(process.execPath, [BIN, '--facility', FACILITY, 'shell'], { cols: 160, rows: 50, cwd: ROOT, env: { ...process.env, MLAYER_SHELL_HISTORY: '' } });
// The prompt as the terminal gets it: readline moves the cursor after it (ANSI sequences).
const atPrompt = () => out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').endsWith(PROMPT);
shell.onData((d) => {
  out += d;
  if (waiter && atPrompt()) waiter();
});
const prompt = () =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no prompt within 120 s; the shell printed:\n${out.slice(-2000)}`)), 120_000);
    waiter = () => {
      waiter = undefined;
      clearTimeout(timer);
      resolve();
    };
    if (atPrompt()) waiter();
  });
await prompt();
const shellLoad = performance.now() - t0;

/** Wall ms from Enter to the next prompt. */
async function typed(line) {
  out = '';
  shell.write(line);
  const t = performance.now();
  shell.write('\r');
  await prompt();
  const ms = performance.now() - t;
  if (/Uncaught/.test(out)) throw new Error(`${line}: ${out}`);
  return ms;
}

// The in-process baseline.
const t1 = performance.now();
const acc = await loadAccelerator(FACILITY, { mode: 'twin' });
const inProcessLoad = performance.now() - t1;
const bpms = acc.family('BPMx');

const rows = { trivial: [], getam: [], afterStep: [], inProcess: [] };
for (let i = 0; i < 3; i++) {
  await typed('1+1');
  await typed("getam('BPMx')");
  await bpms.get();
}
for (let r = 0; r < ROUNDS; r++) {
  rows.trivial.push(await typed('1+1'));
  rows.getam.push(await typed("getam('BPMx')"));
  await typed(`stepsp('HSTR', ${r % 2 ? -1e-3 : 1e-3}, [1, 1])`);
  rows.afterStep.push(await typed("getam('BPMx')"));
  const t = performance.now();
  await bpms.get();
  rows.inProcess.push(performance.now() - t);
}
shell.write('\x04');
await acc.close();

console.log(`mlayer shell on ${FACILITY} (twin), ${ROUNDS} rounds; wall time from Enter to the next prompt, median (max)`);
const row = (name, a) => console.log(`  ${name.padEnd(52)} ${fmt(median(a))}  (${fmt(Math.max(...a)).trim()})`);
row("getam('BPMx') in the shell", rows.getam);
row("getam('BPMx') after stepsp of one steerer", rows.afterStep);
row('baseline: 1+1 in the shell (the REPL round trip)', rows.trivial);
row("baseline: acc.family('BPMx').get() in-process", rows.inProcess);
console.log(`  first load: shell spawn to first prompt ${fmt(shellLoad).trim()}; loadAccelerator in-process ${fmt(inProcessLoad).trim()}`);
const ok = median(rows.getam) < 50;
console.log(`target getam('BPMx') < 50 ms (median): ${ok ? 'met' : 'NOT met'}`);
setTimeout(() => process.exit(0), 500);
