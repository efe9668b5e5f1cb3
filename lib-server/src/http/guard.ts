/**
 * Cross-site request refusal. jupyter-server-proxy authenticates every
 * request but leaves the XSRF check to the proxied app, so without this a
 * page on another site could start clusters with the user's Jupyter cookie.
 * Pure functions of the request headers.
 */

import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Methods that change nothing; everything else needs the checks below. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

/**
 * The secret inside a Tornado XSRF token: version 2 is
 * `2|mask|masked-token|timestamp` (the token XOR the mask, both hex), so two
 * tokens with different masks can hold the same secret; older tokens are the
 * secret itself.
 */
export function xsrfSecret(token: string): Buffer {
  const parts = token.split('|');
  if (parts.length === 4 && parts[0] === '2' && /^[0-9a-f]+$/i.test(parts[1]) && /^[0-9a-f]+$/i.test(parts[2])) {
    const mask = Buffer.from(parts[1], 'hex');
    const masked = Buffer.from(parts[2], 'hex');
    if (mask.length > 0) {
      return Buffer.from(masked.map((byte, i) => byte ^ mask[i % mask.length]));
    }
  }
  return Buffer.from(token, 'utf8');
}

/** Whether the X-XSRFToken header holds the same secret as the `_xsrf` cookie. */
export function hasValidXsrf(headers: IncomingHttpHeaders): boolean {
  const sent = header(headers, 'x-xsrftoken') ?? header(headers, 'x-csrftoken');
  const cookie = cookieValue(header(headers, 'cookie'), '_xsrf');
  if (!sent || !cookie) {
    return false;
  }
  const a = xsrfSecret(sent);
  const b = xsrfSecret(cookie);
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** Whether `origin` names the host the request was sent to. */
export function isSameOrigin(origin: string, headers: IncomingHttpHeaders): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = header(headers, 'host');
  return host !== undefined && url.host.toLowerCase() === host.toLowerCase();
}

/**
 * Why a state-changing request must be refused as cross-site, or undefined
 * when it may go on. Allowed: the XSRF token that JupyterLab sends, or the
 * server's own Origin. A request with neither a cookie nor an Origin is a
 * script that authenticated to Jupyter with its token: no browser sends a
 * cross-site POST, PUT or DELETE without an Origin.
 */
export function crossSiteRefusal(method: string, headers: IncomingHttpHeaders): string | undefined {
  if (SAFE_METHODS.has(method) || hasValidXsrf(headers)) {
    return undefined;
  }
  const origin = header(headers, 'origin');
  if (origin !== undefined) {
    return isSameOrigin(origin, headers)
      ? undefined
      : `Refused: this ${method} request came from another site (${origin.slice(0, 200)}). ` +
          "Send it from JupyterLab, or with Jupyter's XSRF token in the X-XSRFToken header.";
  }
  if (header(headers, 'cookie') !== undefined) {
    return (
      `Refused: this ${method} request carries Jupyter's cookie but not its XSRF token. ` +
      'Send the value of the _xsrf cookie in the X-XSRFToken header, as JupyterLab does, or authenticate with a token instead of a cookie.'
    );
  }
  return undefined;
}

/** Why a WebSocket handshake must be refused: a page of another site opened it. */
export function crossSiteUpgradeRefusal(headers: IncomingHttpHeaders): string | undefined {
  const origin = header(headers, 'origin');
  return origin !== undefined && !isSameOrigin(origin, headers)
    ? `Refused: a page of another site (${origin.slice(0, 200)}) opened this WebSocket.`
    : undefined;
}
