/** api/clusters: list, create, inspect, scale, stop/forget, clear the ended ones, snippet, plots, log. */

import type { IClearedClusters, ICreateRequest, IJobLog, ILog, ISnippet } from '../../../protocol/index.js';
import type { Housekeeping } from '../clusters/housekeeping.js';
import { readTail } from '../util/files.js';
import { ApiError, invalidOptions } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { fetchPlots } from '../proxy/dashboard.js';
import { isObject } from '../util/objects.js';
import { unknownFields } from '../util/unknown-fields.js';
import type { IApiContext } from './context.js';

/** The top-level fields of a create request (ICreateRequest). */
export const CREATE_FIELDS = ['type', 'name', 'options', 'adopt'] as const;

/**
 * The create request in a POST body, or an ApiError 400/422 naming what is
 * wrong with its shape. Pure: the type's own options are its backend's to check.
 */
export function parseCreateRequest(body: unknown): ICreateRequest {
  if (!isObject(body) || typeof body.type !== 'string') {
    throw new ApiError(400, 'bad_request', 'Send {"type": "<cluster type>", "options": {...}}.');
  }
  const unknown = unknownFields(body, CREATE_FIELDS);
  if (unknown.length > 0) {
    throw invalidOptions(unknown);
  }
  if (body.options !== undefined && !isObject(body.options)) {
    throw invalidOptions([{ path: '/options', message: 'The options must be a JSON object, e.g. {"workers": 2}.' }]);
  }
  if (body.adopt !== undefined && (typeof body.adopt !== 'string' || body.adopt === '')) {
    throw invalidOptions([{ path: '/adopt', message: 'Adopt names the cluster to take over: a non-empty string.' }]);
  }
  if (body.adopt !== undefined && isObject(body.options) && Object.keys(body.options).length > 0) {
    throw invalidOptions([
      {
        path: '/options',
        message: 'An adopted cluster keeps the options it was made with; send no options with adopt.'
      }
    ]);
  }
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 200)) {
    throw new ApiError(422, 'invalid_name', 'The name must be a string of at most 200 characters.');
  }
  return {
    type: body.type,
    ...(typeof body.name === 'string' && body.name.trim() !== '' ? { name: body.name.trim() } : {}),
    options: isObject(body.options) ? body.options : {},
    ...(typeof body.adopt === 'string' ? { adopt: body.adopt } : {})
  };
}

/** Register the routes of clusters; without `housekeeping`, names are not checked and nothing is cleared. */
export function clusterRoutes(router: Router, context: IApiContext, housekeeping?: Housekeeping): void {
  const { manager } = context;

  router.add('GET', '/api/clusters', () => ({ status: 200, body: manager.list() }));

  router.add('POST', '/api/clusters', async ({ json }) => {
    const request = parseCreateRequest(await json());
    const create = () => manager.create(request);
    return { status: 201, body: await (housekeeping ? housekeeping.create(request, create) : create()) };
  });

  // Only ever the ended ones: a bare DELETE of the collection must not read as "stop everything".
  router.add('DELETE', '/api/clusters', ({ url }) => {
    if (url.searchParams.get('ended') !== 'true' || housekeeping === undefined) {
      throw new ApiError(
        400,
        'bad_request',
        'Only ended clusters are cleared together: DELETE api/clusters?ended=true. Stop live clusters one by one.'
      );
    }
    const body: IClearedClusters = { forgotten: housekeeping.clearEnded() };
    return { status: 200, body };
  });

  router.add('GET', '/api/clusters/:id', ({ params }) => ({ status: 200, body: manager.record(params.id).model }));

  router.add('POST', '/api/clusters/:id/scale', async ({ params, json }) => {
    manager.record(params.id); // 404 before reading the body
    return { status: 200, body: manager.scale(params.id, await json()) };
  });

  router.add('DELETE', '/api/clusters/:id', ({ params, url }) => {
    // force: stop, from here, a cluster of a JupyterLab on another host (its batch jobs are cancelled).
    const result = manager.remove(params.id, url.searchParams.get('force') === 'true');
    return result.outcome === 'stopping' ? { status: 202, body: result.model } : { status: 204 };
  });

  router.add('POST', '/api/clusters/:id/adopt', async ({ params }) => ({
    status: 200,
    body: await manager.adopt(params.id)
  }));

  // Asked by the companion of another JupyterLab of this user on this host (its adopt).
  router.add('POST', '/api/clusters/:id/release', async ({ params, json }) => {
    const body = await json();
    return { status: 200, body: manager.release(params.id, isObject(body) ? body.owner : undefined) };
  });

  router.add('GET', '/api/clusters/:id/snippet', ({ params }) => {
    const body: ISnippet = { code: manager.snippet(params.id) };
    return { status: 200, body };
  });

  router.add('GET', '/api/clusters/:id/plots', async ({ params }) => {
    const record = manager.record(params.id);
    if (record.dashboardUrl === undefined || record.model.state !== 'running') {
      throw new ApiError(
        409,
        'no_dashboard',
        `Cluster "${record.model.name}" has no dashboard now (it is ${record.model.state}).`
      );
    }
    return { status: 200, body: await fetchPlots(record.dashboardUrl) };
  });

  // Only files the registry recorded for a job of this cluster (from squeue), never a path from the request.
  router.add('GET', '/api/clusters/:id/jobs/:job/log', ({ params }) => {
    const record = manager.record(params.id);
    const files = record.jobLogs?.[params.job];
    if (files === undefined) {
      throw new ApiError(
        404,
        'unknown_job',
        `Cluster "${record.model.name}" has no job ${params.job} with known output files (yet).`
      );
    }
    const body: IJobLog = {
      job: params.job,
      stdout: {
        ...(files.stdout ? { path: files.stdout } : {}),
        lines: files.stdout ? readTail(files.stdout, 100) : []
      },
      stderr: {
        ...(files.stderr ? { path: files.stderr } : {}),
        lines: files.stderr ? readTail(files.stderr, 100) : []
      }
    };
    return { status: 200, body };
  });

  router.add('GET', '/api/clusters/:id/log', ({ params }) => {
    const body: ILog = { lines: manager.logTail(params.id) };
    return { status: 200, body };
  });
}
