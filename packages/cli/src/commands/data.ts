import { Command, CommanderError } from 'commander';

/**
 * `mlayer data show FILE|DIR`: readable summary of a measurement file, scan manifest,
 * scan point file or scan directory.
 * `mlayer data check DIR`: every point file present, checksums matching, status consistent
 * (exit code 1 when an error is found; warnings such as an unfinished scan do not fail).
 * @mlayer/data (h5wasm) is loaded when one of them runs.
 */
export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('HDF5 measurement files and parameter scans (openPMD)');

  data
    .command('show')
    .argument('<file>', 'HDF5 file (measurement, scan manifest, scan point) or scan directory')
    .description('print a readable summary of a data file or scan directory')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      if ((cmd.optsWithGlobals() as { json?: boolean }).json === true) {
        // --json: the whole measurement file (attributes, provenance, datasets as arrays).
        const { readMeasurement } = await import('@mlayer/data');
        const { statSync } = await import('node:fs');
        const { MlayerError } = await import('@mlayer/core');
        if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new MlayerError(`data show --json: ${file} is a directory; --json reads one measurement file ('mlayer data check --json DIR' reports a scan directory as JSON)`);
        const { toJson } = await import('../format/json.js');
        process.stdout.write(`${toJson(await readMeasurement(file))}\n`);
        return;
      }
      const { summariseFile } = await import('@mlayer/data');
      process.stdout.write(`${await summariseFile(file)}\n`);
    });

  data
    .command('check')
    .argument('<dir>', 'scan directory')
    .description('check a scan directory: files present, SHA-256 checksums, status consistent')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, opts: { json?: boolean }, cmd: Command) => {
      const { checkScan } = await import('@mlayer/data');
      const report = await checkScan(dir);
      const json = opts.json === true || (cmd.optsWithGlobals() as { json?: boolean }).json === true;
      if (json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const errors = report.problems.filter((p) => p.severity === 'error').length;
        const warnings = report.problems.length - errors;
        process.stdout.write(
          `${report.dir}: ${report.totalPoints} points, ${report.completed} completed, ${report.failed} failed, ${report.pending} pending — ` +
            `${report.ok ? 'OK' : 'FAILED'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})\n`,
        );
        for (const p of report.problems) process.stdout.write(`  ${p.severity}: [${p.kind}] ${p.message}\n`);
      }
      if (!report.ok) throw new CommanderError(1, 'mlayer.data.check', `scan check failed: ${dir}`);
    });
}

/** A stand-alone `mlayer` program holding only the data commands (for tests and embedding). */
export function createDataProgram(): Command {
  const program = new Command('mlayer').option('--json', 'print results as JSON').exitOverride();
  registerDataCommands(program);
  return program;
}
