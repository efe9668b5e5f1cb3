/**
 * The shapes that cross the browser <-> companion boundary, written once.
 *
 * Declarations only: both `src/` and `lib-server/` import these with
 * `import type`, so nothing here is emitted or bundled.
 *
 * REST, relative to `{base_url}dask-clusters/` (the companion sees the path
 * without that prefix):
 *   GET    api/types[?memoryReserve=2GiB]  -> IClusterType[]
 *   GET    api/environments                -> IEnvironment[]
 *   GET    api/clusters                    -> IClusterModel[]
 *   POST   api/clusters     ICreateRequest -> 201 IClusterModel | 4xx IApiError
 *   GET    api/clusters/:id                -> IClusterModel
 *   POST   api/clusters/:id/scale  IScaling -> IClusterModel | 4xx IApiError
 *   DELETE api/clusters/:id               -> 202 IClusterModel (stopping), or
 *                                            204 when it had already ended
 *                                            (removes it from the registry)
 *   DELETE api/clusters?ended=true        -> IClearedClusters: forgets every ended
 *                                            (stopped, failed, lost) cluster, never a
 *                                            live one; 400 without `ended=true`
 *   DELETE api/clusters/:id?force=true    -> also stops, from here, a cluster of a
 *                                            JupyterLab on another host (taken over
 *                                            as lost: its batch jobs are cancelled)
 *   POST   api/clusters/:id/adopt          -> IClusterModel: takes over a cluster that
 *                                            keeps running from another JupyterLab of
 *                                            this host (409 with why when it cannot move)
 *   POST   api/clusters/:id/release {owner} -> IClusterModel: lets that companion take it
 *   GET    api/clusters/:id/snippet        -> ISnippet
 *   GET    api/clusters/:id/plots          -> IPlot[]
 *   GET    api/clusters/:id/log            -> ILog
 *   GET    api/external                    -> IExternalCluster[] (also on the stream)
 *   PUT    api/settings  ICompanionSettings -> ICompanionSettings (normalized)
 *   GET    api/clusters/:id/jobs/:job/log  -> IJobLog (batch job types)
 *   POST   api/types/:type/preview ICreateRequest -> IJobScript | 422 IApiError
 *                                            (types whose `preview` is true)
 *   PUT    api/kernel-dashboards/:id {url} -> IKernelDashboard (the dashboard a
 *                                            kernel reported for its own cluster;
 *                                            ids `k-...`; http(s) only)
 *   DELETE api/kernel-dashboards/:id      -> 204
 *   GET    api/kernel-dashboards/:id/plots -> IPlot[]
 *   WS     api/events                      -> IServerEvent messages (JSON)
 *   *      dashboard/:id/...               -> proxied to that cluster's dashboard
 */

import type { JSONSchema7 } from 'json-schema';

/** Lifecycle of every cluster, whatever its type. */
export type ClusterState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' | 'lost';

/** A fixed number of workers, or adaptive bounds. */
export type IScaling = { mode: 'fixed'; workers: number } | { mode: 'adaptive'; minimum: number; maximum: number };

/** What the browser asks for: a type and that type's options. */
export interface ICreateRequest {
  type: string;
  /** Shown in the sidebar; the companion picks one when absent. */
  name?: string;
  /** Validated against the type's JSON Schema (`IClusterType.schema`). */
  options: Record<string, unknown>;
  /**
   * Take over a cluster that already exists outside the companion (an
   * `IExternalCluster.name` of this type) instead of creating one.
   */
  adopt?: string;
}

/** A batch job behind a cluster (SLURM); empty for other types. */
export interface IJob {
  id: string;
  state: string;
  reason?: string;
  node?: string;
  /** ISO 8601: when a running job reaches its walltime. */
  endsAt?: string;
}

