import type { Command } from 'commander';

/** `mlayer schema [-o FILE]`: the JSON Schema of facility files, for editors. */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of facility files (for editor completion and validation)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { output?: string }) => {
      const { facilityJsonSchema } = await import('@mlayer/core');
      const text = `${JSON.stringify(facilityJsonSchema(), null, 2)}\n`;
      if (opts.output) (await import('node:fs')).writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}
