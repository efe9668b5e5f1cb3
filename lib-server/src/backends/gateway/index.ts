/**
 * The `gateway` cluster type: clusters on a Dask Gateway. The companion talks
 * to the gateway's REST API (options, create, list, stop): `plan` checks the
 * request against the gateway's options and creates nothing; `submit` creates
 * the cluster, so an option the gateway's handler refuses comes back on its
 * field before the runner starts. The runner then holds the cluster through
 * `dask_gateway` (workers, scale, adapt, shutdown, dashboard link).
 */

import type { IClusterModel, IClusterType, ICreateRequest, IFieldError, IScaling } from '../../../../protocol/index.js';
import { scalingFromOptions } from '../../clusters/scaling.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { ApiError } from '../../http/errors.js';
import type { IStartCommand } from '../../runner/protocol.js';
import type { JsonCommand } from '../../util/exec.js';
import { isObject } from '../../util/objects.js';
import { schemaErrors } from '../../util/schema-errors.js';
import type { IDescribeQuery, IExternalFeed, ILaunchPlan, PlanResult, SubmitResult } from '../backend.js';
import { parseWorkerEnv, WORKER_ENV_FIELD } from '../fields.js';
import { GatewayClient, GatewayRequestError } from './client.js';
import { loadGatewayConfig, resolveConnection, type IGatewayConnection, type IGatewaySettings } from './connection.js';
import type { IGatewayBackend } from './types.js';
import { GatewayWatcher } from './watch.js';
import {
  buildGatewayType,
  clusterOptions,
  ENVIRONMENT,
  envVarsOption,
  gatewayFieldErrors,
  gatewayUsable,
  offeredOptions,
  unavailableGatewayType,
  type IOfferedOption
} from './schema.js';

export type { IGatewayBackend } from './types.js';

/** What the gateway backend needs from its surroundings. */
export interface IGatewayBackendOptions {
  environments: () => Promise<IEnvironmentInfo[]>;
  serverPython: string;
  runnerPath: string;
  run: JsonCommand;
  env: Record<string, string | undefined>;
  user: string;
  /** The extension's gateway settings, as the browser last sent them. */
  gatewaySettings?: () => IGatewaySettings;
  /** Per-user worker environment variables (extension settings). */
  workerEnvironment?: () => Record<string, string>;
  /** Between refreshes of the list of gateway clusters (default 10 s). */
  gatewayRefreshMs?: number;
}

/** The reason shown when no gateway is configured. */
export const NOT_CONFIGURED =
  'No Dask Gateway is configured: set gateway.address in your dask config (or DASK_GATEWAY__ADDRESS), or the Gateway address in the Dask Clusters settings.';

/** `gateway://host:port/<name>` -> `<name>`. */
export function nameFromSchedulerAddress(address: string | undefined): string | undefined {
  const match = address === undefined ? null : /^gateway:\/\/[^/]+\/([^/]+)$/.exec(address);
  return match ? match[1] : undefined;
}

/**
 * Python that connects a kernel to gateway cluster `name`. Credentials stay
 * in the user's dask config (`gateway.auth`): none is ever written here.
 */
export function gatewaySnippet(address: string, proxyAddress: string | undefined, name: string): string {
  const proxy = proxyAddress === undefined ? '' : `, proxy_address=${JSON.stringify(proxyAddress)}`;
  return [
    'from dask_gateway import Gateway',
    '',
    '# Credentials come from your dask config (gateway.auth), never from this cell.',
    `gateway = Gateway(${JSON.stringify(address)}${proxy})`,
    `cluster = gateway.connect(${JSON.stringify(name)})`,
    'client = cluster.get_client()',
    'client'
  ].join('\n');
}

/**
 * The gateway options implied by the chosen values through the type's links
 * (the environment option of the settings' mapping): the defaults hold the
 * default environment's, so a request that names another environment but not
 * the option itself gets the option of the environment it names.
 */
export function mappedOptions(type: IClusterType, requested: Record<string, unknown>): Record<string, unknown> {
  const implied: Record<string, unknown> = {};
  for (const link of type.linked ?? []) {
    const chosen = requested[link.field];
    if (chosen !== undefined) {
      Object.assign(implied, link.values[String(chosen)] ?? {});
    }
  }
  return implied;
}

