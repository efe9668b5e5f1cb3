/**
 * The local type's hooks (definition.ts ITypeHooks): what depends on this
 * host. The form is sized from its CPUs and memory, requests are weighed
 * against them and the user's other local clusters, each cluster gets its
 * own scratch directory, and the dashboard can be tunnelled to a laptop.
 */

import type { IClusterModel, IFieldError, IScaling } from '../../../../protocol/index.js';
import type { ListEnvironments } from '../../envs/probe.js';
import { ApiError } from '../../http/errors.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import type { ITypeHooks } from '../definition.js';
import { allocationName, clusterEnd, type IAllocation } from './allocation.js';
import { describeRunning, localChecks, localFill, type IRunningLocal } from './checks.js';
import { localFormParts } from './form.js';
import { memoryReserve, type IHostResources, type ISourced } from './resources.js';
import type { IEndingLimits } from '../ending.js';
import { workerBudget } from './schema.js';
import { clusterScratchDir } from './scratch.js';

/** What the local type needs from its surroundings. */
export interface ILocalBackendOptions {
  environments: ListEnvironments;
  serverPython: string;
  host: () => IHostResources;
  /** JUPYTERLAB_DASK_CLUSTERS_MEMORY_RESERVE, used when the query gives none. */
  memoryReserve?: string;
  /** Base directory for worker scratch space. */
  scratchBase: () => string;
  uid: number;
  exists: (path: string) => boolean;
  /** For the tunnel command. */
  user: string;
  hostname: string;
  /**
   * Base of the per-cluster TLS credential directories (under the state
   * directory); undefined when a site turned TLS off for local clusters.
   */
  localSecurityBase: string | undefined;
  /** Every cluster the companion holds, for the memory the user's running local clusters take. */
  clusters: () => IClusterModel[];
  /** The batch job JupyterLab runs inside, and when its walltime ends (allocation.ts), when it does. */
  allocation?: { job: IAllocation; end: () => Promise<Date | undefined> };
  /** The site's defaults and caps of lifetimes and idle timeouts (every type's; ending.ts). */
  limits?: () => IEndingLimits;
}

/** Memory a local cluster may take: its workers (or adaptive maximum) x memory per worker. */
function heldMemory(model: IClusterModel): number {
  const perWorker = parseMemory(String(model.spec.options.memory_per_worker ?? '')) ?? 0;
  return perWorker * (model.scaling.mode === 'fixed' ? model.scaling.workers : model.scaling.maximum);
}

/** `ssh -N -L 8787:127.0.0.1:<port> user@host` for a dashboard at `dashboardUrl`. */
export function localTunnelCommand(dashboardUrl: string, user: string, hostname: string): string | undefined {
  let url: URL;
  try {
    url = new URL(dashboardUrl);
  } catch {
    return undefined;
  }
  if (url.port === '') {
    return undefined;
  }
  return `ssh -N -L 8787:127.0.0.1:${url.port} ${user}@${hostname}`;
}

/** The memory kept for the system; a reserve that does not parse is the caller's mistake (400). */
function reserveFor(host: IHostResources, spec: string | undefined): ISourced {
  const reserve = memoryReserve(host.memory.value, spec);
  if ('error' in reserve) {
    throw new ApiError(400, 'invalid_memory_reserve', `${reserve.error}.`);
  }
  return reserve;
}

/** The hooks of the local type. */
export function localHooks(options: ILocalBackendOptions): ITypeHooks {
  /** The user's local clusters that hold memory now, but `except`. */
  const running = (except?: string): IRunningLocal[] =>
    options
      .clusters()
      .filter(
        model =>
          model.type === 'local' && model.id !== except && (model.state === 'starting' || model.state === 'running')
      )
      .map(model => ({ name: model.name, memory: heldMemory(model) }));
  const budget = () => {
    const host = options.host();
    return { host, budget: workerBudget(host, reserveFor(host, options.memoryReserve)) };
  };
  const scratch = (clusterId: string) => clusterScratchDir(options.scratchBase(), options.uid, clusterId);

  const allocation = options.allocation;
  /** Where the cluster runs, and when it must end: a batch job's walltime. */
  const inside = async () =>
    allocation === undefined ? undefined : { name: allocationName(allocation.job), end: await allocation.end() };

  return {
    form: async (context, query) => {
      const host = options.host();
      const reserve = reserveFor(host, query.memoryReserve ?? options.memoryReserve);
      return localFormParts({ host, reserve, environment: context.environment, allocation: await inside() });
    },
    endsAt: async () => {
      const job = await inside();
      return job?.end === undefined ? undefined : { at: clusterEnd(job.end), why: `the walltime of ${job.name} ends` };
    },
    fill: (filled, requested, context) => localFill(filled, requested, budget().budget, context.environments),
    check: filled => localChecks(filled, { ...budget(), running: running() }),
    values: (filled, values) => {
      const env = values.worker_env as Record<string, string>;
      return {
        // Checked: it parses.
        memory_limit: parseMemory(String(filled.memory_per_worker)),
        local_directory: scratch(String(values.cluster_id)),
        // Only with variables: thread workers (processes off) take no `env`.
        nanny_env: Object.keys(env).length > 0 ? env : undefined
      };
    },
    workDirs: clusterId => [scratch(clusterId)],
    checkScaling: (cluster, scaling) => scalingProblems(options.host(), running(cluster.id), cluster, scaling),
    tunnel: dashboardUrl => localTunnelCommand(dashboardUrl, options.user, options.hostname)
  };
}

/** Why `cluster` cannot be rescaled to `scaling` on `host` beside the user's `others`. */
function scalingProblems(
  host: IHostResources,
  others: IRunningLocal[],
  cluster: IClusterModel,
  scaling: IScaling
): IFieldError[] {
  const count = scaling.mode === 'fixed' ? scaling.workers : scaling.maximum;
  const path = scaling.mode === 'fixed' ? '/workers' : '/maximum';
  const perWorker = parseMemory(String(cluster.spec.options.memory_per_worker ?? ''));
  const taken = others.reduce((sum, r) => sum + r.memory, 0);
  if (perWorker === undefined || perWorker * count + taken <= host.memory.value) {
    return [];
  }
  const fits = Math.max(0, Math.floor((host.memory.value - taken) / perWorker));
  const after = others.length > 0 ? ` after your other local clusters ${describeRunning(others)}` : '';
  return [
    {
      path,
      message:
        `${count} workers x ${formatMemory(perWorker)} = ${formatMemory(perWorker * count)} is more than the ` +
        `${formatMemory(Math.max(0, host.memory.value - taken))} this host has (${host.memory.source})${after}; use at most ${fits} workers.`
    }
  ];
}
