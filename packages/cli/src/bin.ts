#!/usr/bin/env node
import { main } from './program.js';

// `mlayer get BPMx | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/**
 * epics-tca rejects the pending promises of a TCP circuit it tears down (closed by the
 * IOC, or idle past its echo timeout), some of which nobody awaits; its channels then
 * search and reconnect by themselves. Such a rejection is reported, not fatal (it used to
 * end mlayer serve at start on a loaded machine); any other unhandled rejection still is.
 */
process.on('unhandledRejection', (reason: unknown) => {
  const text = reason instanceof Error ? reason.message : String(reason);
  if (/^TCPTransoprt destoryed|^TCPTransport destroyed/.test(text)) {
    process.stderr.write(`mlayer: EPICS client: ${text} (a Channel Access circuit was closed; its channels reconnect)\n`);
    return;
  }
  throw reason;
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
