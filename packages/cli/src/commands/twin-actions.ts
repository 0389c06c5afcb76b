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

export async function twinState(o: TwinCommandOptions): Promise<void> {
  const r = await withServer(o, (cs) => cs.request({ type: 'twin-state' }));
  print(o, { seed: r.seed, errors: r.errors }, r.errors ? `error set applied with seed ${String(r.seed)}: ${JSON.stringify(r.errors)}` : 'no error set applied');
}
