/**
 * The backend of a type defined as data (definition.ts): its form is the
 * shared fields around the type's own, its validation is the schema plus the
 * shared rules, and its launch is the definition's class with the mapped
 * arguments. No code of its own.
 */

import type { JSONSchema7 } from 'json-schema';
import type {
  IClusterModel,
  IClusterType,
  ICreateRequest,
  IDefaultSource,
  IFieldError,
  IScaling
} from '../../../protocol/index.js';
import { scalingFromOptions } from '../clusters/scaling.js';
import type { IEnvironmentInfo, ListEnvironments } from '../envs/probe.js';
import { schemaErrors } from '../util/schema-errors.js';
import type { RunnerJson } from '../runner/json.js';
import { apiErrorOf } from '../http/errors.js';
import { isObject } from '../util/objects.js';
import type { IBackend, IDescribeQuery, ILaunchPlan, PlanResult } from './backend.js';
import type { IFormParts, IHookContext, ITypeDefinition } from './definition.js';
import {
  earlierEnd,
  ENDING_FIELDS,
  endingFields,
  endingOf,
  lifetimeEnd,
  type IEnding,
  type IEndingLimits
} from './ending.js';
import {
  defaultEnvironment,
  defaultEnvironmentReason,
  environmentField,
  exportLines,
  interpreterProblem,
  noEnvironmentReason,
  optionsBoundsProblem,
  parseWorkerEnv,
  SCALING_FIELDS,
  scalingFields,
  WORKER_ENV_FIELD,
  WORKER_ENV_UI,
  workerEnvField,
  type IScalingOptions
} from './fields.js';
import { placeholders, renderArguments } from './mapping.js';
import { clientSnippet, dashboardLinkLines, securityDirectory } from './tls.js';

/** What a defined type needs from the companion. */
export interface IDefinedBackendOptions {
  environments: ListEnvironments;
  serverPython: string;
  /** Base of the per-cluster TLS credential directories. */
  securityBase: string;
  /** Runs runner.py subcommands (job-script, config): for previews and hooks. */
  runRunner?: RunnerJson;
  /** Whether a file exists, for a chosen interpreter (default: every path does). */
  exists?: (path: string) => boolean;
  /** The site's defaults and caps of lifetimes and idle timeouts (default: none). */
  limits?: () => IEndingLimits;
}

/** Whether the definition passes the workers' environment variables on. */
function takesWorkerEnv(definition: ITypeDefinition): boolean {
  if (definition.workerEnv !== undefined) {
    return true;
  }
  const used = placeholders(definition.kwargs);
  return used.has('worker_env') || used.has('worker_env_exports');
}

/** The environment the form preselects: none at all when no environment can run the type. */
export function formEnvironment(
  definition: ITypeDefinition,
  environments: IEnvironmentInfo[],
  serverPython: string
): IEnvironmentInfo | undefined {
  const found = defaultEnvironment(environments, serverPython, definition.environmentCheck);
  return found !== undefined && definition.environmentCheck(found) === undefined ? found : undefined;
}

/**
 * `properties` with each field's computed schema keys laid over it, in the
 * form's `order` when there is one (messages list fields in that order).
 */
function overlay(
  properties: Record<string, JSONSchema7>,
  computed: Record<string, JSONSchema7>,
  order: string[] = []
): Record<string, JSONSchema7> {
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return Object.fromEntries(
    Object.entries(properties)
      .sort(([a], [b]) => rank(a) - rank(b))
      .map(([name, property]) => [name, { ...property, ...(computed[name] ?? {}) }])
  );
}

/** The shared ending fields a type has: those its own fields do not name (a gateway may offer an `idle_timeout`). */
function endingNames(definition: ITypeDefinition, parts: IFormParts): string[] {
  return ENDING_FIELDS.filter(name => !(name in definition.options) && !(name in (parts.fields ?? {})));
}

/** The engine's layout: where it runs, the type's own fields, how it scales, the advanced ones folded. */
function defaultLayout(title: string, own: string[], advanced: string[]): NonNullable<ITypeDefinition['layout']> {
  return {
    order: ['environment', ...own, ...SCALING_FIELDS, ...advanced],
    groups: [
      { title: 'Where it runs', fields: ['environment'] },
      ...(own.length > 0 ? [{ title, fields: own }] : []),
      { title: 'How it scales', fields: [...SCALING_FIELDS] },
      ...(advanced.length > 0 ? [{ title: 'Advanced', fields: advanced, collapsed: true }] : [])
    ]
  };
}

