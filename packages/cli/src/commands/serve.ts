import type { Command } from 'commander';
import { MlayerError } from '@mlayer/core';
import type { GlobalOptions } from '../program.js';

/** Options of `mlayer serve` common to every protocol. */
export interface ServeOptions {
  /** Facility file or package (the global --facility). */
  readonly facility?: string;
  /** Twin control system of the facility (default: the first of type twin). */
  readonly twin?: string;
  /** Error set applied to the twin at start, with `seed`. */
  readonly errors?: string;
  readonly seed: number;
  /** Where to write the facility overlay (default: next to the facility file, else the temp dir). */
  readonly overlay?: string;
  /** Served control system name in the overlay (default: the facility's of that protocol, else the protocol name). */
  readonly controlSystem?: string;
  /** Protocol-specific options (e.g. tangoHost). */
  readonly protocolOptions: Readonly<Record<string, unknown>>;
  readonly json: boolean;
}

/** A running virtual accelerator. */
export interface Served {
  /** Lines printed once it is up (address, overlay, channel names). */
  readonly summary: Readonly<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** One protocol of `mlayer serve`: a module exporting `serve(options)`. */
export type ServeProtocol = (options: ServeOptions, log: (line: string) => void) => Promise<Served>;

/** The protocols, each loaded only when asked for (one module per protocol: serve-<protocol>.ts). */
const PROTOCOLS: Record<string, () => Promise<ServeProtocol>> = {
  tango: async () => (await import('./serve-tango.js')).serveTangoCommand,
  epics: async () => (await import('./serve-epics.js')).serveEpicsCommand,
};

/** Resolves on the first SIGINT or SIGTERM. */
function termination(): { done: Promise<NodeJS.Signals>; dispose: () => void } {
  let dispose = (): void => undefined;
  const done = new Promise<NodeJS.Signals>((resolve) => {
    const on = (sig: NodeJS.Signals): void => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
    dispose = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  });
  return { done, dispose };
}

/**
 * `mlayer serve --facility F --protocol tango [--tango-host H] [--seed N --errors FILE]`
 * (or `--protocol epics [--pva]`):
 * the digital twin of the facility served as a virtual accelerator until SIGINT/SIGTERM.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the digital twin as a virtual accelerator over a control-system protocol (until Ctrl-C)')
    .requiredOption('-p, --protocol <name>', `protocol: ${Object.keys(PROTOCOLS).join(', ')}`)
    .option('--tango-host <host:port>', 'TANGO: register the devices in this database (default: start a private one on loopback)')
    .option('--pva', 'EPICS: serve PV Access too (softIocPVA)', false)
    .option('--settle <seconds>', "EPICS: a put-callback on a set point completes this long after the write (default: two periods of the slowest update rate + 0.05)")
    .option('-s, --seed <n>', 'seed of the error set (default 1; needs --errors)')
    .option('-e, --errors <file>', 'error set (YAML) applied to the twin at start')
    .option('--twin <name>', 'twin control system of the facility (default: the first of type twin)')
    .option('--control-system <name>', 'name of the served control system in the overlay')
    .option('--overlay <file>', 'where to write the facility overlay (the facility plus the served control system)')
    .action(async (o: { protocol: string; tangoHost?: string; pva: boolean; settle?: string; seed: string; errors?: string; twin?: string; controlSystem?: string; overlay?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const load = PROTOCOLS[o.protocol];
      if (!load) throw new MlayerError(`--protocol: unknown protocol '${o.protocol}'; known: ${Object.keys(PROTOCOLS).join(', ')}`);
      if (o.seed !== undefined && o.errors === undefined) throw new MlayerError('--seed needs --errors (the seed draws the error set)');
      const seed = Number(o.seed ?? 1);
      if (!Number.isInteger(seed)) throw new MlayerError(`--seed: '${o.seed}' is not an integer`);
      if (o.tangoHost !== undefined && o.protocol !== 'tango') throw new MlayerError(`--tango-host applies to --protocol tango only (got --protocol ${o.protocol})`);
      const log = (line: string): void => {
        if (!g.json) process.stdout.write(`${line}\n`);
      };
      const stop = termination();
      try {
        const served = await (await load())({ facility: g.facility, twin: o.twin, errors: o.errors, seed, overlay: o.overlay, controlSystem: o.controlSystem, protocolOptions: { tangoHost: o.tangoHost, pva: o.pva, settle: o.settle }, json: !!g.json }, log);
        if (g.json) process.stdout.write(`${JSON.stringify(served.summary)}\n`);
        log('serving; Ctrl-C stops');
        const sig = await stop.done;
        log(`${sig}: stopping`);
        await served.stop();
        log('stopped');
      } finally {
        stop.dispose();
      }
    });
}
