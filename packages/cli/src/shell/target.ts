/**
 * What `mlayer shell` talks to: one accelerator, opened once and kept for the session's
 * life (on the twin, every setpoint written stays until the shell ends).
 *
 * The hook for attaching to a running server: a second opener that returns a
 * ShellTarget over that server's accelerator; shell-actions.ts chooses the opener from
 * the command's options, and the vocabulary, completion and printing stay as they are.
 */
import { type Accelerator, MlayerError } from '@mlayer/core';
import { openAccelerator } from '../context.js';
import { shownMode } from '../recording-session.js';
import type { GlobalOptions } from '../global-options.js';

export interface ShellTarget {
  readonly acc: Accelerator;
  /** One line for the banner: facility, mode, where the accelerator lives. */
  readonly description: string;
  close(): Promise<void>;
}

export interface LocalTargetOptions extends GlobalOptions {
  /** Error set file applied to the twin at start (as `mlayer demo` and `mlayer serve`). */
  readonly errors?: string;
  /** Seed of the error set (default 1). */
  readonly seed?: number;
}

/** The accelerator built in this process from the facility (the twin, or an online control system). */
export async function openLocalTarget(o: LocalTargetOptions): Promise<ShellTarget> {
  const { acc, facility } = await openAccelerator(o);
  try {
    let errors = '';
    if (o.errors !== undefined) {
      if (acc.online) throw new MlayerError(`--errors: mode '${acc.mode}' is an online control system; an error set applies to the twin only`);
      const { applyErrorSetFile } = await import('@mlayer/adapters-sim');
      applyErrorSetFile(acc, facility.config, o.errors, o.seed ?? 1);
      errors = `, error set ${o.errors} (seed ${o.seed ?? 1})`;
    }
    const where = acc.online ? `online${o.yes ? ', writes allowed (--yes)' : ', read-only (writes need --yes)'}` : 'in this process';
    const mode = shownMode(acc) === acc.mode ? acc.mode : `replay (recorded in ${acc.mode})`;
    return { acc, description: `${acc.name} (${facility.file}), mode ${mode} ${where}${errors}`, close: () => acc.close() };
  } catch (e) {
    await acc.close();
    throw e;
  }
}
