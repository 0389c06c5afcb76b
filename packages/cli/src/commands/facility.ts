import type { Command } from 'commander';
import type { ImportPytacCliOptions } from './facility-actions.js';

/** `mlayer facility ...`: build facility packages from other machine descriptions (facility-actions.ts, loaded when run). */
export function registerFacilityCommands(program: Command): void {
  const facility = program.command('facility').description('create and inspect facility packages');
  facility
    .command('import-pytac')
    .description('turn a pytac machine description (its CSV folder) plus the AT lattice into an mlayer facility package')
    .argument('<dir>', "pytac data folder (elements.csv, families.csv, epics_devices.csv, simple_devices.csv, unitconv.csv, uc_poly_data.csv, uc_pchip_data.csv)")
    .requiredOption('--lattice <file>', 'AT lattice file of the machine (copied into the package)')
    .requiredOption('-o, --output <dir>', 'output folder (the facility package)')
    .option('--name <name>', 'facility name (default: the pytac folder name, lower case)')
    .option('--description <text>', 'description of the facility')
    .option('--provenance <file>', 'Markdown file with the provenance and licence of the data (goes into README.md)')
    .option('--credits <text>', 'credits line of the facility file')
    .option('--tools <file>', "hand-written tools section (YAML: knob families, RF step, golden orbit, ...) merged over the importer's defaults; its paths are relative to the output folder")
    .option('--families <file>', "hand-written families (YAML: name -> family, each with a description) added after pytac's: what pytac does not describe, e.g. the twin's beam-parameter monitors; may be given more than once", (v: string, prev: string[] = []) => [...prev, v])
    .option('--beam <file>', 'hand-written beam sections (YAML: injection point and injected beam, vacuum chamber apertures per element class, open line) written into facility.yaml')
    .action(async (dir: string, opts: ImportPytacCliOptions, cmd: Command) => (await import('./facility-actions.js')).importPytacAction(dir, opts, cmd));
}
