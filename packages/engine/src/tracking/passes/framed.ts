/** Wraps a physics routine with the element's misalignment and aperture frame. */
import { enterFrame, exitFrame, type Frame } from '../frame.js';
import type { PassFunction } from '../types.js';

export interface FramedParams {
  readonly frame: Frame | undefined;
}

/** `apertures` says where the AT pass method checks RApertures/EApertures. */
export function framed<P extends FramedParams>(
  physics: PassFunction<P>,
  apertures: { entrance: boolean; exit: boolean },
): PassFunction<P> {
  return (c, n, p, alive, ctx) => {
    const f = p.frame;
    if (f) enterFrame(c, n, f, alive, apertures.entrance);
    physics(c, n, p, alive, ctx);
    if (f) exitFrame(c, n, f, alive, apertures.exit);
  };
}