/** A layout with the shared ending fields it does not name after its own, in a section of their own. */
function withEnding(layout: NonNullable<ITypeDefinition['layout']>, names: string[]): typeof layout {
  const unplaced = names.filter(name => !layout.order.includes(name));
  const ungrouped = names.filter(name => !layout.groups.some(group => group.fields.includes(name)));
  return {
    order: [...layout.order, ...unplaced],
    groups: [...layout.groups, ...(ungrouped.length > 0 ? [{ title: 'When it stops', fields: ungrouped }] : [])]
  };
}

/** The form's schema, hints, defaults and their sources. */
function describeForm(
  definition: ITypeDefinition,
  environments: IEnvironmentInfo[],
  serverPython: string,
  parts: IFormParts = {},
  limits: IEndingLimits = {}
) {
  const env = formEnvironment(definition, environments, serverPython);
  const why = defaultEnvironmentReason(env, serverPython);
  const environment = environmentField(environments, {
    default: env,
    why,
    description:
      definition.environmentDescription ??
      `Python environment that starts ${definition.clusterClass}; it must be able to import it.`,
    check: definition.environmentCheck
  });
  const offered = parts.fields ?? {};
  const own = [...Object.keys(definition.options), ...Object.keys(offered)];
  const layout = parts.layout ?? definition.layout;
  const ownUi = { ...definition.ui };
  for (const [name, hints] of Object.entries(parts.ui ?? {})) {
    ownUi[name] = { ...(ownUi[name] ?? {}), ...hints };
  }
  const envField = takesWorkerEnv(definition) || parts.workerEnv !== undefined ? [WORKER_ENV_FIELD] : [];
  const how = parts.workerEnv ?? definition.workerEnv ?? 'as the site type passes them on';
  const endingNamed = endingNames(definition, parts);
  const ending = endingFields(limits, endingNamed);
  const properties = overlay(
    {
      environment: environment.schema,
      ...definition.options,
      ...offered,
      ...scalingFields(definition.scaling, definition.scalingWords),
      ...(envField.length > 0 ? { [WORKER_ENV_FIELD]: workerEnvField(how) } : {}),
      ...ending.properties
    },
    parts.options ?? {},
    layout?.order
  );
  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['environment', ...definition.required],
    properties
  };
  const placed = withEnding(layout ?? defaultLayout(definition.title, own, envField), endingNamed);
  const uiSchema: Record<string, unknown> = {
    ...ownUi,
    'ui:order': placed.order,
    'ui:groups': placed.groups,
    environment: environment.ui,
    ...(envField.length > 0 ? { [WORKER_ENV_FIELD]: WORKER_ENV_UI } : {})
  };
  const defaults: Record<string, unknown> = {};
  const sources: IDefaultSource[] = env !== undefined ? [{ field: 'environment', value: env.python, source: why }] : [];
  sources.push(...ending.sources);
  for (const [field, property] of Object.entries(properties)) {
    if (property.default !== undefined) {
      defaults[field] = property.default;
      const source =
        parts.sources?.[field] ??
        (own.includes(field) && parts.sourcesComplete !== true ? definition.origin : undefined);
      if (source !== undefined && field !== 'environment' && !endingNamed.includes(field)) {
        sources.push({ field, value: property.default, source });
      }
    }
  }
  return {
    schema,
    uiSchema,
    defaults,
    sources,
    linked: parts.linked,
    description: parts.description,
    instance: parts.instance,
    ending: { names: endingNamed, limits }
  };
}

/** The request's options with every default in: the form's, the linked values of its choices, the hook's. */
function fillOptions(
  definition: ITypeDefinition,
  form: ReturnType<typeof describeForm>,
  environments: IEnvironmentInfo[],
  requested: Record<string, unknown>
): Record<string, unknown> {
  let linked: Record<string, unknown> = {};
  for (const link of form.linked ?? []) {
    const chosen = requested[link.field] ?? form.defaults[link.field];
    linked = { ...linked, ...(link.values[String(chosen)] ?? {}) };
  }
  // Without a usable default environment, the first one stands in, so its error says what is missing.
  const environment = form.defaults.environment ?? environments[0]?.python;
  const options = { ...form.defaults, environment, ...linked, ...requested };
  const filled = definition.hooks?.fill?.(options, requested, { environments }) ?? {};
  return { ...options, ...filled, ...requested };
}

