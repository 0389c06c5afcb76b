/**
 * The WebSocket the adapter needs: the browser's API (also `ws`'s in Node). In a browser
 * the global WebSocket; in Node 20 (no global one) the `ws` package, loaded when needed.
 */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export const OPEN = 1;

/** The platform's WebSocket: globalThis.WebSocket, else the `ws` package. */
export async function defaultSocketFactory(): Promise<SocketFactory> {
  const G = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (G) return (url) => new G(url);
  const name = 'ws';
  const mod = (await import(/* @vite-ignore */ name)) as { WebSocket: new (url: string) => SocketLike };
  return (url) => new mod.WebSocket(url);
}
