/**
 * The compiled-facility cache of the CLI (issue 16, start-up).
 *
 * Loading a facility parses its YAML, validates it against the schema and resolves
 * every channel of every device in every control system; the twin then reads the
 * lattice file. Each `mlayer` command did all of it again. Here the result is kept
 * under the cache directory, one entry per facility file (and one per lattice file):
 *
 * - `facility-<sha256 of the path>.json`: the validated configuration and the channel
 *   table, for the SHA-256 of the facility file's bytes. Loading reads only the
 *   facility file (the lattice is checked to exist, which is checked again on a hit),
 *   so that hash is the whole key.
 * - `lattice-<sha256 of the path>.json`: the lattice (AT elements, plain data), for the
 *   SHA-256 of the lattice file's bytes; only for the single-file formats (.mat, .json).
 * - `conversions-<sha256 of the path>.json`: the facility's unit-conversion specs as
 *   validation returns them (checked against their type's schema, defaults filled in),
 *   for the SHA-256 of the facility file's bytes and the code of the calibration
 *   package and core's conversion registry: a warm start checks no spec again.
 * - `built-<sha256 of the path>.json`: written after an accelerator was built without an
 *   error: the shape of each conversion built (units, history methods), the files they read
 *   with their SHA-256, and the twins whose initial setpoints were all converted (mode,
 *   lattice file and its SHA-256) with the settings their factory's schema returned (so that
 *   a warm start validates them no more: that loads zod); keyed by the facility file's bytes and the code of
 *   calibration, core's units and accelerator, the twin and the engine's model. With it a warm
 *   start resolves each family, builds each conversion and converts each twin setpoint on
 *   first use (every one of them
 *   succeeded from the same files and code before); without it all are built at load, so
 *   that a bad conversion is reported there.
 *
 * A changed file has another hash: the entry is rebuilt. So does changed code: each
 * entry records the SHA-256 of the built code that produced it (core's config folder
 * for a facility, the engine's lattice readers for a lattice), so an mlayer updated or
 * rebuilt in place never serves what an older loader compiled. An entry is trusted only
 * when its format and version, the path and the hash it was written for, the code
 * fingerprint, and the SHA-256 of its payload all match, and the payload has the expected shape; anything else (a
 * truncated file, garbage, another version) is a miss and is rebuilt. Entries are
 * written to a temporary file and renamed (a reader never sees half an entry); a cache
 * that cannot be written is left alone. Errors of the loader are not cached: an invalid
 * facility is loaded from its file, whose errors name file, line and column as before.
 *
 * Numbers JSON cannot hold (NaN, ±Infinity, -0) are written as tagged strings
 * ("\u0000NaN", ...); before writing, the encoded data is decoded again and compared
 * with the original, and data that would not come back identical is not cached.
 *
 * Directory: $MLAYER_CACHE_DIR, else $XDG_CACHE_HOME/mlayer, else ~/.cache/mlayer;
 * MLAYER_NO_CACHE=1 turns the cache off.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELD_NAMES, loadFacility, type FacilityConfig, type FieldName, type LoadedFacility } from '@mlayer/core';
import { isConversionShape, type ConversionShape } from './conversion-registry.js';

/** Bumped whenever what an entry holds, or what the loader produces, changes meaning. */
export const CACHE_VERSION = 3;
const FORMAT = 'mlayer-compiled-facility';
const LATTICE_FORMAT = 'mlayer-compiled-lattice';

/** The cache directory, or undefined when the cache is off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MLAYER_NO_CACHE === '1') return undefined;
  if (env.MLAYER_CACHE_DIR) return resolve(env.MLAYER_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'mlayer');
  return join(homedir(), '.cache', 'mlayer');
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Where a file's entry of one kind lives. */
export function entryPath(dir: string, kind: 'facility' | 'lattice' | 'conversions' | 'built', file: string): string {
  return join(dir, `${kind}-${sha256(resolve(file)).slice(0, 32)}.json`);
}

// ---- code fingerprint ----------------------------------------------------

const fingerprints = new Map<string, string | undefined>();

