import type { Command } from 'commander';
import { SERVE_PROTOCOLS } from '../option-help.js';
import type { ServeCommandOptions } from './serve-actions.js';

/**
 * `mlayer serve --facility F --protocol tango [--tango-host H] [--seed N --errors FILE]`
 * (or `--protocol epics [--pva] [--port N]`), with realistic timing options:
 * the digital twin of the facility served as a virtual accelerator until SIGINT/SIGTERM
 * (serve-actions.ts, loaded when it runs).
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the digital twin as a virtual accelerator over a control-system protocol (until Ctrl-C; SIGUSR1 stops/resumes BPM publication)')
    .requiredOption('-p, --protocol <name>', `protocol: ${SERVE_PROTOCOLS.join(', ')}`)
    .option('--tango-host <host:port>', 'TANGO: register the devices in this database (default: start a private one on loopback)')
    .option('--pva', 'EPICS: serve PV Access too (softIocPVA)', false)
    .option('--port <n>', 'EPICS: Channel Access server port (default: $EPICS_CAS_SERVER_PORT, else $EPICS_CA_SERVER_PORT, else a free port in [20000, 60000)); clients set EPICS_CA_SERVER_PORT to it')
    .option('--bpm-rate <Hz>', "BPM publication rate (default: the BPM field's updatePeriod or updateRate, else 10)")
    .option('--bpm-samples <n>', 'twin readings averaged into each published BPM value, spread over the period (default 5)')
    .option('--ramp-rate <rate>', 'power supplies ramp at RATE hardware units/s (all set points but RF; FAMILY=RATE pairs, comma-separated, per family): the readback follows the set point, the beam follows the readback (default: at once)')
    .option('--latency <seconds>', 'random extra delay between a write and the supply taking it: MIN-MAX, uniform (e.g. 0.2-0.5), or one value (default 0)')
    .option('--put-callback-delay <seconds>', 'a write completes (EPICS put-callback, TANGO write reply) this long after it arrived (EPICS default: two periods of the slowest publication + 0.05; TANGO default 0)')
    .option('--settle <seconds>', 'old name of --put-callback-delay')
    .option('--families <list>', 'serve only these families (comma-separated; the overlay then holds only them; default all)')
    .option('-s, --seed <n>', 'seed of the error set (default 1; needs --errors)')
    .option('-e, --errors <file>', 'error set (YAML) applied to the twin at start')
    .option('--faults <file>', 'faults (YAML list: trip, stuck, gradient, bpm, rf-drift, corrector-noise, beam-loss) injected into the twin at start, after the error set')
    .option('--twin <name>', 'twin control system of the facility (default: the first of type twin)')
    .option('--control-system <name>', 'name of the served control system in the overlay')
    .option('--overlay <file>', 'where to write the facility overlay (the facility plus the served control system)')
    .action(async (o: ServeCommandOptions, cmd: Command) => (await import('./serve-actions.js')).serveAction(o, cmd));
}
