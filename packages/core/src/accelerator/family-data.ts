import type { FamilyConfig, FieldConfig, FieldName } from '../config/schema.js';
import type { UnitConversion } from '../units/unit-conversion.js';

/** One device of a family as the accelerator resolved it for the active control system. */
export interface DeviceData {
  readonly device: readonly [number, number];
  readonly name: string;
  readonly element?: string | number;
  readonly enabled: boolean;
  /** Channel per field in the active control system. */
  readonly channels: Partial<Record<FieldName, string>>;
  /** Conversion per field (identity when the field has none). */
  readonly conversions: Partial<Record<FieldName, UnitConversion>>;
  /** Limits of the setpoint in hardware units (device override, else the field's). */
  readonly limits?: readonly [number, number];
}

/** A family as the accelerator resolved it: config plus devices. */
export interface FamilyData {
  readonly name: string;
  readonly config: FamilyConfig;
  readonly devices: readonly DeviceData[];
  field(name: FieldName): FieldConfig | undefined;
}
