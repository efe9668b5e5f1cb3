/** The `local` cluster type: distributed.LocalCluster on the Jupyter host. */

import type { IClusterModel, ICreateRequest, IFieldError, IScaling } from '../../../../protocol/index.js';
import { scalingFromOptions } from '../../clusters/scaling.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { ApiError } from '../../http/errors.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import type { IBackend, IDescribeQuery, PlanResult } from '../backend.js';
import { memoryReserve, type IHostResources, type ISourced } from './resources.js';
import { buildLocalType, MEMORY_FRACTIONS, workerBudget, type MemoryFractionField } from './schema.js';
import { clientSnippet, securityDirectory } from '../tls.js';
import { clusterScratchDir } from './scratch.js';
import { describeRunning, resolveLocalOptions, type IRunningLocal } from './validate.js';

/** What the local backend needs from its surroundings. */
export interface ILocalBackendOptions {
  environments: () => Promise<IEnvironmentInfo[]>;
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

function reserveFor(host: IHostResources, spec: string | undefined): ISourced {
  const reserve = memoryReserve(host.memory.value, spec);
  if ('error' in reserve) {
    throw new ApiError(400, 'invalid_memory_reserve', `${reserve.error}.`);
  }
  return reserve;
}

/** The local backend. */
// eslint-disable-next-line max-lines-per-function -- a closure whose helpers and backend methods share the running-clusters view
export function createLocalBackend(options: ILocalBackendOptions): IBackend {
  /** The user's local clusters that hold memory now, but `except`. */
  const running = (except?: string): IRunningLocal[] =>
    options
      .clusters()
      .filter(
        model =>
          model.type === 'local' && model.id !== except && (model.state === 'starting' || model.state === 'running')
      )
      .map(model => ({ name: model.name, memory: heldMemory(model) }));

  const typeFor = async (reserveSpec: string | undefined) => {
    const environments = await options.environments();
    const host = options.host();
    const reserve = reserveFor(host, reserveSpec);
    const type = buildLocalType({
      environments,
      serverPython: options.serverPython,
      host,
      reserve,
      tls: options.localSecurityBase !== undefined
    });
    return { type, environments, host, budget: workerBudget(host, reserve) };
  };

  return {
    id: 'local',

    async describe(query: IDescribeQuery) {
      return (await typeFor(query.memoryReserve ?? options.memoryReserve)).type;
    },

    async plan(request: ICreateRequest, clusterId: string): Promise<PlanResult> {
      const context = await typeFor(options.memoryReserve);
      const resolved = resolveLocalOptions(request.options ?? {}, {
        ...context,
        exists: options.exists,
        running: running(),
        tls: options.localSecurityBase !== undefined
      });
      if ('fields' in resolved) {
        return { fields: resolved.fields };
      }
      const { options: o, workerEnv } = resolved;
      const environment = context.environments.find(env => env.python === o.environment);
      const scaling = scalingFromOptions(o);
      const localDirectory = clusterScratchDir(options.scratchBase(), options.uid, clusterId);
      const security =
        options.localSecurityBase === undefined ? undefined : securityDirectory(options.localSecurityBase, clusterId);
      const config: Record<string, unknown> = {};
      for (const field of Object.keys(MEMORY_FRACTIONS) as MemoryFractionField[]) {
        config[`distributed.worker.memory.${MEMORY_FRACTIONS[field].key}`] = o[field];
      }
      return {
        plan: {
          spec: { type: 'local', ...(request.name ? { name: request.name } : {}), options: { ...o } },
          environment: { python: o.environment, label: environment?.label ?? o.environment },
          scaling,
          workDirs: [localDirectory, ...(security !== undefined ? [security] : [])],
          start: {
            op: 'start',
            cluster_id: clusterId,
            cluster_class: 'distributed.LocalCluster',
            kwargs: {
              n_workers: o.adaptive ? o.adaptive_minimum : o.workers,
              threads_per_worker: o.threads_per_worker,
              processes: o.processes,
              // Validated: parses.
              memory_limit: parseMemory(o.memory_per_worker),
              local_directory: localDirectory,
              // Loopback only: scheduler, nannies, workers and the dashboard.
              dashboard_address: '127.0.0.1:0',
              host: '127.0.0.1',
              scheduler_port: 0,
              // Keep distributed's own log levels: the log file is where users look.
              silence_logs: false,
              // LocalCluster hands `env` to each Nanny, which sets it in its worker process.
              ...(Object.keys(workerEnv).length > 0 ? { env: workerEnv } : {}),
              ...(security !== undefined ? { security_directory: security } : {})
            },
            config,
            scaling
          }
        }
      };
    },

    checkScaling(cluster: IClusterModel, scaling: IScaling): IFieldError[] {
      const count = scaling.mode === 'fixed' ? scaling.workers : scaling.maximum;
      const path = scaling.mode === 'fixed' ? '/workers' : '/maximum';
      const perWorker = parseMemory(String(cluster.spec.options.memory_per_worker ?? ''));
      const host = options.host();
      const others = running(cluster.id);
      const taken = others.reduce((sum, r) => sum + r.memory, 0);
      if (perWorker !== undefined && perWorker * count + taken > host.memory.value) {
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
      return [];
    },

    snippet(model: IClusterModel, dashboardLink: string | undefined) {
      const security =
        options.localSecurityBase === undefined ? undefined : securityDirectory(options.localSecurityBase, model.id);
      return clientSnippet(
        model.schedulerAddress ?? '',
        model.schedulerAddress?.startsWith('tls://') ? security : undefined,
        dashboardLink
      );
    },

    tunnelCommand(dashboardUrl: string) {
      return localTunnelCommand(dashboardUrl, options.user, options.hostname);
    }
  };
}
