/**
 * `mlayer shell` as a person uses it: the built command (packages/cli/dist/bin.js, build
 * first) in a real pseudo-terminal (node-pty), keys typed, the screen read back through a
 * headless xterm. One shell for the whole file, on the demo facility's twin with a
 * noise-free error set (so every reading is reproducible); the reference is the same
 * twin built in this process with the same error set and seed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';
import xterm from '@xterm/headless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyErrorSetFile } from '@mlayer/adapters-sim';
import type { Accelerator } from '@mlayer/core';
import { openAccelerator } from '../../src/context.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '..', '..', '..', '..');
const BIN = join(REPO, 'packages/cli/dist/bin.js');
const DIAMOND = join(REPO, 'facilities', 'diamond-i04');
const PROMPT = 'diamond-i04:twin> ';
const SEED = 7;
const COLS = 160;

const dir = mkdtempSync(join(tmpdir(), 'mlayer-shell-'));
const errors = join(dir, 'errors.yaml');
writeFileSync(
  errors,
  ['description: shell test (no BPM noise)', 'magnets:', '  QUAD: { dx: { sigma: 30.0e-6, truncation: 2 }, dy: { sigma: 30.0e-6, truncation: 2 } }', 'bpms:', '  BPMx: { offset: { sigma: 50.0e-6, truncation: 2 } }', ''].join('\n'),
);

let shell: pty.IPty;
let exited: Promise<number>;
const term = new xterm.Terminal({ cols: COLS, rows: 50, scrollback: 10000, allowProposedApi: true });
let pendingWrites = 0;
let ref: Accelerator;

/** The whole screen with scrollback, wrapped lines joined. */
function screen(): string {
  const buf = term.buffer.active;
  let text = '';
  for (let i = 0; i < buf.length; i++) {
    const line = buf.getLine(i)!;
    text += (i > 0 && !line.isWrapped ? '\n' : '') + line.translateToString(true);
  }
  return text.replace(/\s+$/, '');
}

async function waitFor<T>(what: string, test: (s: string) => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (pendingWrites === 0) {
      const r = test(screen());
      if (r !== undefined && r !== false) return r;
    }
    if (Date.now() > end) throw new Error(`shell: waited ${timeoutMs} ms for ${what}; screen:\n${screen().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Types a line and returns what it printed (between the echoed line and the next prompt). */
async function command(line: string): Promise<string> {
  const before = screen().length;
  shell.write(`${line}\r`);
  return waitFor(`the prompt after ${line}`, (s) => {
    const out = s.slice(before);
    if (!out.endsWith(PROMPT.trimEnd())) return undefined;
    const lines = out.split('\n');
    return lines.slice(1, -1).join('\n');
  });
}

/** The numbers of a reading printed as an array (the lines after the header). */
const numbers = (out: string): number[] => (out.split('\n').slice(1).join(' ').match(/-?\d+(\.\d+)?(e[+-]?\d+)?/g) ?? []).map(Number);

function expectClose(actual: readonly number[], expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `value ${i}: ${actual[i]} against ${expected[i]}`).toBeLessThanOrEqual(1e-5 * Math.abs(expected[i]) + 1e-6 * scale);
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx tsc -b)`);
  shell = pty.spawn(process.execPath, [BIN, '--facility', DIAMOND, 'shell', '--errors', errors, '--seed', String(SEED)], {
    name: 'xterm-256color',
    cols: COLS,
    rows: 50,
    cwd: REPO,
    env: { ...process.env, MLAYER_SHELL_HISTORY: '' } as Record<string, string>,
  });
  shell.onData((d) => {
    pendingWrites++;
    term.write(d, () => pendingWrites--);
  });
  exited = new Promise((res) => shell.onExit(({ exitCode }) => res(exitCode)));
  const opened = await openAccelerator({ facility: DIAMOND, mode: 'twin' });
  ref = opened.acc;
  applyErrorSetFile(ref, opened.facility.config, errors, SEED);
  await waitFor('the first prompt', (s) => s.endsWith(PROMPT.trimEnd()), 120_000);
}, 180_000);

afterAll(async () => {
  try {
    shell?.kill();
  } catch {
    // already gone
  }
  await ref?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mlayer shell in a pseudo-terminal', () => {
  it("prints getam('BPMx') as the twin reads it, with its units", async () => {
    expect(screen()).toContain('mlayer shell: diamond-i04');
    const out = await command("getam('BPMx')");
    expect(out.split('\n')[0]).toBe('BPMx monitor, 173 devices, mm');
    const expected = await ref.family('BPMx').get();
    expect(expected.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    expectClose(numbers(out), expected);
  });

  it('completes a family name with Tab and reads it', async () => {
    const before = screen().length;
    shell.write("getam('TU");
    shell.write('\t');
    await waitFor("the completed 'TUNE'", (s) => s.slice(before).endsWith("getam('TUNE"));
    const out = await command("')");
    const tunes = await ref.family('TUNE').get();
    expect(out).toMatch(/^TUNE monitor, 2 devices\n.*tune_x.*\n.*tune_y/);
    expectClose((out.match(/0\.\d+/g) ?? []).map(Number), tunes);
  });

  it('sets a corrector and the orbit follows (the twin keeps its state)', async () => {
    const orbitBefore = numbers(await command("getam('BPMx')"));
    const set = await command("setsp('HSTR', 0.5, [1, 1])");
    expect(set).toContain('HSTR: 1 setpoint written');
    expect(set).toMatch(/SR01A-PC-HSTR-01\s+0 -> 0\.5 A/);
    await ref.family('HSTR').devices([[1, 1]]).set(0.5, { wait: true });
    const orbitAfter = numbers(await command('x = getam("BPMx")'));
    expectClose(orbitAfter, await ref.family('BPMx').get());
    const moved = orbitAfter.map((v, i) => Math.abs(v - orbitBefore[i]));
    expect(Math.max(...moved)).toBeGreaterThan(0.01); // mm: 0.5 A of one steerer moves the orbit by tens of µm
    // The assignment got the values, not a promise.
    expect(await command('x.length')).toBe('173');
  });

  it('shows an error as one line and goes on', async () => {
    const out = await command("setsp('HSTR', 1e6, [1, 1])");
    expect(out.split('\n')).toHaveLength(1);
    expect(out).toMatch(/OutOfLimitsError: .*SR01A-PC-HSTR-01.*1000000.*outside the limits \[-5, 5\]; nothing was written/);
    expect(await command("getam('NOPE')")).toMatch(/^Uncaught \w*Error: unknown family 'NOPE'/);
    const sp = await command("getsp('HSTR', [1, 1])");
    expect(sp).toMatch(/SR01A-PC-HSTR-01\s+0\.5 A/);
  });

  it('Ctrl-C interrupts what is awaited and the session goes on', async () => {
    const before = screen().length;
    shell.write('await new Promise(() => {})\r');
    await new Promise((r) => setTimeout(r, 300));
    shell.write('\x03');
    await waitFor('the interruption', (s) => /interrupted by `SIGINT`\n/.test(s.slice(before)) && s.endsWith(PROMPT.trimEnd()));
    expect(await command('1+1')).toBe('2');
  });

  it('ends with Ctrl-D', async () => {
    shell.write('\x04');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(code).toBe(0);
  });
});
