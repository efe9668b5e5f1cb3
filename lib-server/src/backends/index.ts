/**
 * The backend list: every cluster type the companion offers. A new type is
 * a module under backends/ plus one entry here.
 */

import type { IBackend } from './backend.js';
import { createGatewayBackend, type IGatewayBackendOptions } from './gateway/index.js';
import { createLocalBackend, type ILocalBackendOptions } from './local/index.js';
import { createSlurmBackendFrom, type ISlurmDependencies } from './slurm/index.js';

/** What the backends are built from. */
export type IBackendDependencies = ILocalBackendOptions & ISlurmDependencies & IGatewayBackendOptions;

/** Every backend, by type id. */
export function createBackends(dependencies: IBackendDependencies): Map<string, IBackend> {
  const backends: IBackend[] = [
    createLocalBackend(dependencies),
    createSlurmBackendFrom(dependencies),
    createGatewayBackend(dependencies)
  ];
  return new Map(backends.map(backend => [backend.id, backend]));
}
