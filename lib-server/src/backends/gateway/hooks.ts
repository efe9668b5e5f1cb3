/**
 * The gateway type's hooks (definition.ts ITypeHooks): what talks to the
 * gateway. The form reads its options (and creates nothing); `submit` creates
 * the cluster over REST, so the gateway's own refusal of an option comes back
 * on its field before the runner starts; `adopt` takes over a cluster made
 * elsewhere; the watcher lists those.
 */

import type { IClusterModel, ICreateRequest, IScaling } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { ApiError } from '../../http/errors.js';
import type { IStartCommand } from '../../runner/protocol.js';
import { isObject } from '../../util/objects.js';
import type { ILaunchPlan, PlanResult, SubmitResult } from '../backend.js';
import { formEnvironment } from '../defined.js';
import type { ITypeHooks } from '../definition.js';
import { environmentProblem, WORKER_ENV_FIELD } from '../fields.js';
import { GatewayRequestError, type GatewayClient, type IGatewayOption } from './client.js';
import type { IGatewayConnection } from './connection.js';
import { GATEWAY_DEFINITION } from './definition.js';
import { gatewayFormParts } from './form.js';
import { clusterOptions, envVarsOption, gatewayFieldErrors, offeredOptions, type IOfferedOption } from './schema.js';
import { NOT_CONFIGURED, type IGatewayBackendOptions, type IGatewaySession } from './session.js';
import type { IGatewayBackend } from './types.js';
import { GatewayWatcher } from './watch.js';

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

/** The adapter's connection arguments (the mapping's values); the auth goes to the runner's stdin only. */
function connectionValues(conn: IGatewayConnection): Record<string, unknown> {
  return {
    gateway_address: conn.address,
    proxy_address: conn.proxyAddress ?? null,
    public_address: conn.publicAddress ?? null,
    auth:
      conn.auth.type === 'basic'
        ? { type: 'basic', username: conn.auth.username, password: conn.auth.password }
        : conn.auth.type === 'jupyterhub'
          ? { type: 'jupyterhub', api_token: conn.auth.apiToken }
          : null
  };
}

/** The runner's start of gateway cluster `name`, with the scaling to set first (`initial`; an adopted cluster keeps its own). */
function gatewayStart(
  clusterId: string,
  conn: IGatewayConnection,
  name: string,
  scaling: IScaling,
  initial: boolean
): IStartCommand {
  const { gateway_address: address, ...rest } = connectionValues(conn);
  const kwargs = { address, ...rest, name, initial_scaling: initial ? scaling : null };
  return { op: 'start', cluster_id: clusterId, adapter: 'gateway', kwargs, config: {}, scaling };
}

/** What the form hook found, for the values and the submission of the plan it is part of. */
interface IFound {
  client: GatewayClient;
  options: IGatewayOption[];
  offered: IOfferedOption[];
}

/** What `submit` sends: the gateway's options, and the form name of each (for its refusals). */
// A type, not an interface: it is the plan's `submission` record as it is.
type IGatewaySubmission = {
  cluster_options: Record<string, unknown>;
  form_fields: Record<string, string>;
};

