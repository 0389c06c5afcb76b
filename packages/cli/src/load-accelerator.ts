import type { Accelerator } from '@mlayer/core';
import { openAccelerator } from './context.js';

export interface LoadAcceleratorOptions {
  /** The facility's mode (control system): twin, epics, tango, ...; default: the facility's defaultMode. */
  readonly mode?: string;
  /** Allow writes to an online control system (the CLI's --yes); default false: writes are refused. */
  readonly yes?: boolean;
  /** Extra settings for the control system's factory (e.g. a twin's lattice already loaded). */
  readonly extras?: Readonly<Record<string, unknown>>;
}

/**
 * Opens an accelerator from a facility in one line (as pyAML's `Accelerator.load`), the way the
 * `mlayer` command does: the adapter of the mode's control-system type is registered (the twin,
 * EPICS or TANGO), the calibration's conversions too, and the facility and the twin's lattice
 * come from the compiled-facility cache. `facility` is a facility file, a facility package
 * directory or an installed facility package name (default: the demo facility). Close it with
 * `acc.close()`.
 *
 * ```ts
 * import { loadAccelerator } from '@mlayer/cli';
 * const acc = await loadAccelerator('facilities/diamond-i04', { mode: 'twin' });
 * ```
 */
export async function loadAccelerator(facility?: string, options: LoadAcceleratorOptions = {}): Promise<Accelerator> {
  const { acc } = await openAccelerator({ facility, mode: options.mode, yes: options.yes ?? false, extras: options.extras });
  return acc;
}
