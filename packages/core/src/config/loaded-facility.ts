/**
 * What loading a facility file gives: the validated configuration and how to
 * reach its channels. A type of its own (not in load-facility.ts) so that the
 * code that builds families from it does not import the loader (no cycle).
 */
import type { FacilityConfig, FieldName } from './schema.js';

/** A facility file, validated, with its channels resolved for every control system. */
export interface LoadedFacility {
  readonly config: FacilityConfig;
  /** Absolute path of the facility file. */
  readonly file: string;
  /** SHA-256 (hex) of the file's bytes. */
  readonly sha256: string;
  /** Resolves a path relative to the facility file. */
  resolvePath(relative: string): string;
  /** Channel of a device field in a control system (undefined when the field has none there). */
  channel(family: string, deviceIndex: number, field: FieldName, controlSystem: string): string | undefined;
  /** Line and column of a path in the file, for error messages of later checks. */
  locate(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}