/** One cluster as the sidebar shows it. */
export interface IClusterModel {
  id: string;
  name: string;
  type: string;
  state: ClusterState;
  /** ISO 8601. */
  createdAt: string;
  /** The validated request, defaults filled in. */
  spec: ICreateRequest;
  scaling: IScaling;
  /** Live counts from the scheduler. */
  workers: number;
  cores: number;
  /** Bytes, summed over workers. */
  memory: number;
  /** Interpreter the runner uses, and a label for it. */
  environment: { python: string; label: string };
  schedulerAddress?: string;
  /** Whether a dashboard is reachable through `dashboard/:id/`. */
  hasDashboard: boolean;
  /** A shell command that forwards the dashboard to a laptop. */
  tunnelCommand?: string;
  /**
   * Something wrong with a live cluster that the user should see, e.g. its
   * workers keep being restarted for exceeding their memory limit.
   */
  warning?: string;
  /**
   * What became of batch jobs that the batch system ended while the cluster
   * lives (walltime, cancelled outside JupyterLab, node failure), and what
   * dask-jobqueue does next.
   */
  jobsNote?: string;
  /** ISO 8601: when the companion stops it, e.g. before the batch job JupyterLab runs inside ends. */
  endsAt?: string;
  /** What `endsAt` is, e.g. "the walltime of SLURM job 1234 ends". */
  endsWhy?: string;
  /** Minutes without tasks after which it stops by itself (its idle timeout), when it has one. */
  idleTimeout?: number;
  /** Why it ended, e.g. "Stopped by you." or "Stopped before the walltime of SLURM job 1234 ends." */
  endReason?: string;
  /** Whether it keeps running when JupyterLab stops, for the next JupyterLab to re-adopt. */
  keepRunning?: boolean;
  /** Why it failed or was lost, and the last lines of its runner log. */
  error?: string;
  logTail?: string[];
  jobs: IJob[];
  /** Set for a cluster made in notebook code: the notebook or console whose kernel holds it. */
  origin?: IClusterOrigin;
  /**
   * Set for a cluster another JupyterLab server of yours launched on the same
   * state directory (another `jupyter lab`, or another login node sharing your
   * home): it is shown here, and only stopped there, or here on your explicit choice.
   */
  elsewhere?: IClusterOwner;
}

/** The JupyterLab server (its companion) that runs a cluster. */
export interface IClusterOwner {
  host: string;
  /** Whether that host is this JupyterLab's (then Stop asks that server, and Adopt may move it here). */
  sameHost: boolean;
  pid: number;
  /** ISO 8601: when that server's companion started. */
  since: string;
}

/** Where a cluster made in notebook code lives. */
export interface IClusterOrigin {
  kind: 'notebook' | 'console';
  /** The document's path, e.g. `analysis/run.ipynb`. */
  path: string;
  kernelId: string;
  /** Whether that notebook or console is the one last focused (set in the browser). */
  active?: boolean;
}

/** A kernel cluster's dashboard, proxied at `dashboard/:id/`. */
export interface IKernelDashboard {
  id: string;
  /** The dashboard root, normalized (http or https, trailing slash). */
  url: string;
}

/** A field-level problem, `path` as a JSON pointer into the options. */
export interface IFieldError {
  path: string;
  message: string;
}

/** Body of every 4xx/5xx answer. */
export interface IApiError {
  error: string;
  message: string;
  fields?: IFieldError[];
}

/** A computed default and where it came from, shown in the dialog. */
export interface IDefaultSource {
  field: string;
  value: unknown;
  source: string;
}

/** A type as the [+NEW] dialog renders it; any type, no form code per type. */
export interface IClusterType {
  id: string;
  title: string;
  description: string;
  available: boolean;
  /** Why it cannot be used here, when `available` is false. */
  reason?: string;
  schema: JSONSchema7;
  /** react-jsonschema-form hints (`ui:widget`, `ui:enumDisabled`, order...). */
  uiSchema: Record<string, unknown>;
  /** Values the form starts from (before the user's last-used values). */
  defaults: Record<string, unknown>;
  /** Where each computed default came from; a later entry for a field overrides an earlier one. */
  sources: IDefaultSource[];
  /**
   * When `field` takes a value, set these other fields, e.g. the workload
   * profile sets workers, threads and memory per worker.
   */
  linked?: { field: string; values: Record<string, Record<string, unknown>> }[];
  /** Whether `POST api/types/:type/preview` shows the job script of options. */
  preview?: boolean;
  /**
   * Which deployment of the type this is (e.g. a gateway's address): the
   * browser remembers last-used values per type and instance.
   */
  instance?: string;
}

/** The job script a batch-job type would submit for some options. */
export interface IJobScript {
  script: string;
}

/** The last lines of a batch job's output and error files. */
export interface IJobLog {
  job: string;
  stdout: { path?: string; lines: string[] };
  stderr: { path?: string; lines: string[] };
}

