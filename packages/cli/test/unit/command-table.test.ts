/**
 * The command table of program.ts (issue 16 start-up): a command line loads only the module
 * of the command it names. The table's names are those each module registers; the module
 * picked is the one of the command, as commander parses the global options; help, no
 * command, an unknown name or option load them all; a command's help is the same either way.
 */
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { COMMAND_MODULES, buildProgram, commandModules } from '../../src/program.js';
import { runCli } from '../in-process-cli.js';

const argv = (...args: string[]): string[] => ['node', 'mlayer', ...args];

describe('command table', () => {
  it('names each module by the top-level commands (and aliases) it registers', async () => {
    for (const m of COMMAND_MODULES) {
      const program = new Command('mlayer');
      (await m.load())(program, async () => 0);
      expect(program.commands.flatMap((c) => [c.name(), ...c.aliases()])).toEqual(m.names);
    }
  });

  it('picks the module of the command named after the global options, else every module', () => {
    const get = COMMAND_MODULES.find((m) => m.names.includes('get'));
    const tune = COMMAND_MODULES.find((m) => m.names.includes('chrom'));
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(commandModules(argv('--json', 'get', 'BPMx'))).toEqual([get]);
      expect(commandModules(argv('-f', 'facility.yaml', '--mode=twin', 'set', 'HCM', '1', '--field', 'x'))).toEqual([get]);
      expect(commandModules(argv('--facility', 'chrom', 'chrom', 'set'))).toEqual([tune]);
      for (const all of [argv(), argv('--help'), argv('--version'), argv('help', 'get'), argv('nosuch'), argv('--bogus', 'get'), argv('--json')]) {
        expect(commandModules(all)).toBe(COMMAND_MODULES);
      }
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
    }
  });

  it("a command's help is the same with its module alone and with all", async () => {
    const all = await buildProgram();
    for (const m of COMMAND_MODULES) {
      for (const name of m.names) {
        const alone = await buildProgram(argv(name));
        expect(alone.commands).toHaveLength(m.names.length);
        const help = (p: Command): string => p.commands.find((c) => c.name() === name || c.aliases().includes(name))!.helpInformation();
        expect(help(alone)).toBe(help(all));
      }
    }
  });

  it('the command line answers as before: help, version, an unknown command or option', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const m of COMMAND_MODULES) for (const name of m.names) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const unknown = await runCli(['nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'nosuch'/);
    const option = await runCli(['--bogus', 'get']);
    expect(option.code).toBe(1);
    expect(option.stderr).toMatch(/unknown option '--bogus'/);
  });
});
