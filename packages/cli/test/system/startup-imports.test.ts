/**
 * Start-up (issue 16 item 5): `mlayer --help` and `mlayer <command> --help` load the
 * commander definitions only: no engine, adapter, data package (h5wasm), tuning tool,
 * plotting library or core (zod, rxjs, inversify). Checked on the built CLI
 * (dist/bin.js) with a module hook that records every URL the loader resolves, so a
 * top-level import re-added to a command file fails here. The same recorder sees the
 * engine and the twin loaded by `get BPMx` (it does see what is loaded), and that the
 * twin does not load the native WebGPU module for it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(REPO, 'packages/cli/dist/bin.js');
const RECORDER = fileURLToPath(new URL('../record-imports.mjs', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'mlayer-imports-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What a help text must not load: the heavy packages, by their resolved location. */
const HEAVY = [
  /\/packages\/(core|data|engine|calibration|facility-tools|virtual-accelerator|adapters-[a-z]+|tuning-tools\/[a-z]+)\/(dist|src)\//,
  /\/node_modules\/(h5wasm|webgpu|vega|vega-lite|@resvg|zod|rxjs|inversify|yaml|js-yaml|epics-tca|cli-progress)\//,
];

let n = 0;
/** Runs the built CLI with the recorder; returns the resolved URLs and the exit status. */
function imports(args: string[], env: Record<string, string> = {}): { urls: string[]; status: number | null; stdout: string; stderr: string } {
  const file = join(scratch, `urls-${n++}.txt`);
  const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, MLAYER_RECORD_IMPORTS: file }, timeout: 120_000 });
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* nothing recorded */
  }
  return { urls: [...new Set(text.split('\n').filter(Boolean))], status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const heavy = (urls: string[]) => urls.filter((u) => HEAVY.some((re) => re.test(u)));

describe('mlayer start-up loads only what the command uses', () => {
  const helps = [[], ['orbit'], ['orbit', 'correct'], ['demo'], ['get'], ['set'], ['model', 'optics'], ['tune', 'set'], ['chrom', 'measure'], ['data', 'show'], ['facility', 'import-pytac'], ['serve'], ['schema']];
  for (const cmd of helps) {
    it(`mlayer ${[...cmd, '--help'].join(' ')}: no engine, adapter, h5wasm, plotting or core`, () => {
      const r = imports([...cmd, '--help']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: mlayer/);
      // The recorder ran: it saw the CLI's own modules and commander.
      expect(r.urls.some((u) => u.includes('/packages/cli/dist/program.js'))).toBe(true);
      expect(r.urls.some((u) => u.includes('/node_modules/commander/'))).toBe(true);
      expect(heavy(r.urls)).toEqual([]);
    });
  }

  it('mlayer --json get BPMx on the twin loads core, the engine and the twin, and no WebGPU, data or plotting; warm, no zod or yaml either', () => {
    const r = imports(['--json', 'get', 'BPMx'], { MLAYER_CACHE_DIR: join(scratch, 'cache') });
    expect(r.status, r.stderr).toBe(0);
    const loaded = heavy(r.urls).join('\n');
    expect(loaded).toMatch(/\/packages\/core\/dist\//);
    expect(loaded).toMatch(/\/packages\/engine\/dist\//);
    expect(loaded).toMatch(/\/packages\/adapters-sim\/dist\//);
    expect(loaded).not.toMatch(/\/node_modules\/(webgpu|h5wasm|vega|@resvg)\/|\/packages\/(data|virtual-accelerator|adapters-epics|adapters-tango)\/|\/engine\/dist\/gpu\//);
    // Again with the cache now warm: nothing imports zod, yaml or js-yaml (validation and parsing are a cold start's).
    const warm = imports(['--json', 'get', 'BPMx'], { MLAYER_CACHE_DIR: join(scratch, 'cache') });
    expect(warm.status, warm.stderr).toBe(0);
    expect(warm.stdout).toBe(r.stdout);
    expect(warm.urls.some((u) => u.includes('/packages/adapters-sim/dist/'))).toBe(true);
    expect(warm.urls.filter((u) => /\/node_modules\/(zod|yaml|js-yaml)\//.test(u))).toEqual([]);
  });
});
