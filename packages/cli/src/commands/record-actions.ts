import type { Command } from 'commander';
import { MlayerError } from '@mlayer/core';
import type { GlobalOptions } from '../global-options.js';
import { beginRecording, endRecording } from '../recording-session.js';

/** The global options as arguments again, for the recorded command. */
function globalArgs(g: GlobalOptions): string[] {
  const a: string[] = [];
  if (g.facility) a.push('--facility', g.facility);
  if (g.mode) a.push('--mode', g.mode);
  if (g.yes) a.push('--yes');
  if (g.json) a.push('--json');
  if (g.verbose) a.push('--verbose');
  if (g.server) a.push('--server', g.server);
  if (g.tokenFile) a.push('--token-file', g.tokenFile);
  if (g.recording) a.push('--recording', g.recording);
  if (g.recording && g.replaySpeed) a.push('--replay-speed', g.replaySpeed);
  return a;
}

/**
 * Runs the command in this process with a recording session: the control system its
 * accelerator opens is recorded into `o.out`. The exit status is the command's.
 */
export async function recordCommand(args: string[], o: { out: string; force: boolean }, cmd: Command, run: (argv: readonly string[]) => Promise<number>): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  if (args[0] === 'record') throw new MlayerError('record: the recorded command cannot be record again');
  const argv = [...globalArgs(g), ...args];
  beginRecording({ out: o.out, force: o.force, command: ['mlayer', ...argv] });
  let code: number;
  let recorded: number;
  try {
    code = await run(['node', 'mlayer', ...argv]);
  } finally {
    recorded = endRecording();
  }
  if (recorded === 0 && code === 0) throw new MlayerError(`record --out ${o.out}: '${args.join(' ')}' opened no control system; nothing was recorded`);
  if (code !== 0) process.exitCode = code;
}
