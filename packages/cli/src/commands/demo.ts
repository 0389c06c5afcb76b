import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import type { DemoOptions } from './demo-actions.js';

const DEFAULT_ERRORS = fileURLToPath(new URL('../../../../examples/demo-errors.yaml', import.meta.url));

/**
 * `mlayer demo`: the main job. On the digital twin of the demo facility with a
 * seeded error set: read the orbit, measure the response matrix through the
 * orbit tool, correct the orbit, print the rms before and after, and write the
 * measurement files (HDF5) and plots. demo-actions.ts is loaded when it runs.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the demo: orbit correction on the digital twin of the demo facility with seeded errors')
    .option('-s, --seed <n>', 'error seed', '1')
    .option('-e, --errors <file>', 'error set (YAML)', DEFAULT_ERRORS)
    .option('-k, --kick <rad>', "ORM step per corrector in rad, or with its unit (10urad); default: the facility's tools.orbit.ormStep")
    .option('-o, --out <dir>', "output folder (default: demo/ in the facility's data folder, ./out/demo for the demo facility); files are named by kind and UTC time, never written over")
    .option('--no-plots', 'do not write plots')
    .action(async (o: DemoOptions, cmd: Command) => (await import('./demo-actions.js')).demoAction(o, cmd));
}
