/**
 * A cluster type written as data: what the [+NEW] form shows, how its
 * options become a Dask cluster class's keyword arguments, and the code a
 * notebook uses to connect. `definedBackend` (defined.ts) turns one into a
 * backend; a site adds its own in its dask config (site.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterModel, IClusterType, ICreateRequest, IFieldError, IScaling } from '../../../protocol/index.js';
import type { Registry } from '../clusters/registry.js';
import type { IEnvironmentInfo } from '../envs/probe.js';
import type { RunnerJson } from '../runner/json.js';
import type {
  IDescribeQuery,
  IExternalContext,
  IExternalFeed,
  ILaunchPlan,
  PlanResult,
  SubmitResult
} from './backend.js';
import type { EnvironmentCheck, IScalingOptions, IScalingWords } from './fields.js';

/** The values a mapping may use besides the type's own options. */
export const MAPPING_VALUES = {
  environment: 'the interpreter the user chose',
  workers: 'the workers to start with (the fixed count, or the adaptive minimum)',
  cluster_id: "the cluster's id, e.g. for job names",
  worker_env: 'the workers’ environment variables, as a mapping of names to values',
  worker_env_exports: 'the same as `export NAME=value` shell lines, for job script prologues',
  security_directory: 'the directory of the TLS credentials (types with tls: true)',
  scaling:
    'the scaling to set first: {"mode": "fixed", "workers": N} or {"mode": "adaptive", "minimum": N, "maximum": M}'
} as const;

/** A cluster type as data. */
export interface ITypeDefinition {
  id: string;
  title: string;
  description: string;
  /** Import path of the `distributed.deploy.Cluster` subclass the runner starts. */
  clusterClass: string;
  /**
   * The runner's adapter that holds the cluster instead, where Dask's API
   * differs from a class called with keyword arguments (a gateway's clusters
   * are created by the gateway and connected to by name); the mapping is then
   * the adapter's arguments (runner.py).
   */
  adapter?: 'gateway';
  /** Option fields of the type (JSON Schema draft-07 properties), besides the shared ones. */
  options: Record<string, JSONSchema7>;
  /** Options a request must give (after defaults). */
  required: string[];
  /** Form hints of the type's fields (react-jsonschema-form `ui:` keys), by field. */
  ui: Record<string, Record<string, unknown>>;
  /** Defaults of the shared scaling fields. */
  scaling: IScalingOptions;
  /** What the type says differently in the scaling fields' descriptions. */
  scalingWords?: IScalingWords;
  /** The environment field's description (default: it starts `clusterClass`). */
  environmentDescription?: string;
  /**
   * How the workers' environment variables reach them, for their field's
   * description; with it the field is there even when the mapping does not
   * name them (a hook's values use them).
   */
  workerEnv?: string;
  /** The form's order and groups, every field by name (shared ones too); default: the engine's. */
  layout?: { order: string[]; groups: IFormGroup[] };
  /**
   * Schema errors a hook words itself (preSubmit), by field and JSON Schema
   * keyword, e.g. a walltime `pattern` the hook explains in the system's terms.
   */
  hookChecked?: { path: string; keyword: string }[];
  /** Options (and MAPPING_VALUES) -> keyword arguments of `clusterClass`; see mapping.ts. */
  kwargs: Record<string, unknown>;
  /** Dask config the runner sets before starting the class: key -> value, mapped like `kwargs` (no calls). */
  config?: Record<string, unknown>;
  /**
   * Whether its clusters share one runner per environment and dask config
   * (runner/hosts.ts), except those that keep running after JupyterLab
   * stops. Only for a class whose start only awaits, so that one that hangs
   * holds up no other: runner.py's HOSTABLE_CLASSES, which refuses others.
   */
  sharedRunner?: boolean;
  /**
   * Whether the runner gives the cluster fresh TLS credentials (a `security`
   * argument); the class must accept one, as every SpecCluster does.
   */
  tls: boolean;
  /**
   * Python a notebook runs to connect, with `{scheduler_address}` and
   * `{dashboard_link}`; undefined: a `Client` (over TLS with `tls`).
   */
  snippet?: string;
  /** Which environments can run it. */
  environmentCheck: EnvironmentCheck;
  /** Where the definition comes from, for messages, e.g. "your site's dask config (…)". */
  origin: string;
  /** Why it cannot be used here (a broken definition, a missing module), when it cannot. */
  unavailable?: string;
  /**
   * Whether the class submits batch jobs (it has a `job_cls`): the type then
   * has a job script preview, rendered by `runner.py job-script` from the
   * plan's class and arguments.
   */
  jobScript?: boolean;
  /** Code where data is not enough: every hook is optional; see ITypeHooks. */
  hooks?: ITypeHooks;
}

/** A group of fields in the form. */
export interface IFormGroup {
  title: string;
  fields: string[];
  collapsed?: boolean;
}

/** What the engine gives preSubmit besides the options. */
export interface ISubmitContext {
  /** The job script the plan would submit (`runner.py job-script`; types with jobScript). */
  jobScript(): Promise<string>;
}