/**
 * SHA-256 of the built JavaScript of a workspace package's folder (`dist/<folder>`),
 * found through node_modules above this module; undefined when it cannot be read (then
 * nothing is cached). Computed once per process.
 */
export function codeFingerprint(pkg: string, folder: string): string | undefined {
  const key = `${pkg}/${folder}`;
  if (fingerprints.has(key)) return fingerprints.get(key);
  let result: string | undefined;
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', pkg, 'dist', folder);
    if (existsSync(candidate)) {
      try {
        const dir = realpathSync(candidate);
        const h = createHash('sha256');
        for (const f of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) h.update(f).update('\u0000').update(readFileSync(join(dir, f)));
        result = h.digest('hex');
      } catch {
        result = undefined;
      }
      break;
    }
    if (dirname(d) === d) break;
  }
  fingerprints.set(key, result);
  return result;
}

// ---- encoding ------------------------------------------------------------

const TAG = '\u0000';
const SPECIAL: Record<string, number> = { [`${TAG}NaN`]: Number.NaN, [`${TAG}Infinity`]: Number.POSITIVE_INFINITY, [`${TAG}-Infinity`]: Number.NEGATIVE_INFINITY, [`${TAG}-0`]: -0 };

/**
 * The payload as JSON text in ASCII: a character past U+007F (the 'ρ' and '·' of units) is
 * written as its \uXXXX escape. A file with one such character is read as a two-byte string
 * (twice the memory, slower to decode, hash and parse: the demo facility's 0.8 MB payload took
 * about 3 times as long as in ASCII); JSON.parse gives the same string either way.
 */
function encode(value: unknown): string {
  return toJson(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return `${TAG}NaN`;
      if (v === Number.POSITIVE_INFINITY) return `${TAG}Infinity`;
      if (v === Number.NEGATIVE_INFINITY) return `${TAG}-Infinity`;
      if (Object.is(v, -0)) return `${TAG}-0`;
    }
    return v;
  });
}

function decode(text: string): unknown {
  // A reviver makes JSON.parse several times slower: used only when a tagged number is there (JSON writes NUL as \u0000).
  if (!text.includes('\\u0000')) return JSON.parse(text);
  return JSON.parse(text, (_key, v: unknown) => (typeof v === 'string' && v.startsWith(TAG) && v in SPECIAL ? SPECIAL[v] : v));
}

/** Deep equality of plain data: same kinds (array, plain object), numbers by Object.is. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const pa = Object.getPrototypeOf(a) as unknown;
  if (pa !== Object.getPrototypeOf(b) || (pa !== Array.prototype && pa !== Object.prototype)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** The payload text of `value`, or undefined when it would not decode to the same data. */
function payloadOf(value: unknown): string | undefined {
  let text: string;
  try {
    text = encode(value);
  } catch {
    return undefined;
  }
  return same(decode(text), value) ? text : undefined;
}

// ---- entries -------------------------------------------------------------

/** An entry: one header line (JSON), then the payload, whose SHA-256 the header holds. */
interface Header {
  readonly format: string;
  readonly version: number;
  /** Absolute path of the source file. */
  readonly file: string;
  /** SHA-256 of the source file's bytes. */
  readonly sha256: string;
  /** Fingerprint of the code that compiled the payload (codeFingerprint). */
  readonly code: string;
  /** SHA-256 of the payload text. */
  readonly payload: string;
}

function readEntry(path: string, format: string, file: string, hash: string, code: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const nl = text.indexOf('\n');
  if (nl < 0) return undefined;
  let header: Partial<Header>;
  try {
    header = JSON.parse(text.slice(0, nl)) as Partial<Header>;
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== 'object') return undefined;
  if (header.format !== format || header.version !== CACHE_VERSION || header.file !== file || header.sha256 !== hash || header.code !== code) return undefined;
  const payload = text.slice(nl + 1);
  if (header.payload !== sha256(payload)) return undefined;
  try {
    return decode(payload);
  } catch {
    return undefined;
  }
}

