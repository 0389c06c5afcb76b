#!/usr/bin/env node
import { main } from './program.js';

// `mlayer get BPMx | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/**
 * The command is over: a handle a native library keeps open (a CA context, a TANGO
 * client thread) must not keep the process alive, so it ends within 2 s in any case.
 */
const leave = (): void => {
  setTimeout(() => process.exit(), 2000).unref();
};

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    leave();
  },
  (err: unknown) => {
    process.stderr.write(`mlayer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    leave();
  },
);
