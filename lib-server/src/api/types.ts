/** GET api/types: every cluster type, described for the [+NEW] dialog. */

import type { Router } from '../http/router.js';
import type { IApiContext } from './context.js';

/** Register the routes of cluster types. */
export function typeRoutes(router: Router, context: IApiContext): void {
  router.add('GET', '/api/types', async ({ url }) => {
    const memoryReserve = url.searchParams.get('memoryReserve') ?? undefined;
    const types = await Promise.all([...context.backends.values()].map(backend => backend.describe({ memoryReserve })));
    return { status: 200, body: types };
  });
}
