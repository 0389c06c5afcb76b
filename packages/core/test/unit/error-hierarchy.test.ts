/**
 * One base for every error a user can see: each exported class whose name ends
 * in `Error`, from every entry point of every workspace package, derives from
 * core's MlayerError; and no class in production sources extends a built-in
 * error directly (MlayerError itself excepted), exported or not.
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlayerError } from '../../src/index.js';

const ROOT = resolve(__dirname, '../../../..');

interface Entry {
  readonly specifier: string;
  readonly dir: string;
}

function packageDirs(): string[] {
  const dirs: string[] = [];
  for (const base of ['packages', 'packages/tuning-tools', 'facilities']) {
    const abs = join(ROOT, base);
    if (!existsSync(abs)) continue;
    for (const d of readdirSync(abs)) if (existsSync(join(abs, d, 'package.json'))) dirs.push(join(abs, d));
  }
  return dirs;
}

/** Every `exports` entry (`.`, `./testing`, `./gpu`, ...) of every workspace package, by its package name. */
function entries(): Entry[] {
  const out: Entry[] = [];
  for (const dir of packageDirs()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
    for (const sub of Object.keys(pkg.exports ?? {})) {
      if (sub.endsWith('.json') || sub.includes('*')) continue;
      out.push({ specifier: sub === '.' ? pkg.name : `${pkg.name}${sub.slice(1)}`, dir });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

describe('error hierarchy', () => {
  const all = entries();

  it('finds the entry points of the workspace packages', () => {
    const names = all.map((e) => e.specifier);
    for (const expected of ['@mlayer/core', '@mlayer/core/testing', '@mlayer/data', '@mlayer/engine', '@mlayer/engine/gpu', '@mlayer/calibration']) {
      expect(names).toContain(expected);
    }
  });

  it.each(all.map((e) => [e.specifier] as const))('every exported *Error class of %s derives from MlayerError', async (specifier) => {
    const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
    const plain = Object.entries(mod)
      .filter(([name, value]) => /^[A-Z]\w*Error$/.test(name) && typeof value === 'function' && value !== MlayerError)
      .filter(([, value]) => !((value as { prototype?: unknown }).prototype instanceof MlayerError))
      .map(([name]) => name);
    expect(plain, `${specifier} exports errors that do not derive from MlayerError`).toEqual([]);
  });

  it('no production class extends a built-in error directly', () => {
    const builtIn = /\bclass\s+(\w+)(?:<[^>]*>)?\s+extends\s+(Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)\b/g;
    const offenders: string[] = [];
    for (const dir of packageDirs()) {
      const src = join(dir, 'src');
      if (!existsSync(src)) continue;
      for (const file of sourceFiles(src)) {
        for (const m of readFileSync(file, 'utf8').matchAll(builtIn)) {
          if (m[1] === 'MlayerError' && file.endsWith(join('core', 'src', 'errors.ts'))) continue;
          offenders.push(`${relative(ROOT, file)}: class ${m[1]} extends ${m[2]}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('an error names its class and keeps its message', () => {
    class ProbeError extends MlayerError {}
    const e = new ProbeError("channel 'SR:BPM1:X': 3 is not a string");
    expect(e.name).toBe('ProbeError');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain('SR:BPM1:X');
  });
});
