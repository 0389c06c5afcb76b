import type { Command } from 'commander';
import type { ServerCommandOptions } from './server-actions.js';

/**
 * `mlayer server --listen 127.0.0.1:PORT [--state FILE] [--allow-writes]`: one accelerator
 * served over WebSocket (PVWS-compatible at /pvws/pv) and HTTP until SIGINT/SIGTERM
 * (server-actions.ts, loaded when it runs).
 */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('serve one accelerator over WebSocket (PVWS-compatible channels at /pvws/pv, mlayer messages) and HTTP, until Ctrl-C')
    .option('--listen <host:port>', 'address to listen on (loopback unless told otherwise; port 0: a free one)', '127.0.0.1:8080')
    .option('--state <file>', 'twin: keep setpoints and the error set in this file (saved on change, restored at start)')
    .option('--allow-writes', 'accept writes, each with the token written to --token-file at start', false)
    .option('--token-file <file>', 'where the write token is written (mode 0600; default mlayer-server-PORT.token in the cache folder; with port 0 mlayer-server-pidPID.token)')
    .option('--audit <file>', 'audit log of accepted writes, JSON lines (default mlayer-audit.jsonl beside the state file, else in the working directory)')
    .option('--static <dir>', 'serve the files of this folder over HTTP')
    .option('--web', 'serve the web control room (packages/web, built by npm run build) at /', false)
    .option('--max-message <bytes>', 'largest message accepted; a larger one closes the connection', '65536')
    .option('--max-buffered <bytes>', 'a client with more unsent data than this stopped reading and is disconnected', String(8 * 1024 * 1024))
    .option('--throttle <ms>', 'at most one update per subscription per this many ms (scalars; SCALAR,ARRAY for both)', '100')
    .action(async (o: ServerCommandOptions, cmd: Command) => (await import('./server-actions.js')).serverAction(o, cmd));
}
