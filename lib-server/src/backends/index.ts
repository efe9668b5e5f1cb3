/**
 * The backend list: every cluster type the companion offers. The built-in
 * types are modules under backends/ with one entry here; a site's own types
 * come from its dask config as data (site.ts) and need no code at all.
 */

import path from 'node:path';
import { which } from '../envs/discovery.js';
import { runRunnerJson } from '../runner/json.js';
import type { IBackend } from './backend.js';
import { definedBackend } from './defined.js';
import type { ITypeDefinition } from './definition.js';
import { createGatewayBackend, type IGatewayBackendOptions } from './gateway/index.js';
import { createLocalBackend, type ILocalBackendOptions } from './local/index.js';
import { realSgeCommands } from './sge/commands.js';
import { sgeDefinition } from './sge/definition.js';
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
export const BUILT_IN_TYPES: ReadonlySet<string> = new Set(['local', 'slurm', 'sge', 'gateway']);

/**
 * The `sge` type: a definition (sge/definition.ts) run by the generic engine.
 * Its credentials and logs go under JUPYTERLAB_DASK_CLUSTERS_SGE_DIR (on a
 * filesystem the execution hosts share; the home directory by default).
 */
function sgeBackend(deps: IBackendDependencies): IBackend {
  const shared =
    deps.env.JUPYTERLAB_DASK_CLUSTERS_SGE_DIR ||
    path.join(deps.home, '.local', 'share', 'jupyterlab-dask-clusters', 'sge');
  const interval = Number(deps.env.JUPYTERLAB_DASK_CLUSTERS_QSTAT_INTERVAL_MS);
  const definition = sgeDefinition({
    commands: realSgeCommands(command => which(command), deps.user),
    logDirectory: path.join(shared, 'logs'),
    intervalMs: Number.isFinite(interval) && interval > 0 ? interval : 3_000
  });
  return definedBackend(definition, {
    environments: deps.environments,
    serverPython: deps.serverPython,
    securityBase: shared,
    runRunner: (python, args, input) => runRunnerJson(python, deps.runnerPath, args, input)
  });
}

/** Every backend, by type id. */
export function createBackends(dependencies: IBackendDependencies): Map<string, IBackend> {
  const backends: IBackend[] = [
    createLocalBackend(dependencies),
    createSlurmBackendFrom(dependencies),
    sgeBackend(dependencies),
    createGatewayBackend(dependencies),
    ...dependencies.siteTypes.map(definition =>
      definedBackend(definition, {
        environments: dependencies.environments,
        serverPython: dependencies.serverPython,
        securityBase: dependencies.siteSecurityBase,
        runRunner: (python, args, input) => runRunnerJson(python, dependencies.runnerPath, args, input)
      })
    )
  ];
  return new Map(backends.map(backend => [backend.id, backend]));
}
