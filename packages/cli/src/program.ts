import { Command, CommanderError } from 'commander';
import { registerSchemaCommand } from './commands/schema.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerFacilityCommands } from './commands/facility.js';
import { registerGetSetCommands } from './commands/get-set.js';
import { registerModelCommands } from './commands/model.js';
import { registerTuneCommands } from './commands/tune.js';
import { registerDataCommands } from './commands/data.js';
import { registerOrbitCommands } from './commands/orbit.js';
import { registerServeCommand } from './commands/serve.js';
import { registerServerCommand } from './commands/server.js';
import { registerTwinCommands } from './commands/twin.js';
import { registerLocoCommands } from './commands/loco.js';
import { registerBbaCommands } from './commands/bba.js';
import { registerShellCommand } from './commands/shell.js';
import { registerConfigCommands } from './commands/config.js';
import { registerFamiliesCommands } from './commands/families.js';
import { registerCommissionCommands } from './commands/commission.js';
import { registerRecordCommand } from './commands/record.js';

export const VERSION = '0.1.0';

export type { GlobalOptions } from './global-options.js';

/**
 * The commander definitions of every command. They are light: each command's
 * implementation (and the engine, adapters, data files and plotting it needs) is
 * loaded by `await import()` when the command runs, so that `mlayer --help` and
 * `mlayer <command> --help` load none of it.
 */
export function buildProgram(): Command {
  const program = new Command('mlayer')
    .description('mlayer: read and steer an accelerator, on the machine (EPICS, TANGO) or on its digital twin')
    .version(VERSION)
    .option('-f, --facility <path>', 'facility file (YAML/JSON) or facility package directory', process.env.MLAYER_FACILITY)
    .option('-m, --mode <name>', 'control system to use: twin, epics, tango, ... (default: the facility default); replay: serve a recording (--recording)')
    .option('-y, --yes', 'allow writes to an online control system', false)
    .option('--json', 'print results as JSON', false)
    .option('--server <url>', 'use a running mlayer server (ws://HOST:PORT) as the control system, in its mode (default $MLAYER_SERVER)', process.env.MLAYER_SERVER)
    .option('--token-file <file>', "the server's write token file: read by the client, written by mlayer server --allow-writes (default $MLAYER_SERVER_TOKEN_FILE)", process.env.MLAYER_SERVER_TOKEN_FILE)
    .option('--recording <file>', 'with --mode replay: the recording served as the control system (written by mlayer record --out FILE)')
    .option('--replay-speed <speed>', 'with --mode replay: 1 (the recorded pace), N (N times faster) or max (no waits)', 'max')
    .option('--verbose', 'say on stderr how the control system is reached (for EPICS: the addresses searched and where each setting comes from)', false)
    .showHelpAfterError()
    .exitOverride();
  registerSchemaCommand(program);
  registerDemoCommand(program);
  registerFacilityCommands(program);
  registerGetSetCommands(program);
  registerModelCommands(program);
  registerTuneCommands(program);
  registerDataCommands(program);
  registerOrbitCommands(program);
  registerServeCommand(program);
  registerServerCommand(program);
  registerTwinCommands(program);
  registerLocoCommands(program);
  registerBbaCommands(program);
  registerShellCommand(program);
  registerConfigCommands(program);
  registerFamiliesCommands(program);
  registerCommissionCommands(program);
  registerRecordCommand(program, main);
  return program;
}

/** Runs the CLI; returns the exit code. Errors of mlayer print as one clear line. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    // A command that completed but reports a status (orbit correct: 2 no improvement,
    // 3 diverged) sets process.exitCode; the caller (bin.js) exits with what this returns.
    const status = Number(process.exitCode ?? 0);
    return Number.isInteger(status) ? status : 1;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    // Not loaded for --help: a command that threw one of core's errors has loaded core already.
    const { MlayerError } = await import('@mlayer/core');
    if (err instanceof MlayerError) {
      process.stderr.write(`mlayer: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