function writeEntry(path: string, header: Omit<Header, 'payload'>, payload: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify({ ...header, payload: sha256(payload) })}\n${payload}`);
    renameSync(tmp, path);
    return true;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was written */
    }
    return false;
  }
}

// ---- facility ------------------------------------------------------------

interface FacilityPayload {
  readonly config: FacilityConfig;
  /**
   * Channel of each device field per control system: family -> control system -> field ->
   * one entry per device (null: no channel). Nested, not keyed by joined strings: JSON
   * writes the NUL of such keys as \u0000, which sent every hit through the slow reviver.
   */
  readonly channels: ChannelTable;
}

type ChannelTable = Record<string, Record<string, Partial<Record<FieldName, (string | null)[]>>>>;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The table's entry of a key, own properties only (a family may be named like an Object.prototype member). */
const own = <T>(r: Record<string, T> | undefined, k: string): T | undefined => (r !== undefined && Object.prototype.hasOwnProperty.call(r, k) ? r[k] : undefined);

/** The shape a channel table must have: records of records of arrays of strings or nulls. */
function isChannelTable(v: unknown): v is ChannelTable {
  if (!isRecord(v)) return false;
  for (const byCs of Object.values(v)) {
    if (!isRecord(byCs)) return false;
    for (const byField of Object.values(byCs)) {
      if (!isRecord(byField)) return false;
      for (const list of Object.values(byField)) {
        if (!Array.isArray(list) || !list.every((ch) => ch === null || typeof ch === 'string')) return false;
      }
    }
  }
  return true;
}

/** The shape a payload must have to be used (the rest was validated before it was written). */
function isFacilityPayload(v: unknown): v is FacilityPayload {
  if (!isRecord(v) || !isRecord(v.config)) return false;
  const c = v.config;
  if (typeof c.name !== 'string' || typeof c.energy !== 'number' || !isRecord(c.controlSystems) || !isRecord(c.families) || !isRecord(c.unitConversions)) return false;
  for (const fam of Object.values(c.families)) {
    if (!isRecord(fam) || !Array.isArray(fam.devices) || !isRecord(fam.fields)) return false;
  }
  return isChannelTable(v.channels);
}

/** What the cache gave for a facility file: the facility and whether it came from the cache. */
export interface CachedFacility {
  readonly facility: LoadedFacility;
  readonly hit: boolean;
}

/**
 * The facility of `file` (an absolute path of a facility file), from the cache when a
 * valid entry for its present bytes is there, else loaded by core's loadFacility (its
 * errors unchanged) and then written to the cache.
 */
export function loadFacilityCached(file: string, dir: string | undefined = cacheDir()): CachedFacility {
  const abs = resolve(file);
  const code = dir === undefined ? undefined : codeFingerprint('@mlayer/core', 'config');
  if (dir === undefined || code === undefined) return { facility: loadFacility(abs), hit: false };
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch {
    return { facility: loadFacility(abs), hit: false }; // the loader says what is wrong
  }
  const hash = sha256(bytes);
  const path = entryPath(dir, 'facility', abs);
  const payload = readEntry(path, FORMAT, abs, hash, code);
  if (isFacilityPayload(payload)) {
    const facility = fromPayload(abs, hash, payload);
    // The loader checks that the lattice file exists: so does a hit (else the loader reports it).
    const lattice = payload.config.lattice?.file;
    if (lattice === undefined || existsSync(facility.resolvePath(lattice))) return { facility, hit: true };
  }
  const facility = loadFacility(abs);
  if (facility.sha256 === hash) {
    const text = payloadOf(toPayload(facility));
    if (text !== undefined) writeEntry(path, { format: FORMAT, version: CACHE_VERSION, file: abs, sha256: hash, code }, text);
  }
  return { facility, hit: false };
}

function toPayload(facility: LoadedFacility): FacilityPayload {
  const { config } = facility;
  const channels: ChannelTable = {};
  for (const [family, fam] of Object.entries(config.families)) {
    const byCs: Record<string, Partial<Record<FieldName, (string | null)[]>>> = {};
    for (const cs of Object.keys(config.controlSystems)) {
      const byField: Partial<Record<FieldName, (string | null)[]>> = {};
      for (const field of FIELD_NAMES) {
        if (!fam.fields[field]) continue;
        byField[field] = fam.devices.map((_d, di) => facility.channel(family, di, field, cs) ?? null);
      }
      byCs[cs] = byField;
    }
    channels[family] = byCs;
  }
  return { config, channels };
}

function fromPayload(file: string, hash: string, payload: FacilityPayload): LoadedFacility {
  const base = dirname(file);
  const { channels } = payload;
  // Positions in the file are wanted only for messages of later checks: the file is parsed then.
  let loaded: LoadedFacility | undefined;
  return {
    config: payload.config,
    file,
    sha256: hash,
    resolvePath: (rel) => (isAbsolute(rel) ? rel : resolve(base, rel)),
    channel: (family, device, field, cs) => {
      const list = own(own(own(channels, family), cs), field);
      return list !== undefined && Number.isInteger(device) && device >= 0 && device < list.length ? (list[device] ?? undefined) : undefined;
    },
    locate: (path) => (loaded ??= loadFacility(file)).locate(path),
  };
}

// ---- conversion specs ----------------------------------------------------

const SPECS_FORMAT = 'mlayer-validated-conversions';

/**
 * Where an entry derived from a facility file lives and the code it depends on (`fingerprint`);
 * undefined when the cache is off, the code cannot be read, or the facility was not read from
 * a file with a known SHA-256 (then nothing derived from it is cached).
 */
function facilityKey(facility: LoadedFacility, dir: string | undefined, fingerprint: () => string | undefined): { dir: string; abs: string; code: string } | undefined {
  const code = dir === undefined ? undefined : fingerprint();
  if (dir === undefined || code === undefined || !/^[0-9a-f]{64}$/.test(facility.sha256)) return undefined;
  return { dir, abs: resolve(facility.file), code };
}

/** The code a validated spec depends on: the schemas of the calibration package and core's conversion registry. */
function specsFingerprint(): string | undefined {
  const calibration = codeFingerprint('@mlayer/calibration', '.');
  const units = codeFingerprint('@mlayer/core', 'units');
  return calibration === undefined || units === undefined ? undefined : sha256(`${calibration}\u0000${units}`);
}

/**
 * The unit-conversion specs of a facility as `validate(raw, id)` returns them (core's
 * registry: the spec checked against its type's schema, defaults filled in), by id, from
 * the cache when an entry for the facility file's present bytes and the present
 * calibration code is there; else validated here and written to the cache. A spec that
 * fails validation is left out (whoever builds it validates it again and reports the
 * error as without the cache). Only a facility read from a file with a known SHA-256 is
 * cached; undefined when the cache is off or cannot be used.
 */
export function validatedSpecsCached(
  facility: LoadedFacility,
  validate: (raw: unknown, id: string) => unknown,
  dir: string | undefined = cacheDir(),
): Record<string, unknown> | undefined {
  const key = facilityKey(facility, dir, specsFingerprint);
  if (key === undefined) return undefined;
  const { abs, code } = key;
  const raw = facility.config.unitConversions;
  const path = entryPath(key.dir, 'conversions', abs);
  const payload = readEntry(path, SPECS_FORMAT, abs, facility.sha256, code);
  if (isSpecs(payload, raw)) return payload;
  const specs: Record<string, unknown> = {};
  for (const [id, spec] of Object.entries(raw)) {
    try {
      specs[id] = validate(spec, id);
    } catch {
      /* reported where the spec is built */
    }
  }
  const text = payloadOf(specs);
  if (text !== undefined) writeEntry(path, { format: SPECS_FORMAT, version: CACHE_VERSION, file: abs, sha256: facility.sha256, code }, text);
  return specs;
}

/** Validated specs of the facility's conversions: ids it names, each of the type it has there. */
function isSpecs(v: unknown, raw: Record<string, unknown>): v is Record<string, unknown> {
  if (!isRecord(v)) return false;
  for (const [id, spec] of Object.entries(v)) {
    const source = own(raw, id);
    if (!isRecord(spec) || !isRecord(source) || typeof spec.type !== 'string' || spec.type !== source.type) return false;
  }
  return true;
}

// ---- lattice -------------------------------------------------------------

/** Lattice formats read from one file (the key is that file's bytes). */
const SINGLE_FILE_LATTICES = ['.mat', '.json'];

/**
 * The lattice of `file` from the cache, or `load(file)` (the engine's loader, its errors
 * unchanged) written to the cache. `T` is the engine's Lattice (plain data).
 */
export function loadLatticeCached<T>(file: string, load: (file: string) => T, dir: string | undefined = cacheDir()): { lattice: T; hit: boolean } {
  const abs = resolve(file);
  const probe = probeLattice(abs, dir);
  if (probe === undefined) return { lattice: load(abs), hit: false };
  if (probe.lattice !== undefined) return { lattice: probe.lattice as T, hit: true };
  const lattice = load(abs);
  const text = payloadOf(lattice);
  if (text !== undefined) writeEntry(probe.path, { format: LATTICE_FORMAT, version: CACHE_VERSION, file: abs, sha256: probe.hash, code: probe.code }, text);
  return { lattice, hit: false };
}

/**
 * The lattice of `file` when the cache holds a valid entry for its present bytes, else
 * undefined; loads nothing (so a caller loads the engine's lattice readers only on a miss).
 */
export function latticeFromCache(file: string, dir: string | undefined = cacheDir()): unknown {
  return probeLattice(resolve(file), dir)?.lattice;
}

/** Where a lattice's entry is and what it must match, with the lattice when valid; undefined: not cacheable (or the cache is off). */
function probeLattice(abs: string, dir: string | undefined): { path: string; hash: string; code: string; lattice?: unknown } | undefined {
  const code = dir === undefined ? undefined : codeFingerprint('@mlayer/engine', 'io');
  if (dir === undefined || code === undefined || !SINGLE_FILE_LATTICES.includes(extname(abs).toLowerCase())) return undefined;
  let hash: string;
  try {
    hash = sha256(readFileSync(abs));
  } catch {
    return undefined;
  }
  const path = entryPath(dir, 'lattice', abs);
  const payload = readEntry(path, LATTICE_FORMAT, abs, hash, code);
  const valid = isRecord(payload) && Array.isArray(payload.elements) && isRecord(payload.properties) && payload.elements.every((e) => isRecord(e) && typeof e.FamName === 'string' && typeof e.PassMethod === 'string');
  return { path, hash, code, lattice: valid ? payload : undefined };
}

// ---- built conversions ---------------------------------------------------

const BUILT_FORMAT = 'mlayer-built-conversions';

/**
 * What a start that built the accelerator without an error learnt about the facility's
 * conversions: the shape of each built (units, history methods), the files they read
 * (CSV tables) with their SHA-256, and the twins (mode, lattice file and its SHA-256) whose
 * initial setpoints were all converted.
 */
export interface BuiltConversions {
  readonly shapes: Record<string, ConversionShape>;
  readonly files: Record<string, string>;
  readonly twins: string[];
  /** By twin key: the control system's settings as its factory's schema returned them (absent in older entries). */
  readonly settings?: Record<string, unknown>;
}

/**
 * The code the built conversions, the families' checks and a twin's initial setpoints depend on:
 * calibration, core's units and accelerator (buildFamilyData), the twin, the engine's model.
 */
function builtFingerprint(): string | undefined {
  const parts = [
    codeFingerprint('@mlayer/calibration', '.'),
    codeFingerprint('@mlayer/core', 'units'),
    codeFingerprint('@mlayer/core', 'accelerator'),
    codeFingerprint('@mlayer/adapters-sim', 'twin'),
    codeFingerprint('@mlayer/engine', 'model'),
  ];
  return parts.some((p) => p === undefined) ? undefined : sha256(parts.join('\u0000'));
}

/**
 * The key of a twin's initial setpoints: mode, lattice file and the SHA-256 of its bytes, one a
 * line (undefined when it cannot be read). Not NUL-separated: a NUL in an entry sends its read through the slow reviver.
 */
export function twinKey(facility: LoadedFacility, mode: string): string | undefined {
  const lattice = facility.config.lattice?.file;
  if (lattice === undefined) return undefined;
  const abs = facility.resolvePath(lattice);
  try {
    return `${mode}\n${abs}\n${sha256(readFileSync(abs))}`;
  } catch {
    return undefined;
  }
}

/**
 * The facility's built conversions when a valid entry for the facility file's present bytes
 * and the present code is there and every file it lists still has the SHA-256 it had;
 * undefined otherwise (then everything is built at once and its errors are reported at load).
 */
export function builtConversionsCached(facility: LoadedFacility, dir: string | undefined = cacheDir()): BuiltConversions | undefined {
  const key = facilityKey(facility, dir, builtFingerprint);
  if (key === undefined) return undefined;
  const payload = readEntry(entryPath(key.dir, 'built', key.abs), BUILT_FORMAT, key.abs, facility.sha256, key.code);
  if (!isBuilt(payload, facility.config.unitConversions)) return undefined;
  for (const [file, hash] of Object.entries(payload.files)) {
    try {
      if (sha256(readFileSync(file)) !== hash) return undefined;
    } catch {
      return undefined;
    }
  }
  return payload;
}

/**
 * Records what a start that built the accelerator without an error learnt (`previous`, the
 * entry it found, merged with what it built: shapes, files read, a twin key); writes
 * nothing when that adds nothing, or when a file read cannot be hashed.
 */
export function writeBuiltConversions(
  facility: LoadedFacility,
  previous: BuiltConversions | undefined,
  learnt: { shapes: Record<string, ConversionShape>; files: readonly string[]; twin?: string; settings?: unknown },
  dir: string | undefined = cacheDir(),
): void {
  const key = facilityKey(facility, dir, builtFingerprint);
  if (key === undefined) return;
  const newShape = Object.keys(learnt.shapes).some((id) => !own(previous?.shapes, id));
  const newFile = learnt.files.some((f) => !own(previous?.files, f));
  const newTwin = learnt.twin !== undefined && !previous?.twins.includes(learnt.twin);
  const newSettings = learnt.twin !== undefined && learnt.settings !== undefined && own(previous?.settings, learnt.twin) === undefined && payloadOf(learnt.settings) !== undefined;
  if (previous !== undefined && !newShape && !newFile && !newTwin && !newSettings) return;
  const files: Record<string, string> = { ...previous?.files };
  for (const f of learnt.files) {
    if (own(files, f) !== undefined) continue;
    try {
      files[f] = sha256(readFileSync(f));
    } catch {
      return;
    }
  }
  const twins = [...(previous?.twins ?? []), ...(newTwin ? [learnt.twin!] : [])];
  const settings = newSettings ? { ...previous?.settings, [learnt.twin!]: learnt.settings } : previous?.settings;
  const text = payloadOf({ shapes: { ...previous?.shapes, ...learnt.shapes }, files, twins, ...(settings === undefined ? {} : { settings }) });
  if (text !== undefined) writeEntry(entryPath(key.dir, 'built', key.abs), { format: BUILT_FORMAT, version: CACHE_VERSION, file: key.abs, sha256: facility.sha256, code: key.code }, text);
}

function isBuilt(v: unknown, raw: Record<string, unknown>): v is BuiltConversions {
  if (!isRecord(v) || !isRecord(v.shapes) || !isRecord(v.files) || !Array.isArray(v.twins)) return false;
  if (!v.twins.every((t) => typeof t === 'string') || !Object.values(v.files).every((h) => typeof h === 'string')) return false;
  if (v.settings !== undefined && !(isRecord(v.settings) && Object.keys(v.settings).every((t) => (v.twins as string[]).includes(t)))) return false;
  return Object.entries(v.shapes).every(([id, s]) => own(raw, id) !== undefined && isConversionShape(s));
}
