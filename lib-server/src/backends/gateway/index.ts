/**
 * The `gateway` cluster type: clusters on a Dask Gateway, its definition
 * (definition.ts) run by the generic engine with the hooks that talk to the
 * gateway (hooks.ts), plus what the gateway's watcher needs of the backend.
 */

import { definedBackend } from '../defined.js';
import { GATEWAY_DEFINITION } from './definition.js';
import { gatewayHooks } from './hooks.js';
import { gatewaySession, type IGatewayBackendOptions } from './session.js';
import type { IGatewayBackend } from './types.js';

export { gatewaySnippet } from './hooks.js';
export { NOT_CONFIGURED, nameFromSchedulerAddress, type IGatewayBackendOptions } from './session.js';
export type { IGatewayBackend } from './types.js';

/** The gateway backend. */
export function createGatewayBackend(options: IGatewayBackendOptions): IGatewayBackend {
  const session = gatewaySession(options);
  const hooks = gatewayHooks(options, session, () => backend);
  const backend: IGatewayBackend = {
    ...definedBackend(
      { ...GATEWAY_DEFINITION, hooks },
      {
        environments: options.environments,
        serverPython: options.serverPython,
        securityBase: '',
        limits: options.limits
      }
    ),
    client: fresh => session.client(fresh),
    gatewayName: model => session.gatewayName(model)
  };
  return backend;
}
