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
import { httpRequest, type IHttpResponse } from '../util/http-request.js';
import { isObject } from '../util/objects.js';

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
        sendJson(out, 502, {
          error: 'dashboard_unreachable',
          message: `The dashboard did not answer: ${error.message}`
        });
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

/** The plots people open most, in this order: shown first; the rest follow alphabetically. */
const COMMON_PLOTS = ['Task Stream', 'Progress', 'Workers Memory', 'Task Graph'];

/** Words the scheduler title-cases from its routes ("Gpu", "Graph"), as people say them. */
const TITLE_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/\bGpu\b/g, 'GPU'],
  [/\bCpu\b/g, 'CPU'],
  [/\bRmm\b/g, 'RMM'],
  [/^Nprocessing$/, 'Processing'],
  [/^Graph$/, 'Task Graph'],
  [/^Groups$/, 'Task Groups']
];

/**
 * Plots of hardware or libraries a worker may lack, by the worker metric
 * that is there only when it has them (distributed adds `gpu` when NVML
 * finds a device, `rmm` when RMM is installed).
 */
const HARDWARE_PLOTS: ReadonlyArray<{ route: RegExp; metric: string }> = [
  { route: /(^|\/)individual-gpu-/, metric: 'gpu' },
  { route: /(^|\/)individual-rmm-/, metric: 'rmm' }
];

/** "Individual Gpu Memory" -> "GPU Memory": every entry says "Individual". */
function plotTitle(title: string): string {
  return TITLE_WORDS.reduce(
    (text, [word, spelled]) => text.replace(word, spelled),
    title.replace(/^Individual\s+/i, '')
  );
}

function plotRank(title: string): number {
  const rank = COMMON_PLOTS.indexOf(title);
  return rank === -1 ? COMMON_PLOTS.length : rank;
}

/**
 * `individual-plots.json` (title -> route) as IPlot[], paths relative to the
 * dashboard root, the common ones first. Plots of hardware the workers lack
 * (see `workerMetrics`) are left out; `metrics` undefined keeps them all.
 */
export function plotsFromIndex(index: unknown, metrics?: ReadonlySet<string>): IPlot[] {
  if (!isObject(index)) {
    return [];
  }
  return Object.entries(index)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([title, route]) => ({ title: plotTitle(title), path: route.replace(/^\/+/, '') }))
    .filter(
      plot => metrics === undefined || HARDWARE_PLOTS.every(h => !h.route.test(plot.path) || metrics.has(h.metric))
    )
    .sort((a, b) => plotRank(a.title) - plotRank(b.title) || a.title.localeCompare(b.title))
    .map(plot => (COMMON_PLOTS.includes(plot.title) ? { ...plot, common: true } : plot));
}

/** The metric names any worker reports in the scheduler's `json/identity.json`. */
export function workerMetrics(identity: unknown): Set<string> {
  const metrics = new Set<string>();
  const workers = isObject(identity) && isObject(identity.workers) ? Object.values(identity.workers) : [];
  for (const worker of workers) {
    if (isObject(worker) && isObject(worker.metrics)) {
      Object.keys(worker.metrics).forEach(name => metrics.add(name));
    }
  }
  return metrics;
}

/** GET a JSON page of the dashboard, or throw the ApiError the browser sees. */
async function dashboardJson(dashboardUrl: string, page: string, timeoutMs: number): Promise<unknown> {
  let response: IHttpResponse;
  try {
    response = await httpRequest(new URL(page, `${dashboardUrl.replace(/\/+$/, '')}/`), {
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(502, 'dashboard_unreachable', `The dashboard did not answer: ${detail}`);
  }
  if (!response.ok) {
    throw new ApiError(502, 'dashboard_error', `The dashboard answered ${response.status} for ${page}.`);
  }
  return JSON.parse(response.text) as unknown;
}

/**
 * The dashboard's individual plots, without those of hardware no worker has.
 * Asks `individual-plots.json` only: the dashboard root would create Bokeh
 * documents for nothing. A scheduler without `json/identity.json` hides the
 * hardware plots, since nothing says the workers have that hardware.
 */
export async function fetchPlots(dashboardUrl: string, timeoutMs = 5_000): Promise<IPlot[]> {
  const [index, identity] = await Promise.all([
    dashboardJson(dashboardUrl, 'individual-plots.json', timeoutMs),
    dashboardJson(dashboardUrl, 'json/identity.json', timeoutMs).catch(() => undefined)
  ]);
  return plotsFromIndex(index, workerMetrics(identity));
}
