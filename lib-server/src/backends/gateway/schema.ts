/**
 * The Gateway type as the dialog sees it, built from the gateway's own
 * `cluster_options` when the dialog opens: every option type (int, float,
 * string, bool, select, mapping) with its label, default and bounds, plus
 * the environment the client runs in and workers or adaptive bounds. Pure.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterType, IDefaultSource, IFieldError } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import type { IGatewayOption } from './client.js';
import type { IGatewaySettings } from './connection.js';

/** Fields of ours in the Gateway form; a gateway option of the same name is not offered. */
export const OWN_FIELDS = [
  'python_environment',
  'adaptive',
  'workers',
  'adaptive_minimum',
  'adaptive_maximum'
] as const;

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
        default: (typeof option.default === 'object' && option.default !== null ? option.default : {}) as Record<
          string,
          string
        >
      };
    default:
      return undefined;
  }
}

/** The gateway options the form offers (known type, no clash with our fields). */
export function offeredOptions(options: IGatewayOption[]): IGatewayOption[] {
  return options.filter(
    option => !(OWN_FIELDS as readonly string[]).includes(option.field) && optionSchema(option) !== undefined
  );
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

/** The Gateway type with its schema, defaults and links. */
// eslint-disable-next-line max-lines-per-function -- one declarative schema of the Gateway type's fields, read top to bottom like the form
export function buildGatewayType(input: IGatewayTypeInput): IClusterType {
  const offered = offeredOptions(input.options);
  const env = defaultEnvironment(input);
  const mapping = input.settings.optionMapping ?? {};
  const properties: Record<string, JSONSchema7> = {};
  const defaults: Record<string, unknown> = {};
  const sources: IDefaultSource[] = [];
  const uiSchema: Record<string, unknown> = {};

  properties.python_environment = {
    type: 'string',
    title: 'Environment',
    description:
      'Python environment (from your kernelspecs) that connects to the gateway cluster; it needs dask-gateway. ' +
      "Pick your notebook kernel's, so client and cluster versions match.",
    enum: input.environments.map(e => e.python),
    ...(env ? { default: env.python } : {})
  };
  defaults.python_environment = env?.python;
  sources.push({
    field: 'python_environment',
    value: env?.python,
    source:
      env?.python === input.serverPython
        ? "the Jupyter server's environment"
        : 'the first environment with dask-gateway'
  });
  uiSchema.python_environment = {
    'ui:enumNames': input.environments.map(e =>
      gatewayUsable(e)
        ? `${e.label} (dask-gateway ${e.probe?.packages.dask_gateway})`
        : `${e.label} — needs dask-gateway`
    ),
    'ui:enumDisabled': input.environments.filter(e => !gatewayUsable(e)).map(e => e.python)
  };

  for (const option of offered) {
    const schema = optionSchema(option);
    if (schema === undefined) {
      continue;
    }
    properties[option.field] = schema;
    defaults[option.field] = schema.default;
    sources.push({ field: option.field, value: schema.default, source: 'the gateway' });
    if (option.spec.type === 'mapping') {
      uiSchema[option.field] = { 'ui:options': { addable: true, removable: true } };
    }
  }

  // The configured mapping: the worker environment variables fill a mapping option...
  const envVarsOption = offered.find(o => o.field === mapping.envVars && o.spec.type === 'mapping');
  if (envVarsOption !== undefined && Object.keys(input.workerEnvironment).length > 0) {
    const merged = { ...(defaults[envVarsOption.field] as Record<string, string>), ...input.workerEnvironment };
    defaults[envVarsOption.field] = merged;
    properties[envVarsOption.field] = { ...properties[envVarsOption.field], default: merged };
    sources.push({ field: envVarsOption.field, value: merged, source: 'your worker environment variables (settings)' });
  }
  // ...and the environment choice sets the option that names the environment.
  const environmentOption = offered.find(o => o.field === mapping.environment);
  const linked: IClusterType['linked'] = [];
  if (environmentOption !== undefined) {
    const values: Record<string, Record<string, unknown>> = {};
    for (const e of input.environments) {
      const value = mappedEnvironmentValue(environmentOption, e);
      if (value !== undefined) {
        values[e.python] = { [environmentOption.field]: value };
      }
    }
    linked.push({ field: 'python_environment', values });
    const initial = env === undefined ? undefined : values[env.python]?.[environmentOption.field];
    if (initial !== undefined) {
      defaults[environmentOption.field] = initial;
      properties[environmentOption.field] = { ...properties[environmentOption.field], default: initial as string };
      sources.push({
        field: environmentOption.field,
        value: initial,
        source: 'the chosen environment (settings: option mapping)'
      });
    }
  }

  properties.workers = { type: 'integer', title: 'Workers', description: 'Workers to start.', minimum: 0, default: 1 };
  properties.adaptive = {
    type: 'boolean',
    title: 'Adaptive scaling',
    description: 'Let the gateway add and remove workers with the load.',
    default: false
  };
  properties.adaptive_minimum = {
    type: 'integer',
    title: 'Minimum workers',
    description: 'Workers kept even when idle (adaptive scaling).',
    minimum: 0,
    default: 0
  };
  properties.adaptive_maximum = {
    type: 'integer',
    title: 'Maximum workers',
    description: 'Most workers adaptive scaling may start.',
    minimum: 1,
    default: 4
  };
  Object.assign(defaults, { workers: 1, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 });

  uiSchema['ui:order'] = [
    'python_environment',
    ...offered.map(o => o.field),
    'workers',
    'adaptive',
    'adaptive_minimum',
    'adaptive_maximum'
  ];
  uiSchema['ui:groups'] = [
    { title: 'Where it runs', fields: ['python_environment'] },
    { title: "The gateway's options", fields: offered.map(o => o.field) },
    { title: 'How big', fields: ['workers'] },
    { title: 'How it scales', fields: ['adaptive', 'adaptive_minimum', 'adaptive_maximum'] }
  ];

  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['python_environment'],
    properties
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
    uiSchema,
    defaults,
    sources,
    ...(linked.length > 0 ? { linked } : {})
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

/** The gateway options of validated form values. */
export function clusterOptions(values: Record<string, unknown>, offered: IGatewayOption[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const option of offered) {
    if (values[option.field] !== undefined) {
      options[option.field] = values[option.field];
    }
  }
  return options;
}

/**
 * The gateway's 422 reason (e.g. "worker_cores must be <= 4.000000, got 9",
 * "'x' is not a valid option for profile", "Unknown fields ['a']") as field
 * errors: on the option it names, else on the whole form.
 */
export function gatewayFieldErrors(reason: string, fields: string[]): IFieldError[] {
  const byLength = [...fields].sort((a, b) => b.length - a.length);
  const named =
    byLength.find(field => reason.startsWith(`${field} `)) ??
    byLength.find(field =>
      new RegExp(`(^|[\\s'"\\[])${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s'",\\]])`).test(reason)
    );
  const message = `The gateway refused this value: ${reason}`;
  return [{ path: named === undefined ? '' : `/${named}`, message }];
}
