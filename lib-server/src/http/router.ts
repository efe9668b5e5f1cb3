/** A tiny router on node:http: method + path pattern -> handler, JSON in and out. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, apiErrorOf } from './errors.js';
import { crossSiteRefusal } from './guard.js';

/** What a handler gets. */
export interface IRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** `:name` segments of the pattern, plus `rest` for a trailing `*`. */
  params: Record<string, string>;
  url: URL;
  /** The parsed JSON body; 400 when it is not JSON. */
  json(): Promise<unknown>;
}

/**
 * What a handler returns: a status and a JSON body, or `undefined` when it
 * wrote the response itself (the dashboard proxy does).
 */
export interface IReply {
  status: number;
  body?: unknown;
}

/** A route's function. */
export type Handler = (request: IRequest) => Promise<IReply | undefined> | IReply | undefined;

interface IRoute {
  method: string;
  segments: string[];
  handler: Handler;
}

/** Largest JSON body accepted, in bytes. */
export const MAX_BODY = 1024 * 1024;

/** Deepest nesting of arrays and objects accepted in a JSON body. */
export const MAX_DEPTH = 32;

/**
 * Most bytes read and thrown away from a body that is answered without being
 * read (Tornado's own default limit). A proxy that is still sending when the
 * answer comes sees a broken pipe, so the rest of the body is drained first.
 */
const MAX_DRAIN = 100 * 1024 * 1024;

/**
 * Match `path` against route `segments`: `:name` takes one segment, a final
 * `*` takes the rest (possibly empty). Segments are URI-decoded.
 */
export function matchPath(segments: string[], path: string): Record<string, string> | undefined {
  const parts = path.split('/').slice(1);
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '*') {
      params.rest = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) {
      return undefined;
    }
    if (segment.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if (value === '') {
        return undefined;
      }
      params[segment.slice(1)] = value;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

/**
 * The deepest nesting of `[` and `{` in JSON text, outside strings. Checked
 * before parsing, so no later recursion over the value can overflow the stack.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // backslash: skip the escaped character
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      deepest = Math.max(deepest, depth);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

function isJsonContentType(value: string | undefined): boolean {
  const type = (value ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(type);
}

/** Read a request body as JSON; ApiError 400, 413 or 415 when it is malformed, too large or not JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new ApiError(
      415,
      'not_json',
      `The request body must be JSON, sent with Content-Type: application/json (got ${JSON.stringify(req.headers['content-type'] ?? 'none')}).`
    );
  }
  const body = await readBody(req, MAX_BODY);
  if (body.size > MAX_BODY) {
    throw new ApiError(
      413,
      'too_large',
      `The request body is larger than ${MAX_BODY / 1024 / 1024} MiB; send a smaller one.`
    );
  }
  const chunks = body.chunks;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    throw new ApiError(400, 'malformed_json', 'The request body is empty; send a JSON object.');
  }
  if (nestingDepth(text) > MAX_DEPTH) {
    throw new ApiError(
      400,
      'too_deep',
      `The request body nests arrays and objects more than ${MAX_DEPTH} levels deep; send a flat JSON object.`
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, 'malformed_json', `The request body is not valid JSON: ${detail}`);
  }
}

/**
 * Read a request body to its end (at most MAX_DRAIN bytes), keeping its
 * first `keep` bytes. Not `for await`: leaving that loop early destroys the
 * request, and with it the connection the answer must go out on.
 */
function readBody(req: IncomingMessage, keep: number): Promise<{ chunks: Buffer[]; size: number; complete: boolean }> {
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (complete: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve({ chunks, size, complete });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= keep) {
        chunks.push(chunk);
      } else if (size > MAX_DRAIN) {
        req.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onError = () => done(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.resume();
  });
}

/**
 * Read and discard what is left of a request body, so an early answer never
 * meets a client that is still sending. False when the body was larger than
 * MAX_DRAIN: the connection is then closed after the answer.
 */
export async function drainBody(req: IncomingMessage): Promise<boolean> {
  if (req.readableEnded || req.complete) {
    return true;
  }
  return (await readBody(req, 0)).complete;
}

/** Write `body` as a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (body === undefined) {
    res.writeHead(status, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  res.end(text);
}

/** Routes by method and path; every failure answers with an IApiError. */
export class Router {
  private readonly routes: IRoute[] = [];

  /** Register `handler` for `method` (`*`: any) on `pattern` (e.g. `/api/clusters/:id`). */
  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), segments: pattern.split('/').slice(1), handler });
    return this;
  }

  /** Answer one request. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: IReply | undefined;
    try {
      reply = await this.dispatch(req, res);
    } catch (error) {
      const refusal = apiErrorOf(error);
      if (refusal !== undefined) {
        reply = { status: refusal.status, body: refusal.toJSON() };
      } else {
        console.error('request failed:', error);
        const message = error instanceof Error ? error.message : String(error);
        reply = { status: 500, body: { error: 'internal', message: `The companion failed: ${message}` } };
      }
    }
    if (reply === undefined) {
      return; // the handler answered itself
    }
    if (!(await drainBody(req))) {
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.socket.destroySoon());
    }
    sendJson(res, reply.status, reply.body);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<IReply | undefined> {
    const url = new URL(req.url ?? '/', 'http://companion');
    const method = (req.method ?? 'GET').toUpperCase();
    const refusal = crossSiteRefusal(method, req.headers);
    if (refusal !== undefined) {
      throw new ApiError(403, 'cross_site', refusal);
    }
    let allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchPath(route.segments, url.pathname);
      if (params === undefined) {
        continue;
      }
      if (route.method !== '*' && route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allowed.push(route.method);
        continue;
      }
      return await route.handler({ req, res, params, url, json: () => readJson(req) });
    }
    allowed = [...new Set(allowed)];
    if (allowed.length > 0) {
      res.setHeader('Allow', allowed.join(', '));
      throw new ApiError(
        405,
        'method_not_allowed',
        `${method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}.`
      );
    }
    throw new ApiError(404, 'not_found', `Nothing at ${url.pathname}.`);
  }
}
