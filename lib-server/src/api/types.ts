/** GET api/types: every cluster type, described for the [+NEW] dialog. */

import type { IJobScript } from '../../../protocol/index.js';
import { ApiError, invalidOptions } from '../http/errors.js';
import { unknownFields } from '../util/unknown-fields.js';
import type { Router } from '../http/router.js';
import type { IApiContext } from './context.js';
import { isObject } from '../util/objects.js';

/** Register the routes of cluster types. */
export function typeRoutes(router: Router, context: IApiContext): void {
  router.add('GET', '/api/types', async ({ url }) => {
    const memoryReserve = url.searchParams.get('memoryReserve') ?? undefined;
    const types = await Promise.all([...context.backends.values()].map(backend => backend.describe({ memoryReserve })));
    return { status: 200, body: types };
  });

  // The job script a batch-job type would submit, before anything is submitted.
  router.add('POST', '/api/types/:type/preview', async ({ params, json }) => {
    const backend = context.backends.get(params.type);
    if (backend?.preview === undefined) {
      throw new ApiError(404, 'no_preview', `Cluster type "${params.type}" has no job script to preview.`);
    }
    const body = await json();
    if (!isObject(body)) {
      throw new ApiError(400, 'bad_request', 'Send {"options": {...}}.');
    }
    const problems = unknownFields(body, ['type', 'name', 'options']);
    if (body.options !== undefined && !isObject(body.options)) {
      problems.push({ path: '/options', message: 'The options must be a JSON object, e.g. {"workers": 2}.' });
    }
    if (problems.length > 0) {
      throw invalidOptions(problems);
    }
    const result = await backend.preview({ type: params.type, options: isObject(body.options) ? body.options : {} });
    if ('fields' in result) {
      throw invalidOptions(result.fields);
    }
    const answer: IJobScript = { script: result.script };
    return { status: 200, body: answer };
  });
}
