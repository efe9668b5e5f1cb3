/**
 * The backend list: every cluster type the companion offers. The built-in
 * types are modules under backends/ with one entry here; a site's own types
 * come from its dask config as data (site.ts) and need no code at all.
 */

import type { IBackend } from './backend.js';
import { definedBackend } from './defined.js';
import type { ITypeDefinition } from './definition.js';
import { createGatewayBackend, type IGatewayBackendOptions } from './gateway/index.js';
import { createLocalBackend, type ILocalBackendOptions } from './local/index.js';
import { createSlurmBackendFrom, type ISlurmDependencies } from './slurm/index.js';

/** What the backends are built from. */
export type IBackendDependencies = ILocalBackendOptions &
  ISlurmDependencies &
  IGatewayBackendOptions & {
    /** The site's own types (site.ts). */
    siteTypes: ITypeDefinition[];
    /** Base of the per-cluster TLS credential directories of site types. */
    siteSecurityBase: string;
  };

/** The ids of the built-in types, which a site type may not take. */
export const BUILT_IN_TYPES: ReadonlySet<string> = new Set(['local', 'slurm', 'gateway']);

/** Every backend, by type id. */
export function createBackends(dependencies: IBackendDependencies): Map<string, IBackend> {
  const backends: IBackend[] = [
    createLocalBackend(dependencies),
    createSlurmBackendFrom(dependencies),
    createGatewayBackend(dependencies),
    ...dependencies.siteTypes.map(definition =>
      definedBackend(definition, {
        environments: dependencies.environments,
        serverPython: dependencies.serverPython,
        securityBase: dependencies.siteSecurityBase
      })
    )
  ];
  return new Map(backends.map(backend => [backend.id, backend]));
}