/** The hooks of the gateway type; `backend` is the gateway backend they are part of, for its watcher. */
// eslint-disable-next-line max-lines-per-function -- the hooks share what the form hook last found
export function gatewayHooks(
  options: IGatewayBackendOptions,
  session: IGatewaySession,
  backend: () => IGatewayBackend
): ITypeHooks {
  let found: IFound | undefined;
  const settings = () => options.gatewaySettings?.() ?? {};
  const current = (): IFound => {
    if (found === undefined) {
      throw new Error('The gateway type was planned before its form was read.');
    }
    return found;
  };

  /** Take over gateway cluster `request.adopt`, which must be pending or running; creates nothing. */
  const adopt = async (request: ICreateRequest & { adopt: string }, clusterId: string): Promise<PlanResult> => {
    const client = await session.usableClient();
    const cluster = await client.cluster(request.adopt);
    if (cluster.status !== 'RUNNING' && cluster.status !== 'PENDING') {
      throw new ApiError(
        409,
        'gateway_cluster_ended',
        `Gateway cluster ${request.adopt} is ${cluster.status.toLowerCase()}; only a pending or running cluster can be adopted.`
      );
    }
    const environments = await options.environments();
    const env = adoptEnvironment(environments, request, options.serverPython);
    if ('problem' in env) {
      return { fields: [{ path: '/environment', message: env.problem }] };
    }
    const scaling: IScaling = { mode: 'fixed', workers: 0 };
    return {
      plan: {
        spec: {
          type: 'gateway',
          name: request.name ?? `gateway ${request.adopt.slice(0, 8)}`,
          options: { environment: env.python },
          adopt: request.adopt
        },
        environment: { python: env.python, label: env.label },
        scaling,
        workDirs: [],
        start: gatewayStart(clusterId, client.connection, request.adopt, scaling, false)
      }
    };
  };

  /** Create the planned cluster on the gateway (adopting creates nothing): the start naming it. */
  const submit = async (plan: ILaunchPlan): Promise<SubmitResult> => {
    const clusterId = plan.start.cluster_id;
    if (plan.spec.adopt !== undefined) {
      session.names.set(clusterId, plan.spec.adopt);
      return { start: plan.start };
    }
    const submission = plan.submission as IGatewaySubmission | undefined;
    if (submission === undefined) {
      throw new Error('A gateway plan without the options to create its cluster.');
    }
    const client = await session.usableClient();
    let name: string;
    try {
      name = await client.create(submission.cluster_options);
    } catch (error) {
      if (error instanceof GatewayRequestError && error.gatewayStatus === 422) {
        return {
          fields: gatewayFieldErrors(error.reason, Object.keys(submission.form_fields), submission.form_fields)
        };
      }
      throw error;
    }
    session.names.set(clusterId, name);
    const { idle_timeout_minutes: idle } = plan.start;
    const start = gatewayStart(clusterId, client.connection, name, plan.scaling, true);
    // The gateway's scheduler is remote: the runner watches its idleness itself.
    return { start: idle !== undefined ? { ...start, idle_timeout_minutes: idle } : start };
  };

  return {
    // Available when the gateway answers with its options, which the form then offers.
    async available(context) {
      found = undefined;
      const client = await session.client(context.opening);
      if (client === undefined || 'unavailable' in client) {
        return client === undefined ? NOT_CONFIGURED : client.unavailable;
      }
      try {
        const gatewayOptions = await client.options();
        found = { client, options: gatewayOptions, offered: offeredOptions(gatewayOptions) };
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      return undefined;
    },

    async form(context) {
      const { client, options: gatewayOptions } = current();
      return gatewayFormParts(
        {
          address: client.connection.address,
          options: gatewayOptions,
          environments: await options.environments(),
          serverPython: options.serverPython,
          settings: settings(),
          workerEnvironment: options.workerEnvironment?.() ?? {}
        },
        context.environment?.python
      );
    },

    values: () => connectionValues(current().client.connection),

    submission(o, values) {
      const { offered } = current();
      const envVars = envVarsOption(offered, settings());
      const env = values[WORKER_ENV_FIELD] as Record<string, string>;
      // The form's variables win over the mapped option's (which hold the settings' by default).
      const option = envVars === undefined ? undefined : o[envVars.formField];
      const merged =
        envVars === undefined ? o : { ...o, [envVars.formField]: { ...(isObject(option) ? option : {}), ...env } };
      const submission: IGatewaySubmission = {
        cluster_options: clusterOptions(merged, offered),
        form_fields: Object.fromEntries(offered.map(option => [option.field, option.formField]))
      };
      return submission;
    },

    submit,
    adopt,

    snippet(model: IClusterModel) {
      const last = session.lastConnection();
      const proxy = model.schedulerAddress?.replace(/\/[^/]+$/, '');
      const address = last?.publicAddress ?? last?.address ?? '';
      return gatewaySnippet(address, proxy ?? last?.proxyAddress, session.gatewayName(model) ?? '');
    },

    watchExternal(context) {
      const watcher = new GatewayWatcher({
        backend: backend(),
        ...context,
        intervalMs: options.gatewayRefreshMs ?? 10_000
      });
      watcher.start();
      return {
        list: () => watcher.list(),
        connect: listener => watcher.changed.connect(listener),
        refresh: () => watcher.refresh(),
        stop: () => watcher.stop()
      };
    }
  };
}

/** The environment an adopted cluster's client runs in: the one asked for, else the server's, else the first usable. */
function adoptEnvironment(
  environments: IEnvironmentInfo[],
  request: ICreateRequest,
  serverPython: string
): IEnvironmentInfo | { problem: string } {
  const check = GATEWAY_DEFINITION.environmentCheck;
  const requested = isObject(request.options) ? request.options.environment : undefined;
  const env =
    typeof requested === 'string'
      ? environments.find(e => e.python === requested)
      : formEnvironment(GATEWAY_DEFINITION, environments, serverPython);
  const python = env?.python ?? (typeof requested === 'string' ? requested : serverPython);
  const problem = environmentProblem(python, environments, check);
  if (env === undefined || problem !== undefined) {
    return { problem: problem ?? 'No environment has dask-gateway.' };
  }
  return env;
}
