/**
 * The one interface every cluster type implements. A new type (SLURM,
 * Gateway) is a module that implements it, plus one line in the backend
 * list (backends/index.ts); nothing else changes.
 */

import type {
  IClusterModel,
  IClusterType,
  ICreateRequest,
  IExternalCluster,
  IFieldError,
  IScaling
} from '../../../protocol/index.js';
import type { Registry } from '../clusters/registry.js';
import type { IStartCommand } from '../runner/protocol.js';

/**
 * What a backend's external feed needs of the cluster manager (clusters/lifecycle.ts's
 * ClusterManager is one): forgetting a cluster that ended outside the companion. Declared
 * here so that this module does not import the manager, which imports it.
 */
export interface IClusterRemover {
  remove(id: string): unknown;
}

/** What `watchExternal` is given. */
export interface IExternalContext {
  registry: Registry;
  manager: IClusterRemover;
}

/** Query of `GET api/types`. */
export interface IDescribeQuery {
  /** Memory kept for the system, e.g. "2GiB" or "10%". */
  memoryReserve?: string;
}

/** Everything needed to launch a validated request. */
export interface ILaunchPlan {
  /** The request with every default filled in. */
  spec: ICreateRequest;
  environment: { python: string; label: string };
  scaling: IScaling;
  /** First line for runner.py. */
  start: IStartCommand;
  /** Directories to create (0700) before the start and remove when the cluster ends. */
  workDirs: string[];
}

/** Either a plan, or every problem with the request (answered as 422). */
export type PlanResult = { plan: ILaunchPlan } | { fields: IFieldError[] };

/** Clusters of a type that run outside the companion, kept current by the backend. */
export interface IExternalFeed {
  list(): IExternalCluster[];
  /** Connect a listener to every change of the list; returns its disconnect function. */
  connect(listener: (clusters: IExternalCluster[]) => void): () => void;
  /** Ask again now (after a create or an adopt, say). */
  refresh(): Promise<void>;
  stop(): void;
}

/** A cluster type. */
export interface IBackend {
  readonly id: string;
  /** The type as the [+NEW] dialog renders it. */
  describe(query: IDescribeQuery): Promise<IClusterType>;
  /** Validate `request` and resolve it into a launch; nothing starts here. */
  plan(request: ICreateRequest, clusterId: string): Promise<PlanResult>;
  /** Problems with rescaling `cluster` (of this type) to `scaling`. */
  checkScaling(cluster: IClusterModel, scaling: IScaling): IFieldError[];
  /**
   * Python code that connects a kernel to a running cluster. `dashboardLink`
   * is the dashboard's path through JupyterLab, when it has one.
   */
  snippet(model: IClusterModel, dashboardLink: string | undefined): string;
  /** A shell command that forwards the dashboard at `dashboardUrl` to a laptop. */
  tunnelCommand(dashboardUrl: string): string | undefined;
  /** Start following the clusters of this type that run outside the companion (adoptable). */
  watchExternal?(context: IExternalContext): IExternalFeed;
  /** The job script `request` would submit (types whose description sets `preview`). */
  preview?(request: ICreateRequest): Promise<{ script: string } | { fields: IFieldError[] }>;
  /**
   * Follow the registry, e.g. to watch and cancel batch jobs; returns a
   * detach function that settles once pending clean-ups are done.
   */
  attach?(registry: Registry): () => Promise<void>;
}
