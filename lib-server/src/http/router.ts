/** A tiny router on node:http: method + path pattern -> handler, JSON in and out. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

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
const MAX_BODY = 1024 * 1024;

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

/** Read a request body as JSON; ApiError 400 when it is malformed or too large. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) {
      throw new ApiError(413, 'too_large', `The request body is larger than ${MAX_BODY} bytes.`);
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    throw new ApiError(400, 'malformed_json', 'The request body is empty; send a JSON object.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, 'malformed_json', `The request body is not valid JSON: ${detail}`);
  }
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
    try {
      const url = new URL(req.url ?? '/', 'http://companion');
      const method = (req.method ?? 'GET').toUpperCase();
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
        const reply = await route.handler({ req, res, params, url, json: () => readJson(req) });
        if (reply !== undefined) {
          sendJson(res, reply.status, reply.body);
        }
        return;
      }
      allowed = [...new Set(allowed)];
      if (allowed.length > 0) {
        res.setHeader('Allow', allowed.join(', '));
        throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}.`);
      }
      throw new ApiError(404, 'not_found', `Nothing at ${url.pathname}.`);
    } catch (error) {
      if (error instanceof ApiError) {
        sendJson(res, error.status, error.toJSON());
      } else {
        console.error('request failed:', error);
        const message = error instanceof Error ? error.message : String(error);
        sendJson(res, 500, { error: 'internal', message: `The companion failed: ${message}` });
      }
    }
  }
}
