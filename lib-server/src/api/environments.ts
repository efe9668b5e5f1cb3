/**
 * api/environments: the Python environments found through kernelspecs,
 * probed; and spare runners started in one ahead of a create.
 */

import type { IEnvironment, ISpareRunner } from '../../../protocol/index.js';
import { environmentProblem } from '../backends/fields.js';
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
  const environments = await context.discovery.list(environment);
  if (!environments.some(candidate => candidate.python === environment)) {
    throw invalidOptions([
      {
        path: '/environment',
        message: `${environment} is not among the environments: choose one GET api/environments lists.`
      }
    ]);
  }
  // The check every type's environment field makes: a spare is of no use where a cluster cannot run.
  const problem = environmentProblem(environment, environments);
  if (problem !== undefined) {
    throw invalidOptions([{ path: '/environment', message: problem }]);
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
    const endsAt = context.spares.warm(environment);
    if (endsAt === undefined) {
      throw new ApiError(
        409,
        'spares_off',
        'Spare runners are turned off here (limits.spareRunners = 0, set by your site or in Settings > Dask Clusters); ' +
          'a cluster starts its own runner when you create it.'
      );
    }
    const body: ISpareRunner = { environment, endsAt };
    return { status: 202, body };
  });
}