/** Why `python` cannot run the client side of a gateway cluster, on the environment field. */
function environmentProblem(python: unknown, environments: IEnvironmentInfo[]): IFieldError | undefined {
  const env = environments.find(e => e.python === python);
  if (env === undefined) {
    return {
      path: `/${ENVIRONMENT}`,
      message: `${String(python)} is not the interpreter of any Python kernelspec here; choose one of the listed environments.`
    };
  }
  if (!gatewayUsable(env)) {
    return {
      path: `/${ENVIRONMENT}`,
      message: `${env.label} has no dask-gateway (pip install dask-gateway there), or cannot run dask; choose another environment.`
    };
  }
  return undefined;
}

/**
 * The runner's start of gateway cluster `name` (null until `submit` creates
 * it): where, how to authenticate, which cluster, and the scaling to set
 * first (`initial`; an adopted cluster keeps its own).
 */
function gatewayStart(
  clusterId: string,
  conn: IGatewayConnection,
  name: string | null,
  scaling: IScaling,
  initial: boolean
): IStartCommand {
  const kwargs = {
    address: conn.address,
    proxy_address: conn.proxyAddress ?? null,
    public_address: conn.publicAddress ?? null,
    // Sent on the runner's stdin only; never stored or logged.
    auth:
      conn.auth.type === 'basic'
        ? { type: 'basic', username: conn.auth.username, password: conn.auth.password }
        : conn.auth.type === 'jupyterhub'
          ? { type: 'jupyterhub', api_token: conn.auth.apiToken }
          : null,
    name,
    initial_scaling: initial ? scaling : null
  };
  return { op: 'start', cluster_id: clusterId, adapter: 'gateway', kwargs, config: {}, scaling };
}

/** Every problem with the form's `values` (defaults filled in), against the type and the environments. */
function valueProblems(
  type: IClusterType,
  values: Record<string, unknown>,
  environments: IEnvironmentInfo[]
): IFieldError[] {
  const fields = schemaErrors(type.schema, values, {
    skip: error => error.instancePath === `/${ENVIRONMENT}` && error.keyword === 'enum'
  });
  const envProblem = environmentProblem(values[ENVIRONMENT], environments);
  if (envProblem !== undefined) {
    fields.push(envProblem);
  }
  if (values.adaptive === true && Number(values.adaptive_minimum) > Number(values.adaptive_maximum)) {
    fields.push({
      path: '/adaptive_minimum',
      message: `Minimum workers (${String(values.adaptive_minimum)}) is more than Maximum workers (${String(values.adaptive_maximum)}).`
    });
  }
  return fields;
}

/**
 * The gateway's options for validated `values`: the Worker environment
 * variables field merged into the mapping option the settings name (the
 * form's variables win over the option's, which hold the settings' by default).
 */
export function gatewayRequest(
  values: Record<string, unknown>,
  offered: IOfferedOption[],
  envVars: IOfferedOption | undefined
): { options: Record<string, unknown> } | { fields: IFieldError[] } {
  const text = values[WORKER_ENV_FIELD];
  if (envVars === undefined || typeof text !== 'string') {
    return { options: clusterOptions(values, offered) };
  }
  const parsed = parseWorkerEnv(text);
  if ('error' in parsed) {
    return { fields: [parsed.error] };
  }
  const option = values[envVars.formField];
  const current = isObject(option) ? option : {};
  return { options: clusterOptions({ ...values, [envVars.formField]: { ...current, ...parsed.env } }, offered) };
}

/** What `plan` leaves for `submit`: the gateway's options, and the form name of each. */
interface IGatewaySubmission {
  cluster_options: Record<string, unknown>;
  form_fields: Record<string, string>;
}

