/**
 * Requests to the companion of another JupyterLab server of this user on this
 * host, over its Unix socket. The socket is mode 0600, so only this user can
 * open it; the request carries no cookie and no Origin, as a token-authenticated
 * client's would, so that companion's cross-site guard lets it through.
 */

import { request } from 'node:http';

/** What the other companion answered. */
export interface IPeerAnswer {
  status: number;
  body: unknown;
}

/** Send `method path` (with a JSON `body`) to the companion listening on `socket`. */
export function askPeer(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000
): Promise<IPeerAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = payload === undefined ? {} : { 'Content-Type': 'application/json' };
    const req = request({ socketPath: socket, method, path, headers, timeout: timeoutMs }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
