/** GET api/environments: Python environments found through kernelspecs, probed. */

import type { IEnvironment } from '../../../protocol/index.js';
import type { Router } from '../http/router.js';
import type { IApiContext } from './context.js';

/** Register the routes of environments. */
export function environmentRoutes(router: Router, context: IApiContext): void {
  router.add('GET', '/api/environments', async () => {
    const environments = await context.discovery.list();
    // The probe stays inside the companion.
    const body: IEnvironment[] = environments.map(({ probe: _probe, ...environment }) => environment);
    return { status: 200, body };
  });
}
