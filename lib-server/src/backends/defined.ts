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
  IFieldError
} from '../../../protocol/index.js';
import { scalingFromOptions } from '../clusters/scaling.js';
import type { IEnvironmentInfo } from '../envs/probe.js';
import { schemaErrors } from '../util/schema-errors.js';
import type { IBackend, PlanResult } from './backend.js';
import type { ITypeDefinition } from './definition.js';
import {
  adaptiveBoundsProblem,
  defaultEnvironment,
  defaultEnvironmentReason,
  environmentField,
  environmentProblem,
  exportLines,
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
  environments: () => Promise<IEnvironmentInfo[]>;
  serverPython: string;
  /** Base of the per-cluster TLS credential directories. */
  securityBase: string;
}

/** Whether the definition's mapping passes the workers' environment variables on. */
function takesWorkerEnv(definition: ITypeDefinition): boolean {
  const used = placeholders(definition.kwargs);
  return used.has('worker_env') || used.has('worker_env_exports');
}

/** The form's schema, hints, defaults and their sources. */
function describeForm(definition: ITypeDefinition, environments: IEnvironmentInfo[], serverPython: string) {
  const env = defaultEnvironment(environments, serverPython, definition.environmentCheck);
  const why = defaultEnvironmentReason(env, serverPython);
  const environment = environmentField(environments, {
    default: env,
    why,
    description: `Python environment that starts ${definition.clusterClass}; it must be able to import it.`,
    check: definition.environmentCheck
  });
  const own = Object.keys(definition.options);
  const envField = takesWorkerEnv(definition) ? [WORKER_ENV_FIELD] : [];
  const properties: Record<string, JSONSchema7> = {
    environment: environment.schema,
    ...definition.options,
    ...scalingFields(definition.scaling),
    ...(envField.length > 0 ? { [WORKER_ENV_FIELD]: workerEnvField('as the site type passes them on') } : {})
  };
  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['environment', ...definition.required],
    properties
  };
  const uiSchema: Record<string, unknown> = {
    ...definition.ui,
    'ui:order': ['environment', ...own, ...SCALING_FIELDS, ...envField],
    'ui:groups': [
      { title: 'Where it runs', fields: ['environment'] },
      ...(own.length > 0 ? [{ title: definition.title, fields: own }] : []),
      { title: 'How it scales', fields: [...SCALING_FIELDS] },
      ...(envField.length > 0 ? [{ title: 'Advanced', fields: envField, collapsed: true }] : [])
    ],
    environment: environment.ui,
    ...(envField.length > 0 ? { [WORKER_ENV_FIELD]: WORKER_ENV_UI } : {})
  };
  const defaults: Record<string, unknown> = {};
  const sources: IDefaultSource[] = [{ field: 'environment', value: env?.python, source: why }];
  for (const [field, property] of Object.entries(properties)) {
    if (property.default !== undefined) {
      defaults[field] = property.default;
      if (own.includes(field)) {
        sources.push({ field, value: property.default, source: definition.origin });
      }
    }
  }
  return { schema, uiSchema, defaults, sources };
}

/** The validated options, or every problem with them. */
function validate(
  definition: ITypeDefinition,
  form: ReturnType<typeof describeForm>,
  environments: IEnvironmentInfo[],
  requested: Record<string, unknown>
): { options: Record<string, unknown>; workerEnv: Record<string, string> } | { fields: IFieldError[] } {
  const options = { ...form.defaults, ...requested };
  const fields = schemaErrors(form.schema, options, {
    // The environment gets its own message, which says what is wrong with it.
    skip: error => error.instancePath === '/environment' && error.keyword === 'enum'
  });
  if (typeof options.environment === 'string') {
    const problem = environmentProblem(options.environment, environments, definition.environmentCheck);
    if (problem !== undefined) {
      fields.push({ path: '/environment', message: problem });
    }
  }
  const scaling = options as unknown as IScalingOptions;
  const bounds =
    scaling.adaptive === true ? adaptiveBoundsProblem(scaling.adaptive_minimum, scaling.adaptive_maximum) : undefined;
  if (bounds !== undefined && fields.length === 0) {
    fields.push(bounds);
  }
  const parsed = parseWorkerEnv(
    typeof options[WORKER_ENV_FIELD] === 'string' ? (options[WORKER_ENV_FIELD] as string) : ''
  );
  if ('error' in parsed) {
    fields.push(parsed.error);
  }
  return fields.length > 0 || 'error' in parsed ? { fields } : { options, workerEnv: parsed.env };
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

/** The backend of `definition`. */
export function definedBackend(definition: ITypeDefinition, options: IDefinedBackendOptions): IBackend {
  const form = async () => {
    const environments = await options.environments();
    return { environments, form: describeForm(definition, environments, options.serverPython) };
  };

  return {
    id: definition.id,

    async describe(): Promise<IClusterType> {
      const { form: described, environments } = await form();
      const usable = environments.some(env => definition.environmentCheck(env) === undefined);
      const reason =
        definition.unavailable ??
        (usable
          ? undefined
          : `No Python environment here can run it: ${environments.map(env => definition.environmentCheck(env)).find(Boolean) ?? 'none found'}.`);
      return {
        id: definition.id,
        title: definition.title,
        description: definition.description,
        available: reason === undefined,
        ...(reason !== undefined ? { reason } : {}),
        ...described
      };
    },

    async plan(request: ICreateRequest, clusterId: string): Promise<PlanResult> {
      if (definition.unavailable !== undefined) {
        return { fields: [{ path: '', message: definition.unavailable }] };
      }
      const { form: described, environments } = await form();
      const checked = validate(definition, described, environments, request.options ?? {});
      if ('fields' in checked) {
        return checked;
      }
      const o = checked.options;
      const scaling = scalingFromOptions(o as unknown as IScalingOptions);
      const security = definition.tls ? securityDirectory(options.securityBase, clusterId) : undefined;
      const values = {
        ...o,
        workers: scaling.mode === 'fixed' ? scaling.workers : scaling.minimum,
        cluster_id: clusterId,
        worker_env: checked.workerEnv,
        worker_env_exports: exportLines(checked.workerEnv),
        ...(security !== undefined ? { security_directory: security } : {})
      };
      const rendered = renderArguments(definition.kwargs, values);
      const python = String(o.environment);
      return {
        plan: {
          spec: { type: definition.id, ...(request.name ? { name: request.name } : {}), options: { ...o } },
          environment: { python, label: environments.find(env => env.python === python)?.label ?? python },
          scaling,
          workDirs: security !== undefined ? [security] : [],
          start: {
            op: 'start',
            cluster_id: clusterId,
            cluster_class: definition.clusterClass,
            kwargs: { ...rendered.kwargs, ...(security !== undefined ? { security_directory: security } : {}) },
            ...(Object.keys(rendered.calls).length > 0 ? { calls: rendered.calls } : {}),
            config: {},
            scaling
          }
        }
      };
    },

    checkScaling(): IFieldError[] {
      return [];
    },

    snippet(model: IClusterModel, dashboardLink: string | undefined) {
      return snippetOf(definition, model, options.securityBase, dashboardLink);
    },

    tunnelCommand() {
      return undefined;
    }
  };
}
