/**
 * The HTTP side: static files (the web control room, later) from one folder, the list and
 * download of measurement files from the data folder, and /pvws/info. Paths never leave
 * their folder.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';

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

/** Measurement files: the files kept in the data folder (HDF5, plots), one level of sub-folders. */
const DATA_FILE = /\.(h5|svg|png|json)$/i;

export interface HttpOptions {
  readonly staticDir?: string;
  readonly dataDir?: string;
  readonly version: string;
}

/** A path under root, or undefined when the request would leave it. */
function inside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const abs = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  const rel = relative(root, abs);
  return rel.startsWith('..') || rel.startsWith(sep) ? undefined : abs;
}

function listData(dir: string): { name: string; size: number; modified: string }[] {
  const out: { name: string; size: number; modified: string }[] = [];
  if (!existsSync(dir)) return out;
  const walk = (sub: string, depth: number): void => {
    for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 1) walk(rel, depth + 1);
      else if (e.isFile() && DATA_FILE.test(e.name)) {
        const st = statSync(join(dir, rel));
        out.push({ name: rel, size: st.size, modified: st.mtime.toISOString() });
      }
    }
  };
  walk('', 0);
  return out.sort((a, b) => a.name.localeCompare(b.name));
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
  if (path === '/files' || path === '/files/') return json(res, 200, { files: o.dataDir ? listData(o.dataDir) : [] });
  if (path.startsWith('/files/')) {
    const file = o.dataDir ? inside(o.dataDir, path.slice('/files'.length)) : undefined;
    if (!file || !DATA_FILE.test(file) || !existsSync(file) || !statSync(file).isFile()) return json(res, 404, { error: `no measurement file '${path.slice(7)}'` });
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
