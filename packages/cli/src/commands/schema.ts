import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { facilityJsonSchema } from '@mlayer/core';

/** `mlayer schema [-o FILE]`: the JSON Schema of facility files, for editors. */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of facility files (for editor completion and validation)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((opts: { output?: string }) => {
      const text = `${JSON.stringify(facilityJsonSchema(), null, 2)}\n`;
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}
