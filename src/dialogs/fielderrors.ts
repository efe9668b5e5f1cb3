import type { TranslationBundle } from '@jupyterlab/translation';
import type { ErrorTransformer, RJSFValidationError } from '@rjsf/utils';
import type { JSONSchema7 } from 'json-schema';
import { propertySchema } from './defaults';
import type { FormData } from './validator';
import { formValidator } from './validator';

/**
 * A field the form itself finds wrong, with the message shown next to it.
 */
export interface IClientError {
  field: string;
  title: string;
  message: string;
}

/**
 * The top-level field an rjsf error is about (`.workers` -> `workers`).
 */
function errorField(error: RJSFValidationError): string {
  if (error.name === 'required') {
    return String(error.params?.missingProperty ?? '');
  }
  return (error.property ?? '').replace(/^\./, '').split('.')[0];
}

/**
 * A person's words for one schema error: the allowed range or form, never
 * a regular expression or a JSON pointer.
 */
function describeError(
  error: RJSFValidationError,
  schema: JSONSchema7,
  uiSchema: Record<string, unknown>,
  trans: TranslationBundle
): string {
  const field = errorField(error);
  const property = propertySchema(schema, field);
  const params = (error.params ?? {}) as Record<string, unknown>;
  switch (error.name) {
    case 'minimum':
      return property?.maximum !== undefined
        ? trans.__('Enter a number from %1 to %2.', params.limit, property.maximum)
        : trans.__('Enter a number of at least %1.', params.limit);
    case 'maximum':
      return property?.minimum !== undefined
        ? trans.__('Enter a number from %1 to %2.', property.minimum, params.limit)
        : trans.__('Enter a number of at most %1.', params.limit);
    case 'type':
      return params.type === 'integer'
        ? trans.__('Enter a whole number.')
        : params.type === 'number'
          ? trans.__('Enter a number.')
          : trans.__('Enter a value.');
    case 'required':
      return trans.__('Enter a value.');
    case 'enum':
    case 'oneOf':
    case 'const':
      return trans.__('Choose one of the listed values.');
    case 'pattern': {
      // A type can say what its pattern means; otherwise the description has an example.
      const hints = uiSchema[field];
      const hint =
        typeof hints === 'object' && hints !== null ? (hints as Record<string, unknown>)['ui:patternError'] : undefined;
      return typeof hint === 'string' ? hint : trans.__('This is not written in a form this field accepts.');
    }
    default:
      return error.message ?? trans.__('This value is not valid.');
  }
}

/**
 * The form's transformErrors: the messages rjsf shows next to fields, in a person's words.
 */
export function humanErrors(
  schema: JSONSchema7,
  uiSchema: Record<string, unknown>,
  trans: TranslationBundle
): ErrorTransformer<FormData> {
  return errors => {
    const seen = new Set<string>();
    const result: RJSFValidationError[] = [];
    for (const error of errors) {
      const message = describeError(error, schema, uiSchema, trans);
      const key = `${errorField(error)}\n${message}`;
      // enum and oneOf say the same thing twice about one field: say it once.
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      result.push({ ...error, message, stack: message });
    }
    return result;
  };
}

/**
 * Every field the schema refuses in `values`, one message per field.
 */
export function clientErrors(
  values: Record<string, unknown>,
  schema: JSONSchema7,
  uiSchema: Record<string, unknown>,
  trans: TranslationBundle
): IClientError[] {
  const { errors } = formValidator().validateFormData(
    values as FormData,
    schema,
    undefined,
    humanErrors(schema, uiSchema, trans)
  );
  const byField = new Map<string, IClientError>();
  for (const error of errors) {
    const field = errorField(error);
    if (!byField.has(field)) {
      byField.set(field, {
        field,
        title: propertySchema(schema, field)?.title ?? field,
        message: error.message ?? ''
      });
    }
  }
  return [...byField.values()];
}
