import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { importPytac, PytacImportError } from '@mlayer/facility-tools';

export interface ImportPytacCliOptions {
  lattice: string;
  output: string;
  name?: string;
  description?: string;
  provenance?: string;
  credits?: string;
  tools?: string;
  families?: string[];
  beam?: string;
}

/** `mlayer facility import-pytac DIR --lattice FILE -o DIR`. */
export function importPytacAction(dir: string, opts: ImportPytacCliOptions, cmd: Command): void {
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
    toolsFile: opts.tools,
    familiesFile: opts.families,
    beamFile: opts.beam,
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
}

function defaultName(dir: string): string {
  const base = dir.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? 'facility';
  return base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}