/** A Python environment a runner can use, found through kernelspecs. */
export interface IEnvironment {
  /** Absolute path of the interpreter: the id of the environment. */
  python: string;
  label: string;
  kernelspecs: string[];
  pythonVersion?: string;
  distributed?: string;
  dask?: string;
  /** Version of bokeh, which the dashboard plots need. */
  bokeh?: string;
  /** Why clusters in this environment will have no dashboard, when they will not. */
  dashboardNote?: string;
  usable: boolean;
  /** Why it cannot be chosen, when `usable` is false. */
  reason?: string;
}

/** POST api/environments/spare: start a runner of `environment` ahead of a create (the dialog opened). */
export interface ISpareRequest {
  /** The interpreter, an `IEnvironment.python`. */
  environment: string;
}

/** The answer to an ISpareRequest. */
export interface ISpareRunner {
  environment: string;
  /** When the spare ends if no create takes it (ISO date). */
  endsAt: string;
}

/** Code that connects a kernel to a cluster. */
export interface ISnippet {
  code: string;
}

/** One of the scheduler's individual dashboard plots. */
export interface IPlot {
  title: string;
  /** Path below `dashboard/:id/`, e.g. `individual-task-stream`. */
  path: string;
  /** One of the few plots most people open (Task Stream, Progress, ...), listed first. */
  common?: boolean;
}

/** The tail of a runner's log. */
export interface ILog {
  lines: string[];
}

/**
 * A cluster that runs outside the companion's control (e.g. one made from
 * notebook code on a Dask Gateway); adopt it with `ICreateRequest.adopt`.
 */
export interface IExternalCluster {
  /** Its cluster type, e.g. `gateway`. */
  type: string;
  /** Its name where it runs: what `adopt` takes. */
  name: string;
  /** Where it runs, e.g. the gateway's address. */
  location: string;
  /** As that system says it, e.g. `RUNNING` or `PENDING`. */
  status: string;
  /** ISO 8601, when known. */
  startedAt?: string;
}

/** The extension settings the companion needs (`PUT api/settings`); never secrets. */
export interface ICompanionSettings {
  gateway: {
    /** Overrides the dask config's `gateway.address`. */
    address?: string;
    proxyAddress?: string;
    /** Dialog fields that fill gateway options: the option each one sets. */
    optionMapping?: { environment?: string; envVars?: string };
  };
  /** Environment variables for the workers, where a type can pass them. */
  workerEnvironment: Record<string, string>;
  /**
   * Caps a site sets through JupyterLab's settings overrides (the companion
   * has its own defaults when absent).
   */
  limits?: ICompanionLimits;
  /**
   * How many ended clusters the list keeps; older ends are forgotten
   * (default 20; 0 forgets a cluster as soon as it has ended).
   */
  keepEnded?: number;
}

/** Per-user caps on what the companion launches. */
export interface ICompanionLimits {
  /** Clusters starting or running at once. */
  maxClusters?: number;
  /** Workers in one cluster (fixed count or adaptive maximum). */
  maxWorkersPerCluster?: number;
  /** Most minutes a cluster may run (its Lifetime field); 0: no cap. */
  maxLifetimeMinutes?: number;
  /** The Lifetime a cluster gets when its field is empty; 0: none (the cap, when there is one). */
  defaultLifetimeMinutes?: number;
  /** Most minutes without tasks a cluster may be kept (its Idle timeout field); 0: no cap. */
  maxIdleTimeoutMinutes?: number;
  /** The Idle timeout a cluster gets when its field is empty; 0: none (the cap, when there is one). */
  defaultIdleTimeoutMinutes?: number;
  /** Whether a cluster may keep running when JupyterLab stops (its Keep running field). */
  keepRunning?: KeepRunningPolicy;
  /**
   * How many spare runners (started as the [+NEW] dialog opens, about 80 MiB
   * each while they wait) may wait at once; 0: none, Start starts a runner.
   */
  spareRunners?: number;
}

/**
 * A site's policy on clusters that outlive JupyterLab: `never` (the field is
 * not offered, and refused), `optional` (offered, off by default), `default`
 * (offered, on by default).
 */
export type KeepRunningPolicy = 'never' | 'optional' | 'default';

/** The answer of `DELETE api/clusters?ended=true`. */
export interface IClearedClusters {
  /** Ids of the clusters forgotten. */
  forgotten: string[];
}

/** Messages on the live event stream. */
export type IServerEvent =
  | { kind: 'snapshot'; clusters: IClusterModel[] }
  | { kind: 'cluster'; cluster: IClusterModel }
  | { kind: 'removed'; id: string }
  /** Every external cluster of `type` now (replaces the previous list of that type). */
  | { kind: 'external'; type: string; clusters: IExternalCluster[] };
