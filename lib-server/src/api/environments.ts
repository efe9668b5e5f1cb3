/**
 * api/environments: the Python environments found through kernelspecs,
 * probed; and spare runners started in one ahead of a create.
 */

import type { IEnvironment, ISpareRunner } from '../../../protocol/index.js';
import { ApiError, invalidOptions } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { isObject } from '../util/objects.js';
import { unknownFields } from '../util/unknown-fields.js';
import type { IApiContext } from './context.js';

/** The interpreter a spare request names, or an ApiError 400/422 saying what to change. */
async function spareEnvironment(body: unknown, context: IApiContext): Promise<string> {
  if (!isObject(body)) {
    throw new ApiError(400, 'bad_request', 'Send {"environment": "<python of an environment>"}.');
  }
  const unknown = unknownFields(body, ['environment']);
  if (unknown.length > 0) {
    throw invalidOptions(unknown);
  }
  const { environment } = body;
  if (typeof environment !== 'string' || environment === '') {
    throw invalidOptions([
      { path: '/environment', message: 'Name the environment by its Python, e.g. "/usr/bin/python3".' }
    ]);
  }
  const found = (await context.discovery.list(environment)).find(candidate => candidate.python === environment);
  if (found === undefined) {
    throw invalidOptions([
      {
        path: '/environment',
        message: `${environment} is not among the environments: choose one GET api/environments lists.`
      }
    ]);
  }
  if (!found.usable) {
    throw invalidOptions([
      { path: '/environment', message: `${found.label} cannot run clusters: ${found.reason ?? 'it is not usable'}.` }
    ]);
  }
  return environment;
}

/** Register the routes of environments. */
export function environmentRoutes(router: Router, context: IApiContext): void {
  router.add('GET', '/api/environments', async () => {
    const environments = await context.discovery.list();
    // The probe stays inside the companion.
    const body: IEnvironment[] = environments.map(({ probe: _probe, ...environment }) => environment);
    return { status: 200, body };
  });

  router.add('POST', '/api/environments/spare', async ({ json }) => {
    const environment = await spareEnvironment(await json(), context);
    const body: ISpareRunner = { environment, endsAt: context.spares.warm(environment) };
    return { status: 202, body };
  });
}
