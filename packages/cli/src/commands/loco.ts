import type { Command } from 'commander';
import type { LocoCorrectCliOptions, LocoFitCliOptions } from './loco-actions.js';

/** `mlayer loco fit --lattice FILE --orm ORM.json --parameters FIT.yaml`, `loco show RESULT.json`, `loco correct RESULT.json`: LOCO (loco-actions.ts, loaded when run). */
export function registerLocoCommands(program: Command): void {
  const loco = program.command('loco').description('LOCO: fit quadrupole and skew gradients, BPM and corrector gains to a measured orbit response matrix');
  loco
    .command('fit')
    .description('fit a lattice to ORM.json with the parameters of FIT.yaml (formats: docs/loco-files.md); a progress line per iteration on stderr')
    .requiredOption('-l, --lattice <file>', 'lattice file (any format the engine reads: .m, .mat, .atjson.json, ...)')
    .requiredOption('--orm <file>', "the measured orbit response matrix: ORM.json; the orbit tool's measurement file (.h5); a folder of MML LOCO input files (BPMRespMat, BPMData, Disp .mat; Physics or Hardware units); the last two with -f the facility; or MML's buildlocoinput file (LocoInput .mat: its LocoFlags and FitParameters used)")
    .requiredOption('--parameters <file>', 'what to fit and how (FIT.yaml)')
    .option('--json', 'print one JSON object (iterations, quadrupoles, skewQuadrupoles, bpmGains, bpmCouplings, correctorKicks, residualRms)', false)
    .option('--plot <base>', 'write <base>-chi2, -dk, -skew, -gains, -beta, -residual .svg and .png (χ²/DOF per iteration, ΔK/K against s, gains and kicks, beta-beat of the fitted model, residual matrix)')
    .option('--save <file>', 'also write the whole result (inputs, every iteration record, values with 1σ errors, notes): FILE.json, or FILE.h5 (a measurement file with the provenance of an --orm .h5, the inputs\' SHA-256 and FIT.yaml); the input of loco show and loco correct')
    .option('--force', 'replace the --save file if it exists (a saved fit is never written over otherwise)', false)
    .action(async (o: LocoFitCliOptions, cmd: Command) => (await import('./loco-actions.js')).locoFitAction(o, cmd));
  loco
    .command('show <result>')
    .description('print a saved fit (loco fit --save, .json or .h5): iterations, fitted groups with 1σ, gains, notes')
    .option('--json', 'print the saved result as one JSON object', false)
    .action(async (result: string, o: { json?: boolean }, cmd: Command) => (await import('./loco-actions.js')).locoShowAction(result, o, cmd));
  loco
    .command('correct <result>')
    .description("undo the fitted gradient errors of a saved fit (loco fit --save, .json or .h5) with the facility's quadrupole families (bound to PolynomB[1] / PolynomA[1]): limits checked before any write, restored on failure; online writes need --yes")
    .option('--fraction <f>', 'share of the correction applied, in (0, 1]', '1')
    .option('--on-limit <policy>', "stop (nothing written) or scale (the whole step shortened) when a setpoint would pass its limit", 'stop')
    .option('--families <list>', 'families to write, comma-separated (default: every family bound to PolynomB[1] or PolynomA[1])')
    .option('--dry-run', 'plan and print, write nothing', false)
    .action(async (result: string, o: LocoCorrectCliOptions, cmd: Command) => (await import('./loco-actions.js')).locoCorrectAction(result, o, cmd));
}
