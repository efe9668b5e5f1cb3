/**
 * Requests to the companion of another JupyterLab server of this user on this
 * host, over its Unix socket. The socket is mode 0600, so only this user can
 * open it; the request carries no cookie and no Origin, as a token-authenticated
 * client's would, so that companion's cross-site guard lets it through.
 */

import { request } from 'node:http';

/** Send `method path` to the companion listening on `socket`; resolves with the status. */
export function askPeer(socket: string, method: string, path: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, timeout: timeoutMs }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
