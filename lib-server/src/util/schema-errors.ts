/**
 * JSON Schema validation (Ajv, draft-07, all errors) with messages a person
 * can act on: the field's title, what is wrong, what it got.
 */

import type { JSONSchema7, JSONSchema7Definition } from 'json-schema';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { IFieldError } from '../../../protocol/index.js';
import { unknownField } from './unknown-fields.js';

const ajv = new Ajv({ allErrors: true, strict: true, addUsedSchema: false });

/**
 * Compiled validators by schema text. The schemas are built per request but
 * seldom change; compiling each anew cost milliseconds and left V8 a new
 * function per request (bench/companion_flags.py).
 */
const validators = new Map<string, ValidateFunction>();
const VALIDATORS_KEPT = 32;

function validatorOf(schema: JSONSchema7): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    // The map keeps what is reused: Ajv's own cache would keep every schema object.
    ajv.removeSchema(schema);
  }
  // Most recently used last; the least recently used goes first.
  validators.delete(key);
  validators.set(key, validate);
  for (const oldest of validators.keys()) {
    if (validators.size <= VALIDATORS_KEPT) {
      break;
    }
    validators.delete(oldest);
  }
  return validate;
}

function propertySchema(schema: JSONSchema7, name: string): JSONSchema7 | undefined {
  const property: JSONSchema7Definition | undefined = schema.properties?.[name];
  return typeof property === 'object' ? property : undefined;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The message for one Ajv error, naming the field by its title. */
function describe(error: ErrorObject, schema: JSONSchema7, data: Record<string, unknown>): IFieldError {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return unknownField(String(params.additionalProperty), Object.keys(schema.properties ?? {}));
  }
  if (error.keyword === 'required') {
    const name = String(params.missingProperty);
    const title = propertySchema(schema, name)?.title ?? name;
    return { path: `/${name}`, message: `${title} is required.` };
  }
  const name = error.instancePath.split('/')[1] ?? '';
  const title = propertySchema(schema, name)?.title ?? (name || 'The options');
  const got = name ? ` (got ${show(data[name])})` : '';
  switch (error.keyword) {
    case 'type':
      return { path: error.instancePath, message: `${title} must be ${article(String(params.type))}${got}.` };
    case 'minimum':
      return { path: error.instancePath, message: `${title} must be at least ${show(params.limit)}${got}.` };
    case 'maximum':
      return { path: error.instancePath, message: `${title} must be at most ${show(params.limit)}${got}.` };
    case 'enum':
      return {
        path: error.instancePath,
        message: `${title} must be one of ${(params.allowedValues as unknown[]).map(show).join(', ')}${got}.`
      };
    case 'pattern':
      // The pattern is a regular expression: no message a person reads names it.
      return { path: error.instancePath, message: `${title} is not written in a form it accepts${got}.` };
    default:
      return { path: error.instancePath, message: `${title} ${error.message ?? 'is not valid'}${got}.` };
  }
}

/** Options of schemaErrors. */
export interface ISchemaErrorOptions {
  /** Errors the caller reports in its own words. */
  skip?: (error: ErrorObject) => boolean;
}

/** Every way `data` breaks `schema`, one field error per problem. */
export function schemaErrors(
  schema: JSONSchema7,
  data: Record<string, unknown>,
  options: ISchemaErrorOptions = {}
): IFieldError[] {
  const validate = validatorOf(schema);
  validate(data);
  const errors = validate.errors ?? [];
  const seen = new Set<string>();
  const fields: IFieldError[] = [];
  for (const error of errors) {
    if (options.skip?.(error)) {
      continue;
    }
    const field = describe(error, schema, data);
    const key = `${field.path}\n${field.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      fields.push(field);
    }
  }
  return fields;
}
