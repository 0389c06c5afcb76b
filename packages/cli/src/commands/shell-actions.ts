import type { Command } from 'commander';
import { join } from 'node:path';
import { parseInteger } from '../cli-values.js';
import { cacheDir } from '../facility-cache.js';
import type { GlobalOptions } from '../global-options.js';
import { shellVocabulary } from '../shell/functions.js';
import { startShell } from '../shell/repl.js';
import { openLocalTarget } from '../shell/target.js';

export interface ShellCliOptions {
  errors?: string;
  seed: string;
}

/** `mlayer shell`: opens the accelerator once, then the session runs until Ctrl-D or .exit. */
export async function shellAction(o: ShellCliOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const t0 = performance.now();
  const seed = parseInteger(o.seed, '--seed');
  const target = await openLocalTarget({ ...g, errors: o.errors, seed });
  // History: $MLAYER_SHELL_HISTORY (empty: none), else shell-history in the cache folder.
  const dir = cacheDir();
  const history = process.env.MLAYER_SHELL_HISTORY ?? (dir ? join(dir, 'shell-history') : '');
  await startShell(target, {
    input: process.stdin,
    output: process.stdout,
    historyFile: history || undefined,
    vocabulary: (signal) => shellVocabulary(target.acc, g, signal),
    banner: `mlayer shell: ${target.description}; loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s. help() lists the functions, Tab completes, Ctrl-D ends.`,
  });
}
