import type { Command } from 'commander';
import type { LocoFitCliOptions } from './loco-actions.js';

/** `mlayer loco fit --lattice FILE --orm ORM.json --parameters FIT.yaml`: LOCO (loco-actions.ts, loaded when run). */
export function registerLocoCommands(program: Command): void {
  const loco = program.command('loco').description('LOCO: fit quadrupole and skew gradients, BPM and corrector gains to a measured orbit response matrix');
  loco
    .command('fit')
    .description('fit a lattice to ORM.json with the parameters of FIT.yaml (formats: docs/loco-files.md); a progress line per iteration on stderr')
    .requiredOption('-l, --lattice <file>', 'lattice file (any format the engine reads: .m, .mat, .atjson.json, ...)')
    .requiredOption('--orm <file>', 'the measured orbit response matrix (ORM.json)')
    .requiredOption('--parameters <file>', 'what to fit and how (FIT.yaml)')
    .option('--json', 'print one JSON object (iterations, quadrupoles, skewQuadrupoles, bpmGains, bpmCouplings, correctorKicks, residualRms)', false)
    .action(async (o: LocoFitCliOptions, cmd: Command) => (await import('./loco-actions.js')).locoFitAction(o, cmd));
}
