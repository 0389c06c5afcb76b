import { SingleBar, Presets } from 'cli-progress';
import type { MeasurementProgress } from '@mlayer/core';

/**
 * A progress bar on stderr for long measurements (silent with --json). Without a terminal
 * (a log file, a pipe) it writes a line instead: the first step, then at most one every
 * 2 s, and the last step.
 */
export function progressBar(enabled: boolean): { onProgress: (p: MeasurementProgress) => void; stop: () => void } {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  if (!process.stderr.isTTY) {
    let lastLine = 0;
    return {
      onProgress: (p) => {
        const now = Date.now();
        const last = p.total > 0 && p.step >= p.total;
        if (lastLine !== 0 && !last && now - lastLine < 2000) return;
        lastLine = now;
        process.stderr.write(`${p.name}: ${p.step}/${p.total || '?'}${p.message ? ` ${p.message}` : ''}\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({ format: '{name} [{bar}] {value}/{total} {message}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  let started = false;
  return {
    onProgress: (p) => {
      if (!started) {
        bar.start(p.total || 1, 0, { name: p.name, message: '' });
        started = true;
      }
      bar.setTotal(p.total || Math.max(p.step, 1));
      bar.update(p.step, { name: p.name, message: p.message });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Ctrl-C (SIGINT) and SIGTERM handling of a command that measures. */
export interface Interrupt {
  /** Fired by the first Ctrl-C: measurements restore what they changed. */
  readonly signal: AbortSignal;
  /**
   * From now until the returned function is called, the data of a finished measurement are
   * being kept (restored setpoints, the file being written): Ctrl-C, however often, neither
   * aborts nor exits; it says that the command finishes saving first.
   */
  hold(what: string): () => void;
  dispose(): void;
}

/**
 * An AbortSignal fired by Ctrl-C (SIGINT) or SIGTERM: measurements restore what they changed.
 * A second Ctrl-C exits at once, except while a finished measurement is being saved (`hold`).
 */
export function interruptSignal(): Interrupt {
  const controller = new AbortController();
  let held: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (held !== undefined) {
      process.stderr.write(`\nmlayer: ${sig}: ${held}; exiting when it is written\n`);
      return;
    }
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\nmlayer: ${sig}: aborting, restoring the setpoints changed so far...\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    hold: (what) => {
      held = what;
      return () => {
        held = undefined;
      };
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
