/**
 * The Gateway type as the dialog sees it, built from the gateway's own
 * `cluster_options` when the dialog opens: every option type (int, float,
 * string, bool, select, mapping) with its label, default and bounds, plus
 * the environment the client runs in and workers or adaptive bounds. Pure.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterType, IDefaultSource, IFieldError } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { isObject } from '../../util/objects.js';
import { WORKER_ENV_FIELD, WORKER_ENV_UI, workerEnvField } from '../fields.js';
import type { IGatewayOption } from './client.js';
import type { IGatewaySettings } from './connection.js';

/** Fields of ours in the Gateway form; a gateway option of the same name is offered as `gateway_<name>`. */
export const OWN_FIELDS = [
  'environment',
  WORKER_ENV_FIELD,
  'adaptive',
  'workers',
  'adaptive_minimum',
  'adaptive_maximum'
] as const;

/** The field that names the Python environment, as in every other type. */
export const ENVIRONMENT = 'environment';

/** A gateway option as the form offers it: `formField` is its property in the form (and the request). */
export interface IOfferedOption extends IGatewayOption {
  formField: string;
}

/** What the Gateway type is built from. */
export interface IGatewayTypeInput {
  address: string;
  options: IGatewayOption[];
  environments: IEnvironmentInfo[];
  serverPython: string;
  settings: IGatewaySettings;
  /** Per-user worker environment variables (extension settings). */
  workerEnvironment: Record<string, string>;
}

