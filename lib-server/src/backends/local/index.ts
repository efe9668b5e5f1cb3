/** The `local` cluster type: its definition (definition.ts) run by the generic engine. */

import type { IBackend } from '../backend.js';
import { definedBackend } from '../defined.js';
import { localDefinition } from './definition.js';
import type { ILocalBackendOptions } from './hooks.js';

export { localTunnelCommand, type ILocalBackendOptions } from './hooks.js';

/** The local backend. */
export function createLocalBackend(options: ILocalBackendOptions): IBackend {
  return definedBackend(localDefinition(options), {
    environments: options.environments,
    serverPython: options.serverPython,
    // Unused without TLS: the definition then asks for no credentials.
    securityBase: options.localSecurityBase ?? '',
    exists: options.exists,
    limits: options.limits
  });
}
