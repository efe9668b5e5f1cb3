/**
 * The one interface the companion sees of a cluster type. Every type is
 * written as data (definition.ts) and gets its backend from the generic
 * engine (defined.ts): the built-in ones (local, slurm, sge, pbs, lsf,
 * htcondor, gateway) with small hooks where data is not enough, a site's
 * from its dask config (site.ts) with none.
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
  /**
   * When the companion stops the cluster, why then (the batch job JupyterLab
   * runs in ends, its lifetime ends), and the end reason its item shows then
   * (default: "Stopped before <why>.").
   */
  endsAt?: { at: string; why: string; reason?: string };
  /** Minutes without tasks after which the cluster stops by itself (the start command carries them too). */
  idleTimeout?: number;
  /** Whether it keeps running when JupyterLab stops (its runner gets a control socket). */
  keepRunning?: boolean;
  /** Whether it runs in its environment's runner host (a definition's `sharedRunner`, and not kept running). */
  sharedRunner?: boolean;
  /**
   * What the backend's `submit` step sends, in the backend's own shape (a
   * gateway's cluster options); absent for types without that step.
   */
  submission?: Record<string, unknown>;
}

/** Either a plan, or every problem with the request (answered as 422). */
export type PlanResult = { plan: ILaunchPlan } | { fields: IFieldError[] };

/**
 * What `submit` answers: the first line for runner.py (which may name what was
 * created), or the problems the type's own service found with the plan,
 * answered as 422 field by field; then nothing was created.
 */
export type SubmitResult = { start: IStartCommand } | { fields: IFieldError[] };

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
  /**
   * Validate `request` and resolve it into a launch; nothing starts here, and
   * nothing is created anywhere: a plan may still be refused (the limits) or
   * dropped. It may read (a gateway's options), never change anything.
   */
  plan(request: ICreateRequest, clusterId: string): Promise<PlanResult>;
  /**
   * The one step that creates something outside the companion before the
   * runner starts, for types that need it (a gateway creates its cluster over
   * REST, so the gateway's own refusal of an option comes back on its field).
   * The lifecycle (clusters/lifecycle.ts) calls it once per create, after
   * `plan` and its own checks passed and just before the runner starts, and
   * sends the runner the start command it answers. Types without it start
   * `plan.start` as planned.
   */
  submit?(plan: ILaunchPlan): Promise<SubmitResult>;
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
