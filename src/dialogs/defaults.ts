import { JSONExt } from '@lumino/coreutils';
import type { JSONSchema7, JSONSchema7Definition } from 'json-schema';
import type { IClusterType, IEnvironment } from '../../protocol';

/**
 * The name of the option that selects the runner's Python environment.
 */
export const ENVIRONMENT_FIELD = 'environment';

/**
 * The schema of a top-level option, when the type's schema declares it.
 */
export function propertySchema(schema: JSONSchema7, key: string): JSONSchema7 | undefined {
  const definition: JSONSchema7Definition | undefined = schema.properties?.[key];
  return typeof definition === 'object' ? definition : undefined;
}

/**
 * Keep only the options the schema knows, so stale settings never reach the server.
 */
export function pickKnown(schema: JSONSchema7, options: Record<string, unknown> | undefined): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  const properties = schema.properties ?? {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (Object.prototype.hasOwnProperty.call(properties, key)) {
      known[key] = value;
    }
  }
  return known;
}

/**
 * Whether a value is one the option's `enum` allows (any value when there is no enum).
 */
export function allowsValue(schema: JSONSchema7 | undefined, value: unknown): boolean {
  return !schema?.enum || schema.enum.some(item => item === value);
}

/**
 * The key of a type's last-used values: per type, and per instance (e.g. per gateway address) when the type names one.
 */
export function lastUsedKey(type: IClusterType): string {
  return type.instance ? `${type.id}@${type.instance}` : type.id;
}

/**
 * The option that selects the Python environment: `environment` when it is a
 * string option, else the first option whose choices include `python`.
 */
export function environmentField(schema: JSONSchema7, python: string): string | undefined {
  const named = propertySchema(schema, ENVIRONMENT_FIELD);
  if (named?.type === 'string' && allowsValue(named, python)) {
    return ENVIRONMENT_FIELD;
  }
  return Object.keys(schema.properties ?? {}).find(key => propertySchema(schema, key)?.enum?.includes(python));
}

/**
 * The usable environment that provides a kernel, when one does.
 */
export function environmentForKernel(
  environments: ReadonlyArray<IEnvironment>,
  kernelName: string | null | undefined
): IEnvironment | undefined {
  if (!kernelName) {
    return undefined;
  }
  return environments.find(env => env.usable && env.kernelspecs.includes(kernelName));
}

/**
 * The options a [+New] form starts from: type defaults, then those the site
 * sets through the settings overrides, then the user's last-used values, then
 * the environment of the current kernel.
 */
export function initialOptions(options: {
  type: IClusterType;
  site?: Record<string, unknown>;
  lastUsed?: Record<string, unknown>;
  environments: ReadonlyArray<IEnvironment>;
  kernelName?: string | null;
}): Record<string, unknown> {
  const { type } = options;
  const values: Record<string, unknown> = {
    ...pickKnown(type.schema, type.defaults),
    ...pickKnown(type.schema, options.site),
    ...pickKnown(type.schema, options.lastUsed)
  };
  const env = environmentForKernel(options.environments, options.kernelName);
  const field = env && environmentField(type.schema, env.python);
  // The kernel's environment wins: client and cluster then run the same dask.
  if (env && field) {
    values[field] = env.python;
  }
  return values;
}

/**
 * The values a site sets for a type through JupyterLab's settings overrides
 * (the `lastOptions` default, by type id and then by type and instance), known to its schema.
 */
export function siteOptions(
  type: IClusterType,
  site: Record<string, Record<string, unknown>> | undefined
): Record<string, unknown> {
  const byType = site?.[type.id];
  const byInstance = type.instance ? site?.[lastUsedKey(type)] : undefined;
  return pickKnown(type.schema, { ...byType, ...byInstance });
}

/**
 * The defaults in effect for a type: its description's, then the site's settings overrides.
 */
export function effectiveDefaults(
  type: IClusterType,
  site: Record<string, Record<string, unknown>> | undefined
): Record<string, unknown> {
  return { ...type.defaults, ...siteOptions(type, site) };
}

/**
 * What a type's stored last-used values still say, against the defaults in effect now.
 *
 * Values used to be stored whole (every field, as started). Such an entry is
 * read as it stands: a stored value equal to the current default is simply
 * the default (not marked "last used", and gone from the store at the next
 * start); one that differs is kept as the user's choice. It may be an old
 * default the site has since changed, but that cannot be told from a choice,
 * and keeping a choice is the safer mistake. Fields the schema no longer has
 * are dropped silently, as are values its `enum` no longer allows.
 */
export function storedChanges(
  type: IClusterType,
  stored: Record<string, unknown> | undefined,
  defaults: Record<string, unknown>
): Record<string, unknown> {
  const known = pickKnown(type.schema, migrateStored(type, stored ?? {}));
  const changed = changedFromDefaults(type, known, defaults);
  for (const key of Object.keys(changed)) {
    if (!allowsValue(propertySchema(type.schema, key), changed[key])) {
      delete changed[key];
    }
  }
  return changed;
}

/**
 * The one rename of stored fields: the gateway type's `python_environment`
 * became `environment`, and a gateway option that was called `environment`
 * (dask-gateway's worker variables mapping) is now offered as
 * `gateway_environment`. Values stored the old way move to the new names when
 * the type's schema has them instead of the old ones.
 */
function migrateStored(type: IClusterType, stored: Record<string, unknown>): Record<string, unknown> {
  const properties = type.schema.properties ?? {};
  const has = (key: string) => Object.prototype.hasOwnProperty.call(properties, key);
  if (type.id !== 'gateway' || stored.python_environment === undefined || has('python_environment')) {
    return stored;
  }
  const { python_environment: environment, ...rest } = stored;
  const migrated: Record<string, unknown> = { ...rest };
  if (stored[ENVIRONMENT_FIELD] !== undefined && typeof stored[ENVIRONMENT_FIELD] !== 'string') {
    // The old gateway option of that name, not an interpreter path.
    if (has('gateway_environment')) {
      migrated.gateway_environment = stored[ENVIRONMENT_FIELD];
    }
    delete migrated[ENVIRONMENT_FIELD];
  }
  if (has(ENVIRONMENT_FIELD) && migrated[ENVIRONMENT_FIELD] === undefined) {
    migrated[ENVIRONMENT_FIELD] = environment;
  }
  return migrated;
}

/**
 * Apply a type's linked fields: when a driving field (a profile) changed, set the fields it implies.
 */
export function applyLinked(
  type: IClusterType,
  previous: Record<string, unknown>,
  next: Record<string, unknown>
): Record<string, unknown> {
  let result = next;
  for (const link of type.linked ?? []) {
    const value = next[link.field];
    if (value === previous[link.field] || value === undefined) {
      continue;
    }
    const implied = link.values[String(value)];
    if (implied) {
      result = { ...result, ...pickKnown(type.schema, implied) };
    }
  }
  return result;
}

/**
 * The options that differ from the defaults in effect (the type's own unless
 * given): what "last used" remembers, so later site defaults still reach the rest.
 * A value equal to its default is left out, so one set back to the default is
 * forgotten; so is an empty (undefined) value, which settings cannot hold.
 */
export function changedFromDefaults(
  type: IClusterType,
  options: Record<string, unknown>,
  defaults: Record<string, unknown> = type.defaults
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const fallback = defaults[key];
    if (value !== undefined && (fallback === undefined || !JSONExt.deepEqual(value as never, fallback as never))) {
      changed[key] = value;
    }
  }
  return changed;
}
