import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { importPytac, PytacImportError } from '@mlayer/facility-tools';

interface ImportPytacCliOptions {
  lattice: string;
  output: string;
  name?: string;
  description?: string;
  provenance?: string;
  credits?: string;
}

/** `mlayer facility ...`: build facility packages from other machine descriptions. */
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
    .action((dir: string, opts: ImportPytacCliOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ json?: boolean }>();
      let provenance: string | undefined;
      if (opts.provenance) {
        try {
          provenance = readFileSync(opts.provenance, 'utf8');
        } catch (e) {
          throw new PytacImportError(opts.provenance, undefined, `cannot read the provenance file (${(e as Error).message})`);
        }
      }
      const name = opts.name ?? defaultName(dir);
      const result = importPytac({
        pytacDir: dir,
        latticeFile: opts.lattice,
        outDir: opts.output,
        name,
        description: opts.description,
        provenance,
        credits: opts.credits,
      });
      if (globals.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = [
        `facility ${name} written to ${result.outDir} (${result.packageName})`,
        `  ${result.families.length} families, ${result.devices} devices, ${result.pvs} EPICS PVs, ${result.conversions} unit conversions`,
        `  files: ${result.files.join(', ')}`,
        ...result.notes.map((n) => `  note: ${n.length > 200 ? `${n.slice(0, 197)}...` : n}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function defaultName(dir: string): string {
  const base = dir.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? 'facility';
  return base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}
