import { readFileSync } from 'node:fs';
import { MlayerError } from '@mlayer/core';
import type { WsControlSystem } from '@mlayer/adapters-ws';
import { parse as parseYaml } from 'yaml';
import type { GlobalOptions } from '../global-options.js';
import { parseInteger } from '../cli-values.js';
import { openServerConnection } from '../server-connection.js';

/** The global options (--server and --token-file are global: GlobalOptions). */
export type TwinCommandOptions = GlobalOptions;

async function withServer<T>(o: TwinCommandOptions, run: (cs: WsControlSystem, token: string | undefined) => Promise<T>): Promise<T> {
  if (!o.server) throw new MlayerError('twin: no server: give --server ws://HOST:PORT or set MLAYER_SERVER');
  const { cs, token } = await openServerConnection(o, 'mlayer twin');
  try {
    return await run(cs, token);
  } finally {
    await cs.close();
  }
}

function print(o: TwinCommandOptions, json: unknown, text: string): void {
  process.stdout.write(o.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

export async function twinErrorsApply(file: string, seedText: string, o: TwinCommandOptions): Promise<void> {
  const seed = parseInteger(seedText, '--seed');
  let spec: unknown;
  try {
    spec = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MlayerError(`${file}: ${(e as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new MlayerError(`${file}: not an error set (a YAML mapping of magnets and bpms)`);
  await withServer(o, (cs, t) => cs.request({ type: 'twin-errors', spec, seed, token: t, tool: 'mlayer twin errors apply' }));
  print(o, { applied: file, seed }, `error set ${file} applied with seed ${seed}`);
}

export async function twinReset(o: TwinCommandOptions): Promise<void> {
  await withServer(o, (cs, t) => cs.request({ type: 'twin-reset', token: t, tool: 'mlayer twin reset' }));
  print(o, { reset: true }, 'twin errors removed');
}

export async function twinFaultsAdd(file: string, o: TwinCommandOptions): Promise<void> {
  // The twin's package only for this command (its index loads the engine): the other twin commands stay light.
  const faults = (await import('@mlayer/adapters-sim')).readFaultsFile(file);
  await withServer(o, (cs, t) => cs.request({ type: 'twin-faults', action: 'add', faults, token: t, tool: 'mlayer twin faults add' }));
  print(o, { added: faults.length, file }, `${faults.length} fault${faults.length === 1 ? '' : 's'} of ${file} injected`);
}

export async function twinFaultsClear(o: TwinCommandOptions): Promise<void> {
  await withServer(o, (cs, t) => cs.request({ type: 'twin-faults', action: 'clear', token: t, tool: 'mlayer twin faults clear' }));
  print(o, { cleared: true }, 'twin faults removed');
}

export async function twinFaultsList(o: TwinCommandOptions): Promise<void> {
  const r = await withServer(o, (cs) => cs.request({ type: 'twin-state' }));
  const faults = (r.faults ?? []) as Record<string, unknown>[];
  const line = (f: Record<string, unknown>) => {
    const { kind, start, ...rest } = f;
    return `${String(kind)} from ${new Date(Number(start)).toISOString()} ${JSON.stringify(rest)}`;
  };
  print(o, { faults }, faults.length === 0 ? 'no faults injected' : faults.map(line).join('\n'));
}

export async function twinState(o: TwinCommandOptions): Promise<void> {
  const r = await withServer(o, (cs) => cs.request({ type: 'twin-state' }));
  print(o, { seed: r.seed, errors: r.errors }, r.errors ? `error set applied with seed ${String(r.seed)}: ${JSON.stringify(r.errors)}` : 'no error set applied');
}
