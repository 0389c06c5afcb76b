/**
 * Injection tokens of the accelerator's inversify container (the composition
 * root, built by acceleratorContainer). What a facility, a test or a user
 * overrides is bound here and may be rebound before the accelerator is resolved
 * (AcceleratorOptions.configure):
 *
 * - ControlSystems: the ControlSystemRegistry (the control-system factories of the adapters);
 * - Conversions: the UnitConversionRegistry (the conversion factories, e.g. @mlayer/calibration's);
 * - LatticeModelProvider: a LatticeModelProvider (the design model on first use);
 * - Clock: the Clock port.
 *
 * The others are the services built from them: the facility and the mode, the
 * control system of the mode, the channel access, the device lock, the families'
 * data and the Accelerator itself.
 */
export const TOKENS = {
  Facility: Symbol.for('mlayer.Facility'),
  Mode: Symbol.for('mlayer.Mode'),
  ControlSystems: Symbol.for('mlayer.ControlSystemRegistry'),
  ControlSystem: Symbol.for('mlayer.ControlSystem'),
  ChannelAccess: Symbol.for('mlayer.ChannelAccess'),
  Conversions: Symbol.for('mlayer.UnitConversionRegistry'),
  DeviceLock: Symbol.for('mlayer.DeviceLock'),
  Families: Symbol.for('mlayer.Families'),
  LatticeModelProvider: Symbol.for('mlayer.LatticeModelProvider'),
  Clock: Symbol.for('mlayer.Clock'),
  Accelerator: Symbol.for('mlayer.Accelerator'),
} as const;