function bound(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** JSON Schema of one gateway option; undefined for a type this version does not know. */
export function optionSchema(option: IGatewayOption): JSONSchema7 | undefined {
  const title = option.label || option.field;
  const min = bound(option.spec.min);
  const max = bound(option.spec.max);
  const range = min !== undefined || max !== undefined ? ` From ${min ?? '-∞'} to ${max ?? '∞'}.` : '';
  const base = { title, description: `Gateway option "${option.field}".${range}` };
  switch (option.spec.type) {
    case 'int':
      return {
        ...base,
        type: 'integer',
        ...(min !== undefined ? { minimum: min } : {}),
        ...(max !== undefined ? { maximum: max } : {}),
        default: option.default as number
      };
    case 'float':
      return {
        ...base,
        type: 'number',
        ...(min !== undefined ? { minimum: min } : {}),
        ...(max !== undefined ? { maximum: max } : {}),
        default: option.default as number
      };
    case 'string':
      return { ...base, type: 'string', default: typeof option.default === 'string' ? option.default : '' };
    case 'bool':
      return { ...base, type: 'boolean', default: option.default === true };
    case 'select': {
      const choices = (option.spec.options ?? []).filter((choice): choice is string => typeof choice === 'string');
      return { ...base, type: 'string', enum: choices, default: option.default as string };
    }
    case 'mapping':
      return {
        ...base,
        description: `Gateway option "${option.field}": names and values.`,
        type: 'object',
        additionalProperties: { type: 'string' },
        default: (isObject(option.default) ? option.default : {}) as Record<string, string>
      };
    default:
      return undefined;
  }
}

/**
 * The gateway options the form offers (those of a known type), each under its
 * own name, or as `gateway_<name>` where the name is one of our fields (a
 * gateway's `environment` mapping, say); one whose prefixed name is taken too is left out.
 */
export function offeredOptions(options: IGatewayOption[]): IOfferedOption[] {
  const own: readonly string[] = OWN_FIELDS;
  const names = new Set(options.map(option => option.field));
  return options.flatMap(option => {
    if (optionSchema(option) === undefined) {
      return [];
    }
    if (!own.includes(option.field)) {
      return [{ ...option, formField: option.field }];
    }
    const prefixed = `gateway_${option.field}`;
    return names.has(prefixed) ? [] : [{ ...option, formField: prefixed }];
  });
}

/** The default environment: the server's when it has dask_gateway, else the first that has. */
function defaultEnvironment(input: IGatewayTypeInput): IEnvironmentInfo | undefined {
  const usable = input.environments.filter(gatewayUsable);
  return usable.find(env => env.python === input.serverPython) ?? usable[0];
}

/** Whether an environment can run the client side of a gateway cluster. */
export function gatewayUsable(env: IEnvironmentInfo): boolean {
  return env.usable && env.probe?.packages.dask_gateway !== undefined;
}

/** The name of an environment as a deployment may know it: its label, or the conda env directory. */
export function environmentNames(env: IEnvironmentInfo): string[] {
  const names = [env.label];
  const match =
    /\/envs\/([^/]+)\/bin\/python[0-9.]*$/.exec(env.python) ?? /\/([^/]+)\/bin\/python[0-9.]*$/.exec(env.python);
  if (match) {
    names.push(match[1]);
  }
  return names;
}

/**
 * The value the mapped environment option takes for `env`: for a select,
 * the choice that names the environment (or none); else its label.
 */
export function mappedEnvironmentValue(option: IGatewayOption, env: IEnvironmentInfo): string | undefined {
  const names = environmentNames(env);
  if (option.spec.type === 'select') {
    const choices = (option.spec.options ?? []).filter((c): c is string => typeof c === 'string');
    return choices.find(choice => names.includes(choice));
  }
  return option.spec.type === 'string' ? names[0] : undefined;
}

/** The parts of the type a builder step adds to. */
interface ITypeParts {
  properties: Record<string, JSONSchema7>;
  defaults: Record<string, unknown>;
  sources: IDefaultSource[];
  uiSchema: Record<string, unknown>;
  linked: NonNullable<IClusterType['linked']>;
}

/** The `environment` field: the Python environment the client side runs in. */
function addEnvironment(parts: ITypeParts, input: IGatewayTypeInput, env: IEnvironmentInfo | undefined): void {
  parts.properties[ENVIRONMENT] = {
    type: 'string',
    title: 'Environment',
    description:
      'Python environment (from your kernelspecs) that connects to the gateway cluster; it needs dask-gateway. ' +
      "Pick your notebook kernel's, so client and cluster versions match.",
    enum: input.environments.map(e => e.python),
    ...(env ? { default: env.python } : {})
  };
  parts.defaults[ENVIRONMENT] = env?.python;
  parts.sources.push({
    field: ENVIRONMENT,
    value: env?.python,
    source:
      env?.python === input.serverPython
        ? "the Jupyter server's environment"
        : 'the first environment with dask-gateway'
  });
  parts.uiSchema[ENVIRONMENT] = {
    'ui:enumNames': input.environments.map(e =>
      gatewayUsable(e)
        ? `${e.label} (dask-gateway ${e.probe?.packages.dask_gateway})`
        : `${e.label} — needs dask-gateway`
    ),
    'ui:enumDisabled': input.environments.filter(e => !gatewayUsable(e)).map(e => e.python)
  };
}

/** The gateway's own options, under their form names. */
function addGatewayOptions(parts: ITypeParts, offered: IOfferedOption[]): void {
  for (const option of offered) {
    const schema = optionSchema(option);
    if (schema === undefined) {
      continue;
    }
    parts.properties[option.formField] = schema;
    parts.defaults[option.formField] = schema.default;
    parts.sources.push({ field: option.formField, value: schema.default, source: 'the gateway' });
    if (option.spec.type === 'mapping') {
      parts.uiSchema[option.formField] = { 'ui:options': { addable: true, removable: true } };
    }
  }
}

/**
 * The settings' mapping of the worker environment variables: the gateway's
 * mapping option it names holds the settings' variables by default, and the
 * Worker environment variables field adds the form's (merged in by `plan`).
 */
function addWorkerEnvironment(parts: ITypeParts, option: IOfferedOption | undefined, input: IGatewayTypeInput): void {
  if (option === undefined) {
    return;
  }
  const field = option.formField;
  if (Object.keys(input.workerEnvironment).length > 0) {
    const merged = { ...(parts.defaults[field] as Record<string, string>), ...input.workerEnvironment };
    parts.defaults[field] = merged;
    parts.properties[field] = { ...parts.properties[field], default: merged };
    parts.sources.push({ field, value: merged, source: 'your worker environment variables (settings)' });
  }
  parts.properties[WORKER_ENV_FIELD] = workerEnvField(
    `through the gateway option "${option.label || option.field}"; they win over its values`
  );
  parts.defaults[WORKER_ENV_FIELD] = '';
  parts.uiSchema[WORKER_ENV_FIELD] = WORKER_ENV_UI;
}

/** The settings' mapping of the environment: the choice sets the gateway option that names it. */
function addEnvironmentLink(
  parts: ITypeParts,
  option: IOfferedOption | undefined,
  input: IGatewayTypeInput,
  env: IEnvironmentInfo | undefined
): void {
  if (option === undefined) {
    return;
  }
  const values: Record<string, Record<string, unknown>> = {};
  for (const e of input.environments) {
    const value = mappedEnvironmentValue(option, e);
    if (value !== undefined) {
      values[e.python] = { [option.formField]: value };
    }
  }
  parts.linked.push({ field: ENVIRONMENT, values });
  const initial = env === undefined ? undefined : values[env.python]?.[option.formField];
  if (initial !== undefined) {
    parts.defaults[option.formField] = initial;
    parts.properties[option.formField] = { ...parts.properties[option.formField], default: initial as string };
    parts.sources.push({
      field: option.formField,
      value: initial,
      source: 'the chosen environment (settings: option mapping)'
    });
  }
}

/** Workers, or adaptive bounds. */
function addScaling(parts: ITypeParts): void {
  Object.assign(parts.properties, {
    workers: { type: 'integer', title: 'Workers', description: 'Workers to start.', minimum: 0, default: 1 },
    adaptive: {
      type: 'boolean',
      title: 'Adaptive scaling',
      description: 'Let the gateway add and remove workers with the load.',
      default: false
    },
    adaptive_minimum: {
      type: 'integer',
      title: 'Minimum workers',
      description: 'Workers kept even when idle (adaptive scaling).',
      minimum: 0,
      default: 0
    },
    adaptive_maximum: {
      type: 'integer',
      title: 'Maximum workers',
      description: 'Most workers adaptive scaling may start.',
      minimum: 1,
      default: 4
    }
  } satisfies Record<string, JSONSchema7>);
  Object.assign(parts.defaults, { workers: 1, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 });
}

/** The order and sections of the form. */
function addLayout(parts: ITypeParts, offered: IOfferedOption[]): void {
  const advanced = WORKER_ENV_FIELD in parts.properties ? [WORKER_ENV_FIELD] : [];
  const own = offered.map(o => o.formField);
  parts.uiSchema['ui:order'] = [
    ENVIRONMENT,
    ...own,
    'workers',
    'adaptive',
    'adaptive_minimum',
    'adaptive_maximum',
    ...advanced
  ];
  parts.uiSchema['ui:groups'] = [
    { title: 'Where it runs', fields: [ENVIRONMENT] },
    { title: "The gateway's options", fields: own },
    { title: 'How big', fields: ['workers'] },
    { title: 'How it scales', fields: ['adaptive', 'adaptive_minimum', 'adaptive_maximum'] },
    ...(advanced.length > 0 ? [{ title: 'Advanced', fields: advanced, collapsed: true }] : [])
  ];
}

/** The mapping option the settings name for the worker environment variables, when offered. */
export function envVarsOption(offered: IOfferedOption[], settings: IGatewaySettings): IOfferedOption | undefined {
  const field = settings.optionMapping?.envVars;
  return offered.find(o => o.field === field && o.spec.type === 'mapping');
}

/** The Gateway type with its schema, defaults and links. */
export function buildGatewayType(input: IGatewayTypeInput): IClusterType {
  const offered = offeredOptions(input.options);
  const env = defaultEnvironment(input);
  const parts: ITypeParts = { properties: {}, defaults: {}, sources: [], uiSchema: {}, linked: [] };
  addEnvironment(parts, input, env);
  addGatewayOptions(parts, offered);
  addWorkerEnvironment(parts, envVarsOption(offered, input.settings), input);
  addEnvironmentLink(
    parts,
    offered.find(o => o.field === input.settings.optionMapping?.environment),
    input,
    env
  );
  addScaling(parts);
  addLayout(parts, offered);
  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: [ENVIRONMENT],
    properties: parts.properties
  };
  const usable = env !== undefined;
  return {
    id: 'gateway',
    title: 'Dask Gateway',
    description: `A cluster on the Dask Gateway at ${input.address}.`,
    // Last-used values are remembered per gateway.
    instance: input.address,
    available: usable,
    ...(usable
      ? {}
      : {
          reason:
            'No Python environment here has dask-gateway: pip install dask-gateway in the environment of a kernel.'
        }),
    schema,
    uiSchema: parts.uiSchema,
    defaults: parts.defaults,
    sources: parts.sources,
    ...(parts.linked.length > 0 ? { linked: parts.linked } : {})
  };
}

