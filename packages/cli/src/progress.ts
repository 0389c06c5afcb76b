import { SingleBar, Presets } from 'cli-progress';
import type { MeasurementProgress } from '@mlayer/core';

/** A duration as a person reads it: '45 s', '4 min 05 s', '1 h 02 min'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export interface ProgressOptions {
  /** false: silent (--json). */
  readonly enabled: boolean;
  /** A terminal gets a bar, anything else (a log, a pipe) lines (default: whether the stream is a TTY). */
  readonly tty?: boolean;
  /** Where progress goes (default stderr). */
  readonly stream?: NodeJS.WritableStream;
  /** Percent between two lines without a terminal (default 10). */
  readonly everyPercent?: number;
  /** The clock, ms (default Date.now; tests pass their own). */
  readonly now?: () => number;
}

export interface ProgressReporter {
  onProgress: (p: MeasurementProgress) => void;
  stop: () => void;
}

/**
 * Progress of long measurements on stderr (silent with --json). On a terminal a bar with
 * the elapsed and the remaining time; without one (a log file, a pipe) a line each time
 * another `everyPercent` % is done, with the elapsed and remaining time, and the last step.
 * A measurement whose total is unknown gets a line at most every 10 s.
 */
export function progressReporter(options: ProgressOptions): ProgressReporter {
  if (!options.enabled) return { onProgress: () => undefined, stop: () => undefined };
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? (stream as NodeJS.WriteStream).isTTY === true;
  return tty ? terminalBar(stream) : progressLines(stream, options.everyPercent ?? 10, options.now ?? Date.now);
}

/** {@link progressReporter} on stderr. */
export function progressBar(enabled: boolean): ProgressReporter {
  return progressReporter({ enabled });
}

function progressLines(stream: NodeJS.WritableStream, every: number, now: () => number): ProgressReporter {
  let name: string | undefined;
  let t0 = 0;
  let lastStep = -1;
  let lastBucket = -1;
  let lastLine = 0;
  return {
    onProgress: (p) => {
      const t = now();
      // A new measurement (another name, or counting again from the start) starts its own clock.
      if (p.name !== name || p.step < lastStep) {
        name = p.name;
        t0 = t;
        lastBucket = -1;
        lastLine = 0;
      }
      lastStep = p.step;
      const elapsed = t - t0;
      const message = p.message ? `: ${p.message}` : '';
      if (!(p.total > 0)) {
        if (lastLine !== 0 && t - lastLine < 10_000) return;
        lastLine = t;
        stream.write(`${p.name}: step ${p.step}, elapsed ${formatDuration(elapsed)}${message}\n`);
        return;
      }
      const percent = Math.min(100, (100 * p.step) / p.total);
      const bucket = Math.floor(percent / every);
      if (bucket <= lastBucket) return;
      lastBucket = bucket;
      // No estimate before time has passed (the clock starts at the first report it sees).
      const remaining = p.step > 0 && elapsed > 0 ? (elapsed * (p.total - p.step)) / p.step : Number.NaN;
      const rest = p.step >= p.total ? 'done' : `remaining ~${formatDuration(remaining)}`;
      stream.write(`${p.name}: ${Math.floor(percent)} % (${p.step}/${p.total}), elapsed ${formatDuration(elapsed)}, ${rest}${message}\n`);
    },
    stop: () => undefined,
  };
}

function terminalBar(stream: NodeJS.WritableStream): ProgressReporter {
  const bar = new SingleBar(
    { format: '{name} [{bar}] {percentage}% {value}/{total}, elapsed {duration_formatted}, remaining {eta_formatted} {message}', stream: stream as NodeJS.WriteStream, hideCursor: true, etaBuffer: 20 },
    Presets.shades_classic,
  );
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
