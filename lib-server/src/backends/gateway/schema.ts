/**
 * The gateway's own `cluster_options` as form fields: every option type
 * (int, float, string, bool, select, mapping) with its label, default and
 * bounds, under a form name that does not clash with ours; and back from
 * form values to the gateway's options and its refusals to field errors. Pure.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IFieldError } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { isObject } from '../../util/objects.js';
import { WORKER_ENV_FIELD } from '../fields.js';
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

/** The mapping option the settings name for the worker environment variables, when offered. */
export function envVarsOption(offered: IOfferedOption[], settings: IGatewaySettings): IOfferedOption | undefined {
  const field = settings.optionMapping?.envVars;
  return offered.find(o => o.field === field && o.spec.type === 'mapping');
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
