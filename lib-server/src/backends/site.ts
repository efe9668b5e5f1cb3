/**
 * Site-defined cluster types: an administrator describes a type in the dask
 * config (key `jupyterlab-dask-clusters.types`, e.g. in /etc/dask/*.yaml),
 * where sites already keep jobqueue.yaml and gateway.yaml for every user and
 * every environment. Each entry becomes a definition (definition.ts); one
 * that is broken is listed as unavailable with the reason, and the others
 * keep working.
 */

import type { JSONSchema7 } from 'json-schema';
import { Ajv } from 'ajv';
import type { JsonCommand } from '../util/exec.js';
import { isObject } from '../util/objects.js';
import { MAPPING_VALUES, type ITypeDefinition } from './definition.js';
import { needsDistributed, SCALING_FIELDS, WORKER_ENV_FIELD } from './fields.js';
import { placeholders } from './mapping.js';

/** The dask config key of site types. */
export const SITE_TYPES_KEY = 'jupyterlab-dask-clusters.types';

/** What `runner.py site-types` prints. */
export interface ISiteTypesRead {
  /** The config's entries, by type id. */
  types: Record<string, unknown>;
  /** Per class path, why its module cannot be imported in the server's environment (null: it can). */
  modules: Record<string, string | null>;
}

const DOTTED = '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$';
const ID = /^[a-z][a-z0-9-]{0,39}$/;
const SHARED = new Set<string>(['environment', ...SCALING_FIELDS, WORKER_ENV_FIELD]);
const OPTION_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

/** The shape of one site entry (checked with Ajv; unknown keys refused). */
const ENTRY_SCHEMA: JSONSchema7 = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'class', 'kwargs'],
  properties: {
    title: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    class: { type: 'string', pattern: DOTTED },
    options: { type: 'object', additionalProperties: { type: 'object' } },
    required: { type: 'array', items: { type: 'string' } },
    ui: { type: 'object', additionalProperties: { type: 'object' } },
    kwargs: { type: 'object' },
    tls: { type: 'boolean' },
    snippet: { type: 'string' },
    workers: { type: 'integer', minimum: 0 },
    adaptive_maximum: { type: 'integer', minimum: 1 }
  }
};

const ajv = new Ajv({ allErrors: true, strict: true });
const checkEntry = ajv.compile(ENTRY_SCHEMA);

/** Problems with the type's own option fields. */
function optionProblems(options: Record<string, JSONSchema7>): string[] {
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(options)) {
    if (SHARED.has(name)) {
      problems.push(`option "${name}" is a field every type has; give it another name`);
      continue;
    }
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const scalar = types.every(type => typeof type === 'string' && OPTION_TYPES.has(type));
    const listOfScalars =
      schema.type === 'array' && isObject(schema.items) && OPTION_TYPES.has(String((schema.items as JSONSchema7).type));
    if (!scalar && !listOfScalars) {
      problems.push(`option "${name}" must have type string, integer, number or boolean (or an array of those)`);
      continue;
    }
    try {
      ajv.compile(schema);
    } catch (error) {
      problems.push(
        `option "${name}" is not valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`
      );
    }
  }
  return problems;
}

/** Why entry `id` cannot be used; empty when it can. */
function entryProblems(id: string, entry: unknown, taken: ReadonlySet<string>): string[] {
  if (!ID.test(id)) {
    return [`its id "${id}" must be lower-case letters, digits and -, starting with a letter`];
  }
  if (taken.has(id)) {
    return [`its id "${id}" is a built-in type's; choose another`];
  }
  if (!checkEntry(entry)) {
    return (checkEntry.errors ?? []).map(error => {
      const where = error.instancePath === '' ? 'the entry' : error.instancePath.slice(1).replace(/\//g, '.');
      const extra = error.keyword === 'additionalProperties' ? ` "${String(error.params.additionalProperty)}"` : '';
      return `${where} ${error.message ?? 'is not valid'}${extra}`;
    });
  }
  const raw = entry as Record<string, unknown>;
  const options = (raw.options ?? {}) as Record<string, JSONSchema7>;
  const problems = optionProblems(options);
  const known = new Set([...Object.keys(options), ...Object.keys(MAPPING_VALUES)]);
  for (const name of placeholders([raw.kwargs, raw.snippet ?? ''])) {
    if (!known.has(name) && !['scheduler_address', 'dashboard_link'].includes(name)) {
      problems.push(
        `{${name}} is neither one of its options nor a value every type has (${[...Object.keys(MAPPING_VALUES)].join(', ')})`
      );
    }
  }
  for (const name of (raw.required ?? []) as string[]) {
    if (!(name in options)) {
      problems.push(`required names "${name}", which is not one of its options`);
    }
  }
  return problems;
}

/** The definition of site entry `id`, usable or not. */
export function siteDefinition(
  id: string,
  entry: unknown,
  modules: Record<string, string | null>,
  taken: ReadonlySet<string>
): ITypeDefinition {
  const origin = `your site's dask config (${SITE_TYPES_KEY}.${id})`;
  const problems = entryProblems(id, entry, taken);
  const raw = isObject(entry) ? entry : {};
  const clusterClass = typeof raw.class === 'string' ? raw.class : '';
  const moduleProblem = problems.length === 0 ? modules[clusterClass] : undefined;
  const workers = typeof raw.workers === 'number' ? raw.workers : 1;
  const definition: ITypeDefinition = {
    id,
    title: typeof raw.title === 'string' && raw.title !== '' ? raw.title : id,
    description: typeof raw.description === 'string' ? raw.description : `${clusterClass}, defined by your site.`,
    clusterClass,
    options: problems.length === 0 ? ((raw.options ?? {}) as Record<string, JSONSchema7>) : {},
    required: problems.length === 0 ? ((raw.required ?? []) as string[]) : [],
    ui: problems.length === 0 ? ((raw.ui ?? {}) as Record<string, Record<string, unknown>>) : {},
    scaling: {
      workers,
      adaptive: false,
      adaptive_minimum: 0,
      adaptive_maximum: typeof raw.adaptive_maximum === 'number' ? raw.adaptive_maximum : Math.max(1, workers * 2)
    },
    kwargs: problems.length === 0 ? (raw.kwargs as Record<string, unknown>) : {},
    tls: raw.tls !== false,
    ...(typeof raw.snippet === 'string' ? { snippet: raw.snippet } : {}),
    environmentCheck: needsDistributed,
    origin
  };
  if (problems.length > 0) {
    definition.unavailable = `The site type "${id}" in ${origin.replace("your site's ", 'the ')} is broken: ${problems.join('; ')}. Ask your administrator to fix it.`;
  } else if (moduleProblem) {
    definition.unavailable = `${clusterClass} cannot be imported in the Jupyter server's environment (${moduleProblem}); install its package there.`;
  }
  return definition;
}

/** Every site type of the dask config the server's interpreter reads; none when it cannot be read. */
export async function loadSiteDefinitions(
  run: JsonCommand,
  python: string,
  runnerPath: string,
  taken: ReadonlySet<string>
): Promise<ITypeDefinition[]> {
  let read: unknown;
  try {
    read = await run(python, [runnerPath, 'site-types'], 30_000);
  } catch {
    // No dask in the server's environment: no dask config, so no site types.
    return [];
  }
  if (!isObject(read) || !isObject(read.types)) {
    return [];
  }
  const modules = (isObject(read.modules) ? read.modules : {}) as Record<string, string | null>;
  return Object.entries(read.types).map(([id, entry]) => siteDefinition(id, entry, modules, taken));
}
