/**
 * The backend list: every cluster type the companion offers, each a
 * definition (definition.ts) run by the generic engine (defined.ts). A
 * built-in type is a directory under backends/ (its definition, and hooks
 * where data is not enough) with one entry here; a site's own types come from
 * its dask config as data (site.ts) and need no code at all.
 */

import path from 'node:path';
import { which } from '../envs/discovery.js';
import type { ListEnvironments } from '../envs/probe.js';
import { runRunnerJson } from '../runner/json.js';
import type { IBackend } from './backend.js';
import { definedBackend } from './defined.js';
import type { ITypeDefinition } from './definition.js';
import { createGatewayBackend, type IGatewayBackendOptions } from './gateway/index.js';
import { realHtcondorCommands } from './htcondor/commands.js';
import { htcondorDefinition } from './htcondor/definition.js';
import { output } from './jobqueue/run.js';
import { allocationEnd, allocationOf } from './local/allocation.js';
import { createLocalBackend, type ILocalBackendOptions } from './local/index.js';
import { realLsfCommands } from './lsf/commands.js';
import { lsfDefinition } from './lsf/definition.js';
import { realPbsCommands } from './pbs/commands.js';
import { pbsDefinition } from './pbs/definition.js';
import { realSgeCommands } from './sge/commands.js';
import { sgeDefinition } from './sge/definition.js';
import { slurmDefinition } from './slurm/definition.js';
import { realSlurmCommands } from './slurm/queries.js';

/** What the batch-system types (slurm, sge) are given by the companion. */
export interface IBatchDependencies {
  environments: ListEnvironments;
  serverPython: string;
  runnerPath: string;
  user: string;
  home: string;
  env: Record<string, string | undefined>;
}

/** What the backends are built from. */
export type IBackendDependencies = ILocalBackendOptions &
  IBatchDependencies &
  IGatewayBackendOptions & {
    /** The site's own types (site.ts). */
    siteTypes: ITypeDefinition[];
    /** Base of the per-cluster TLS credential directories of site types. */
    siteSecurityBase: string;
  };

/** Where a batch type's definition is made: its commands found by `which`, its files and pace. */
interface IBatchPlace {
  which: (command: string) => string | undefined;
  user: string;
  logDirectory: string;
  intervalMs: number;
}

/** A batch-system type: its id, the variables that place its files and pace its status command, its definition. */
interface IBatchType {
  system: string;
  /** Directory for credentials and logs on a filesystem the compute hosts share. */
  dirVariable: string;
  /** Milliseconds between status commands. */
  intervalVariable: string;
  definition: (place: IBatchPlace) => ITypeDefinition;
}

/** A batch type's entry: its definition made from its hooks' options and its real commands. */
function batchType<C>(
  system: string,
  variables: { dirVariable: string; intervalVariable: string },
  make: (options: IBatchHookOptions<C>) => ITypeDefinition,
  commands: (which: (command: string) => string | undefined, user: string) => C
): IBatchType {
  return {
    system,
    ...variables,
    definition: ({ which: find, user, logDirectory, intervalMs }) =>
      make({ commands: commands(find, user), logDirectory, intervalMs })
  };
}

/** The batch systems, in the order the dialog lists them. */
const BATCH_TYPES: IBatchType[] = [
  batchType(
    'slurm',
    {
      dirVariable: 'JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR',
      intervalVariable: 'JUPYTERLAB_DASK_CLUSTERS_SQUEUE_INTERVAL_MS'
    },
    slurmDefinition,
    realSlurmCommands
  ),
  batchType(
    'sge',
    { dirVariable: 'JUPYTERLAB_DASK_CLUSTERS_SGE_DIR', intervalVariable: 'JUPYTERLAB_DASK_CLUSTERS_QSTAT_INTERVAL_MS' },
    sgeDefinition,
    realSgeCommands
  ),
  batchType(
    'pbs',
    { dirVariable: 'JUPYTERLAB_DASK_CLUSTERS_PBS_DIR', intervalVariable: 'JUPYTERLAB_DASK_CLUSTERS_PBS_INTERVAL_MS' },
    pbsDefinition,
    realPbsCommands
  ),
  batchType(
    'lsf',
    { dirVariable: 'JUPYTERLAB_DASK_CLUSTERS_LSF_DIR', intervalVariable: 'JUPYTERLAB_DASK_CLUSTERS_LSF_INTERVAL_MS' },
    lsfDefinition,
    which => realLsfCommands(which)
  ),
  batchType(
    'htcondor',
    {
      dirVariable: 'JUPYTERLAB_DASK_CLUSTERS_HTCONDOR_DIR',
      intervalVariable: 'JUPYTERLAB_DASK_CLUSTERS_HTCONDOR_INTERVAL_MS'
    },
    htcondorDefinition,
    which => realHtcondorCommands(which)
  )
];

/** The ids of the built-in types, which a site type may not take. */
export const BUILT_IN_TYPES: ReadonlySet<string> = new Set([
  'local',
  ...BATCH_TYPES.map(type => type.system),
  'gateway'
]);

/** The engine's backend of `definition`, its credentials under `securityBase`. */
function engineBackend(deps: IBackendDependencies, definition: ITypeDefinition, securityBase: string): IBackend {
  return definedBackend(definition, {
    environments: deps.environments,
    serverPython: deps.serverPython,
    securityBase,
    exists: deps.exists,
    runRunner: (python, args, input) => runRunnerJson(python, deps.runnerPath, args, input),
    limits: deps.limits
  });
}

/** What a batch-system type's definition is made from. */
interface IBatchHookOptions<C> {
  commands: C;
  logDirectory: string;
  intervalMs: number;
}

/**
 * A batch-system type: a definition run by the generic engine. Its
 * credentials and logs go under the directory its `dirVariable` names (on a
 * filesystem the compute hosts share; under the home directory by default),
 * its status command runs every `intervalVariable` ms (3 s by default).
 */
function batchBackend(deps: IBackendDependencies, type: IBatchType): IBackend {
  const shared =
    deps.env[type.dirVariable] || path.join(deps.home, '.local', 'share', 'jupyterlab-dask-clusters', type.system);
  const interval = Number(deps.env[type.intervalVariable]);
  const definition = type.definition({
    which: command => which(command),
    user: deps.user,
    logDirectory: path.join(shared, 'logs'),
    intervalMs: Number.isFinite(interval) && interval > 0 ? interval : 3_000
  });
  return engineBackend(deps, definition, shared);
}

/** The batch job JupyterLab runs inside, for the local type, with its end read from the batch system. */
function localAllocation(env: Record<string, string | undefined>): Pick<ILocalBackendOptions, 'allocation'> {
  const job = allocationOf(env);
  return job === undefined ? {} : { allocation: { job, end: () => allocationEnd(job, command => output(command)) } };
}

/** Every backend, by type id. */
export function createBackends(dependencies: IBackendDependencies): Map<string, IBackend> {
  const backends: IBackend[] = [
    createLocalBackend({ ...dependencies, ...localAllocation(dependencies.env) }),
    ...BATCH_TYPES.map(type => batchBackend(dependencies, type)),
    createGatewayBackend(dependencies),
    ...dependencies.siteTypes.map(definition => engineBackend(dependencies, definition, dependencies.siteSecurityBase))
  ];
  return new Map(backends.map(backend => [backend.id, backend]));
}
