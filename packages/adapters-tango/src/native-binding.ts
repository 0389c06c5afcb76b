import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlayerError } from '@mlayer/core';

/** One element of a TANGO DevFailed error stack. */
export interface TangoErrorItem {
  readonly reason: string;
  readonly desc: string;
  readonly origin: string;
  /** Tango::ErrSeverity: WARN 0, ERR 1, PANIC 2. */
  readonly severity: number;
}

/** A failure reported by the addon (`kind` names the cppTango exception class or one of the addon's own). */
export interface NativeFailure {
  readonly kind: string;
  readonly tangoErrors: readonly TangoErrorItem[];
}

/** An Error thrown (rejected) by the addon. */
export interface NativeError extends Error, NativeFailure {}

/** One attribute reading as the addon gives it. */
export interface NativeReading {
  readonly name: string;
  readonly error?: NativeFailure;
  readonly type: number;
  readonly typeName: string;
  /** Tango::AttrDataFormat: SCALAR 0, SPECTRUM 1, IMAGE 2, FMT_UNKNOWN 3. */
  readonly format: number;
  /** Tango::AttrQuality: VALID 0, INVALID 1, ALARM 2, CHANGING 3, WARNING 4. */
  readonly quality: number;
  /** Seconds since the Unix epoch (server time). */
  readonly timestamp: number;
  readonly dimX: number;
  readonly dimY: number;
  /** null when the attribute has no value (INVALID quality). */
  readonly value: Float64Array | string[] | null;
  readonly setValue?: Float64Array | string[];
}

/** Attribute configuration (limits are '' when not specified). */
export interface NativeAttributeInfo {
  readonly name: string;
  readonly type: number;
  readonly typeName: string;
  readonly format: number;
  /** Tango::AttrWriteType: READ 0, READ_WITH_WRITE 1, WRITE 2, READ_WRITE 3. */
  readonly writable: number;
  readonly writableAttrName: string;
  readonly maxDimX: number;
  readonly maxDimY: number;
  readonly unit: string;
  readonly label: string;
  readonly description: string;
  readonly minValue: string;
  readonly maxValue: string;
  readonly minAlarm: string;
  readonly maxAlarm: string;
  readonly minWarning: string;
  readonly maxWarning: string;
  readonly enumLabels: string[];
}

export type TangoEventType = 'change' | 'periodic' | 'archive' | 'user';

export interface NativeEvent {
  readonly event: string;
  readonly reading?: NativeReading;
  readonly error?: NativeFailure;
}

/** A value the addon accepts for a write or a command argument. */
export type NativeValue = number | boolean | string | Float64Array | readonly number[] | readonly string[];

/** A command result. */
export type CommandResult = undefined | number | boolean | string | Float64Array | string[];

/** The functions of build/Release/mlayer_tango.node. Devices are full names (tango://host:port/domain/family/member). */
export interface TangoAddon {
  version(): string;
  readAttributes(device: string, attributes: readonly string[], timeoutMs: number): Promise<NativeReading[]>;
  writeAttribute(device: string, attribute: string, value: NativeValue, timeoutMs: number, readback: boolean): Promise<NativeReading | undefined>;
  attributeInfo(device: string, attribute: string, timeoutMs: number): Promise<NativeAttributeInfo>;
  command(device: string, command: string, argument: NativeValue | undefined, timeoutMs: number): Promise<CommandResult>;
  ping(device: string, timeoutMs: number): Promise<number>;
  subscribe(
    device: string,
    attribute: string,
    eventType: TangoEventType,
    stateless: boolean,
    timeoutMs: number,
    callback: (event: NativeEvent) => void,
  ): Promise<number>;
  unsubscribe(id: number): Promise<void>;
}

export const TANGO_DEBIAN_PACKAGES = ['libtango-dev', 'tango-db', 'tango-test', 'python3-tango', 'mariadb-server'] as const;

/** The cppTango addon is not built or cannot be loaded. */
export class TangoAddonUnavailableError extends MlayerError {
  constructor(
    readonly addonPath: string,
    detail: string,
  ) {
    super(
      `the TANGO adapter needs its native addon ${addonPath}, which ${detail}. ` +
        `Install the Debian packages ${TANGO_DEBIAN_PACKAGES.join(' ')} ` +
        `(debconf answers in scripts/tango-preseed.txt), then build it with ` +
        `'node packages/adapters-tango/scripts/build-addon.mjs --require'`,
    );
  }
}

/** Path of the compiled addon (the package root holds build/Release). */
export function tangoAddonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/ (tests) and dist/ (built) are both one level below the package root.
  return resolve(here, '..', 'build', 'Release', 'mlayer_tango.node');
}

let cached: TangoAddon | undefined;

/** Loads the addon on first use; throws TangoAddonUnavailableError naming what to install. */
export function loadTangoAddon(): TangoAddon {
  if (cached) return cached;
  const path = tangoAddonPath();
  if (!existsSync(path)) throw new TangoAddonUnavailableError(path, 'is not built');
  try {
    cached = createRequire(import.meta.url)(path) as TangoAddon;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new TangoAddonUnavailableError(path, `could not be loaded (${why}; is libtango installed?)`);
  }
  return cached;
}

/** True when the addon is built and loads. */
export function tangoAddonAvailable(): boolean {
  try {
    loadTangoAddon();
    return true;
  } catch {
    return false;
  }
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).kind === 'string' && Array.isArray((e as Partial<NativeError>).tangoErrors);
}
