/**
 * The parts of the gateway form that the gateway and the settings decide when
 * the dialog opens: the gateway's options as fields, the environment choice
 * linked to the option that names it, the workers' variables merged into the
 * option that takes them, and the form's sections. Pure.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterType } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { describeType, formEnvironment } from '../defined.js';
import type { IFormParts } from '../definition.js';
import { SCALING_FIELDS, WORKER_ENV_FIELD } from '../fields.js';
import type { IGatewayOption } from './client.js';
import type { IGatewaySettings } from './connection.js';
import { GATEWAY_DEFINITION } from './definition.js';
import { envVarsOption, mappedEnvironmentValue, offeredOptions, optionSchema, type IOfferedOption } from './schema.js';

/** What the gateway form is built from. */
export interface IGatewayTypeInput {
  address: string;
  options: IGatewayOption[];
  environments: IEnvironmentInfo[];
  serverPython: string;
  settings: IGatewaySettings;
  /** Per-user worker environment variables (extension settings). */
  workerEnvironment: Record<string, string>;
}

/** The form parts a step adds to. */
interface IParts {
  fields: Record<string, JSONSchema7>;
  ui: Record<string, Record<string, unknown>>;
  sources: Record<string, string>;
  linked: NonNullable<IClusterType['linked']>;
}

/** Set the default of `field` and say where it comes from. */
function setDefault(parts: IParts, field: string, value: unknown, source: string): void {
  parts.fields[field] = { ...parts.fields[field], default: value as JSONSchema7['default'] };
  parts.sources[field] = source;
}

/** The gateway's own options, under their form names. */
function addGatewayOptions(parts: IParts, offered: IOfferedOption[]): void {
  for (const option of offered) {
    const schema = optionSchema(option);
    if (schema === undefined) {
      continue;
    }
    parts.fields[option.formField] = schema;
    parts.sources[option.formField] = 'the gateway';
    if (option.spec.type === 'mapping') {
      parts.ui[option.formField] = { 'ui:options': { addable: true, removable: true } };
    }
  }
}

/** The settings' worker variables fill the mapped option by default (the form's field adds to them at submit). */
function addWorkerEnvironment(parts: IParts, option: IOfferedOption, input: IGatewayTypeInput): void {
  if (Object.keys(input.workerEnvironment).length > 0) {
    const current = parts.fields[option.formField].default as Record<string, string>;
    setDefault(
      parts,
      option.formField,
      { ...current, ...input.workerEnvironment },
      'your worker environment variables (settings)'
    );
  }
}

/** The settings' mapping of the environment: the choice sets the gateway option that names it. */
function addEnvironmentLink(parts: IParts, option: IOfferedOption, input: IGatewayTypeInput, env?: string): void {
  const values: Record<string, Record<string, unknown>> = {};
  for (const e of input.environments) {
    const value = mappedEnvironmentValue(option, e);
    if (value !== undefined) {
      values[e.python] = { [option.formField]: value };
    }
  }
  parts.linked.push({ field: 'environment', values });
  const initial = env === undefined ? undefined : values[env]?.[option.formField];
  if (initial !== undefined) {
    setDefault(parts, option.formField, initial, 'the chosen environment (settings: option mapping)');
  }
}

/** The order and sections of the form. */
function layoutOf(offered: IOfferedOption[], workerEnv: boolean): NonNullable<IFormParts['layout']> {
  const advanced = workerEnv ? [WORKER_ENV_FIELD] : [];
  const own = offered.map(o => o.formField);
  return {
    order: ['environment', ...own, ...SCALING_FIELDS, ...advanced],
    groups: [
      { title: 'Where it runs', fields: ['environment'] },
      { title: "The gateway's options", fields: own },
      { title: 'How big', fields: ['workers'] },
      { title: 'How it scales', fields: SCALING_FIELDS.slice(1) },
      ...(workerEnv ? [{ title: 'Advanced', fields: advanced, collapsed: true }] : [])
    ]
  };
}

/**
 * The gateway form's parts; `environment` is the one the form preselects,
 * whose mapped option value is the option's default.
 */
export function gatewayFormParts(input: IGatewayTypeInput, environment?: string): IFormParts {
  const offered = offeredOptions(input.options);
  const parts: IParts = { fields: {}, ui: {}, sources: {}, linked: [] };
  addGatewayOptions(parts, offered);
  const envVars = envVarsOption(offered, input.settings);
  if (envVars !== undefined) {
    addWorkerEnvironment(parts, envVars, input);
  }
  const mapped = offered.find(o => o.field === input.settings.optionMapping?.environment);
  if (mapped !== undefined) {
    addEnvironmentLink(parts, mapped, input, environment);
  }
  return {
    description: `A cluster on the Dask Gateway at ${input.address}.`,
    // Last-used values are remembered per gateway.
    instance: input.address,
    fields: parts.fields,
    ui: parts.ui,
    sources: parts.sources,
    sourcesComplete: true,
    layout: layoutOf(offered, envVars !== undefined),
    ...(envVars !== undefined
      ? { workerEnv: `through the gateway option "${envVars.label || envVars.field}"; they win over its values` }
      : {}),
    ...(parts.linked.length > 0 ? { linked: parts.linked } : {})
  };
}

/** The gateway type as the dialog renders it, for `input`. */
export function buildGatewayType(input: IGatewayTypeInput): IClusterType {
  const environment = formEnvironment(GATEWAY_DEFINITION, input.environments, input.serverPython);
  const parts = gatewayFormParts(input, environment?.python);
  return describeType(GATEWAY_DEFINITION, input.environments, input.serverPython, parts);
}
