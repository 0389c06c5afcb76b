/**
 * The HTTP side: static files (the web control room, later) from one folder, the list and
 * download of measurement files from the data folder, and /pvws/info. Paths never leave
 * their folder.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, sep } from 'node:path';
import { dataFile, inside, listData } from './data-files.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.h5': 'application/x-hdf5',
};

export interface HttpOptions {
  readonly staticDir?: string;
  readonly dataDir?: string;
  readonly version: string;
}

function sendFile(res: ServerResponse, file: string, download: boolean): void {
  const st = statSync(file);
  const headers: Record<string, string | number> = { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': st.size };
  if (download) headers['content-disposition'] = `attachment; filename="${file.split(sep).pop()!.replace(/"/g, '')}"`;
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function handleHttp(req: IncomingMessage, res: ServerResponse, o: HttpOptions): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method}: only GET` });
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/pvws/info') return json(res, 200, { name: 'mlayer server', version: o.version });
  if (path === '/files' || path === '/files/') return json(res, 200, { files: listData(o.dataDir) });
  if (path.startsWith('/files/')) {
    const file = dataFile(o.dataDir, path.slice('/files'.length), true);
    if (!file) return json(res, 404, { error: `no measurement file '${path.slice(7)}'` });
    return sendFile(res, file, true);
  }
  if (o.staticDir) {
    const file = inside(o.staticDir, path === '/' ? '/index.html' : path);
    if (file && existsSync(file) && statSync(file).isFile()) return sendFile(res, file, false);
  } else if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('mlayer server: WebSocket at /pvws/pv, measurement files at /files\n');
    return;
  }
  json(res, 404, { error: `not found: ${path}` });
}