/** The gateway backend. */
// eslint-disable-next-line max-lines-per-function -- a closure whose helpers and backend methods share one cached gateway connection
export function createGatewayBackend(options: IGatewayBackendOptions): IGatewayBackend {
  const names = new Map<string, string>();
  let lastConnection: IGatewayConnection | undefined;

  // The user's dask config takes a Python process to read: read it when the
  // dialog opens (describe), and reuse that read for the watcher's refreshes
  // and for requests. A failed read is not kept.
  let configRead: Promise<unknown> | undefined;
  const readConfig = (fresh: boolean): Promise<unknown> => {
    if (fresh || configRead === undefined) {
      configRead = loadGatewayConfig(options.run, options.serverPython, options.runnerPath);
      configRead.catch(() => {
        configRead = undefined;
      });
    }
    return configRead;
  };

  const connection = async (fresh: boolean): Promise<IGatewayConnection | { unavailable: string } | undefined> => {
    const settings = options.gatewaySettings?.() ?? {};
    let config: unknown;
    try {
      config = await readConfig(fresh);
    } catch (error) {
      // Without dask in the server's Python, the environment still says where the gateway is.
      const address = options.env.DASK_GATEWAY__ADDRESS;
      config = address === undefined ? {} : { address, proxy_address: options.env.DASK_GATEWAY__PROXY_ADDRESS };
      if (address === undefined && settings.address === undefined) {
        return {
          unavailable: `Could not read your dask config: ${error instanceof Error ? error.message : String(error)}`
        };
      }
    }
    const resolved = resolveConnection(config, settings, options.env, options.user);
    if (resolved !== undefined && !('unavailable' in resolved)) {
      lastConnection = resolved;
    }
    return resolved;
  };

  const client = async (fresh = false): Promise<GatewayClient | { unavailable: string } | undefined> => {
    const resolved = await connection(fresh);
    return resolved === undefined || 'unavailable' in resolved ? resolved : new GatewayClient(resolved);
  };

  /** A client of the configured gateway; a conflict when there is none. */
  const usableClient = async (): Promise<GatewayClient> => {
    const found = await client();
    if (found === undefined || 'unavailable' in found) {
      throw new ApiError(409, 'gateway_unavailable', found === undefined ? NOT_CONFIGURED : found.unavailable);
    }
    return found;
  };

  const currentType = async (
    fresh = false
  ): Promise<{
    type: IClusterType;
    client?: GatewayClient;
    offered: IOfferedOption[];
    environments: IEnvironmentInfo[];
  }> => {
    const found = await client(fresh);
    if (found === undefined) {
      return { type: unavailableGatewayType(NOT_CONFIGURED), offered: [], environments: [] };
    }
    if ('unavailable' in found) {
      return { type: unavailableGatewayType(found.unavailable), offered: [], environments: [] };
    }
    let gatewayOptions;
    try {
      gatewayOptions = await found.options();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { type: unavailableGatewayType(message), offered: [], environments: [] };
    }
    const environments = await options.environments();
    const type = buildGatewayType({
      address: found.connection.address,
      options: gatewayOptions,
      environments,
      serverPython: options.serverPython,
      settings: options.gatewaySettings?.() ?? {},
      workerEnvironment: options.workerEnvironment?.() ?? {}
    });
    return { type, client: found, offered: offeredOptions(gatewayOptions), environments };
  };

  const adoptPlan = async (request: ICreateRequest & { adopt: string }, clusterId: string): Promise<PlanResult> => {
    const found = await usableClient();
    // A read: whether the cluster is there to take over.
    const cluster = await found.cluster(request.adopt);
    if (cluster.status !== 'RUNNING' && cluster.status !== 'PENDING') {
      throw new ApiError(
        409,
        'gateway_cluster_ended',
        `Gateway cluster ${request.adopt} is ${cluster.status.toLowerCase()}; only a pending or running cluster can be adopted.`
      );
    }
    const environments = await options.environments();
    const requested = isObject(request.options) ? request.options[ENVIRONMENT] : undefined;
    const env =
      environments.find(e => e.python === requested) ??
      environments.filter(gatewayUsable).find(e => e.python === options.serverPython) ??
      environments.find(gatewayUsable);
    if (env === undefined || !gatewayUsable(env)) {
      return {
        fields: [
          environmentProblem(requested ?? options.serverPython, environments) ?? {
            path: `/${ENVIRONMENT}`,
            message: 'No environment has dask-gateway.'
          }
        ]
      };
    }
    const scaling: IScaling = { mode: 'fixed', workers: 0 };
    return {
      plan: {
        spec: {
          type: 'gateway',
          name: request.name ?? `gateway ${request.adopt.slice(0, 8)}`,
          options: { [ENVIRONMENT]: env.python },
          adopt: request.adopt
        },
        environment: { python: env.python, label: env.label },
        scaling,
        workDirs: [],
        start: gatewayStart(clusterId, found.connection, request.adopt, scaling, false)
      }
    };
  };

  const createPlan = async (request: ICreateRequest, clusterId: string): Promise<PlanResult> => {
    // Reads the gateway's options; creates nothing (that is `submit`'s).
    const { type, client: gateway, offered, environments } = await currentType();
    if (gateway === undefined) {
      throw new ApiError(409, 'gateway_unavailable', type.reason ?? NOT_CONFIGURED);
    }
    if (!isObject(request.options)) {
      return { fields: [{ path: '', message: 'The options must be a JSON object.' }] };
    }
    const values: Record<string, unknown> = {
      ...type.defaults,
      ...mappedOptions(type, request.options),
      ...request.options
    };
    const fields = valueProblems(type, values, environments);
    const envVars = envVarsOption(offered, options.gatewaySettings?.() ?? {});
    const built = fields.length > 0 ? { fields } : gatewayRequest(values, offered, envVars);
    if ('fields' in built) {
      return built;
    }
    const env = environments.find(e => e.python === values[ENVIRONMENT]);
    const scaling = scalingFromOptions({
      adaptive: values.adaptive === true,
      workers: Number(values.workers),
      adaptive_minimum: Number(values.adaptive_minimum),
      adaptive_maximum: Number(values.adaptive_maximum)
    });
    const submission: IGatewaySubmission = {
      cluster_options: built.options,
      form_fields: Object.fromEntries(offered.map(o => [o.field, o.formField]))
    };
    return {
      plan: {
        spec: { type: 'gateway', ...(request.name ? { name: request.name } : {}), options: values },
        environment: { python: String(values[ENVIRONMENT]), label: env?.label ?? String(values[ENVIRONMENT]) },
        scaling,
        workDirs: [],
        // The gateway names the cluster when `submit` creates it.
        start: gatewayStart(clusterId, gateway.connection, null, scaling, true),
        submission: { ...submission }
      }
    };
  };

  /** Create the planned cluster on the gateway (adopting creates nothing): the start naming it. */
  const submit = async (plan: ILaunchPlan): Promise<SubmitResult> => {
    const clusterId = plan.start.cluster_id;
    if (plan.spec.adopt !== undefined) {
      names.set(clusterId, plan.spec.adopt);
      return { start: plan.start };
    }
    const submission = plan.submission as IGatewaySubmission | undefined;
    if (submission === undefined) {
      throw new Error('A gateway plan without the options to create its cluster.');
    }
    const gateway = await usableClient();
    let name: string;
    try {
      name = await gateway.create(submission.cluster_options);
    } catch (error) {
      if (error instanceof GatewayRequestError && error.gatewayStatus === 422) {
        return {
          fields: gatewayFieldErrors(error.reason, Object.keys(submission.form_fields), submission.form_fields)
        };
      }
      throw error;
    }
    names.set(clusterId, name);
    return { start: gatewayStart(clusterId, gateway.connection, name, plan.scaling, true) };
  };

  const backend: IGatewayBackend = {
    id: 'gateway',

    client,

    gatewayName(model: IClusterModel) {
      return names.get(model.id) ?? model.spec.adopt ?? nameFromSchedulerAddress(model.schedulerAddress);
    },

    async describe(_query: IDescribeQuery) {
      return (await currentType(true)).type;
    },

    plan(request: ICreateRequest, clusterId: string): Promise<PlanResult> {
      return typeof request.adopt === 'string' && request.adopt !== ''
        ? adoptPlan({ ...request, adopt: request.adopt }, clusterId)
        : createPlan(request, clusterId);
    },

    submit,

    checkScaling(_cluster: IClusterModel, _scaling: IScaling): IFieldError[] {
      // The gateway enforces its own limits and says so in the runner's log.
      return [];
    },

    snippet(model: IClusterModel) {
      const name = names.get(model.id) ?? model.spec.adopt ?? nameFromSchedulerAddress(model.schedulerAddress) ?? '';
      const proxy = model.schedulerAddress?.replace(/\/[^/]+$/, '');
      const address = lastConnection?.publicAddress ?? lastConnection?.address ?? '';
      return gatewaySnippet(address, proxy ?? lastConnection?.proxyAddress, name);
    },

    tunnelCommand() {
      return undefined;
    },

    watchExternal(context): IExternalFeed {
      const watcher = new GatewayWatcher({ backend, ...context, intervalMs: options.gatewayRefreshMs ?? 10_000 });
      watcher.start();
      return {
        list: () => watcher.list(),
        connect: listener => watcher.changed.connect(listener),
        refresh: () => watcher.refresh(),
        stop: () => watcher.stop()
      };
    }
  };
  return backend;
}
