import { MlayerError } from '@mlayer/core';

/** An error raised by a unit conversion at run time; names the conversion (and the curve). */
export class CalibrationError extends MlayerError {
  constructor(
    readonly conversion: string,
    readonly detail: string,
    readonly curve?: string,
  ) {
    super(`unit conversion '${conversion}'${curve ? `, curve ${curve}` : ''}: ${detail}`);
  }
}

/** A value lies outside the range on which a curve is defined (and no extrapolation policy allows it). */
export class ConversionRangeError extends CalibrationError {
  constructor(
    conversion: string,
    curve: string,
    readonly direction: 'toPhysics' | 'toHardware',
    readonly value: number,
    readonly range: readonly [number, number],
    readonly units: string,
  ) {
    super(
      conversion,
      `${direction === 'toPhysics' ? 'hardware' : 'physics'} value ${value}${units ? ` ${units}` : ''} is outside the ` +
        `curve's range [${range[0]}, ${range[1]}] and the curve declares no extrapolation`,
      curve,
    );
  }
}

/**
 * A curve or conversion definition is invalid (non-monotonic table, units that do
 * not compose, ...). `field` is the path below the conversion's spec where the
 * problem is; the factories turn it into core's ConfigError with file and path.
 */
export class CurveDefinitionError extends CalibrationError {
  constructor(
    conversion: string,
    detail: string,
    readonly field: string,
    readonly value: unknown,
    curve?: string,
  ) {
    super(conversion, detail, curve);
  }
}
