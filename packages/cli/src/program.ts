import { Command, CommanderError } from 'commander';

export const VERSION = '0.1.0';

export type { GlobalOptions } from './global-options.js';

/** Adds a command module's commands to the program (`main` for those that run others: record). */
type Register = (program: Command, run: (argv: readonly string[]) => Promise<number>) => void;

/**
 * Every command module, in the order of the help, with the top-level commands it defines
 * (names and aliases; test/unit/command-table.test.ts checks them against what each module
 * registers). Only the module of the command a command line names is loaded
 * (commandModules); help and an unknown name load them all.
 */
export const COMMAND_MODULES: readonly { readonly names: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { names: ['schema'], load: async () => (await import('./commands/schema.js')).registerSchemaCommand },
  { names: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemoCommand },
  { names: ['facility'], load: async () => (await import('./commands/facility.js')).registerFacilityCommands },
  { names: ['get', 'set'], load: async () => (await import('./commands/get-set.js')).registerGetSetCommands },
  { names: ['model'], load: async () => (await import('./commands/model.js')).registerModelCommands },
  { names: ['tune', 'chrom'], load: async () => (await import('./commands/tune.js')).registerTuneCommands },
  { names: ['data'], load: async () => (await import('./commands/data.js')).registerDataCommands },
  { names: ['orbit'], load: async () => (await import('./commands/orbit.js')).registerOrbitCommands },
  { names: ['serve'], load: async () => (await import('./commands/serve.js')).registerServeCommand },
  { names: ['server'], load: async () => (await import('./commands/server.js')).registerServerCommand },
  { names: ['twin'], load: async () => (await import('./commands/twin.js')).registerTwinCommands },
  { names: ['loco'], load: async () => (await import('./commands/loco.js')).registerLocoCommands },
  { names: ['bba'], load: async () => (await import('./commands/bba.js')).registerBbaCommands },
  { names: ['shell'], load: async () => (await import('./commands/shell.js')).registerShellCommand },
  { names: ['config'], load: async () => (await import('./commands/config.js')).registerConfigCommands },
  { names: ['families', 'devices'], load: async () => (await import('./commands/families.js')).registerFamiliesCommands },
  { names: ['commission'], load: async () => (await import('./commands/commission.js')).registerCommissionCommands },
  { names: ['record'], load: async () => (await import('./commands/record.js')).registerRecordCommand },
  { names: ['shadow'], load: async () => (await import('./commands/shadow.js')).registerShadowCommand },
];

/** The program with its global options and no command yet (`probe`: without --version, whose parse prints it). */
function baseProgram(probe = false): Command {
  const program = new Command('mlayer').description('mlayer: read and steer an accelerator, on the machine (EPICS, TANGO) or on its digital twin');
  if (!probe) program.version(VERSION);
  return program
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
}

/**
 * The modules a command line needs: the one defining the command it names (its first operand
 * once the global options are parsed, as commander parses them), else all (help, no command,
 * an unknown name, an unknown option before the command: commander then answers as before).
 */
export function commandModules(argv: readonly string[]): typeof COMMAND_MODULES {
  const { operands, unknown } = baseProgram(true).parseOptions(argv.slice(2) as string[]);
  const named = unknown.length === 0 || operands.length > 0 ? operands[0] : undefined;
  const one = named === undefined ? undefined : COMMAND_MODULES.find((m) => m.names.includes(named));
  return one ? [one] : COMMAND_MODULES;
}

/**
 * The commander definitions of the commands a command line needs (all of them without one).
 * They are light: each command's implementation (and the engine, adapters, data files and
 * plotting it needs) is loaded by `await import()` when the command runs, so that
 * `mlayer --help` and `mlayer <command> --help` load none of it.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = baseProgram();
  // Loaded together (as static imports would be: the files are read in parallel), registered in the table's order.
  const registers = await Promise.all((argv === undefined ? COMMAND_MODULES : commandModules(argv)).map((m) => m.load()));
  for (const register of registers) register(program, main);
  return program;
}

/** Runs the CLI; returns the exit code. Errors of mlayer print as one clear line. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
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