/** What the engine (defined.ts) gives a definition's hooks. */
export interface IHookContext {
  /** The Jupyter server's interpreter, which reads the dask config. */
  serverPython: string;
  /** Runs a runner.py subcommand (`config jobqueue.sge`, ...) and answers its JSON. */
  runRunner: RunnerJson;
  /**
   * Whether the dialog is opening (a describe): what may have changed since
   * (the user's dask config) is read afresh; a request reuses the last read.
   */
  opening: boolean;
}

/** What the form hook is given besides the hooks' context. */
export interface IFormHookContext extends IHookContext {
  /** The environment the form preselects (its dask config may set other defaults). */
  environment: IEnvironmentInfo | undefined;
}

/** Parts of the form computed when the dialog opens. */
export interface IFormParts {
  /** Per field (own or shared): schema keys laid over the definition's (an `enum`, a `default` ...). */
  options?: Record<string, JSONSchema7>;
  /** Per own option: form hints laid over the definition's (`ui:enumNames` ...). */
  ui?: Record<string, Record<string, unknown>>;
  /** Per field: where a computed default comes from (own options without one: the definition's origin). */
  sources?: Record<string, string>;
  /** Whether `sources` names every default worth stating: the others then state none. */
  sourcesComplete?: boolean;
  /** The type's description, when it depends on what the hook found (the host's size). */
  description?: string;
  /** Fields whose choice sets others (a workload profile): applied by the dialog and by validation alike. */
  linked?: IClusterType['linked'];
  /** Fields the system offers at run time (a gateway's cluster options), after the type's own. */
  fields?: Record<string, JSONSchema7>;
  /** The form's order and groups, when they depend on those fields. */
  layout?: ITypeDefinition['layout'];
  /** How the workers' variables reach them, when that depends on the system (else the definition's). */
  workerEnv?: string;
  /** Which instance of the type this is (a gateway's address): last-used values are kept per instance. */
  instance?: string;
}

/** What the engine gives the hooks that see a request's options. */
export interface IOptionsContext {
  environments: IEnvironmentInfo[];
}

/**
 * A definition's optional code, called by the engine at fixed points. Each is
 * small and answers data; the engine does the rest (form, validation,
 * mapping, start, preview).
 */
export interface ITypeHooks {
  /** Why the type cannot be used here (a command missing, the system not answering), else undefined. */
  available?(context: IHookContext): Promise<string | undefined>;
  /**
   * Computed parts of the form (queues with their limits, site defaults, the
   * host's size); called when it is available. A ClusterError or ApiError it
   * throws refuses the query; any other error makes the type unavailable.
   */
  form?(context: IFormHookContext, query: IDescribeQuery): Promise<IFormParts>;
  /**
   * Defaults that follow other values of the request (memory per worker
   * sized for the workers asked for): values for fields `requested` leaves
   * out, laid over the form's defaults and linked values in `options`.
   */
  fill?(
    options: Record<string, unknown>,
    requested: Record<string, unknown>,
    context: IOptionsContext
  ): Record<string, unknown>;
  /**
   * Rules between fields that a schema cannot say (the workers' memory
   * against the host's), reported with the schema's errors, every problem at
   * once; `options` may hold values of the wrong type, which the schema reports.
   */
  check?(options: Record<string, unknown>, context: IOptionsContext): IFieldError[];
  /**
   * More values for the mapping, computed from the validated options (and the
   * engine's values: cluster_id, worker_env_exports ...), e.g. job directives
   * that depend on the cores.
   */
  values?(options: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown>;
  /**
   * Field errors found before anything is submitted (a walltime above the
   * queue's limit); called after the schema and the shared rules passed, for
   * a preview and a create alike.
   */
  preSubmit?(
    options: Record<string, unknown>,
    values: Record<string, unknown>,
    submit: ISubmitContext
  ): Promise<IFieldError[]>;
  /** Field errors of a scaling request to a running cluster (too many jobs at once). */
  checkScaling?(cluster: IClusterModel, scaling: IScaling): IFieldError[];
  /** Directories the cluster needs (scratch space), created 0700 before it starts and removed after it ends. */
  workDirs?(clusterId: string): string[];
  /** A shell command that forwards the dashboard at `dashboardUrl` to a laptop. */
  tunnel?(dashboardUrl: string): string | undefined;
  /** When a cluster planned now must end (before the batch job JupyterLab runs in ends), and why then. */
  endsAt?(): Promise<{ at: Date; why: string } | undefined>;
  /** What `submit` sends, in the system's own shape, computed with the mapping's values. */
  submission?(options: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown>;
  /** Create what the plan needs outside the companion (IBackend.submit), just before the runner starts. */
  submit?(plan: ILaunchPlan): Promise<SubmitResult>;
  /** The plan of taking over a cluster that runs outside the companion (`request.adopt` names it). */
  adopt?(request: ICreateRequest & { adopt: string }, clusterId: string): Promise<PlanResult>;
  /** Python a notebook runs to connect, where a template cannot say it (names known only at run time). */
  snippet?(model: IClusterModel, dashboardLink: string | undefined): string;
  /** Follow the type's clusters that run outside the companion (IBackend.watchExternal). */
  watchExternal?(context: IExternalContext): IExternalFeed;
  /** Follow the registry (job states, cancelling ended clusters' jobs); returns a detach that settles when done. */
  attach?(registry: Registry): () => Promise<void>;
}
