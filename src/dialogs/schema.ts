import type { JSONSchema7 } from 'json-schema';
import type { IDefaultSource } from '../../protocol';

/**
 * A copy of the schema whose field descriptions say where computed defaults came from.
 */
export function annotateSources(
  schema: JSONSchema7,
  sources: ReadonlyArray<IDefaultSource>,
  describe: (source: IDefaultSource) => string
): JSONSchema7 {
  if (!sources.length || !schema.properties) {
    return schema;
  }
  // A later source for the same field overrides an earlier one (e.g. the
  // user's settings over the gateway's default): only that one is in effect.
  const effective = new Map(sources.map(source => [source.field.replace(/^\//, ''), source] as const));
  const properties = { ...schema.properties };
  for (const [key, source] of effective) {
    const property = properties[key];
    // Some servers already say it in the description: say it once.
    if (typeof property !== 'object' || property.description?.includes(source.source)) {
      continue;
    }
    const note = describe(source);
    properties[key] = {
      ...property,
      description: property.description ? `${property.description} ${note}` : note
    };
  }
  return { ...schema, properties };
}

/**
 * A copy of the schema whose enums carry the labels of `ui:enumNames` as `oneOf` titles.
 *
 * Older react-jsonschema-form releases (such as the one a JupyterLab may
 * share) read option labels only from `oneOf`, so the labels survive
 * whichever release renders the form.
 */
export function labelEnums(schema: JSONSchema7, uiSchema: Record<string, unknown>): JSONSchema7 {
  if (!schema.properties) {
    return schema;
  }
  let properties: NonNullable<JSONSchema7['properties']> | undefined;
  for (const [key, property] of Object.entries(schema.properties)) {
    const hints = uiSchema[key];
    const names =
      typeof hints === 'object' && hints !== null ? (hints as Record<string, unknown>)['ui:enumNames'] : undefined;
    if (typeof property !== 'object' || !property.enum || !Array.isArray(names)) {
      continue;
    }
    const { enum: values, ...rest } = property;
    properties = properties ?? { ...schema.properties };
    properties[key] = {
      ...rest,
      oneOf: values.map((value, index) => ({
        const: value,
        title: typeof names[index] === 'string' ? names[index] : String(value)
      }))
    };
  }
  return properties ? { ...schema, properties } : schema;
}

/**
 * A copy of the schema with a note after the description of each field in `notes`.
 */
export function annotateFields(schema: JSONSchema7, notes: Readonly<Record<string, string>>): JSONSchema7 {
  const keys = Object.keys(notes).filter(key => typeof schema.properties?.[key] === 'object');
  if (!keys.length) {
    return schema;
  }
  const properties = { ...schema.properties };
  for (const key of keys) {
    const property = properties[key] as JSONSchema7;
    properties[key] = {
      ...property,
      description: property.description ? `${property.description} ${notes[key]}` : notes[key]
    };
  }
  return { ...schema, properties };
}
