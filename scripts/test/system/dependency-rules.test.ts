/**
 * The dependency rules of `.dependency-cruiser.cjs` fail on what they forbid:
 * `npm run check:deps` (the command `npm test` and CI run) is run on a copy of
 * the repository's sources into which forbidden imports were added: a tuning
 * tool importing the engine, production code importing a testing entry, and
 * an import cycle. The check must fail naming each of them, and nothing else:
 * the rest of the copy is the real tree, so it passes the rules.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
let copy: string;
let result: { status: number | null; output: string };

/** Package folders of the workspace (packages/x, packages/tuning-tools/x, facilities/x). */
function packageDirs(): string[] {
  const dirs: string[] = [];
  for (const base of ['packages', 'packages/tuning-tools', 'facilities']) {
    for (const d of readdirSync(join(root, base))) if (existsSync(join(root, base, d, 'package.json'))) dirs.push(join(base, d));
  }
  return dirs;
}

const ADDED: Record<string, string> = {
  'packages/tuning-tools/orbit/src/forbidden-engine.ts': "import * as engine from '@mlayer/engine';\nexport const forbidden = engine;\n",
  'packages/virtual-accelerator/src/forbidden-testing.ts':
    "import * as tangoTesting from '@mlayer/adapters-tango/testing';\nexport const forbidden = tangoTesting;\n",
  'packages/data/src/forbidden-cycle-a.ts': "import { b } from './forbidden-cycle-b.js';\nexport const a = (): number => b() + 1;\n",
  'packages/data/src/forbidden-cycle-b.ts': "import { a } from './forbidden-cycle-a.js';\nexport const b = (): number => a() - 1;\n",
};

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'mlayer-deps-'));
  for (const file of ['package.json', '.dependency-cruiser.cjs', '.dependency-cruiser.aliases.cjs']) cpSync(join(root, file), join(copy, file));
  for (const dir of packageDirs()) {
    cpSync(join(root, dir, 'package.json'), join(copy, dir, 'package.json'));
    if (existsSync(join(root, dir, 'src'))) cpSync(join(root, dir, 'src'), join(copy, dir, 'src'), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  for (const [file, text] of Object.entries(ADDED)) writeFileSync(join(copy, file), text);
  const r = spawnSync('npm', ['run', '--silent', 'check:deps'], { cwd: copy, encoding: 'utf8', timeout: 120_000 });
  result = { status: r.status, output: `${r.stdout}${r.stderr}` };
}, 180_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** `[rule, from, to]` of each violation in depcruise's `err` output. */
function violations(output: string): [string, string, string][] {
  const found: [string, string, string][] = [];
  const re = /^\s*error ([\w-]+): (\S+) → \s*\n?\s*(\S+)/gm;
  for (const m of output.matchAll(re)) found.push([m[1]!, m[2]!, m[3]!]);
  return found;
}

describe('dependency rules (npm run check:deps)', () => {
  it('fails, naming a tuning tool that imports the engine', () => {
    expect(result.status, result.output).not.toBe(0);
    expect(violations(result.output)).toContainEqual([
      'tuning-tool-imports-only-core-tuning-common-data',
      'packages/tuning-tools/orbit/src/forbidden-engine.ts',
      'packages/engine/src/index.ts',
    ]);
  });

  it('fails, naming production code that imports a testing entry', () => {
    expect(violations(result.output)).toContainEqual([
      'no-testing-entry-in-production',
      'packages/virtual-accelerator/src/forbidden-testing.ts',
      'packages/adapters-tango/src/testing/index.ts',
    ]);
  });

  it('fails, naming an import cycle', () => {
    const cycles = violations(result.output).filter(([rule]) => rule === 'no-circular');
    expect(cycles.length).toBeGreaterThan(0);
    for (const [, from, to] of cycles) {
      expect([from, to].sort()).toEqual(['packages/data/src/forbidden-cycle-a.ts', 'packages/data/src/forbidden-cycle-b.ts']);
    }
  });

  it('finds nothing else: the real tree passes', () => {
    const found = violations(result.output);
    const count = /x (\d+) dependency violations/.exec(result.output);
    expect(Number(count?.[1]), result.output).toBe(found.length);
    const added = Object.keys(ADDED);
    for (const [rule, from] of found) expect(added, `${rule}: ${from}`).toContain(from.split(sep).join('/'));
  });
});
