/** Injection tokens of the accelerator's inversify container. */
export const TOKENS = {
  Facility: Symbol.for('mlayer.Facility'),
  ControlSystem: Symbol.for('mlayer.ControlSystem'),
  ChannelAccess: Symbol.for('mlayer.ChannelAccess'),
  Conversions: Symbol.for('mlayer.UnitConversionRegistry'),
  DeviceLock: Symbol.for('mlayer.DeviceLock'),
  Beam: Symbol.for('mlayer.Beam'),
  Mode: Symbol.for('mlayer.Mode'),
  Families: Symbol.for('mlayer.Families'),
  Accelerator: Symbol.for('mlayer.Accelerator'),
  LatticeModel: Symbol.for('mlayer.LatticeModel'),
} as const;
