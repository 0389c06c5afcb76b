import { readFileSync } from 'node:fs';
import { MlayerError, type LoadedFacility } from '@mlayer/core';
import type { WsControlSystem } from '@mlayer/adapters-ws';

/** The global options that reach a running `mlayer server` (`--server`, `--token-file`). */
export interface ServerOptions {
  /** ws://HOST:PORT of a running `mlayer server` (default $MLAYER_SERVER). */
  server?: string;
  /** The server's write token file (default $MLAYER_SERVER_TOKEN_FILE). */
  tokenFile?: string;
}

/** The server's WebSocket URL: ws://HOST:PORT, with PVWS's path /pvws/pv added when no path is given. */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MlayerError(`--server: '${text}' is not a URL (ws://HOST:PORT)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new MlayerError(`--server: '${text}' is not a ws:// or wss:// URL`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/pvws/pv';
  return url.toString();
}

/** The write token read from --token-file (trimmed), or undefined without one. */
export function readToken(tokenFile: string | undefined): string | undefined {
  if (!tokenFile) return undefined;
  try {
    return readFileSync(tokenFile, 'utf8').trim();
  } catch (e) {
    throw new MlayerError(`--token-file ${tokenFile}: ${(e as Error).message}`);
  }
}

/**
 * Connects to the server of `o.server` (the ws adapter, loaded here only) with the token of
 * `o.tokenFile`, which is returned too (for the messages that carry it). One connection per
 * command: a dropped one is an error of the command, not retried for ever.
 */
export async function openServerConnection(o: ServerOptions, tool: string): Promise<{ cs: WsControlSystem; token: string | undefined }> {
  const url = serverUrl(o.server!);
  const token = readToken(o.tokenFile);
  const { WsControlSystem } = await import('@mlayer/adapters-ws');
  const cs = await WsControlSystem.connect(url, { token, tool, reconnectMs: 1e9 }).catch((e: Error) => {
    throw new MlayerError(`--server ${o.server}: ${e.message}`);
  });
  return { cs, token };
}

/**
 * Connects to the server (openServerConnection) and checks that it serves this
 * facility in the requested mode; returns the control system and the server's mode, which
 * the accelerator uses so that the channel names are the server's.
 */
export async function connectServer(o: ServerOptions & { mode?: string }, facility: LoadedFacility): Promise<{ cs: WsControlSystem; mode: string }> {
  const { cs } = await openServerConnection(o, 'mlayer');
  try {
    const info = await cs.request({ type: 'info' });
    const mode = String(info.mode);
    if (info.facility !== facility.config.name) throw new MlayerError(`--server ${o.server}: serves facility '${String(info.facility)}', not '${facility.config.name}' of ${facility.file}`);
    if (o.mode !== undefined && o.mode !== mode) throw new MlayerError(`--server ${o.server}: serves mode '${mode}', not --mode '${o.mode}'`);
    if (!facility.config.controlSystems[mode]) throw new MlayerError(`--server ${o.server}: serves mode '${mode}', which ${facility.file} does not define`);
    return { cs, mode };
  } catch (e) {
    await cs.close();
    throw e;
  }
}