/** The validated options, or every problem with them. */
function validate(
  definition: ITypeDefinition,
  form: ReturnType<typeof describeForm>,
  context: { environments: IEnvironmentInfo[]; exists: (path: string) => boolean },
  requested: unknown
):
  { options: Record<string, unknown>; workerEnv: Record<string, string>; ending: IEnding } | { fields: IFieldError[] } {
  if (!isObject(requested)) {
    return { fields: [{ path: '', message: 'The options must be a JSON object, e.g. {"workers": 2}.' }] };
  }
  const { environments } = context;
  const options = fillOptions(definition, form, environments, requested);
  const fields = schemaErrors(form.schema, options, {
    // The environment gets its own message, which says what is wrong with it; so do what hooks check.
    skip: error =>
      (error.instancePath === '/environment' && error.keyword === 'enum') ||
      (definition.hookChecked ?? []).some(
        checked => checked.path === error.instancePath && checked.keyword === error.keyword
      )
  });
  if (typeof options.environment === 'string') {
    const problem = interpreterProblem(options.environment, environments, definition.environmentCheck, context.exists);
    if (problem !== undefined) {
      fields.push({ path: '/environment', message: problem });
    }
  }
  fields.push(...(definition.hooks?.check?.(options, { environments }) ?? []));
  const ending = endingOf(options, form.ending.limits, form.ending.names);
  fields.push(...('fields' in ending ? ending.fields : []));
  // The bounds' rule once each bound is right on its own, so that one mistake gets one message.
  const bounds = fields.length === 0 ? optionsBoundsProblem(options) : undefined;
  const parsed = parseWorkerEnv(options[WORKER_ENV_FIELD]);
  fields.push(...(bounds !== undefined ? [bounds] : []), ...('error' in parsed ? [parsed.error] : []));
  return fields.length > 0 || 'error' in parsed || 'fields' in ending
    ? { fields }
    : { options, workerEnv: parsed.env, ending: ending.ending };
}

/** Python that connects a notebook to a running cluster of `definition`. */
function snippetOf(
  definition: ITypeDefinition,
  model: IClusterModel,
  securityBase: string,
  link: string | undefined
): string {
  const address = model.schedulerAddress ?? '';
  if (definition.snippet === undefined) {
    const tls = definition.tls && address.startsWith('tls://');
    return clientSnippet(address, tls ? securityDirectory(securityBase, model.id) : undefined, link);
  }
  return definition.snippet
    .replace(/\{scheduler_address\}/g, JSON.stringify(address))
    .replace(/\{dashboard_link\}/g, dashboardLinkLines(link).join('\n'));
}

/** What the form is built from when the dialog opens or a request comes. */
interface IFormContext {
  environments: IEnvironmentInfo[];
  parts: IFormParts;
  /** Why nothing can be planned: the definition or a hook (no environment is the environment field's error). */
  blocked?: string;
}

/**
 * The type as the dialog renders it, from its definition and the parts its
 * form hook computed; unavailable with `blocked` (the definition's or a
 * hook's reason), or when no environment can run it.
 */
