/**
 * The dashboard proxy: `dashboard/:id/<rest>` (HTTP and WebSocket) goes to
 * the dashboard address the registry holds for that cluster, and nowhere
 * else. No host or port is ever taken from the request.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { IPlot } from '../../../protocol/index.js';
import { ApiError } from '../http/errors.js';
import { sendJson } from '../http/router.js';

/** Where the dashboard of a cluster is, from the registry only. */
export type DashboardLookup = (id: string) => string | undefined;

/** Request headers of Jupyter that a dask dashboard has no business seeing. */
const PRIVATE_HEADERS = ['cookie', 'authorization', 'x-xsrftoken'];

/** `/dashboard/<id>/<rest>?query` split up, or undefined for other paths. */
export function parseDashboardPath(url: string): { id: string; rest: string } | undefined {
  const match = /^\/dashboard\/([^/?#]+)(\/[^?#]*)?(\?[^#]*)?/.exec(url);
  if (!match) {
    return undefined;
  }
  let id: string;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  return { id, rest: `${match[2] ?? '/'}${match[3] ?? ''}` };
}

/**
 * A redirect of the dashboard to one of its absolute paths (its root answers
 * `Location: /status`), made relative to `requestPath`, the path asked for
 * below the dashboard root. Relative, it resolves below
 * `.../dashboard/<id>/` whatever the base URL, and jupyter-server-proxy
 * leaves it alone (it prefixes absolute paths with its own context only).
 */
export function rewriteLocation(location: string, requestPath: string): string {
  if (!location.startsWith('/') || location.startsWith('//')) {
    return location;
  }
  const depth = requestPath.split('?')[0].split('/').length - 2;
  return `${'../'.repeat(Math.max(0, depth)) || './'}${location.slice(1)}`;
}

/** Proxies dashboards by cluster id. */
export class DashboardProxy {
  private readonly proxy = createProxyServer({ changeOrigin: true, xfwd: false, proxyTimeout: 60_000 });

  constructor(private readonly lookup: DashboardLookup) {
    this.proxy.on('proxyRes', (proxyRes, req) => {
      // req.url is the path below the dashboard root by now.
      const location = proxyRes.headers.location;
      if (location !== undefined) {
        proxyRes.headers.location = rewriteLocation(location, req.url ?? '/');
      }
    });
    this.proxy.on('proxyReq', proxyReq => {
      for (const header of PRIVATE_HEADERS) {
        proxyReq.removeHeader(header);
      }
    });
    this.proxy.on('proxyReqWs', proxyReq => {
      for (const header of PRIVATE_HEADERS) {
        proxyReq.removeHeader(header);
      }
    });
    this.proxy.on('error', (error, _req, out) => {
      if ('writeHead' in out) {
        sendJson(out, 502, { error: 'dashboard_unreachable', message: `The dashboard did not answer: ${error.message}` });
      } else {
        out.destroy();
      }
    });
  }

  /** Forward an HTTP request for `/dashboard/:id/...`; 404 JSON for unknown ids. */
  web(req: IncomingMessage, res: ServerResponse): void {
    const target = this.target(req);
    if (target === undefined) {
      throw new ApiError(404, 'not_found', 'No running cluster with a dashboard at this path.');
    }
    req.url = target.path;
    void this.proxy.web(req, res, { target: target.origin });
  }

  /** Forward a WebSocket upgrade for `/dashboard/:id/...`; false when there is no such dashboard. */
  ws(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const target = this.target(req);
    if (target === undefined) {
      return false;
    }
    req.url = target.path;
    void this.proxy.ws(req, socket, head, { target: target.origin });
    return true;
  }

  /** Stop proxying (open sockets are closed by the HTTP server). */
  close(): void {
    this.proxy.close();
  }

  private target(req: IncomingMessage): { origin: string; path: string } | undefined {
    const parsed = parseDashboardPath(req.url ?? '');
    const origin = parsed === undefined ? undefined : this.lookup(parsed.id);
    return parsed === undefined || origin === undefined ? undefined : { origin, path: parsed.rest };
  }
}

/** The plots people open most, in this order; the rest follow alphabetically. */
const FIRST_PLOTS = ['Task Stream', 'Progress', 'Workers Memory', 'Cluster Memory', 'Graph', 'Workers', 'Profile'];

/** "Individual Task Stream" -> "Task Stream": every entry says "Individual". */
function plotTitle(title: string): string {
  return title.replace(/^Individual\s+/i, '');
}

function plotRank(title: string): number {
  const rank = FIRST_PLOTS.indexOf(title);
  return rank === -1 ? FIRST_PLOTS.length : rank;
}

/** `individual-plots.json` (title -> route) as IPlot[], paths relative to the dashboard root. */
export function plotsFromIndex(index: unknown): IPlot[] {
  if (typeof index !== 'object' || index === null || Array.isArray(index)) {
    return [];
  }
  return Object.entries(index as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([title, route]) => ({ title: plotTitle(title), path: route.replace(/^\/+/, '') }))
    .sort((a, b) => plotRank(a.title) - plotRank(b.title) || a.title.localeCompare(b.title));
}

/**
 * The dashboard's individual plots. Asks `individual-plots.json` only: the
 * dashboard root would create Bokeh documents for nothing.
 */
export async function fetchPlots(dashboardUrl: string, timeoutMs = 5_000): Promise<IPlot[]> {
  let response: Response;
  try {
    response = await fetch(new URL('individual-plots.json', `${dashboardUrl.replace(/\/+$/, '')}/`), {
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(502, 'dashboard_unreachable', `The dashboard did not answer: ${detail}`);
  }
  if (!response.ok) {
    throw new ApiError(502, 'dashboard_error', `The dashboard answered ${response.status} for individual-plots.json.`);
  }
  return plotsFromIndex(await response.json());
}