/** A type that cannot be used now, and why. */
export function unavailableGatewayType(reason: string): IClusterType {
  return {
    id: 'gateway',
    title: 'Dask Gateway',
    description: 'A cluster on a Dask Gateway.',
    available: false,
    reason,
    schema: { type: 'object', properties: {} },
    uiSchema: {},
    defaults: {},
    sources: []
  };
}

/** The gateway options of validated form values, under the gateway's names. */
export function clusterOptions(values: Record<string, unknown>, offered: IOfferedOption[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const option of offered) {
    if (values[option.formField] !== undefined) {
      options[option.field] = values[option.formField];
    }
  }
  return options;
}

/**
 * The gateway's 422 reason (e.g. "worker_cores must be <= 4.000000, got 9",
 * "'x' is not a valid option for profile", "Unknown fields ['a']") as field
 * errors: on the option it names (at its form name, when `formFields` maps
 * it), else on the whole form.
 */
export function gatewayFieldErrors(
  reason: string,
  fields: string[],
  formFields: Readonly<Record<string, string>> = {}
): IFieldError[] {
  const byLength = [...fields].sort((a, b) => b.length - a.length);
  const named =
    byLength.find(field => reason.startsWith(`${field} `)) ??
    byLength.find(field =>
      new RegExp(`(^|[\\s'"\\[])${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s'",\\]])`).test(reason)
    );
  const message = `The gateway refused this value: ${reason}`;
  return [{ path: named === undefined ? '' : `/${formFields[named] ?? named}`, message }];
}