export function describeType(
  definition: ITypeDefinition,
  environments: IEnvironmentInfo[],
  serverPython: string,
  parts: IFormParts = {},
  blocked?: string,
  limits: IEndingLimits = {}
): IClusterType {
  const usable = environments.some(env => definition.environmentCheck(env) === undefined);
  const reason = blocked ?? (usable ? undefined : noEnvironmentReason(environments, definition.environmentCheck));
  const {
    linked,
    description,
    instance,
    ending: _ending,
    ...described
  } = describeForm(definition, environments, serverPython, parts, limits);
  return {
    id: definition.id,
    title: definition.title,
    description: description ?? definition.description,
    available: reason === undefined,
    ...(reason !== undefined ? { reason } : {}),
    ...described,
    ...(linked !== undefined ? { linked } : {}),
    ...(instance !== undefined ? { instance } : {}),
    ...(definition.jobScript === true ? { preview: true } : {})
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The hooks' context; a hook that runs runner.py without one fails saying so. */
function hookContext(options: IDefinedBackendOptions, opening = false): IHookContext {
  return {
    serverPython: options.serverPython,
    opening,
    runRunner:
      options.runRunner ??
      (() => Promise.reject(new Error('this companion gives defined types no way to run runner.py')))
  };
}

/**
 * The form and the reason the type cannot be used, with the definition's
 * hooks called; `including`: the environment a launch asked for.
 */
async function formContext(
  definition: ITypeDefinition,
  options: IDefinedBackendOptions,
  query?: IDescribeQuery,
  including?: string
): Promise<IFormContext> {
  const environments = await options.environments(including);
  const hooks = definition.hooks ?? {};
  // A query comes with a describe: the dialog is opening.
  const context = hookContext(options, query !== undefined);
  let reason = definition.unavailable;
  let parts: IFormParts = {};
  if (reason === undefined && hooks.available !== undefined) {
    reason = await hooks.available(context);
  }
  if (reason === undefined && hooks.form !== undefined) {
    try {
      const environment = formEnvironment(definition, environments, options.serverPython);
      parts = await hooks.form({ ...context, environment }, query ?? {});
    } catch (error) {
      // A refusal of the query is the caller's to hear; anything else means the system is not answering.
      if (apiErrorOf(error) !== undefined) {
        throw error;
      }
      reason = `${definition.title} does not answer: ${message(error)}`;
    }
  }
  return {
    environments,
    parts,
    ...(reason !== undefined ? { blocked: reason } : {})
  };
}

/** The environment a create request names, if it names one. */
function environmentOf(request: ICreateRequest): string | undefined {
  const environment = request.options?.environment;
  return typeof environment === 'string' ? environment : undefined;
}

/** A plan with its job script (rendered once, when asked for). */
type Launch = { plan: ILaunchPlan; script: () => Promise<string> } | { fields: IFieldError[] };

/** The launch of a validated request: the mapping rendered with every value, hooks' included. */
async function launchOf(
  definition: ITypeDefinition,
  options: IDefinedBackendOptions,
  request: ICreateRequest,
  clusterId: string
): Promise<Launch> {
  const { parts, environments, blocked } = await formContext(definition, options, undefined, environmentOf(request));
  const form = describeForm(definition, environments, options.serverPython, parts, options.limits?.());
  if (blocked !== undefined) {
    return { fields: [{ path: '', message: blocked }] };
  }
  const checked = validate(
    definition,
    form,
    { environments, exists: options.exists ?? (() => true) },
    request.options ?? {}
  );
  if ('fields' in checked) {
    return checked;
  }
  const o = checked.options;
  const scaling = scalingFromOptions(o as unknown as IScalingOptions);
  const security = definition.tls ? securityDirectory(options.securityBase, clusterId) : undefined;
  const base = {
    ...o,
    workers: scaling.mode === 'fixed' ? scaling.workers : scaling.minimum,
    cluster_id: clusterId,
    worker_env: checked.workerEnv,
    worker_env_exports: exportLines(checked.workerEnv),
    scaling,
    ...(security !== undefined ? { security_directory: security } : {})
  };
  const values = { ...base, ...(definition.hooks?.values?.(o, base) ?? {}) };
  const rendered = renderArguments(definition.kwargs, values);
  const config = renderArguments(definition.config ?? {}, values).kwargs;
  const python = String(o.environment);
  const plan: ILaunchPlan = {
    spec: { type: definition.id, ...(request.name ? { name: request.name } : {}), options: { ...o } },
    environment: { python, label: environments.find(env => env.python === python)?.label ?? python },
    scaling,
    workDirs: [...(definition.hooks?.workDirs?.(clusterId) ?? []), ...(security !== undefined ? [security] : [])],
    start: {
      op: 'start',
      cluster_id: clusterId,
      ...(definition.adapter !== undefined
        ? { adapter: definition.adapter }
        : { cluster_class: definition.clusterClass }),
      kwargs: { ...rendered.kwargs, ...(security !== undefined ? { security_directory: security } : {}) },
      ...(Object.keys(rendered.calls).length > 0 ? { calls: rendered.calls } : {}),
      config,
      scaling,
      ...(checked.ending.idleTimeoutMinutes !== undefined
        ? { idle_timeout_minutes: checked.ending.idleTimeoutMinutes }
        : {})
    },
    ...(checked.ending.idleTimeoutMinutes !== undefined ? { idleTimeout: checked.ending.idleTimeoutMinutes } : {}),
    ...(checked.ending.keepRunning === true
      ? { keepRunning: true }
      : definition.sharedRunner === true
        ? { sharedRunner: true }
        : {})
  };
  const submission = definition.hooks?.submission?.(o, values);
  if (submission !== undefined) {
    plan.submission = submission;
  }
  let script: Promise<string> | undefined;
  const jobScript = () => (script ??= jobScriptOf(plan, options));
  const refused = (await definition.hooks?.preSubmit?.(o, values, { jobScript })) ?? [];
  const allocation = refused.length > 0 ? undefined : await definition.hooks?.endsAt?.();
  const { lifetimeMinutes } = checked.ending;
  const ends = earlierEnd(
    allocation !== undefined ? { ...allocation, reason: `Stopped before ${allocation.why}.` } : undefined,
    lifetimeMinutes !== undefined && refused.length === 0 ? lifetimeEnd(lifetimeMinutes, new Date()) : undefined
  );
  if (ends !== undefined) {
    plan.endsAt = { at: ends.at.toISOString(), why: ends.why, reason: ends.reason };
  }
  return refused.length > 0 ? { fields: refused } : { plan, script: jobScript };
}

/** The job script a plan's class would submit, from `runner.py job-script`. */
async function jobScriptOf(plan: ILaunchPlan, options: IDefinedBackendOptions): Promise<string> {
  const start = plan.start;
  const answer = (await hookContext(options).runRunner(plan.environment.python, ['job-script'], {
    cluster_class: 'cluster_class' in start ? start.cluster_class : '',
    kwargs: start.kwargs,
    ...(start.calls !== undefined ? { calls: start.calls } : {})
  })) as { script?: unknown };
  if (typeof answer.script !== 'string') {
    throw new Error('runner.py job-script printed no script');
  }
  return answer.script;
}

/** The backend of `definition`. */
export function definedBackend(definition: ITypeDefinition, options: IDefinedBackendOptions): IBackend {
  const backend: IBackend = {
    id: definition.id,

    async describe(query: IDescribeQuery): Promise<IClusterType> {
      const { environments, parts, blocked } = await formContext(definition, options, query);
      return describeType(definition, environments, options.serverPython, parts, blocked, options.limits?.());
    },

    async plan(request: ICreateRequest, clusterId: string): Promise<PlanResult> {
      const adopt = definition.hooks?.adopt;
      if (typeof request.adopt === 'string' && request.adopt !== '' && adopt !== undefined) {
        return adopt({ ...request, adopt: request.adopt }, clusterId);
      }
      const launch = await launchOf(definition, options, request, clusterId);
      return 'fields' in launch ? launch : { plan: launch.plan };
    },

    checkScaling(cluster: IClusterModel, scaling: IScaling): IFieldError[] {
      return definition.hooks?.checkScaling?.(cluster, scaling) ?? [];
    },

    snippet(model: IClusterModel, dashboardLink: string | undefined) {
      return (
        definition.hooks?.snippet?.(model, dashboardLink) ??
        snippetOf(definition, model, options.securityBase, dashboardLink)
      );
    },

    tunnelCommand(dashboardUrl: string) {
      return definition.hooks?.tunnel?.(dashboardUrl);
    }
  };
  if (definition.jobScript === true) {
    backend.preview = async request => {
      const planned = await launchOf(definition, options, request, '<cluster-id>');
      return 'fields' in planned ? planned : { script: await planned.script() };
    };
  }
  const { attach, submit, watchExternal } = definition.hooks ?? {};
  if (attach !== undefined) {
    backend.attach = registry => attach(registry);
  }
  if (submit !== undefined) {
    backend.submit = plan => submit(plan);
  }
  if (watchExternal !== undefined) {
    backend.watchExternal = context => watchExternal(context);
  }
  return backend;
}
