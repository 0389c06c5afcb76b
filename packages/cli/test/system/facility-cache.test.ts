/**
 * The compiled-facility cache (packages/cli/src/facility-cache.ts): a miss builds the
 * entry, a hit gives the same facility without parsing, a changed facility or lattice
 * file is a miss, a corrupt, truncated, tampered or foreign entry is never used (the
 * facility is loaded from its file and the entry rewritten), a facility with errors is
 * reported as without the cache and not cached, and the CLI's `get BPMx` on the twin
 * prints the same values with a cold cache, a warm cache and no cache. The validated
 * conversion specs kept beside the facility follow its bytes and are rebuilt when broken.
 * The built-conversions entry (lazy conversions and twin setpoints on a warm start) is
 * written only after a start without errors and follows the tables the conversions read:
 * a table changed into a bad one is reported at load, as without the cache.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIELD_NAMES, UnitConversionRegistry, loadFacility, type LoadedFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { TwinSettingsSchema } from '@mlayer/adapters-sim';
import { loadLattice, saveLattice } from '@mlayer/engine';
import { CACHE_VERSION, builtConversionsCached, cacheDir, codeFingerprint, entryPath, latticeFromCache, loadFacilityCached, loadLatticeCached, twinKey, validatedSpecsCached } from '../../src/facility-cache.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const DIAMOND = join(REPO, 'facilities/diamond-i04');
const BIN = join(REPO, 'packages/cli/dist/bin.js');
const ZOD_PROBE = fileURLToPath(new URL('./zod-probe.cjs', import.meta.url));

/** Runs node with `args` (the built CLI) without blocking this worker (its RPC with vitest times out under load otherwise). */
function runNode(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'mlayer-cache-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the demo facility (facility file, lattice, calibration tables) and an empty cache directory. */
function fixture(name: string): { file: string; dir: string; cache: string } {
  const dir = join(scratch, name);
  cpSync(DIAMOND, dir, { recursive: true, filter: (src) => !src.includes('/test') });
  return { file: join(dir, 'facility.yaml'), dir, cache: join(scratch, `${name}-cache`) };
}

/** Every channel of every device field in every control system, as the facility resolves it. */
function channels(f: LoadedFacility): string[] {
  const out: string[] = [];
  for (const [family, fam] of Object.entries(f.config.families)) {
    fam.devices.forEach((_d, di) => {
      for (const field of FIELD_NAMES) for (const cs of Object.keys(f.config.controlSystems)) out.push(`${family} ${di} ${field} ${cs} ${f.channel(family, di, field, cs)}`);
    });
  }
  return out;
}

function expectSameFacility(a: LoadedFacility, b: LoadedFacility): void {
  expect(a.file).toBe(b.file);
  expect(a.sha256).toBe(b.sha256);
  expect(a.config).toStrictEqual(b.config);
  expect(channels(a)).toStrictEqual(channels(b));
  expect(a.resolvePath('pytac/uc_poly_data.csv')).toBe(b.resolvePath('pytac/uc_poly_data.csv'));
  expect(a.locate(['families', 'HSTR', 'devices', 3])).toStrictEqual(b.locate(['families', 'HSTR', 'devices', 3]));
}

describe('compiled-facility cache', () => {
  it('a miss writes the entry, a hit gives the same facility', () => {
    const { file, cache } = fixture('hit');
    const fresh = loadFacility(file);
    const first = loadFacilityCached(file, cache);
    expect(first.hit).toBe(false);
    expect(readdirSync(cache)).toEqual([entryPath(cache, 'facility', file).split('/').pop()]);
    const second = loadFacilityCached(file, cache);
    expect(second.hit).toBe(true);
    expectSameFacility(second.facility, fresh);
    expectSameFacility(first.facility, fresh);
  });

  it('a changed facility file is a miss, and the entry follows the file', () => {
    const { file, cache } = fixture('changed');
    expect(loadFacilityCached(file, cache).hit).toBe(false);
    expect(loadFacilityCached(file, cache).hit).toBe(true);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/^energy: .*$/m, 'energy: 2.9e9'));
    const changed = loadFacilityCached(file, cache);
    expect(changed.hit).toBe(false);
    expect(changed.facility.config.energy).toBe(2.9e9);
    expect(loadFacilityCached(file, cache).facility.config.energy).toBe(2.9e9);
    appendFileSync(file, '# a comment changes the bytes\n');
    expect(loadFacilityCached(file, cache).hit).toBe(false);
    expect(loadFacilityCached(file, cache).hit).toBe(true);
    // One entry per facility file, however often it changed.
    expect(readdirSync(cache).filter((f) => f.startsWith('facility-'))).toHaveLength(1);
  });

  it('a corrupt, truncated, tampered or foreign entry is never used, and is rebuilt', () => {
    const { file, cache } = fixture('corrupt');
    const fresh = loadFacility(file);
    loadFacilityCached(file, cache);
    const entry = entryPath(cache, 'facility', file);
    const good = readFileSync(entry, 'utf8');
    const nl = good.indexOf('\n');
    const header = JSON.parse(good.slice(0, nl)) as Record<string, unknown>;
    const payload = good.slice(nl + 1);
    const broken: Record<string, string> = {
      garbage: '\u0000\u0001 not json at all',
      empty: '',
      truncated: good.slice(0, Math.floor(good.length / 2)),
      // A payload changed after writing (energy doubled): its SHA-256 no longer matches the header.
      tampered: `${good.slice(0, nl)}\n${payload.replace(/"energy":([0-9.e+]+)/, (_m, v: string) => `"energy":${Number(v) * 2}`)}`,
      'another version': `${JSON.stringify({ ...header, version: CACHE_VERSION + 1 })}\n${payload}`,
      'another file': `${JSON.stringify({ ...header, file: '/elsewhere/facility.yaml' })}\n${payload}`,
      // Compiled by other code (core's config loader changed since): never served.
      'other code': `${JSON.stringify({ ...header, code: '0'.repeat(64) })}\n${payload}`,
      // Well-formed and matching, but not the shape of a facility.
      'wrong shape': (() => {
        const p = JSON.stringify({ config: { name: 'x' }, channels: {} });
        return `${JSON.stringify({ ...header, payload: createHash('sha256').update(p).digest('hex') })}\n${p}`;
      })(),
    };
    expect(broken.tampered).not.toBe(good);
    // The entry names the code that compiled it: the SHA-256 of core's built config folder.
    expect(header.code).toBe(codeFingerprint('@mlayer/core', 'config'));
    expect(header.code).toMatch(/^[0-9a-f]{64}$/);
    for (const [what, text] of Object.entries(broken)) {
      writeFileSync(entry, text);
      const r = loadFacilityCached(file, cache);
      expect(r.hit, what).toBe(false);
      expect(r.facility.config, what).toStrictEqual(fresh.config);
      // Rebuilt: the next load is a hit again.
      expect(loadFacilityCached(file, cache).hit, what).toBe(true);
      expect(readFileSync(entry, 'utf8'), what).toBe(good);
    }
  });

  it('a cache that cannot be written or read is left alone', () => {
    const { file } = fixture('unwritable');
    const notADir = join(scratch, 'a-file');
    writeFileSync(notADir, 'x');
    const r = loadFacilityCached(file, notADir);
    expect(r.hit).toBe(false);
    expect(r.facility.config).toStrictEqual(loadFacility(file).config);
    expect(readFileSync(notADir, 'utf8')).toBe('x');
  });

  it('a facility with errors: the same error (file:line:col) as without the cache, and nothing cached', () => {
    const { file, cache } = fixture('invalid');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^energy: .*$/m, 'energy: lots'));
    let plain = '';
    try {
      loadFacility(file);
    } catch (e) {
      plain = (e as Error).message;
    }
    expect(plain).toMatch(/facility\.yaml:\d+:\d+/);
    expect(() => loadFacilityCached(file, cache)).toThrow(plain);
    expect(() => loadFacilityCached(file, cache)).toThrow(plain);
    expect(existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith('facility-')) : []).toHaveLength(0);
  });

  it('a facility whose lattice file was removed after caching reports it as the loader does', () => {
    const { file, dir, cache } = fixture('lattice-gone');
    loadFacilityCached(file, cache);
    rmSync(join(dir, 'I04_source.mat'));
    let plain = '';
    try {
      loadFacility(file);
    } catch (e) {
      plain = (e as Error).message;
    }
    expect(plain).toMatch(/lattice file not found/);
    expect(() => loadFacilityCached(file, cache)).toThrow(plain);
  });

  it('the lattice: a hit gives the same data, a changed lattice file is a miss', () => {
    const { dir, cache } = fixture('lattice');
    const mat = join(dir, 'I04_source.mat');
    const fresh = loadLattice(mat);
    // latticeFromCache gives a valid entry's lattice, else undefined, and loads nothing.
    expect(latticeFromCache(mat, cache)).toBeUndefined();
    expect(loadLatticeCached(mat, loadLattice, cache).hit).toBe(false);
    const hit = loadLatticeCached(mat, loadLattice, cache);
    expect(hit.hit).toBe(true);
    expect(hit.lattice).toStrictEqual(fresh);
    expect(latticeFromCache(mat, cache)).toStrictEqual(fresh);
    const entry = entryPath(cache, 'lattice', mat);
    const good = readFileSync(entry, 'utf8');
    writeFileSync(entry, good.slice(0, good.length - 10));
    expect(latticeFromCache(mat, cache)).toBeUndefined();
    writeFileSync(entry, good);
    // A lattice file of another content (JSON format, one quadrupole changed).
    const json = join(dir, 'ring.atjson.json');
    saveLattice(json, fresh);
    expect(loadLatticeCached(json, loadLattice, cache).hit).toBe(false);
    expect(loadLatticeCached(json, loadLattice, cache).hit).toBe(true);
    const q = fresh.elements.findIndex((e) => e.Class === 'Quadrupole');
    const changed = structuredClone(fresh);
    const k = (changed.elements[q].PolynomB as number[])[1] * 1.01;
    (changed.elements[q].PolynomB as number[])[1] = k;
    if (changed.elements[q].K !== undefined) changed.elements[q].K = k;
    saveLattice(json, changed);
    expect(latticeFromCache(json, cache)).toBeUndefined();
    const after = loadLatticeCached(json, loadLattice, cache);
    expect(after.hit).toBe(false);
    expect(after.lattice).toStrictEqual(loadLattice(json));
    expect((after.lattice.elements[q].PolynomB as number[])[1]).toBe((changed.elements[q].PolynomB as number[])[1]);
  });

  it('numbers JSON cannot hold (NaN, Infinity, -0) come back as they were; data that would not is not cached', () => {
    const cache = join(scratch, 'special-cache');
    const file = join(scratch, 'special.json');
    writeFileSync(file, '{}');
    const data = { elements: [{ FamName: 'Q', PassMethod: 'StrMPoleSymplectic4Pass', Length: -0, K: Number.NaN, Limits: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY], Name: '\u0000NaN is a name' }], properties: { name: 'x', energy: 3e9 } };
    const load = () => structuredClone(data);
    expect(loadLatticeCached(file, load, cache).hit).toBe(false);
    const hit = loadLatticeCached(file, load, cache);
    expect(hit.hit).toBe(true);
    const e = hit.lattice.elements[0];
    expect(Object.is(e.Length, -0)).toBe(true);
    expect(Number.isNaN(e.K)).toBe(true);
    expect(e.Limits).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    // A string that looks like a tag but is not one is kept as it is.
    expect(e.Name).toBe('\u0000NaN is a name');
    // Data of other kinds than plain JSON (a typed array) is not cached: loaded each time.
    const other = join(scratch, 'typed.json');
    writeFileSync(other, '{}');
    const typed = () => ({ elements: [{ FamName: 'Q', PassMethod: 'DriftPass', R: new Float64Array([1, 2]) }], properties: {} });
    expect(loadLatticeCached(other, typed, cache).hit).toBe(false);
    expect(loadLatticeCached(other, typed, cache).hit).toBe(false);
    // Nor a string equal to a tag (it would come back as a number).
    const tagged = () => ({ elements: [{ FamName: '\u0000NaN', PassMethod: 'DriftPass' }], properties: {} });
    expect(loadLatticeCached(other, tagged, cache).hit).toBe(false);
    expect(loadLatticeCached(other, tagged, cache).lattice.elements[0].FamName).toBe('\u0000NaN');
  });

  it('validated conversion specs: a hit gives what validation gives; a changed file is a miss; a corrupt or foreign entry is rebuilt; invalid specs are left out', () => {
    const { file, cache } = fixture('specs');
    const registry = new UnitConversionRegistry();
    registerCalibration(registry);
    const validator = (f: LoadedFacility) => {
      const calls: string[] = [];
      const validate = (raw: unknown, id: string) => {
        calls.push(id);
        return registry.validate(raw, { file: f.file, resolvePath: f.resolvePath, id }, `unitConversions.${id}`);
      };
      return { calls, validate };
    };
    const facility = loadFacility(file);
    const ids = Object.keys(facility.config.unitConversions);
    const fresh = validator(facility);
    const first = validatedSpecsCached(facility, fresh.validate, cache);
    expect(fresh.calls).toEqual(ids);
    const entry = entryPath(cache, 'conversions', file);
    expect(existsSync(entry)).toBe(true);
    const again = validator(facility);
    const hit = validatedSpecsCached(facility, again.validate, cache);
    expect(again.calls).toEqual([]);
    expect(hit).toStrictEqual(first);
    // What validation gives: defaults filled in (a table's interpolation), the same as core's registry.
    for (const id of ids) expect(hit![id], id).toStrictEqual(registry.validate(facility.config.unitConversions[id], { file, resolvePath: facility.resolvePath, id }, `unitConversions.${id}`));
    // Broken entries: never used, rebuilt (validated again, the same entry written).
    const good = readFileSync(entry, 'utf8');
    const nl = good.indexOf('\n');
    const header = JSON.parse(good.slice(0, nl)) as Record<string, unknown>;
    const payload = JSON.parse(good.slice(nl + 1)) as Record<string, Record<string, unknown>>;
    const withPayload = (p: unknown) => {
      const text = JSON.stringify(p);
      return `${JSON.stringify({ ...header, payload: createHash('sha256').update(text).digest('hex') })}\n${text}`;
    };
    const broken: Record<string, string> = {
      garbage: 'not an entry',
      truncated: good.slice(0, Math.floor(good.length / 2)),
      tampered: good.replace('"pchip"', '"linear"'),
      'other code': `${JSON.stringify({ ...header, code: '0'.repeat(64) })}\n${good.slice(nl + 1)}`,
      'another facility version': `${JSON.stringify({ ...header, sha256: '1'.repeat(64) })}\n${good.slice(nl + 1)}`,
      // Well-formed, hashed, but a spec of another type than the facility's, or an id it does not name.
      'another type': withPayload({ ...payload, [ids[0]]: { ...payload[ids[0]], type: 'identity' } }),
      'unknown id': withPayload({ ...payload, 'no-such-conversion': { type: 'linear' } }),
    };
    expect(broken.tampered).not.toBe(good);
    for (const [what, text] of Object.entries(broken)) {
      writeFileSync(entry, text);
      const v = validator(facility);
      expect(validatedSpecsCached(facility, v.validate, cache), what).toStrictEqual(first);
      expect(v.calls, what).toEqual(ids);
      expect(readFileSync(entry, 'utf8'), what).toBe(good);
    }
    // A changed facility file (one spec made invalid): a miss; the invalid spec is left out (its builder reports it).
    const bad = ids[0];
    writeFileSync(file, readFileSync(file, 'utf8').replace(new RegExp(`^(  ${bad}: \\{ type: )(\\w+)`, 'm'), '$1nonsense'));
    const changed = loadFacility(file);
    expect((changed.config.unitConversions[bad] as { type: string }).type).toBe('nonsense');
    const v = validator(changed);
    const specs = validatedSpecsCached(changed, v.validate, cache)!;
    expect(v.calls).toEqual(ids);
    expect(Object.keys(specs)).toEqual(ids.slice(1));
    expect(validatedSpecsCached(changed, validator(changed).validate, cache)).toStrictEqual(specs);
    // No cache (MLAYER_NO_CACHE=1): nothing validated here.
    const before = process.env.MLAYER_NO_CACHE;
    process.env.MLAYER_NO_CACHE = '1';
    try {
      const off = validator(changed);
      expect(validatedSpecsCached(changed, off.validate)).toBeUndefined();
      expect(off.calls).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.MLAYER_NO_CACHE;
      else process.env.MLAYER_NO_CACHE = before;
    }
  });

  it('the directory: MLAYER_CACHE_DIR, else XDG_CACHE_HOME/mlayer, else ~/.cache/mlayer; MLAYER_NO_CACHE=1 turns it off', () => {
    expect(cacheDir({ MLAYER_CACHE_DIR: '/tmp/c', XDG_CACHE_HOME: '/x' })).toBe('/tmp/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/mlayer');
    expect(cacheDir({ HOME: '/home/u' })).toMatch(/\.cache\/mlayer$/);
    expect(cacheDir({ MLAYER_NO_CACHE: '1', MLAYER_CACHE_DIR: '/tmp/c' })).toBeUndefined();
  });

  it('mlayer --json get BPMx on the twin prints the same with no cache, a cold cache and a warm one; the warm one loads no zod', async () => {
    const cache = join(scratch, 'cli-cache');
    // zod-probe.cjs says on stderr when the process loads zod (validation; a warm start validates nothing).
    const run = async (env: Record<string, string>) => {
      const r = await runNode(['-r', ZOD_PROBE, BIN, '--facility', DIAMOND, '--json', 'get', 'BPMx'], env);
      expect(r.status, r.stderr).toBe(0);
      return r;
    };
    const none = await run({ MLAYER_NO_CACHE: '1' });
    const cold = await run({ MLAYER_CACHE_DIR: cache });
    expect(readdirSync(cache).sort().map((f) => f.split('-')[0])).toEqual(['built', 'conversions', 'facility', 'lattice']);
    const warm = await run({ MLAYER_CACHE_DIR: cache });
    expect(JSON.parse(none.stdout).values.length).toBeGreaterThan(100);
    expect(cold.stdout).toBe(none.stdout);
    expect(warm.stdout).toBe(none.stdout);
    expect(none.stderr).toMatch(/zod loaded/);
    expect(cold.stderr).toMatch(/zod loaded/);
    expect(warm.stderr).toBe('');
  }, 300_000);

  it('built conversions: written after a start without errors, for the tables read; a table made bad since is a miss and its error comes at load as without the cache', async () => {
    const { file, dir, cache } = fixture('built');
    const run = (env: Record<string, string>) => runNode([BIN, '--facility', file, '--json', 'get', 'BPMx'], env);
    const cold = await run({ MLAYER_CACHE_DIR: cache });
    expect(cold.status, cold.stderr).toBe(0);
    const facility = loadFacility(file);
    const built = builtConversionsCached(facility, cache);
    expect(built).toBeDefined();
    expect(Object.keys(built!.files).sort()).toEqual([join(dir, 'pytac/uc_pchip_data.csv'), join(dir, 'pytac/uc_poly_data.csv')]);
    expect(Object.keys(built!.shapes).length).toBeGreaterThan(600);
    expect(built!.twins).toEqual([twinKey(facility, 'twin')]);
    // The twin's settings as its schema returns them (a warm start takes them instead of validating again).
    expect(built!.settings).toStrictEqual({ [twinKey(facility, 'twin')!]: TwinSettingsSchema.parse(facility.config.controlSystems.twin.settings) });
    // A table whose rows are gone: the entry no longer holds, and the start fails at load, as without the cache.
    const table = join(dir, 'pytac/uc_poly_data.csv');
    writeFileSync(table, `${readFileSync(table, 'utf8').split('\n')[0]}\n`);
    expect(builtConversionsCached(facility, cache)).toBeUndefined();
    const warm = await run({ MLAYER_CACHE_DIR: cache });
    const none = await run({ MLAYER_NO_CACHE: '1' });
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/uc_poly_data\.csv/);
    expect(warm.status).toBe(none.status);
    expect(warm.stderr).toBe(none.stderr);
    expect(warm.stdout).toBe('');
  }, 300_000);
});
