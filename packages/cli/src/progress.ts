import { SingleBar, Presets } from 'cli-progress';
import type { MeasurementProgress } from '@mlayer/core';

/** A progress bar on stderr for long measurements (silent with --json or without a terminal). */
export function progressBar(enabled: boolean): { onProgress: (p: MeasurementProgress) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { onProgress: () => undefined, stop: () => undefined };
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

/** An AbortSignal fired by Ctrl-C (SIGINT) or SIGTERM: measurements restore what they changed. A second Ctrl-C exits. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\nmlayer: ${sig}: aborting, restoring the setpoints changed so far...\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
