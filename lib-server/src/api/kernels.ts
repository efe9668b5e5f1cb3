/**
 * api/kernel-dashboards: the dashboards of clusters made in notebook code.
 *
 * The browser registers the dashboard address a kernel reported for one of
 * its own clusters (an authenticated, XSRF-checked request), and
 * `dashboard/:id/...` then proxies to it like to any other cluster's. The
 * proxy still takes no host from a request URL: only what was registered
 * here, under an id of the `k-` form that companion cluster ids never take.
 */

import type { IKernelDashboard } from '../../../protocol/index.js';
import { ApiError, invalidOptions } from '../http/errors.js';
import { unknownFields } from '../util/unknown-fields.js';
import type { Router } from '../http/router.js';
import { fetchPlots } from '../proxy/dashboard.js';
import { isObject } from '../util/objects.js';

/** The ids of kernel dashboards: never a companion cluster id (8 hex digits). */
export const KERNEL_DASHBOARD_ID = /^k-[a-z0-9]{1,40}$/;

/** Most dashboards registered at once (the oldest is forgotten first). */
export const MAX_KERNEL_DASHBOARDS = 64;

/**
 * The base address of a dashboard, or an error message. Pure.
 *
 * Only absolute http(s) URLs without user name, password or fragment; the
 * query is dropped and the path kept with a trailing slash, so the proxy
 * appends the plot's path below it.
 */
export function normalizeDashboardUrl(value: unknown): { url: string } | { error: string } {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
    return { error: 'The dashboard address must be a URL of at most 2048 characters.' };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { error: `"${value}" is not an absolute URL, e.g. http://127.0.0.1:8787/status.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `The dashboard address must be http or https, not ${url.protocol.replace(/:$/, '')}.` };
  }
  if (url.username !== '' || url.password !== '') {
    return { error: 'The dashboard address must not carry a user name or password.' };
  }
  // A dashboard link names a page (…/status); its parent is the dashboard root.
  const path = url.pathname.replace(/\/status\/?$/, '/').replace(/\/*$/, '/');
  return { url: `${url.origin}${path}` };
}

/** Dashboards registered by the browser for kernel clusters, in memory only. */
export class KernelDashboards {
  private readonly byId = new Map<string, string>();

  /** The dashboard root registered under `id`. */
  get(id: string): string | undefined {
    return this.byId.get(id);
  }

  /** Register (or move) the dashboard of `id`; the oldest entry goes beyond the cap. */
  set(id: string, url: string): void {
    this.byId.delete(id);
    this.byId.set(id, url);
    while (this.byId.size > MAX_KERNEL_DASHBOARDS) {
      const oldest = this.byId.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.byId.delete(oldest);
    }
  }

  /** Forget `id`; whether it was registered. */
  delete(id: string): boolean {
    return this.byId.delete(id);
  }
}

/** The registration in a PUT body, or an ApiError 422. Pure. */
export function parseRegistration(id: string, body: unknown): IKernelDashboard {
  if (!KERNEL_DASHBOARD_ID.test(id)) {
    throw new ApiError(
      404,
      'not_found',
      `"${id}" is not a kernel dashboard id (k- followed by up to 40 lower-case letters or digits).`
    );
  }
  if (!isObject(body)) {
    throw invalidOptions([{ path: '', message: 'Send a JSON object {"url": "http://host:port/status"}.' }]);
  }
  const unknown = unknownFields(body, ['url']);
  if (unknown.length > 0) {
    throw invalidOptions(unknown);
  }
  const normalized = normalizeDashboardUrl(body.url);
  if ('error' in normalized) {
    throw invalidOptions([{ path: '/url', message: normalized.error }]);
  }
  return { id, url: normalized.url };
}

/** Register the routes of kernel dashboards. */
export function kernelDashboardRoutes(router: Router, dashboards: KernelDashboards): void {
  const known = (id: string): string => {
    const url = dashboards.get(id);
    if (url === undefined) {
      throw new ApiError(404, 'not_found', `No kernel dashboard "${id}" is registered.`);
    }
    return url;
  };

  router.add('PUT', '/api/kernel-dashboards/:id', async ({ params, json }) => {
    const registration = parseRegistration(params.id, await json());
    dashboards.set(registration.id, registration.url);
    return { status: 200, body: registration };
  });

  router.add('DELETE', '/api/kernel-dashboards/:id', ({ params }) => {
    known(params.id);
    dashboards.delete(params.id);
    return { status: 204 };
  });

  router.add('GET', '/api/kernel-dashboards/:id/plots', async ({ params }) => ({
    status: 200,
    body: await fetchPlots(known(params.id))
  }));
}
