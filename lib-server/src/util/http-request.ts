/**
 * One HTTP(S) request on node:http(s), in place of fetch: the companion runs
 * under V8's --lite-mode, which has no Wasm, and fetch's HTTP parser (undici's)
 * is Wasm. Redirects, aborts and the text body behave as fetch's do for what
 * the companion asks; no compression is asked for or decoded.
 */

import { request as plainRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as tlsRequest } from 'node:https';

export interface IHttpRequestOptions {
  /** GET unless given. */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the request, its redirects and the reading of its body; rejects with the signal's reason, as fetch does. */
  signal?: AbortSignal;
  /** `follow` (the default, at most 20, as fetch) or `error`: any redirect status rejects with "unexpected redirect". */
  redirect?: 'follow' | 'error';
}

export interface IHttpResponse {
  status: number;
  /** 2xx. */
  ok: boolean;
  /** Names in lower case. */
  headers: IncomingHttpHeaders;
  /** The body as UTF-8, without a byte order mark. */
  text: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
/** What fetch drops when a redirect turns the request into a GET without body. */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length'];
/** What fetch drops when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

function without(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}

/** The answer to `url`, after redirects; rejects on network errors, bad URLs and aborts, not on HTTP statuses. */
export async function httpRequest(url: string | URL, options: IHttpRequestOptions = {}): Promise<IHttpResponse> {
  let target = new URL(url);
  let method = options.method ?? 'GET';
  let headers = { ...options.headers };
  let body = options.body;
  for (let redirects = 0; ; redirects++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new Error('URL scheme must be a HTTP(S) scheme');
    }
    const response = await send(target, method, headers, body, options.signal);
    if (!REDIRECT_STATUSES.has(response.status)) {
      return response;
    }
    if (options.redirect === 'error') {
      throw new Error('unexpected redirect');
    }
    const location = response.headers.location;
    if (location === undefined) {
      return response;
    }
    if (redirects === MAX_REDIRECTS) {
      throw new Error('redirect count exceeded');
    }
    const next = new URL(location, target);
    if (
      (response.status === 303 && method !== 'GET' && method !== 'HEAD') ||
      (response.status <= 302 && method === 'POST')
    ) {
      method = 'GET';
      body = undefined;
      headers = without(headers, BODY_HEADERS);
    }
    if (next.origin !== target.origin) {
      headers = without(headers, CREDENTIAL_HEADERS);
    }
    target = next;
  }
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined
): Promise<IHttpResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const outgoing: OutgoingHttpHeaders =
      body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) };
    const request = (url.protocol === 'https:' ? tlsRequest : plainRequest)(url, { method, headers: outgoing });
    const fail = (error: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? signal.reason : error);
      request.destroy();
    };
    const onAbort = () => fail(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', fail);
    request.on('response', response => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('close', () => {
        if (!response.complete) {
          fail(new Error('the connection closed before the end of the answer'));
        }
      });
      response.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        const status = response.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: response.headers,
          text: new TextDecoder().decode(Buffer.concat(chunks))
        });
      });
    });
    request.end(body);
  });
}
