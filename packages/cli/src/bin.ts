#!/usr/bin/env node
import { main } from './program.js';

// `mlayer get BPMx | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mlayer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
