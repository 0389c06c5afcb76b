import type { Command } from 'commander';
import type { ModelApertureOptions } from './model-aperture-action.js';

/**
 * `mlayer model aperture --lattice FILE [--6d] [--amplitudes AX,AY] [--npoints NR,NTHETA] [--turns N]
 * [--workers W | --gpu] [--momentum AMPLITUDE,N] [--plot BASE] [--json]`:
 * dynamic aperture by tracking on pyAT's radial grid (get_acceptance RADIAL), the momentum
 * acceptance scan at the lattice start, their charts. Action in model-aperture-action.ts, loaded when run.
 */
export function registerModelAperture(model: Command): void {
  model
    .command('aperture')
    .description('dynamic aperture by tracking (radial grid in x-y, survival over N turns; 4D, or 6D with --6d)')
    .requiredOption('-l, --lattice <file>', "lattice file (any format of 'mlayer model formats')")
    .option('--use <name>', 'the MAD-X sequence or LINE, or elegant LINE, to read')
    .option('--6d', 'radiation and RF cavities on (enable_6d), 6D closed orbit', false)
    .option('--amplitudes <ax,ay>', 'grid extent in x and y [m]', '0.015,0.01')
    .option('--npoints <nr,ntheta>', 'radii and angles of the grid', '21,11')
    .option('--turns <n>', 'turns (after the first pass, as pyAT)', '512')
    .option('--workers <n>', 'worker threads (1: the main thread)', '1')
    .option('--gpu', 'track on WebGPU (a hardware adapter, else the software renderer; float-float)', false)
    .option('--momentum <amplitude,n>', 'also the momentum acceptance: a scan of n values of delta in [-amplitude, amplitude] at the lattice start')
    .option('--plot <base>', 'write <base>-da.svg/.png (grid survivors and boundary) and, with --momentum, <base>-momentum.svg/.png')
    .option('--json', 'print one JSON object', false)
    .action(async (o: ModelApertureOptions, cmd: Command) => (await import('./model-aperture-action.js')).modelApertureAction(o, cmd));
}
